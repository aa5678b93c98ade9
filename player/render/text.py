"""Text that is right in every language: script runs, wrapping, automatic size, alignment.

SDL_ttf has no font fallback, so every line is split into runs by script and each run is drawn
with a face that has its glyphs: Noto Sans (every Vietnamese letter) through SDL_ttf with
HarfBuzz, and a Simplified Chinese face through pygame.freetype, which can open the right face
inside a .ttc collection. Text arrives NFC-normalised from the playlist loader.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

import pygame
import pygame.freetype

from player.fonts import FontFile, cjk_font, is_cjk, latin_font

log = logging.getLogger(__name__)
Color = tuple[int, int, int]


class Face:
    """One font at one pixel size, with a uniform interface over SDL_ttf and FreeType."""

    def __init__(self, font: FontFile, size: int, freetype: bool):
        self.size = size
        self.freetype = freetype
        if freetype:
            self.ft = pygame.freetype.Font(str(font.path), size, font_index=font.index)
            self.ft.antialiased = True
            self.ascent = int(self.ft.get_sized_ascender(size))
            self.height = int(self.ft.get_sized_height(size))
        else:
            self.ttf = pygame.font.Font(str(font.path), size)
            self.ascent = self.ttf.get_ascent()
            self.height = self.ttf.get_height()

    def width(self, text: str) -> int:
        if self.freetype:
            return int(self.ft.get_rect(text, size=self.size).width) if text else 0
        return self.ttf.size(text)[0]

    def render(self, text: str, color: Color) -> tuple[pygame.Surface, int]:
        """A transparent surface with the text, and the y of its baseline inside it."""
        if self.freetype:
            surface, rect = self.ft.render(text, color, size=self.size)
            return surface, rect.top
        return self.ttf.render(text, True, color), self.ascent


class FontSet:
    """The faces for Latin/Vietnamese and CJK text, cached per size."""

    def __init__(self, latin: FontFile | None = None, cjk: FontFile | None = None):
        if not pygame.font.get_init():
            pygame.font.init()
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        self.latin = latin or latin_font()
        self.cjk = cjk
        if self.latin is None:
            raise RuntimeError("no Latin font found: install fonts-noto-core or set fonts.latin")
        self._faces: dict[tuple[str, int], Face] = {}

    @classmethod
    def from_config(cls, latin: str = "", cjk: str = "", cjk_index: int | None = None) -> FontSet:
        found_cjk = cjk_font(cjk, cjk_index)
        if found_cjk is None:
            log.warning("no Simplified Chinese font found; Chinese text will be skipped "
                        "(install fonts-noto-cjk or set fonts.cjk)")
        return cls(latin_font(latin), found_cjk)

    def face(self, script: str, size: int) -> Face:
        key = (script, size)
        if key not in self._faces:
            if script == "cjk" and self.cjk is not None:
                self._faces[key] = Face(self.cjk, size, freetype=True)
            else:
                self._faces[key] = Face(self.latin, size, freetype=False)
            if len(self._faces) > 256:
                self._faces.pop(next(iter(self._faces)))
        return self._faces[key]


def split_runs(text: str) -> list[tuple[str, str]]:
    """Split text into (script, run) pairs; spaces and punctuation stay with the run before."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        script = "cjk" if is_cjk(ch) else "latin"
        neutral = ch.isspace() or unicodedata.category(ch)[0] in "PZ" and not is_cjk(ch)
        if runs and (neutral or runs[-1][0] == script):
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
        else:
            runs.append((script, ch))
    return runs


def tokens(text: str) -> list[str]:
    """Break opportunities: after spaces in Latin text, between any two CJK characters."""
    result: list[str] = []
    current = ""
    for ch in text:
        if is_cjk(ch) and unicodedata.category(ch) not in ("Po", "Pe", "Pf"):
            if current:
                result.append(current)
            current = ch
        elif ch == " ":
            result.append(current + ch)
            current = ""
        else:
            if current and is_cjk(current[-1]) and not is_cjk(ch):
                result.append(current)
                current = ""
            current += ch
    if current:
        result.append(current)
    return [t for t in result if t]


@dataclass
class Block:
    """One language's text at one relative scale (the first language of a stacked slide is 1.0)."""

    text: str
    scale: float = 1.0
    color: Color = (255, 255, 255)


class TextLayout:
    """Lines of runs laid out for one box; `draw` blits them."""

    def __init__(self, fonts: FontSet):
        self.fonts = fonts

    def line_width(self, line: str, size: int) -> int:
        return sum(self.fonts.face(script, size).width(run) for script, run in split_runs(line))

    def wrap(self, text: str, size: int, width: int) -> list[str] | None:
        """Wrap to `width` pixels; None when a single word is wider than the box."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for token in tokens(paragraph):
                candidate = line + token
                if line and self.line_width(candidate.rstrip(), size) > width:
                    lines.append(line.rstrip())
                    line = token
                else:
                    line = candidate
                if self.line_width(line.rstrip(), size) > width:
                    return None
            lines.append(line.rstrip())
        return lines

    def measure(self, blocks: list[Block], size: int, width: int, spacing: float) -> tuple[int, list] | None:
        laid = []
        height = 0
        for i, block in enumerate(blocks):
            block_size = max(8, int(size * block.scale))
            lines = self.wrap(block.text, block_size, width)
            if lines is None:
                return None
            line_height = int(self.fonts.face("latin", block_size).height * spacing)
            gap = int(size * 0.45) if i else 0
            height += gap + line_height * len(lines)
            laid.append((block, block_size, lines, line_height, gap))
        return height, laid

    def fit(self, blocks: list[Block], width: int, height: int, spacing: float,
            size: int | None = None, max_size: int = 400) -> tuple[int, list]:
        """The largest size (or the given one) at which all blocks fit the box."""
        if size is not None:
            result = self.measure(blocks, size, width, spacing)
            if result is not None and result[0] <= height:
                return size, result[1]
            max_size = size  # too big for the box: shrink it rather than cut it off
        low, high = 8, max(8, min(max_size, height))
        best = None
        while low <= high:
            mid = (low + high) // 2
            result = self.measure(blocks, mid, width, spacing)
            if result is not None and result[0] <= height:
                best, low = (mid, result[1]), mid + 1
            else:
                high = mid - 1
        if best is None:
            result = self.measure(blocks, 8, width, spacing)
            best = (8, result[1] if result else [])
        return best

    def render(self, blocks: list[Block], width: int, height: int, align: str = "center",
               spacing: float = 1.15, size: int | None = None) -> pygame.Surface:
        """A transparent surface of `width` x `height` with the blocks centred vertically."""
        _, laid = self.fit(blocks, width, height, spacing, size)
        surface = pygame.Surface((width, height), pygame.SRCALPHA)
        total = sum(gap + line_height * len(lines) for _, _, lines, line_height, gap in laid)
        y = (height - total) // 2
        for block, block_size, lines, line_height, gap in laid:
            y += gap
            for line in lines:
                self.draw_line(surface, line, block_size, block.color, y, line_height, width, align)
                y += line_height
        return surface

    def draw_line(self, surface: pygame.Surface, line: str, size: int, color: Color, top: int,
                  line_height: int, width: int, align: str) -> None:
        runs = [(self.fonts.face(script, size), run) for script, run in split_runs(line)]
        line_width = sum(face.width(run) for face, run in runs)
        x = {"left": 0, "right": width - line_width}.get(align, (width - line_width) // 2)
        latin = self.fonts.face("latin", size)
        baseline = top + (line_height - latin.height) // 2 + latin.ascent
        for face, run in runs:
            if not run.strip():
                x += face.width(run)
                continue
            image, ascent = face.render(run, color)
            surface.blit(image, (x, baseline - ascent))
            x += face.width(run)


