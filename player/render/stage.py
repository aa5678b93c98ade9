"""What is on the screen and how a frame of it is drawn: the current slide, the one fading out,
the ticker and the clock over them, or black in the screen-off hours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygame

from player.core.schedule import Entry
from player.render.display import Display
from player.render.overlays import ClockBadge, TickerOverlay
from player.render.slide import Slide


@dataclass
class Showing:
    entry: Entry
    slide: Slide
    start: float  # monotonic
    end: float | None  # monotonic; None: until the slide ends by itself
    wall_start: float


@dataclass
class Fade:
    old: Showing
    start: float
    duration: float


class Stage:
    """The picture as a whole; the loop decides when to change it and when to draw it."""

    def __init__(self, display: Display, ticker: TickerOverlay | None, clock: ClockBadge | None) -> None:
        self.display = display
        self.ticker = ticker
        self.clock = clock
        self.current: Showing | None = None
        self.fade: Fade | None = None
        self.layer: pygame.Surface | None = None  # the incoming slide of a crossfade
        self.screen_off = False
        self.full_frame = False  # the last frame drawn was whole (not only the ticker band)
        self.card: Any = None  # the identification card of a remote `identify` command

    def end_fade(self) -> None:
        if self.fade is not None:
            self.fade.old.slide.close()
            self.fade = None

    def overlays_hidden(self) -> bool:
        return self.current is not None and self.current.entry.role == "emergency"

    def animating(self) -> bool:
        """True while frames are due at the frame rate (a fade, the ticker). A video or an
        alternating slide says itself when its picture changes (`next_change`), so a 25 fps clip
        is drawn 25 times a second, not at the loop's rate."""
        if self.fade is not None:
            return True
        # Nobody sees the ticker while the screen is away: no frames for it then.
        hidden = self.screen_off or not self.display.available or self.overlays_hidden()
        return bool(self.ticker) and not hidden

    def clock_turned(self, wall: float, last_wall: float) -> bool:
        return bool(self.clock and int(wall // 60) != int(last_wall // 60))

    def only_ticker_moves(self, now: float, wall: float, last_frame: float, last_wall: float) -> bool:
        """True when the last full frame is still right everywhere but in the ticker band."""
        current = self.current
        if (self.ticker is None or self.fade is not None or self.screen_off or current is None
                or not self.full_frame or self.overlays_hidden() or self.card is not None):
            return False
        change = current.slide.next_change(last_frame)
        if current.slide.animated and (change is None or change <= now):
            return False
        return not self.clock_turned(wall, last_wall)

    def draw(self, now: float, wall: float, last_frame: float, last_wall: float) -> None:
        """Draw and present the frame for `now`: only the ticker band when nothing else moved."""
        if self.ticker is not None and self.only_ticker_moves(now, wall, last_frame, last_wall):
            self.ticker.draw(self.display.canvas, now)
            self.display.present_area(self.ticker.rect)
        else:
            self.compose(self.display.canvas, now, wall)
            self.display.present()
            self.full_frame = True

    def compose(self, canvas: pygame.Surface, now: float, wall: float) -> None:
        """Draw the whole logical frame for time `now` onto the canvas."""
        current = self.current
        assert current is not None
        if self.screen_off:
            canvas.fill((0, 0, 0))
            return
        if self.fade is not None:
            progress = (now - self.fade.start) / self.fade.duration
            if progress >= 1:
                self.end_fade()
            else:
                self.draw_fade(canvas, current.slide, now, progress)
        if self.fade is None:
            current.slide.draw(canvas, now)
        if not self.overlays_hidden():
            if self.ticker:
                self.ticker.draw(canvas, now)
            if self.clock:
                self.clock.draw(canvas, wall)
        if self.card is not None:
            if now < self.card.until:
                self.card.draw(canvas)
            else:
                self.card = None

    def draw_fade(self, canvas: pygame.Surface, incoming: Slide, now: float, progress: float) -> None:
        assert self.fade is not None
        self.fade.old.slide.draw(canvas, now)
        if self.layer is None or self.layer.get_size() != canvas.get_size():
            self.layer = pygame.Surface(canvas.get_size()).convert()
        incoming.draw(self.layer, now)
        self.layer.set_alpha(int(255 * max(0.0, progress)))
        canvas.blit(self.layer, (0, 0))

    def close(self) -> None:
        """Close every slide on stage (proof of play is the caller's)."""
        if self.current is not None:
            self.current.slide.close()
        if self.fade is not None:
            self.fade.old.slide.close()
