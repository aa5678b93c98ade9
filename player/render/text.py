"""Drawing text that is right in every language: each line as runs by script, each run with a
face that has its glyphs (text_fonts), aligned and centred in its box. Wrapping is text_wrap,
the choice of size text_fit. Text arrives NFC-normalised from the playlist loader.
"""

from __future__ import annotations

import pygame

from player.render.text_fit import Block, Fitted, TextFitter
from player.render.text_fonts import Color, split_runs


class TextLayout(TextFitter):
    """Lines of runs laid out for one box (text_fit, text_wrap, text_fonts); `render` draws
    them, and only the lines that fit."""

    def render(self, blocks: list[Block], width: int, height: int, align: str = "center",
               spacing: float = 1.15, size: int | None = None) -> pygame.Surface:
        """A transparent surface of `width` x `height` with the blocks centred vertically."""
        return self.render_fitted(blocks, width, height, align, spacing, size)[0]

    def render_fitted(self, blocks: list[Block], width: int, height: int, align: str = "center",
                      spacing: float = 1.15, size: int | None = None) -> tuple[pygame.Surface, Fitted]:
        """`render`, with the layout chosen (to tell whether the text had to be cut)."""
        fitted = self.fit(blocks, width, height, spacing, size)
        surface = pygame.Surface((width, height), pygame.SRCALPHA)
        y = max(0, (height - fitted.height) // 2)
        for part in fitted.laid:
            y += part.gap
            for line in part.lines:
                self.draw_line(surface, line, part.size, blocks[part.index].color, y,
                               part.line_height, width, align)
                y += part.line_height
        return surface, fitted

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
            # SDL_ttf's image is exactly the advance; FreeType's is the ink, so ask.
            x += face.width(run) if face.freetype else image.get_width()
