"""The render loop: the one place that decides what is on screen, frame by frame.

It runs on the main thread, owns pygame, and takes messages from worker threads through a
queue. The next item is prepared while the current one shows, so a switch is one frame; when
nothing moves, the loop sleeps until the next thing that will change.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygame

from player.core.messages import ConfigChanged, PlaylistChanged, ReleaseReady, StopRequested
from player.core.playlist import Item, Playlist, Style, load_emergency, load_playlist
from player.core.problems import LoadError
from player.core.schedule import Entry, Schedule
from player.render.display import Display
from player.render.mediaslides import VideoItemSlide
from player.render.overlays import ClockBadge, TickerOverlay
from player.render.slides import PendingSlide, SlideContext, SlideError, text_slide
from player.render.text import FontSet, TextLayout

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0  # the longest the loop sleeps: messages, emergency file, watchdog
INTERRUPT_GRACE = 60.0  # an interrupt missed by more than this (screen off, clock jump) is skipped


@dataclass
class Showing:
    entry: Entry
    slide: Any  # a player.render.slide.Slide
    start: float  # monotonic
    end: float | None  # monotonic; None: until the slide ends by itself
    wall_start: float


@dataclass
class Fade:
    old: Showing
    start: float
    duration: float


class BlankSlide:
    """One colour, silent, still: the off hours (black), or the last resort of a broken item."""

    item_id = "screen-off"
    animated = False

    def __init__(self, color: tuple[int, int, int] = (0, 0, 0)):
        self.color = color

    def start(self, now: float) -> None:
        pass

    def draw(self, target: pygame.Surface, now: float) -> None:
        target.fill(self.color)

    def natural_end(self, now: float) -> bool:
        return False

    def next_change(self, now: float) -> float | None:
        return None

    def close(self) -> None:
        pass


def fallback_item(text: dict[str, str]) -> Item:
    return Item(id="fallback", kind="text", text=text, duration=10.0,
                style=Style(background=(12, 44, 56)))


class Player:
    """Plays one playlist at a time on one display until told to stop."""

    def __init__(self, display: Display, fonts: FontSet, playlist: Playlist, *,
                 fallback_text: dict[str, str], inbox: queue.Queue | None = None,
                 board: Any = None, notifier: Any = None, release: int | None = None,
                 max_fps: int = 30, emergency_file: Path | None = None,
                 media: Any = None,
                 power: Any = None, on_config: Callable[[Path], str | None] | None = None,
                 screenshot_width: int = 480, default_fit: str = "contain",
                 keeper: Any = None,
                 mono: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self.display = display
        self.keeper = keeper  # a player.render.display.DisplayKeeper: the screen may come and go
        self.screen_state: tuple[str, str] | None = None  # last posted to the board
        self.layout = TextLayout(fonts)
        self.inbox = inbox or queue.Queue()
        self.board = board
        self.notifier = notifier
        self.max_fps = max_fps
        self.emergency_file = emergency_file
        self.media = media
        self.power = power
        self.on_config = on_config
        self.screenshot_width = screenshot_width
        self.default_fit = default_fit
        self.last_watchdog = 0.0
        self.mono, self.wall = mono, wall
        self.fallback_text = fallback_text
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="decode")
        self.current: Showing | None = None
        self.fade: Fade | None = None
        self.upcoming: tuple[Entry, Any] | None = None
        self.interrupted: Entry | None = None
        self.next_interrupt: tuple[float, Any] | None = None
        self.pending: tuple[Playlist, int | None] | None = None
        self.emergency: Item | None = None
        self.emergency_mtime: float | None = None
        self.stop_reason: str | None = None
        self.restart = False
        self.frames = self.late = 0
        self.last_frame = 0.0
        self.frame_due = 0.0
        self.screen_off = False
        self.full_frame = False
        self.redraw = False  # a whole frame is due although nothing changed (a screen came back)
        self.release_shown = False  # an item of the current playlist has been on screen
        self.bad: dict[str, tuple] = {}  # item id -> its files' (name, mtime, size) when it failed
        self.interrupt_basis = 0.0  # the wall time next_interrupt was looked up from
        self.previous_good: tuple[Playlist, int | None] | None = None
        self.warned: set[str] = set()
        self.use_playlist(playlist, release)
        self.post_display()

    # -- playlists -------------------------------------------------------------------------

    def use_playlist(self, playlist: Playlist, release: int | None) -> None:
        self.playlist, self.release = playlist, release
        size = self.display.logical_size
        now = self.mono()
        self.ticker = (TickerOverlay(playlist.ticker, self.layout, size, playlist.languages, now)
                       if playlist.ticker else None)
        reserved_top = self.ticker.band_height if self.ticker and playlist.ticker.position == "top" else 0
        reserved_bottom = self.ticker.band_height if self.ticker and playlist.ticker.position == "bottom" else 0
        self.clock = (ClockBadge(playlist.clock, self.layout, size, reserved_top, reserved_bottom)
                      if playlist.clock else None)
        text_top, text_bottom = reserved_top, reserved_bottom
        if self.clock is not None:
            # Text slides keep clear of the clock; pictures run under it.
            if "top" in playlist.clock.position:
                text_top += self.clock.height(self.wall()) - int(size[1] * 0.05)
            else:
                text_bottom += self.clock.height(self.wall()) - int(size[1] * 0.05)
        self.ctx = SlideContext(size, self.layout, playlist.languages, playlist.folder,
                                max(0, text_top), max(0, text_bottom), fit=self.default_fit)
        fallback = playlist.fallback or fallback_item(self.fallback_text)
        self.schedule = Schedule(playlist, fallback, self.video_length)
        self.look_up_interrupt(self.wall())
        self.discard_upcoming()
        self.full_frame = False
        self.bad.clear()
        self.warned.clear()
        if self.board is not None:
            self.board.set_playing(playlist.name, release, self.current.entry.item.id if self.current else "")

    def reconfigure(self, config: Any, power: Any) -> None:
        """Apply a changed device config that needs no restart (from the next frame)."""
        self.fallback_text = config.fallback
        if self.playlist.fallback is None:
            self.schedule.fallback = fallback_item(config.fallback)
        self.max_fps = config.display.max_fps
        self.screenshot_width = config.health.screenshot_width
        if power is not self.power:
            if self.power is not None and hasattr(self.power, "close"):
                self.power.close()
            self.power = power

    def video_length(self, item: Item) -> float | None:
        if self.media is None or item.source is None:
            return None
        return self.media.length(self.playlist.folder / item.source)

    def fall_back_to_previous_release(self) -> None:
        """A new release none of whose items can be shown gives way to the one before it."""
        if self.release_shown or self.previous_good is None or self.pending is not None:
            return
        playlist, release = self.previous_good
        self.previous_good = None
        self.report("error", "release_bad", f"release {self.release} ({self.playlist.name}): no item could be "
                    f"shown; going back to release {release} ({playlist.name})",
                    {"release": self.release, "previous": release})
        self.pending = (playlist, release)

    def load_new_playlist(self, path: Path, release: int | None) -> None:
        try:
            playlist = load_playlist(path)
        except LoadError as exc:
            self.report("error", "playlist_bad", f"new playlist refused, keeping the current one: "
                        f"{exc.problems[0] if exc.problems else exc}", {"path": str(path)})
            return
        log.info("new playlist %s (release %s) will start at the next item boundary",
                 playlist.name, release)
        self.pending = (playlist, release)

    # -- messages --------------------------------------------------------------------------

    def handle(self, message: object) -> None:
        if isinstance(message, ReleaseReady):
            self.load_new_playlist(message.playlist, message.version)
        elif isinstance(message, PlaylistChanged):
            self.load_new_playlist(message.path, self.release)
        elif isinstance(message, ConfigChanged) and self.on_config is not None:
            try:
                verdict = self.on_config(message.path)
            except Exception as exc:  # a config that cannot be applied must not stop the screen
                log.exception("applying %s failed", message.path)
                self.report("error", "config_invalid", f"config change could not be applied: {exc}")
                return
            if verdict == "restart":
                self.stop("configuration change needs a restart", restart=True)
        elif isinstance(message, StopRequested):
            self.stop(message.reason, message.restart)

    def stop(self, reason: str, restart: bool = False) -> None:
        self.stop_reason, self.restart = reason, restart

    def drain_inbox(self, timeout: float) -> None:
        try:
            message = self.inbox.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return
        self.handle(message)
        while True:
            try:
                self.handle(self.inbox.get_nowait())
            except queue.Empty:
                return

    # -- slides ----------------------------------------------------------------------------

    def request(self, item: Item) -> Any:
        if item.kind == "video":
            if self.media is None:
                raise SlideError(f"item {item.id}: video is not supported by this build")
            return self.media.video(item, self.ctx)
        pending = PendingSlide(item, self.ctx, self.executor)
        if item.audio and self.media is not None:
            pending.track = self.media.track(item, self.ctx)
        return pending

    def finish(self, pending: Any) -> Any:
        """Turn a prepared item into a slide ready to draw (main thread)."""
        if isinstance(pending, PendingSlide):
            try:
                slide = pending.result()
            except SlideError:
                pending.cancel()
                raise
            if pending.track is not None:
                slide = self.media.with_sound(slide, pending.track, pending.item)
                pending.track = None
            return slide
        if hasattr(pending, "prepare"):
            pending.prepare()
        return pending

    def discard_upcoming(self) -> None:
        if self.upcoming is not None:
            pending = self.upcoming[1]
            (pending.cancel if isinstance(pending, PendingSlide) else getattr(pending, "close", lambda: None))()
            self.upcoming = None

    def prepare_upcoming(self, now: float, wall: float) -> None:
        if self.upcoming is not None or self.current is None or self.pending is not None:
            return
        current = self.current
        if current.entry.role in ("emergency", "off"):
            return
        # A video without a set duration ends when it ends: prepare what follows all the same.
        ends_at = wall + max(0.0, current.end - now) if current.end is not None else wall
        if self.next_interrupt and self.next_interrupt[0] <= ends_at + 0.5:
            entry = self.schedule.interrupt_entry(self.next_interrupt[1], self.next_interrupt[0])
        elif current.entry.role == "interrupt" and self.interrupted is not None:
            entry = self.schedule.resume(self.interrupted, ends_at)
        else:
            entry = self.schedule.after(current.entry, ends_at)
        for _ in range(len(self.playlist.items)):
            if entry.role != "loop" or not self.known_bad(entry.item):
                break
            entry = self.schedule.after(entry, ends_at)  # a broken item is not decoded again
        else:
            if entry.role == "loop" and self.known_bad(entry.item):
                return
        try:
            self.upcoming = (entry, self.request(entry.item))
        except SlideError as exc:
            self.warn_item(entry.item, str(exc))

    def build_upcoming(self) -> None:
        """Once the next item's pictures are decoded, build its slide now, while the current one
        shows, so the switch itself costs only the drawing of one frame."""
        if self.upcoming is None or not isinstance(self.upcoming[1], PendingSlide):
            return
        entry, pending = self.upcoming
        if not pending.ready():
            return
        try:
            self.upcoming = (entry, self.finish(pending))
        except SlideError as exc:
            self.upcoming = None
            self.bad[entry.item.id] = self.media_signature(entry.item)
            self.warn_item(entry.item, str(exc))

    def slide_for(self, entry: Entry) -> Any:
        """The prepared slide for `entry` if it is the one prepared, else prepare it now."""
        if self.upcoming is not None and self.upcoming[0].item.id == entry.item.id:
            pending = self.upcoming[1]
            self.upcoming = None
            return self.finish(pending) if isinstance(pending, PendingSlide) or hasattr(pending, "prepare") \
                else pending
        self.discard_upcoming()
        return self.finish(self.request(entry.item))

    def last_resort(self, item: Item) -> Any:
        """A slide that can always be drawn: the item's text in any language it has, on its
        background colour, or nothing but the background. Never raises."""
        text = item.text or item.caption or self.fallback_text
        plain = Item(id=item.id, kind="text", text=text, style=replace(item.style, background_image=None))
        try:
            return text_slide(plain, self.ctx, any_language=True)
        except SlideError as exc:
            log.error("item %s cannot even be drawn as text: %s", item.id, exc)
            return BlankSlide(item.style.background)

    def known_bad(self, item: Item) -> bool:
        """True when this item failed before and none of its files changed since."""
        return item.id in self.bad and self.bad[item.id] == self.media_signature(item)

    def media_signature(self, item: Item) -> tuple:
        signature = []
        for name in item.media_files():
            try:
                stat = (self.playlist.folder / name).stat()
                signature.append((name, stat.st_mtime_ns, stat.st_size))
            except OSError:
                signature.append((name, None, None))
        return tuple(signature)

    # -- switching -------------------------------------------------------------------------

    def slide_or_next(self, entry: Entry, wall: float) -> tuple[Any, Entry, bool]:
        """The slide for `entry`; when it cannot be made, the next loop item that can, then the
        fallback. Each item is tried at most once a switch, and an item that failed is not
        decoded again until one of its files changes."""
        failed = False
        for _ in range(len(self.playlist.items) + 1):
            if entry.role in ("fallback", "emergency", "interrupt"):
                try:
                    return self.slide_for(entry), entry, failed
                except SlideError as exc:
                    self.warn_item(entry.item, str(exc))
                    if entry.role != "interrupt":
                        return self.last_resort(entry.item), entry, True
                    failed = True
                    entry = self.schedule.resume(self.interrupted, wall) if self.interrupted else \
                        self.schedule.first(wall)
                    continue
            if self.known_bad(entry.item):
                failed = True
            else:
                try:
                    slide = self.slide_for(entry)
                    self.bad.pop(entry.item.id, None)
                    return slide, entry, failed
                except SlideError as exc:
                    failed = True
                    self.bad[entry.item.id] = self.media_signature(entry.item)
                    self.warn_item(entry.item, str(exc))
            entry = self.schedule.after(entry, wall)
        entry = self.schedule.fallback_entry(wall)
        try:
            return self.slide_for(entry), entry, True
        except SlideError:
            return self.last_resort(entry.item), entry, True

    def first_entry(self, wall: float) -> Entry:
        if self.emergency is not None:
            return self.schedule.emergency_entry(self.emergency, wall)
        return self.schedule.first(wall)

    def show(self, entry: Entry, now: float, wall: float) -> None:
        """Switch to `entry` (or the next one that can be shown) within this frame."""
        slide, entry, failed = self.slide_or_next(entry, wall)
        if entry.role == "loop":
            self.release_shown = True
        elif failed and entry.role == "fallback":
            self.fall_back_to_previous_release()
        old = self.current
        end = None if entry.end is None else now + max(0.05, entry.end - entry.start)
        if entry.item.duration is None and entry.end is not None and entry.role == "loop":
            end = None  # a video with no set duration runs to its own end
        self.current = Showing(entry, slide, now, end, wall)
        # A clock-aligned join mid-item keeps an alternating slide's phase in step with the other
        # screens; a video starts from its beginning (seeking would cost more than it is worth).
        slide.start(now - entry.offset if not isinstance(slide, VideoItemSlide) else now)
        self.frame_due = now
        self.full_frame = False
        if old is not None:
            self.record_play(old, wall)
            if self.fade is not None:
                self.fade.old.slide.close()
                self.fade = None
            transition = entry.item.transition
            if transition.kind == "crossfade" and transition.duration > 0 and entry.role != "emergency" \
                    and self.display.available:  # a fade nobody sees costs a frame rate of work
                self.fade = Fade(old, now, transition.duration)
            else:
                old.slide.close()
        if self.board is not None:
            self.board.set_playing(self.playlist.name, self.release, entry.item.id,
                                  fallback=entry.role == "fallback")
        log.debug("showing %s (%s) until %s", entry.item.id, entry.role, end)

    def next_entry(self, wall: float) -> Entry:
        current = self.current
        assert current is not None
        if self.pending is not None:
            playlist, release = self.pending
            self.pending = None
            if self.release_shown:
                self.previous_good = (self.playlist, self.release)
            self.release_shown = False
            self.use_playlist(playlist, release)
            self.interrupted = None
            self.check_emergency()
            return self.first_entry(wall)
        if current.entry.role == "interrupt" and self.interrupted is not None:
            entry, self.interrupted = self.schedule.resume(self.interrupted, wall), None
            return entry
        return self.schedule.after(current.entry, wall)

    def refresh_interrupt(self, wall: float) -> None:
        """Keep `next_interrupt` honest: looked up again after the clock went back, hourly when
        none is due within the search horizon, and never fired late (after screen-off hours or a
        jump of the clock forward): a missed interrupt is skipped, not shown hours later."""
        if (self.next_interrupt is None and wall - self.interrupt_basis >= 3600) or \
                wall < self.interrupt_basis - 1:
            self.look_up_interrupt(wall)
        elif self.next_interrupt is not None and wall > self.next_interrupt[0] + INTERRUPT_GRACE:
            self.look_up_interrupt(wall)

    def look_up_interrupt(self, wall: float) -> None:
        self.next_interrupt = self.schedule.next_interrupt(wall)
        self.interrupt_basis = wall

    def maybe_switch(self, now: float, wall: float) -> None:
        current = self.current
        self.refresh_interrupt(wall)
        if self.screen_off:
            return
        if current is None:
            self.show(self.first_entry(wall), now, wall)
            return
        role = current.entry.role
        if self.emergency is not None and role != "emergency":
            self.interrupted = None
            self.show(self.schedule.emergency_entry(self.emergency, wall), now, wall)
        elif role == "emergency" and self.pending is not None:
            self.show(self.next_entry(wall), now, wall)  # a new release may lift the emergency
        elif self.emergency is None and role == "emergency":
            self.show(self.schedule.first(wall), now, wall)
        elif role == "emergency" and self.emergency is not current.entry.item:
            self.show(self.schedule.emergency_entry(self.emergency, wall), now, wall)
        elif self.next_interrupt and wall >= self.next_interrupt[0] and role not in ("interrupt", "emergency"):
            fire, interrupt = self.next_interrupt
            self.look_up_interrupt(fire)
            self.interrupted = current.entry if role == "loop" else self.interrupted
            self.show(self.schedule.interrupt_entry(interrupt, fire), now, wall)
        elif self.pending is not None and role == "fallback":
            self.show(self.next_entry(wall), now, wall)  # nothing was playing: no boundary to wait for
        elif (current.end is not None and now >= current.end) or current.slide.natural_end(now):
            self.show(self.next_entry(wall), now, wall)

    def record_play(self, shown: Showing, wall: float) -> None:
        if self.board is None or shown.entry.role in ("fallback", "off"):
            return
        self.board.play(shown.entry.item.id, self.release,
                        datetime.fromtimestamp(shown.wall_start, UTC),
                        datetime.fromtimestamp(wall, UTC))

    # -- emergency -------------------------------------------------------------------------

    def check_emergency(self) -> None:
        item = self.playlist.emergency
        if self.emergency_file is not None:
            try:
                mtime = self.emergency_file.stat().st_mtime
            except OSError:
                mtime = None
            if mtime is None:
                self.emergency_mtime = None
                self.file_emergency = None
            elif mtime != self.emergency_mtime:
                self.emergency_mtime = mtime
                try:
                    self.file_emergency = load_emergency(self.emergency_file, self.playlist.languages)
                    self.report("warning", "emergency", f"emergency message from {self.emergency_file} is on")
                except LoadError as exc:
                    self.file_emergency = None
                    self.report("error", "emergency_bad", f"emergency file refused: {exc}")
            item = getattr(self, "file_emergency", None) or item
        self.emergency = item

    # -- drawing ---------------------------------------------------------------------------

    def animating(self, now: float) -> bool:
        """True while frames are due at the frame rate (a fade, the ticker). A video or an
        alternating slide says itself when its picture changes (`next_change`), so a 25 fps clip
        is drawn 25 times a second, not at the loop's rate."""
        if self.fade is not None:
            return True
        current = self.current
        # Nobody sees the ticker while the screen is away: no frames for it then.
        hidden = (self.screen_off or not self.display.available
                  or (current is not None and current.entry.role == "emergency"))
        return bool(self.ticker) and not hidden

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
                self.fade.old.slide.close()
                self.fade = None
            else:
                self.fade.old.slide.draw(canvas, now)
                layer = getattr(self, "_layer", None)
                if layer is None or layer.get_size() != canvas.get_size():
                    layer = self._layer = pygame.Surface(canvas.get_size()).convert()
                current.slide.draw(layer, now)
                layer.set_alpha(int(255 * max(0.0, progress)))
                canvas.blit(layer, (0, 0))
        if self.fade is None:
            current.slide.draw(canvas, now)
        if current.entry.role != "emergency":
            if self.ticker:
                self.ticker.draw(canvas, now)
            if self.clock:
                self.clock.draw(canvas, wall)

    def only_ticker_moves(self, now: float, wall: float) -> bool:
        """True when the last full frame is still right everywhere but in the ticker band."""
        current = self.current
        if (self.ticker is None or self.fade is not None or self.screen_off or current is None
                or not self.full_frame or current.entry.role == "emergency"):
            return False
        change = current.slide.next_change(self.last_frame)
        if current.slide.animated and (change is None or change <= now):
            return False
        return not (self.clock and int(wall // 60) != int(self.last_wall // 60))

    def render(self, now: float, wall: float) -> None:
        if self.only_ticker_moves(now, wall):
            self.ticker.draw(self.display.canvas, now)
            self.display.present_area(self.ticker.rect)
        else:
            self.compose(self.display.canvas, now, wall)
            self.display.present()
            self.full_frame = True
        interval = 1.0 / self.max_fps
        if self.last_frame and self.animating(now) and now - self.frame_due > interval:
            self.late += 1
        self.frames += 1
        self.last_frame = now
        if self.board is not None:
            self.post_screen()
            self.board.count_frames(self.frames, self.late)
            if self.display.available and self.board.wants_screenshot(wall):
                self.take_screenshot()

    def post_screen(self) -> None:
        """Tell the board what the screen shows as a whole, once the frame showing it is out."""
        if self.screen_off:
            # First: a screen that its own off command put to sleep may well vanish (HDMI
            # hot-plug); that is the schedule working, not a fault to report every night.
            state = ("screen_off", "screen off by schedule")
        elif not self.display.available:
            state = ("display_unavailable", self.display.away or "")
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
            self.board.event("info", "display_available", f"display back: {self.display.driver} "
                             f"{self.display.size[0]}x{self.display.size[1]}")

    def post_display(self) -> None:
        if self.board is not None and hasattr(self.board, "set_display"):
            self.board.set_display(self.display.driver, self.display.size, self.display.rotation)

    def display_changed(self) -> None:
        """The screen went away or came back: redraw everything, at its new size if it has one."""
        if self.display.logical_size != self.ctx.size:
            self.use_playlist(self.playlist, self.release)  # layouts, ticker and clock at the new size
            if self.current is not None and self.current.entry.role != "off":
                self.record_play(self.current, self.wall())
                self.current.slide.close()
                self.current = None  # the next step starts the schedule again at this size
            if self.fade is not None:
                self.fade.old.slide.close()
                self.fade = None
        self._layer = None
        self.full_frame = False
        self.redraw = True
        self.frame_due = self.mono()
        self.post_display()

    def take_screenshot(self) -> None:
        from io import BytesIO

        from PIL import Image

        screen = self.display.screen
        width = min(self.screenshot_width, screen.get_width())
        height = max(1, round(screen.get_height() * width / screen.get_width()))
        small = pygame.transform.smoothscale(screen, (width, height))
        buffer = BytesIO()
        Image.frombytes("RGB", (width, height), pygame.image.tobytes(small, "RGB")).save(
            buffer, "JPEG", quality=70)
        self.board.screenshot(buffer.getvalue(), width, height)

    def next_wake(self, now: float, wall: float) -> float:
        """Seconds until something will change on screen (or a poll is due)."""
        waits = [POLL_INTERVAL]
        if self.upcoming is not None and isinstance(self.upcoming[1], PendingSlide):
            waits.append(0.05)  # look again soon: build the next slide as soon as it is decoded
        current = self.current
        if self.animating(now):
            waits.append(self.frame_due - now)
        if current is not None:
            if current.end is not None:
                waits.append(current.end - now)
            change = current.slide.next_change(now)
            if change is not None:
                waits.append(change - now)
        if self.clock is not None:
            waits.append(ClockBadge.next_change(wall))
        if self.next_interrupt is not None and not self.screen_off and self.next_interrupt[0] > wall:
            # Only a time still ahead: one that is due but cannot fire (an emergency is up)
            # must not turn the wait into a busy loop.
            waits.append(self.next_interrupt[0] - wall)
        return max(0.0, min(waits))

    def frame_needed(self, now: float, wall: float, changed: bool) -> bool:
        redraw, self.redraw = self.redraw, False
        if changed or redraw or self.frames == 0:
            return True
        current = self.current
        if self.animating(now) and now >= self.frame_due:
            return True
        if current is not None:
            change = current.slide.next_change(self.last_frame)
            if change is not None and now >= change:
                return True
        return bool(self.clock and int(wall // 60) != int(self.last_wall // 60))

    # -- the loop --------------------------------------------------------------------------

    def step(self) -> None:
        """One turn of the loop: messages handled by the caller, then switch, draw, prepare."""
        if self.keeper is not None:
            verdict = self.keeper.check()
            if verdict == "restart":
                self.stop("display lost: the X server went away", restart=True)
                return
            if verdict == "changed":
                self.display_changed()
        now, wall = self.mono(), self.wall()
        before = self.current.entry.key if self.current else None
        self.check_emergency()
        self.apply_power(wall)
        self.maybe_switch(now, wall)
        changed = before != (self.current.entry.key if self.current else None)
        if self.frame_needed(now, wall, changed):
            self.render(now, wall)
            self.last_wall = wall
            interval = 1.0 / self.max_fps
            self.frame_due = max(self.frame_due + interval, now) if self.animating(now) else now
        self.prepare_upcoming(now, wall)
        self.build_upcoming()
        if self.notifier is not None and now - self.last_watchdog >= 1.0:
            self.notifier.watchdog()  # only from here: a hung loop stops the pings
            self.last_watchdog = now

    def apply_power(self, wall: float) -> None:
        """Screen-off hours: the picture goes black and the sound stops; back on, the loop
        starts again from the schedule."""
        # An emergency message shows even in the off hours.
        off = (self.power is not None and self.emergency is None
               and self.power.screen_off(datetime.fromtimestamp(wall)))
        if self.power is not None:
            self.power.apply(off)  # runs a command only on a change (and once at start)
        if off == self.screen_off:
            return
        self.screen_off = off
        now = self.mono()
        if off:
            log.info("screen-off hours begin: blank and silent")
            self.discard_upcoming()
            if self.current is not None:
                self.record_play(self.current, wall)
                self.current.slide.close()
            if self.fade is not None:
                self.fade.old.slide.close()
                self.fade = None
            blank = Item(id="screen-off", kind="text", text={"en": ""}, duration=None)
            self.current = Showing(Entry(blank, -1, wall, None, role="off"), BlankSlide(), now, None, wall)
            if self.board is not None:
                self.board.set_playing(self.playlist.name, self.release, "")  # no item is on screen
        else:
            log.info("screen-off hours end")
            self.current.slide.close()
            self.current = None
            self.show(self.first_entry(wall), now, wall)
        self.full_frame = False
        self.frame_due = now

    def run(self, exit_after: float | None = None, on_first_frame: Callable[[], None] | None = None) -> str:
        """Play until stopped; returns the reason."""
        deadline = None if exit_after is None else self.mono() + exit_after
        self.last_wall = self.wall()
        try:
            while self.stop_reason is None:
                self.pump_events()
                self.step()
                if self.frames == 1 and on_first_frame is not None:
                    on_first_frame()
                    on_first_frame = None
                now = self.mono()
                wait = self.next_wake(now, self.wall())
                if deadline is not None:
                    if now >= deadline:
                        self.stop("--exit-after reached")
                        break
                    wait = min(wait, deadline - now)
                self.drain_inbox(wait)
        finally:
            self.close()
        return self.stop_reason or "stopped"

    def pump_events(self) -> None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.stop("window closed")
            elif event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q):
                self.stop("key pressed")

    def close(self) -> None:
        if self.current is not None:
            self.record_play(self.current, self.wall())
            self.current.slide.close()
        if self.fade is not None:
            self.fade.old.slide.close()
        self.discard_upcoming()
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self.media is not None:
            self.media.close()

    # -- reporting -------------------------------------------------------------------------

    def warn_item(self, item: Item, message: str) -> None:
        if message in self.warned:
            log.debug("%s", message)
            return
        self.warned.add(message)
        self.report("error", "file_bad", f"skipped: {message}", {"item": item.id})

    def report(self, severity: str, event: str, message: str, details: dict | None = None) -> None:
        getattr(log, "error" if severity == "error" else "warning")("%s", message)
        if self.board is not None:
            self.board.event(severity, event, message, details or {})
