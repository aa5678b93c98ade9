"""Where a video picture goes on the screen and in which pixel layout it is written there."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal

import pygame

# the pygame names of the layouts decoded into (pygame.image.frombuffer's formats)
PygameFormat = Literal["BGR", "BGRA", "RGBX"]


@dataclass(frozen=True)
class PixelLayout:
    """A packed pixel layout by its FFmpeg and pygame names (both spell the bytes in memory)."""

    ffmpeg: str
    pygame: PygameFormat


PACKED_24 = PixelLayout("bgr24", "BGR")  # any screen: SDL widens each pixel while blitting
# 32-bit screens by their (red, green, blue) masks, on a little-endian machine. Scaling straight
# into the screen's own layout makes the blit a copy (1080p: swscale 0.53 ms instead of 0.64 ms,
# blit 0.45 ms instead of 0.58 ms). pygame has no alpha-less BGRA: the frame's alpha bytes are
# 255, and SDL copies opaque pixels of a per-pixel-alpha surface without blending them.
SCREEN_LAYOUTS = {
    (0xFF0000, 0x00FF00, 0x0000FF): PixelLayout("bgra", "BGRA"),  # XRGB8888: x11, offscreen
    (0x0000FF, 0x00FF00, 0xFF0000): PixelLayout("rgb0", "RGBX"),  # XBGR8888: the same format
}
# The 32-bit screens whose pixels are byte for byte a picture of that layout (alpha ignored).
SCREEN_MASKS = {layout.pygame: (*masks, 0) for masks, layout in SCREEN_LAYOUTS.items()}


def screen_layout(surface: pygame.Surface | None) -> PixelLayout:
    """The layout to decode into for drawing on `surface` (bgr24 when it is not a known one)."""
    if surface is None or surface.get_bitsize() != 32 or sys.byteorder != "little":
        return PACKED_24
    red, green, blue, alpha = surface.get_masks()
    if alpha:
        return PACKED_24
    return SCREEN_LAYOUTS.get((red, green, blue), PACKED_24)


@dataclass(frozen=True)
class Placement:
    """Where a picture of one shape goes on the target: its scaled size and top-left corner."""

    width: int
    height: int
    x: int
    y: int

    def bars(self, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
        """The rectangles of a target of `size` that the picture leaves uncovered."""
        width, height = size
        left, top = max(self.x, 0), max(self.y, 0)
        right, bottom = min(self.x + self.width, width), min(self.y + self.height, height)
        if right <= left or bottom <= top:
            return [(0, 0, width, height)]
        bars = [(0, 0, width, top), (0, bottom, width, height - bottom),
                (0, top, left, bottom - top), (right, top, width - right, bottom - top)]
        return [bar for bar in bars if bar[2] > 0 and bar[3] > 0]

    def covers(self, size: tuple[int, int]) -> bool:
        return self.x <= 0 and self.y <= 0 and self.x + self.width >= size[0] and \
            self.y + self.height >= size[1]


def place(source: tuple[float, float], target: tuple[int, int], fit: str) -> Placement:
    """Scale a picture of display size `source` into `target` by `fit` (contain|cover|stretch)."""
    tw, th = target
    sw, sh = source
    if fit == "stretch" or sw <= 0 or sh <= 0:
        return Placement(tw, th, 0, 0)
    scale = max(tw / sw, th / sh) if fit == "cover" else min(tw / sw, th / sh)
    width, height = max(2, round(sw * scale)), max(2, round(sh * scale))
    return Placement(width, height, (tw - width) // 2, (th - height) // 2)


def layout_of(surface: pygame.Surface) -> PixelLayout | None:
    """The 32-bit layout a surface's pixels are in, byte for byte (None: another kind)."""
    layout = screen_layout(surface)
    return None if layout is PACKED_24 else layout


def inside(placed: Placement, size: tuple[int, int]) -> bool:
    """True when the whole picture lies on a target of `size` (nothing to crop)."""
    return placed.x >= 0 and placed.y >= 0 and placed.x + placed.width <= size[0] and \
        placed.y + placed.height <= size[1]
