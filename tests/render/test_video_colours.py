"""A pure red, green and blue clip comes out red, green and blue on screen, whatever the pixel
layout the picture is decoded into (the screen's own, or 24-bit), rotated or not, with alpha."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pygame
import pytest

from player.render import video
from player.render.video import PACKED_24, PixelLayout, VideoSlide, screen_layout

SIZE = (64, 48)
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
XRGB = (0xFF0000, 0x00FF00, 0x0000FF, 0)
XBGR = (0x0000FF, 0x00FF00, 0xFF0000, 0)


@pytest.fixture(autouse=True)
def screen():
    pygame.init()
    pygame.display.set_mode(SIZE)
    yield
    pygame.display.quit()


def colour_clip(path: Path, codec: str = "libx264", pix_fmt: str = "yuv420p",
                rotation: int = 0) -> Path:
    """One second of each colour at 10 fps."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], pix_fmt
        stream.time_base = Fraction(1, 10)
        if rotation:
            stream.set_display_rotation(rotation)
        for n in range(30):
            rgba = np.zeros((SIZE[1], SIZE[0], 4), np.uint8)
            rgba[:, :, :3] = COLOURS[n // 10]
            rgba[:, :, 3] = 255
            frame = av.VideoFrame.from_ndarray(rgba, format="rgba")
            frame.pts = n
            frame.time_base = stream.time_base
            for packet in stream.encode(frame):
                if packet.pts is None or codec != "libx264":  # intra-only encoders leave it out
                    packet.pts = packet.dts = n
                    packet.time_base = Fraction(1, 10)
                out.mux(packet)
        out.mux(stream.encode())
    return path


def colours_shown(path: Path, canvas: pygame.Surface) -> list[tuple[int, int, int]]:
    slide = VideoSlide("c", path, canvas.get_size(), "stretch", (128, 128, 128))
    seen = []
    try:
        slide.prepare()
        slide.start(0.0)
        for t in (0.5, 1.5, 2.5):
            while slide._pending is None and not slide._video_done or \
                    (slide._pending is not None and slide._pending.pts <= t - 0.1):
                slide.draw(canvas, t)
                threading.Event().wait(0.002)
                slide._fetch()
            slide.draw(canvas, t)
            seen.append(tuple(canvas.get_at((canvas.get_width() // 2, canvas.get_height() // 2)))[:3])
    finally:
        slide.close()
    return seen


def assert_pure(seen: list[tuple[int, int, int]]) -> None:
    for got, want in zip(seen, COLOURS, strict=True):
        for channel, level in zip(got, want, strict=True):
            assert abs(channel - level) < 24, (seen, COLOURS)


def test_the_display_gets_its_own_layout():
    assert screen_layout(pygame.display.get_surface()) == PixelLayout("bgra", "BGRA")
    assert screen_layout(pygame.Surface((4, 4), 0, 32, XBGR)) == PixelLayout("rgb0", "RGBX")
    assert screen_layout(pygame.Surface((4, 4), 0, 24)) == PACKED_24
    assert screen_layout(pygame.Surface((4, 4), 0, 16)) == PACKED_24
    assert screen_layout(None) == PACKED_24


@pytest.mark.parametrize("rotation", [0, 90, 180])
@pytest.mark.parametrize("masks", [XRGB, XBGR, None])
def test_red_green_blue_stay_red_green_blue(tmp_path, monkeypatch, masks, rotation):
    clip = colour_clip(tmp_path / "rgb.mp4", rotation=rotation)
    canvas = pygame.Surface(SIZE, 0, 32, masks) if masks else pygame.Surface(SIZE, 0, 24)
    monkeypatch.setattr(video.pygame.display, "get_surface", lambda: canvas)
    assert_pure(colours_shown(clip, canvas))


def test_a_clip_with_alpha_is_drawn_opaque(tmp_path):
    clip = colour_clip(tmp_path / "rgb.mov", codec="png", pix_fmt="rgba")
    canvas = pygame.display.get_surface()
    assert_pure(colours_shown(clip, canvas))


def test_the_real_display(tmp_path):
    clip = colour_clip(tmp_path / "rgb.mp4")
    assert_pure(colours_shown(clip, pygame.display.get_surface()))
