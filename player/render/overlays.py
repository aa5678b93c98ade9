"""Overlays drawn over every item: the scrolling ticker and the clock.

They belong to the loop, not to a slide, so the ticker runs on smoothly across item changes.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

import pygame

from player.core.clockfmt import clock_lines
from player.core.playlist import ClockOverlay, Playlist, Ticker, text_for
from player.core.readability import TICKER_LIMIT, columns, cut
from player.render.slides import SlideContext
from player.render.text import TextLayout
from player.render.text_wrap import drawable

log = logging.getLogger(__name__)


class TickerOverlay:
    """A bilingual line scrolling right to left in a band at the top or bottom."""

    def __init__(self, ticker: Ticker, layout: TextLayout, size: tuple[int, int],
                 languages: tuple[str, ...], started: float):
        self.ticker = ticker
        width, height = size
        self.band_height = max(24, int(min(size) * 0.075))
        top = 0 if ticker.position == "top" else height - self.band_height
        self.rect = pygame.Rect(0, top, width, self.band_height)
        self.speed = ticker.speed * min(size) / 1080
        text = ticker.separator.join(t for _lang, t in text_for(ticker.text, languages))
        text = drawable(text).replace("\n", " ")  # one line, whatever was pasted
        limit = TICKER_LIMIT - columns(ticker.separator)
        if columns(text) > limit:
            log.warning("ticker: %s characters, drawing the first %s columns (`signage-player "
                        "check` warns about it)", f"{len(text):,}", f"{TICKER_LIMIT:,}")
            text = cut(text, limit, wide=True)
        self.strip = self._render_strip(layout, text + ticker.separator)
        self.started = started

    def _render_strip(self, layout: TextLayout, text: str) -> pygame.Surface:
        size = int(self.band_height * 0.58)
        width = max(1, layout.line_width(text, size))
        strip = pygame.Surface((width, self.band_height)).convert()
        strip.fill(self.ticker.background)
        layout.draw_line(strip, text, size, self.ticker.color, 0, self.band_height, width, "left")
        return strip

    def offset(self, now: float) -> int:
        return int((now - self.started) * self.speed) % self.strip.get_width()

    def draw(self, target: pygame.Surface, now: float) -> None:
        strip_width = self.strip.get_width()
        x = -self.offset(now)
        target.set_clip(self.rect)
        while x < self.rect.width:
            target.blit(self.strip, (x, self.rect.top))
            x += strip_width
        target.set_clip(None)

    def next_change(self, now: float, fps: int) -> float:
        return now + 1.0 / fps


class ClockBadge:
    """Time and date in a corner, re-rendered only when the minute changes."""

    def __init__(self, clock: ClockOverlay, layout: TextLayout, size: tuple[int, int],
                 reserved_top: int, reserved_bottom: int):
        self.clock = clock
        self.layout = layout
        self.size = size
        self.reserved = (reserved_top, reserved_bottom)
        self.key: tuple | None = None
        self.surface: pygame.Surface | None = None
        self.pos = (0, 0)

    def _render(self, moment: datetime) -> None:
        lines = clock_lines(moment, self.clock.format, self.clock.date)
        unit = int(min(self.size) * 0.028)
        sizes = [int(unit * 1.8)] + [unit] * (len(lines) - 1)
        widths = [self.layout.line_width(line, s) for line, s in zip(lines, sizes, strict=True)]
        heights = [int(s * 1.45) for s in sizes]
        pad = unit // 2
        box = pygame.Surface((max(widths) + 2 * pad, sum(heights) + pad), pygame.SRCALPHA)
        box.fill((0, 0, 0, 150))
        y = pad // 2
        align = "right" if "right" in self.clock.position else "left"
        for line, s, h in zip(lines, sizes, heights, strict=True):
            self.layout.draw_line(box, line, s, (255, 255, 255), y, h, box.get_width() - pad, align)
            y += h
        margin = int(min(self.size) * 0.02)
        x = self.size[0] - box.get_width() - margin if align == "right" else margin
        top = "top" in self.clock.position
        y0 = margin + self.reserved[0] if top else self.size[1] - box.get_height() - margin - self.reserved[1]
        self.surface, self.pos = box, (x, y0)

    def height(self, wall: float) -> int:
        """The badge's height plus its margin: what text slides keep clear of."""
        self._render(datetime.fromtimestamp(wall))
        self.key = None
        assert self.surface is not None
        return self.surface.get_height() + int(min(self.size) * 0.02)

    def draw(self, target: pygame.Surface, wall: float) -> None:
        moment = datetime.fromtimestamp(wall)
        key = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
        if key != self.key:
            self._render(moment)
            self.key = key
        assert self.surface is not None
        target.blit(self.surface, self.pos)

    @staticmethod
    def next_change(wall: float) -> float:
        """Seconds (wall) until the next minute begins."""
        return 60 - math.fmod(wall, 60) + 0.01


def playlist_layers(playlist: Playlist, layout: TextLayout, size: tuple[int, int], now: float, wall: float,
                    fit: str) -> tuple[TickerOverlay | None, ClockBadge | None, SlideContext]:
    """The overlays of `playlist` on a screen of `size`, and the context its slides share."""
    ticker = TickerOverlay(playlist.ticker, layout, size, playlist.languages, now) if playlist.ticker else None
    reserved_top = ticker.band_height if ticker and playlist.ticker and playlist.ticker.position == "top" else 0
    reserved_bottom = ticker.band_height if ticker and playlist.ticker and playlist.ticker.position == "bottom" \
        else 0
    clock = ClockBadge(playlist.clock, layout, size, reserved_top, reserved_bottom) if playlist.clock else None
    text_top, text_bottom = reserved_top, reserved_bottom
    if clock is not None and playlist.clock is not None:
        # Text slides keep clear of the clock; pictures run under it.
        if "top" in playlist.clock.position:
            text_top += clock.height(wall) - int(size[1] * 0.05)
        else:
            text_bottom += clock.height(wall) - int(size[1] * 0.05)
    ctx = SlideContext(size, layout, playlist.languages, playlist.folder, max(0, text_top), max(0, text_bottom),
                       fit=fit)
    return ticker, clock, ctx
