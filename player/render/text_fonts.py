"""Which font draws which glyph: SDL_ttf has no font fallback, so every line is split into runs
by script and each run is drawn with a face that has its glyphs: Noto Sans (every Vietnamese
letter) through SDL_ttf with HarfBuzz, and a Simplified Chinese face through pygame.freetype,
which can open the right face inside a .ttc collection.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import OrderedDict

import pygame
import pygame.freetype

from player.fonts import FontFile, cjk_font, is_cjk, latin_font

log = logging.getLogger(__name__)
Color = tuple[int, int, int]

MAX_FACES = 16  # open font files at most: one per script and pixel size in use


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
    """The faces for Latin/Vietnamese and CJK text, the most recently used few kept open.

    Each face holds its font file open until it is dropped (a pygame Font closes its file when
    it is freed), so the cache is bounded: at most MAX_FACES open files whatever sizes the
    content asks for over months.
    """

    def __init__(self, latin: FontFile | None = None, cjk: FontFile | None = None,
                 max_faces: int = MAX_FACES):
        if not pygame.font.get_init():
            pygame.font.init()
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        found = latin or latin_font()
        if found is None:
            raise RuntimeError("no Latin font found: install fonts-noto-core or set fonts.latin")
        self.latin: FontFile = found
        self.cjk = cjk
        self.max_faces = max(2, max_faces)
        self._faces: OrderedDict[tuple[str, int], Face] = OrderedDict()

    @classmethod
    def from_config(cls, latin: str = "", cjk: str = "", cjk_index: int | None = None) -> FontSet:
        found_cjk = cjk_font(cjk, cjk_index)
        if found_cjk is None:
            log.warning("no Simplified Chinese font found; Chinese text will be skipped "
                        "(install fonts-noto-cjk or set fonts.cjk)")
        return cls(latin_font(latin), found_cjk)

    def face(self, script: str, size: int) -> Face:
        if script == "cjk" and self.cjk is None:
            script = "latin"  # one face, not two identical ones
        key = (script, size)
        found = self._faces.get(key)
        if found is not None:
            self._faces.move_to_end(key)
            return found
        while len(self._faces) >= self.max_faces:
            self._faces.popitem(last=False)  # the last reference: its file closes now
        if script == "cjk" and self.cjk is not None:
            found = Face(self.cjk, size, freetype=True)
        else:
            found = Face(self.latin, size, freetype=False)
        self._faces[key] = found
        return found

    @property
    def open_faces(self) -> int:
        return len(self._faces)


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
