"""What the render loop tells the status board: plays, the screen's state, frames, screenshots.

Every call is a no-op without a board (previews, benchmarks), so the loop never asks.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from io import BytesIO

import pygame
from PIL import Image

from player.core.ports import Board
from player.core.schedule import Entry
from player.render.display import Display

log = logging.getLogger(__name__)


class LoopReporter:
    """The render loop's side of the status board."""

    def __init__(self, board: Board | None, screenshot_width: int = 480) -> None:
        self.board = board
        self.screenshot_width = screenshot_width
        self.screen_state: tuple[str, str] | None = None  # last posted to the board

    def report(self, severity: str, event: str, message: str, details: dict | None = None) -> None:
        getattr(log, "error" if severity == "error" else "warning")("%s", message)
        if self.board is not None:
            self.board.event(severity, event, message, details or {})

    def playing(self, playlist: str, release: int | None, item: str, fallback: bool | None = None) -> None:
        if self.board is None:
            return
        if fallback is None:
            self.board.set_playing(playlist, release, item)
        else:
            self.board.set_playing(playlist, release, item, fallback=fallback)

    def played(self, entry: Entry, release: int | None, wall_start: float, wall: float) -> None:
        """Proof of play for an entry that left the screen at `wall`."""
        if self.board is None or entry.role in ("fallback", "off"):
            return
        self.board.play(entry.item.id, release, datetime.fromtimestamp(wall_start, UTC),
                        datetime.fromtimestamp(wall, UTC))

    def frame(self, display: Display, screen_off: bool, frames: int, late: int, wall: float,
              off_why: str = "screen off by schedule") -> None:
        """After each frame: the screen's state, the frame counts, a screenshot when one is due."""
        if self.board is None:
            return
        self.post_screen(display, screen_off, off_why)
        self.board.count_frames(frames, late)
        if display.available and self.board.wants_screenshot(wall):
            self.take_screenshot(display)

    def post_screen(self, display: Display, screen_off: bool,
                    off_why: str = "screen off by schedule") -> None:
        """Tell the board what the screen shows as a whole, once the frame showing it is out."""
        assert self.board is not None
        if screen_off:
            # First: a screen that its own off command put to sleep may well vanish (HDMI
            # hot-plug); that is the schedule working, not a fault to report every night.
            state = ("screen_off", off_why)
        elif not display.available:
            state = ("display_unavailable", display.away or "")
        else:
            state = ("playing", "")
        if state == self.screen_state:
            return
        was_away = self.screen_state is not None and self.screen_state[0] == "display_unavailable"
        self.screen_state = state
        self.board.set_screen(*state)
        if state[0] == "display_unavailable":
            self.board.event("error", "display_unavailable", f"display unavailable: {state[1]}")
        elif was_away:
            self.board.event("info", "display_available", f"display back: {display.driver} "
                             f"{display.size[0]}x{display.size[1]}")

    def post_display(self, display: Display) -> None:
        if self.board is not None:
            self.board.set_display(display.driver, display.size, display.rotation)

    def take_screenshot(self, display: Display) -> None:
        assert self.board is not None
        self.board.screenshot(*screenshot_jpeg(display, self.screenshot_width))


def screenshot_jpeg(display: Display, max_width: int) -> tuple[bytes, int, int]:
    """The screen as it is now, as a JPEG at most `max_width` wide, and its size."""
    screen = display.screen
    width = min(max_width, screen.get_width())
    height = max(1, round(screen.get_height() * width / screen.get_width()))
    small = pygame.transform.smoothscale(screen, (width, height))
    buffer = BytesIO()
    Image.frombytes("RGB", (width, height), pygame.image.tobytes(small, "RGB")).save(
        buffer, "JPEG", quality=70)
    return buffer.getvalue(), width, height
