"""Opening the screen: driver choice, size, rotation, hidden cursor, and no silent fallback.

With no DISPLAY and no driver set, SDL quietly picks its `offscreen` driver and the player would
"run" showing nothing; `open_display` refuses that unless headless operation was asked for.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from player.core.config import DisplayConfig
from player.render.geometry import logical_size

log = logging.getLogger(__name__)

HEADLESS_SIZE = (1920, 1080)
INVISIBLE_DRIVERS = ("offscreen", "dummy")


class DisplayError(Exception):
    """The screen cannot be opened as configured; the message tells the technician why."""


@dataclass
class Display:
    """The opened screen and the logical canvas content is drawn on (rotated at flip time)."""

    screen: object  # pygame.Surface
    canvas: object  # pygame.Surface, the logical (possibly portrait) size
    driver: str
    size: tuple[int, int]
    rotation: int

    @property
    def logical_size(self) -> tuple[int, int]:
        return logical_size(self.size, self.rotation)

    def present(self) -> None:
        """Put the canvas on the screen (rotated if needed) and flip."""
        import pygame

        if self.rotation == 0:
            if self.canvas is not self.screen:
                self.screen.blit(self.canvas, (0, 0))
        else:
            # pygame rotates counter-clockwise; the config means clockwise, like xrandr.
            self.screen.blit(pygame.transform.rotate(self.canvas, -self.rotation), (0, 0))
        pygame.display.flip()

    def present_area(self, rect: object) -> None:
        """Put one rectangle of the canvas on the screen (the ticker band): far cheaper than a
        whole frame when nothing else moves."""
        import pygame

        rect = pygame.Rect(rect)
        if self.rotation == 0:
            if self.canvas is not self.screen:
                self.screen.blit(self.canvas, rect, rect)
            pygame.display.update(rect)
            return
        width, height = self.logical_size
        x, y, w, h = rect
        target = {90: (height - y - h, x), 180: (width - x - w, height - y - h), 270: (y, width - x - w)}
        part = pygame.transform.rotate(self.canvas.subsurface(rect), -self.rotation)
        destination = self.screen.blit(part, target[self.rotation])
        pygame.display.update(destination)


def prepare_environment(config: DisplayConfig, headless: bool) -> None:
    """Set SDL's environment before pygame is initialised."""
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    elif config.driver != "auto":
        os.environ["SDL_VIDEODRIVER"] = config.driver
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    # X without a GPU draws through llvmpipe and more than doubles the CPU cost.
    if os.environ.get("SDL_VIDEODRIVER", "x11") in ("x11", "offscreen"):
        os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    os.environ.setdefault("SDL_VIDEO_MINIMIZE_ON_FOCUS_LOSS", "0")
    # SIGTERM and SIGINT go to the player's own handlers (one clean stop path), not to SDL.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")


def open_display(config: DisplayConfig, headless: bool = False,
                 size: tuple[int, int] | None = None, rotation: int | None = None) -> Display:
    """Initialise pygame's display; raises DisplayError when there is no real screen."""
    prepare_environment(config, headless)
    import pygame

    try:
        pygame.display.init()
    except pygame.error as exc:
        raise DisplayError(f"cannot open the display with driver "
                           f"{os.environ.get('SDL_VIDEODRIVER', 'auto')}: {exc}") from None
    driver = pygame.display.get_driver()
    if driver in INVISIBLE_DRIVERS and not headless:
        pygame.display.quit()
        raise DisplayError(
            f"no screen found (SDL fell back to its '{driver}' driver): set DISPLAY or "
            "WAYLAND_DISPLAY, set display.driver (kmsdrm on a box without a desktop), "
            "or pass --headless to run without a screen")
    rotation = config.rotation if rotation is None else rotation
    size = size or config.size or _native_size(pygame, driver)
    flags = pygame.FULLSCREEN if config.fullscreen and not headless else 0
    try:
        screen = pygame.display.set_mode(size, flags)
    except pygame.error as exc:
        raise DisplayError(f"cannot open a {size[0]}x{size[1]} screen: {exc}") from None
    size = screen.get_size()
    pygame.display.set_caption("signage-player")
    if config.hide_cursor:
        pygame.mouse.set_visible(False)
    canvas = screen if rotation == 0 else pygame.Surface(logical_size(size, rotation)).convert()
    log.info("display: driver %s, %dx%d, rotation %d", driver, size[0], size[1], rotation)
    return Display(screen, canvas, driver, size, rotation)


def _native_size(pygame, driver: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    if driver in INVISIBLE_DRIVERS:
        return HEADLESS_SIZE
    sizes = pygame.display.get_desktop_sizes()
    return tuple(sizes[0]) if sizes else HEADLESS_SIZE  # type: ignore[return-value]


def close_display() -> None:
    import pygame

    pygame.display.quit()
