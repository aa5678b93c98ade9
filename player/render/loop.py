"""The render loop: draws, frame by frame, what the playback controller chooses.

It runs on the main thread, owns pygame, and takes messages from worker threads through a
queue. What plays when is `player.core.playback`'s business; this module prepares the next slide
while the current one shows (a switch is one frame), and switches. The stage (stage.py) draws
the frame, crossfades included; the pacer (pacing.py) says when one is needed and how long the
loop may sleep.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from player.core.config import Config
from player.core.messages import (
    CaptureScreen,
    ConfigChanged,
    EmergencyChanged,
    ForceScreen,
    PlaylistChanged,
    ReleaseReady,
    ShowIdentification,
    StopRequested,
)
from player.core.playback import PlaybackController
from player.core.playlist import Item, Playlist
from player.core.playlist_reader import load_playlist
from player.core.ports import Board, Notifier, Power
from player.core.problems import LoadError
from player.core.schedule import Entry
from player.core.screen_switch import ScreenSwitch
from player.render.display import Display, DisplayKeeper, stop_asked
from player.render.identify import IdentificationCard
from player.render.mediaslides import VideoItemSlide
from player.render.overlays import playlist_layers
from player.render.pacing import Pacer
from player.render.prepare import BlankSlide, Media, SlideMaker
from player.render.reporting import LoopReporter, screenshot_jpeg
from player.render.slides import SlideError
from player.render.stage import Fade, Showing, Stage
from player.render.text import TextLayout
from player.render.text_fonts import FontSet

log = logging.getLogger(__name__)

OFF = Item(id="screen-off", kind="text", text={"en": ""}, duration=None)


class Player:
    """Plays one playlist at a time on one display until told to stop."""

    def __init__(self, display: Display, fonts: FontSet, playlist: Playlist, *,
                 fallback_text: dict[str, str], inbox: queue.Queue | None = None,
                 board: Board | None = None, notifier: Notifier | None = None, release: int | None = None,
                 max_fps: int = 30, media: Media | None = None,
                 power: Power | None = None, on_config: Callable[[Path], str | None] | None = None,
                 screenshot_width: int = 480, default_fit: str = "contain",
                 keeper: DisplayKeeper | None = None,
                 mono: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self.display = display
        self.keeper = keeper  # the screen may come and go
        self.layout = TextLayout(fonts)
        self.inbox: queue.Queue = inbox or queue.Queue()
        self.reporter = LoopReporter(board, screenshot_width)
        self.notifier = notifier
        self.screen = ScreenSwitch(power)
        self.on_config = on_config
        self.default_fit = default_fit
        self.mono, self.wall = mono, wall
        self.last_watchdog = 0.0
        self.stop_reason: str | None = None
        self.restart = False
        start = wall()
        ticker, clock, ctx = playlist_layers(playlist, self.layout, display.logical_size, mono(), start, default_fit)
        self.stage = Stage(display, ticker, clock)
        self.pacer = Pacer(self.stage, max_fps, start)
        self.slides = SlideMaker(ctx, media, fallback_text)
        self.plays = PlaybackController(playlist, release, fallback_text=fallback_text, wall=start,
                                        duration_of=self.video_length, report=self.reporter.report,
                                        on_playlist=self.playlist_changed)
        self.reporter.playing(playlist.name, release, "")
        self.reporter.post_display(display)

    @property
    def playlist(self) -> Playlist:
        return self.plays.playlist

    @property
    def release(self) -> int | None:
        return self.plays.release

    @property
    def current(self) -> Showing | None:
        return self.stage.current

    @property
    def card(self) -> Any:
        return self.stage.card

    @property
    def screen_off(self) -> bool:
        return self.stage.screen_off

    @property
    def frames(self) -> int:
        return self.pacer.frames

    @property
    def upcoming(self) -> tuple[Entry, Any] | None:
        return self.slides.upcoming

    # -- playlists -------------------------------------------------------------------------

    def playlist_changed(self, playlist: Playlist, release: int | None) -> None:
        """A playlist takes over (or the screen changed size): overlays and layouts for it."""
        self.stage.ticker, self.stage.clock, self.slides.ctx = playlist_layers(
            playlist, self.layout, self.display.logical_size, self.mono(), self.wall(), self.default_fit)
        self.slides.discard()
        self.stage.full_frame = False
        self.reporter.playing(playlist.name, release, self.current.entry.item.id if self.current else "")

    def reconfigure(self, config: Config, power: Power | None) -> None:
        """Apply a changed device config that needs no restart (from the next frame)."""
        self.slides.fallback_text = config.fallback
        self.plays.set_fallback_text(config.fallback)
        self.pacer.max_fps = config.display.max_fps
        self.reporter.screenshot_width = config.health.screenshot_width
        self.screen.replace_power(power)

    def video_length(self, item: Item) -> float | None:
        if self.slides.media is None or item.source is None:
            return None
        return self.slides.media.length(self.playlist.folder / item.source)

    def load_new_playlist(self, path: Path, release: int | None, loaded: Playlist | None = None) -> None:
        """Offer a new playlist for the next item boundary; `loaded`: read already, off this thread."""
        if loaded is None:
            try:
                loaded = load_playlist(path)
            except LoadError as exc:
                self.reporter.report("error", "playlist_bad", f"new playlist refused, keeping the current one: "
                                     f"{exc.problems[0] if exc.problems else exc}", {"path": str(path)})
                return
        self.plays.offer(loaded, release)

    # -- messages --------------------------------------------------------------------------

    def handle(self, message: object) -> None:
        if isinstance(message, ReleaseReady):
            self.load_new_playlist(message.playlist, message.version, message.loaded)
        elif isinstance(message, PlaylistChanged):
            self.load_new_playlist(message.path, self.release, message.loaded)
        elif isinstance(message, EmergencyChanged):
            self.emergency_changed(message)
        elif isinstance(message, ConfigChanged) and self.on_config is not None:
            try:
                verdict = self.on_config(message.path)
            except Exception as exc:  # a config that cannot be applied must not stop the screen
                log.exception("applying %s failed", message.path)
                self.reporter.report("error", "config_invalid", f"config change could not be applied: {exc}")
                return
            if verdict == "restart":
                self.stop("configuration change needs a restart", restart=True)
        elif isinstance(message, StopRequested):
            self.stop(message.reason, message.restart)
        elif isinstance(message, CaptureScreen | ShowIdentification | ForceScreen):
            self.handle_remote(message)

    def handle_remote(self, message: CaptureScreen | ShowIdentification | ForceScreen) -> None:
        """A remote command from the hub (player.remote) that needs the screen."""
        if isinstance(message, CaptureScreen):
            reply: Any = message.reply
            try:
                reply.set_result(screenshot_jpeg(self.display, message.width))
            except Exception as exc:  # a screen gone away: the command fails, the loop goes on
                reply.set_exception(exc)
        elif isinstance(message, ShowIdentification):
            self.stage.card = IdentificationCard(message.lines, self.layout,
                                                 self.display.logical_size,
                                                 self.mono() + message.seconds)
            self.pacer.redraw = True
        else:
            self.screen.force(message.on, self.wall())
            self.pacer.redraw = True

    def emergency_changed(self, message: EmergencyChanged) -> None:
        self.plays.set_file_emergency(message.item)
        if message.item is not None:
            self.reporter.report("warning", "emergency", f"emergency message from {message.path} is on")
        elif message.problem is not None:
            self.reporter.report("error", "emergency_bad", f"emergency file refused: {message.problem}")

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

    # -- switching -------------------------------------------------------------------------

    def maybe_switch(self, now: float, wall: float) -> None:
        self.plays.refresh_interrupt(wall)
        if self.stage.screen_off:
            return
        current = self.current

        def ended() -> bool:
            assert current is not None
            return (current.end is not None and now >= current.end) or current.slide.natural_end(now)

        entry = self.plays.decide(current.entry if current else None, wall, ended)
        if entry is not None:
            self.show(entry, now, wall)

    def show(self, entry: Entry, now: float, wall: float) -> None:
        """Switch to `entry` (or the next one that can be shown) within this frame."""
        slide, entry = self.plays.choose(entry, wall, self.slides.slide_for, self.slides.last_resort)
        old = self.current
        end = None if entry.end is None else now + max(0.05, entry.end - entry.start)
        if entry.item.duration is None and entry.end is not None and entry.role == "loop":
            end = None  # a video with no set duration runs to its own end
        self.stage.current = Showing(entry, slide, now, end, wall)
        # A clock-aligned join mid-item keeps an alternating slide's phase in step with the other
        # screens; a video starts from its beginning (seeking would cost more than it is worth).
        slide.start(now - entry.offset if not isinstance(slide, VideoItemSlide) else now)
        self.pacer.frame_due = now
        self.stage.full_frame = False
        if old is not None:
            self.reporter.played(old.entry, self.release, old.wall_start, wall)
            self.stage.end_fade()
            transition = entry.item.transition
            if transition.kind == "crossfade" and transition.duration > 0 and entry.role != "emergency" \
                    and self.display.available:  # a fade nobody sees costs a frame rate of work
                self.stage.fade = Fade(old, now, transition.duration)
            else:
                old.slide.close()
        self.reporter.playing(self.playlist.name, self.release, entry.item.id, fallback=entry.role == "fallback")
        log.debug("showing %s (%s) until %s", entry.item.id, entry.role, end)

    def leave_current(self, wall: float) -> None:
        """The current slide goes (proof of play closed); the next step chooses again."""
        if self.current is not None:
            if self.current.entry.role != "off":
                self.reporter.played(self.current.entry, self.release, self.current.wall_start, wall)
            self.current.slide.close()
            self.stage.current = None

    def prepare_upcoming(self, now: float, wall: float) -> None:
        current = self.current
        if self.slides.upcoming is not None or current is None:
            return
        # A video without a set duration ends when it ends: prepare what follows all the same.
        ends_at = wall + max(0.0, current.end - now) if current.end is not None else wall
        entry = self.plays.upcoming(current.entry, ends_at)
        if entry is None:
            return
        try:
            self.slides.prepare(entry)
        except SlideError as exc:
            self.plays.warn_item(entry.item, str(exc))

    def build_upcoming(self) -> None:
        failure = self.slides.build_upcoming()
        if failure is not None:
            entry, exc = failure
            self.plays.mark_bad(entry.item)
            self.plays.warn_item(entry.item, str(exc))

    # -- drawing ---------------------------------------------------------------------------

    def render(self, now: float, wall: float) -> None:
        self.pacer.draw(now, wall)
        why = "screen off by schedule" if self.screen.forced is None else "screen off by a remote command"
        self.reporter.frame(self.display, self.stage.screen_off, self.pacer.frames, self.pacer.late, wall,
                            why)

    def display_changed(self) -> None:
        """The screen went away or came back: redraw everything, at its new size if it has one."""
        if self.display.logical_size != self.slides.ctx.size:
            self.plays.use_playlist(self.playlist, self.release, self.wall())  # layouts at the new size
            if self.current is not None and self.current.entry.role != "off":
                self.leave_current(self.wall())  # the next step starts the schedule again at this size
            self.stage.end_fade()
        self.stage.layer = None
        self.stage.full_frame = False
        self.pacer.redraw = True
        self.pacer.frame_due = self.mono()
        self.reporter.post_display(self.display)

    def next_wake(self, now: float, wall: float) -> float:
        """Seconds until something will change on screen (or a poll is due)."""
        waits = []
        if self.slides.decoding():
            waits.append(0.05)  # look again soon: build the next slide as soon as it is decoded
        interrupt = self.plays.interrupt_wait(wall)
        if interrupt is not None and not self.stage.screen_off:
            waits.append(interrupt)
        return self.pacer.wait(now, wall, waits)

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
        self.apply_power(wall)
        self.maybe_switch(now, wall)
        changed = before != (self.current.entry.key if self.current else None)
        if self.pacer.needed(now, wall, changed):
            self.render(now, wall)
            self.pacer.drawn(now, wall)
        self.prepare_upcoming(now, wall)
        self.build_upcoming()
        if self.notifier is not None and now - self.last_watchdog >= 1.0:
            self.notifier.watchdog()  # only from here: a hung loop stops the pings
            self.last_watchdog = now

    @property
    def power(self) -> Power | None:
        return self.screen.power

    def apply_power(self, wall: float) -> None:
        """Screen-off hours: the picture goes black and the sound stops; back on, the loop
        starts again from the schedule."""
        off = self.screen.off(wall, emergency=self.plays.emergency is not None)
        if off == self.stage.screen_off:
            return
        self.stage.screen_off = off
        now = self.mono()
        if off:
            log.info("screen-off hours begin: blank and silent")
            self.slides.discard()
            self.leave_current(wall)
            self.stage.end_fade()
            self.stage.current = Showing(Entry(OFF, -1, wall, None, role="off"), BlankSlide(), now, None, wall)
            self.reporter.playing(self.playlist.name, self.release, "")  # no item is on screen
        else:
            log.info("screen-off hours end")
            self.leave_current(wall)
            self.show(self.plays.first_entry(wall), now, wall)
        self.stage.full_frame = False
        self.pacer.frame_due = now

    def run(self, exit_after: float | None = None, on_first_frame: Callable[[], None] | None = None) -> str:
        """Play until stopped; returns the reason."""
        deadline = None if exit_after is None else self.mono() + exit_after
        self.pacer.last_wall = self.wall()
        try:
            while self.stop_reason is None:
                if (asked := stop_asked()) is not None:
                    self.stop(asked)
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

    def close(self) -> None:
        if self.current is not None:
            self.reporter.played(self.current.entry, self.release, self.current.wall_start, self.wall())
        self.stage.close()
        self.slides.close()
