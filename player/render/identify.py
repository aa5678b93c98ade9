"""The identification card a remote `identify` command puts over the picture for a while:
cluster id, IP addresses, free disk and versions, large enough to read from the street or to
read out to the centre on the phone."""

from __future__ import annotations

import pygame

from player.render.text import TextLayout
from player.render.text_fit import Block

BACKGROUND = (8, 30, 40, 225)
ACCENT = (255, 214, 102)


class IdentificationCard:
    """A box centred on the screen with one line per fact; rendered once, blitted per frame."""

    def __init__(self, lines: tuple[str, ...], layout: TextLayout, size: tuple[int, int],
                 until: float) -> None:
        self.until = until  # monotonic time the card goes away
        width, height = int(size[0] * 0.8), int(size[1] * 0.7)
        pad = max(8, int(min(size) * 0.03))
        box = pygame.Surface((width, height), pygame.SRCALPHA)
        box.fill(BACKGROUND)
        pygame.draw.rect(box, ACCENT, box.get_rect(), max(2, pad // 4))
        blocks = [Block(line, 1.3 if i == 0 else 1.0, ACCENT if i == 0 else (255, 255, 255))
                  for i, line in enumerate(lines)]
        text = layout.render(blocks, width - 2 * pad, height - 2 * pad, align="left")
        box.blit(text, (pad, pad))
        self.surface = box
        self.pos = ((size[0] - width) // 2, (size[1] - height) // 2)

    def draw(self, target: pygame.Surface) -> None:
        target.blit(self.surface, self.pos)
