"""The interfaces the render loop and the wiring use of their collaborators.

Each names only the calls made; the real ones are `player.health.board.StatusBoard`,
`player.power.PowerSchedule` and `player.sdnotify.Notifier`, and tests hand in small fakes
that implement the same calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Board(Protocol):
    """What the player tells the status board (health reports, `status`, screenshots)."""

    def set_playing(self, playlist: str, release: int | None, item: str,
                    fallback: bool | None = None) -> None: ...

    def play(self, item: str, release: int | None, start: datetime, end: datetime) -> None: ...

    def event(self, severity: str, event: str, message: str, details: dict | None = None) -> None: ...

    def count_frames(self, shown: int, late: int) -> None: ...

    def wants_screenshot(self, now: float | None = None) -> bool: ...

    def screenshot(self, jpeg: bytes, width: int, height: int) -> None: ...

    def set_screen(self, state: str, detail: str = "") -> None: ...

    def set_display(self, driver: str, size: tuple[int, int], rotation: int = 0) -> None: ...


class Power(Protocol):
    """Screen-off hours: whether the screen is off at a moment, and switching it."""

    def screen_off(self, now: datetime) -> bool: ...

    def apply(self, off: bool) -> bool: ...

    def close(self) -> None: ...


class Notifier(Protocol):
    """systemd's notify socket."""

    def ready(self, status: str = "") -> None: ...

    def watchdog(self) -> None: ...

    def status(self, text: str) -> None: ...

    def stopping(self) -> None: ...
