"""Opening the screen: driver choice, size, rotation, hidden cursor, and no silent fallback.

With no DISPLAY and no driver set, SDL quietly picks its `offscreen` driver and the player would
"run" showing nothing; `open_display` refuses that unless headless operation was asked for.

A screen that is missing or goes away is not a reason to stop: `DisplayKeeper` draws off screen
while it waits (so sound, sync and health reports go on) and takes the screen back when it returns.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.config import DisplayConfig
from player.media.geometry import logical_size

if TYPE_CHECKING:  # pygame is imported only once SDL's environment is set (prepare_environment)
    import pygame

log = logging.getLogger(__name__)

HEADLESS_SIZE = (1920, 1080)
INVISIBLE_DRIVERS = ("offscreen", "dummy")
RETRY_INTERVAL = 2.0  # seconds between looks for a screen that is away: cheap, never a busy loop
MAX_BLIND_INTERVAL = 60.0  # a driver with no cheap look (Wayland, none set): full tries back off to this
DRM_ROOT = Path("/sys/class/drm")


class DisplayError(Exception):
    """The screen cannot be opened as configured; the message tells the technician why."""


@dataclass
class Display:
    """The opened screen and the logical canvas content is drawn on (rotated at flip time)."""

    screen: pygame.Surface
    canvas: pygame.Surface  # the logical (possibly portrait) size
    driver: str
    size: tuple[int, int]
    rotation: int
    away: str | None = None  # why the real screen is missing; drawing goes off screen meanwhile

    @property
    def available(self) -> bool:
        return self.away is None

    def adopt(self, other: Display) -> None:
        """Become `other` (a screen opened again), so everyone holding this object draws there."""
        self.screen, self.canvas, self.driver = other.screen, other.canvas, other.driver
        self.size, self.rotation, self.away = other.size, other.rotation, other.away

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

    def present_area(self, area: pygame.Rect | tuple[int, int, int, int]) -> None:
        """Put one rectangle of the canvas on the screen (the ticker band): far cheaper than a
        whole frame when nothing else moves."""
        import pygame

        rect = pygame.Rect(area)
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
        if os.environ.get("DISPLAY") and config.driver in ("auto", "x11"):
            raise DisplayError(f"no X server answers on DISPLAY={os.environ['DISPLAY']}")
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


def open_standin(config: DisplayConfig, size: tuple[int, int], rotation: int, reason: str) -> Display:
    """An invisible screen of `size` to draw on while the real one is away."""
    previous = os.environ.get("SDL_VIDEODRIVER")
    try:
        display = open_display(config, headless=True, size=size, rotation=rotation)
    finally:
        # The next attempt at the real screen must use the configured driver again.
        if previous is None:
            os.environ.pop("SDL_VIDEODRIVER", None)
        else:
            os.environ["SDL_VIDEODRIVER"] = previous
    display.away = reason
    return display


def drm_connectors(root: Path = DRM_ROOT) -> dict[str, str]:
    """Each DRM connector's status (`connected`, `disconnected`, `unknown`), by name."""
    found = {}
    for status in sorted(root.glob("card*-*/status")):
        try:
            found[status.parent.name] = status.read_text(encoding="ascii").strip()
        except OSError:
            continue
    return found


class DisplayKeeper:
    """Keeps a `Display` drawable whatever the screen does.

    Missing at start or gone later, the screen is replaced by an invisible one of the same size
    (the render loop goes on, so sound, sync and health reports do too) and looked for every
    `RETRY_INTERVAL` seconds: under X by opening a connection of its own, under kmsdrm by the DRM
    connectors' status in sysfs. An X connection that broke cannot be closed (see player.render.x11):
    `check` then answers "restart" and the caller starts the process again in place.
    """

    def __init__(self, config: DisplayConfig, headless: bool = False,
                 size: tuple[int, int] | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 drm_root: Path = DRM_ROOT,
                 x_server_reachable: Callable[[], bool] | None = None) -> None:
        self.config = config
        self.headless = headless
        self.size = size
        self.monotonic = monotonic
        self.drm_root = drm_root
        self.x_server_reachable = x_server_reachable
        self.display: Display | None = None
        self.next_look = 0.0
        self.x_protected = False
        self.x_lost = False  # the X server went away under SDL: only a fresh process can use X
        self.blind_tries = 0

    def open(self) -> Display:
        """The real screen if there is one, else a stand-in; never raises for a missing screen."""
        try:
            self.display = self._open_real()
        except DisplayError as exc:
            if self.headless:
                raise
            self.display = self._standin(str(exc), self.size or self.config.size or HEADLESS_SIZE)
        self.next_look = self.monotonic() + RETRY_INTERVAL
        return self.display

    def check(self) -> str:
        """`same`, `changed` (the screen went away or came back: redraw, maybe at a new size), or
        `restart` (the X server went away: only a fresh process can use X again)."""
        display = self.display
        if display is None or self.headless:
            return "same"
        if self.x_protected and _x_lost():
            self.x_lost = True
            return "restart"
        now = self.monotonic()
        if now < self.next_look:
            return "same"
        self.next_look = now + RETRY_INTERVAL
        if display.available:
            return self._look_for_loss(display)
        return self._look_for_return(display)

    def _look_for_loss(self, display: Display) -> str:
        if display.driver != "kmsdrm":
            return "same"
        connectors = drm_connectors(self.drm_root)
        if not connectors or "connected" in connectors.values():
            return "same"
        reason = "no screen connected (" + ", ".join(f"{k}: {v}" for k, v in connectors.items()) + ")"
        close_display()
        display.adopt(self._standin(reason, display.size))
        return "changed"

    def _look_for_return(self, display: Display) -> str:
        seen = self._screen_seems_back()
        if seen == "no":
            return "same"
        close_display()
        try:
            real = self._open_real()
        except DisplayError as exc:
            log.debug("the screen is still away: %s", exc)
            if seen == "maybe":  # no cheap look for this driver: try less and less often
                self.blind_tries += 1
                self.next_look = self.monotonic() + min(MAX_BLIND_INTERVAL,
                                                        RETRY_INTERVAL * 2 ** self.blind_tries)
            display.adopt(open_standin(self.config, display.size, display.rotation, str(exc)))
            return "changed"
        self.blind_tries = 0
        log.info("display back: driver %s, %dx%d", real.driver, real.size[0], real.size[1])
        display.adopt(real)
        return "changed"

    def _screen_seems_back(self) -> str:
        """`yes`, `no` or `maybe`: a cheap look that needs no SDL, where there is one."""
        driver = self._wanted_driver()
        if driver == "kmsdrm":
            connectors = drm_connectors(self.drm_root)
            return "yes" if not connectors or "connected" in connectors.values() else "no"
        if driver == "x11" or (driver == "auto" and os.environ.get("DISPLAY")):
            probe = self.x_server_reachable or _x_server_reachable
            return "yes" if probe() else "no"
        return "maybe"

    def _wanted_driver(self) -> str:
        if self.config.driver != "auto":
            return self.config.driver
        return os.environ.get("SDL_VIDEODRIVER") or "auto"

    def _open_real(self) -> Display:
        display = open_display(self.config, self.headless, self.size)
        self.x_protected = display.driver == "x11" and _protect_x()
        return display

    def _standin(self, reason: str, size: tuple[int, int]) -> Display:
        log.error("display unavailable: %s; drawing off screen and looking for it every %.0f s",
                  reason, RETRY_INTERVAL)
        return open_standin(self.config, size, self.config.rotation, reason)


def _protect_x() -> bool:
    from player.render import x11

    return x11.protect_sdl_connection()


def _x_lost() -> bool:
    from player.render import x11

    return x11.lost()


def _x_server_reachable() -> bool:
    from player.render import x11

    return x11.server_reachable()


def _native_size(pygame, driver: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    if driver in INVISIBLE_DRIVERS:
        return HEADLESS_SIZE
    sizes = pygame.display.get_desktop_sizes()
    return tuple(sizes[0]) if sizes else HEADLESS_SIZE  # type: ignore[return-value]


def close_display() -> None:
    import pygame

    pygame.display.quit()


def stop_asked() -> str | None:
    """Why the person at the screen asked to stop (window closed, Esc or Q), after taking
    SDL's pending events; None when nobody did."""
    import pygame

    asked = None
    for event in pygame.event.get():
        if event.type == pygame.QUIT:
            asked = "window closed"
        elif event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q):
            asked = "key pressed"
    return asked
