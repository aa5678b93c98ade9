"""The interface between the render loop and one prepared playlist item."""

from __future__ import annotations

from typing import Protocol

import pygame


class Slide(Protocol):
    """A playlist item made ready to draw: decoded, scaled and laid out for one screen size.

    The loop prepares the next slide while the current one shows, calls `start` on the frame it
    first appears, `draw` on every frame it is visible (also during a transition), and `close`
    once it is gone. Times are `time.monotonic()` seconds.
    """

    item_id: str
    animated: bool  # True when the picture changes by itself (video, alternating languages)

    def start(self, now: float) -> None: ...

    def draw(self, target: pygame.Surface, now: float) -> None: ...

    def natural_end(self, now: float) -> bool:
        """True once the item has run out by itself (a video that reached its end)."""
        ...

    def next_change(self, now: float) -> float | None:
        """When the picture next changes (monotonic), or None when it is still until the end."""
        ...

    def close(self) -> None: ...
