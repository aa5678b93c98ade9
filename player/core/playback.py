"""What plays: the decisions of the render loop, without drawing anything.

`PlaybackController` keeps the position in the loop, the schedule, the next interrupt, the
emergency message, the items known to be broken, the release waiting for an item boundary and
the last release that played. The render loop asks it what to show and reports back which slides
it could not make; everything here runs on plain numbers, so a test drives it with a fake clock
in milliseconds (Mopidy's `core/playback.py` is the model).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Protocol, TypeVar

from player.core.playlist import Interrupt, Item, Playlist, Style
from player.core.schedule import DurationOf, Entry, Schedule

log = logging.getLogger(__name__)

INTERRUPT_GRACE = 60.0  # an interrupt missed by more than this (screen off, clock jump) is skipped
INTERRUPT_RELOOK = 3600.0  # with no interrupt within the search horizon, look again this often
SEE_AHEAD = 0.5  # seconds: an interrupt due this close to an item's end is prepared instead of the loop

S = TypeVar("S")
Signature = tuple[tuple[str, int | None, int | None], ...]


class Unplayable(Exception):
    """An item cannot be shown (a broken file, no text in the screen's languages): the reason."""


class Reporter(Protocol):
    def __call__(self, severity: str, event: str, message: str, details: dict | None = None) -> None: ...


@dataclass(frozen=True)
class Release:
    """A playlist and the release number it came with (None: a local playlist)."""

    playlist: Playlist
    number: int | None


def fallback_item(text: dict[str, str]) -> Item:
    """The config's fallback message, shown when nothing of the playlist can be."""
    return Item(id="fallback", kind="text", text=text, duration=10.0, style=Style(background=(12, 44, 56)))


def _no_report(severity: str, event: str, message: str, details: dict | None = None) -> None:
    getattr(log, "error" if severity == "error" else "warning")("%s", message)


class PlaybackController:
    """Chooses the entry to show at each moment; the render loop draws what it chooses."""

    def __init__(self, playlist: Playlist, release: int | None, *, fallback_text: dict[str, str],
                 wall: float, duration_of: DurationOf | None = None, report: Reporter = _no_report,
                 on_playlist: Callable[[Playlist, int | None], None] | None = None,
                 stat: Callable[[Path], os.stat_result] = os.stat, tz: tzinfo | None = None) -> None:
        self.tz = tz  # for `when` windows and interrupts; None: the box's local time
        self.fallback_text = fallback_text
        self.duration_of = duration_of
        self.report = report
        self.on_playlist = on_playlist  # told when a new playlist takes over, before its first item
        self.stat = stat
        self.playlist = playlist
        self.release = release
        self.schedule = Schedule(playlist, fallback_item(fallback_text), duration_of, tz)
        self.interrupted: Entry | None = None  # the loop entry an interrupt cut short
        self.next_interrupt: tuple[float, Interrupt] | None = None
        self.interrupt_basis = 0.0  # the wall time next_interrupt was looked up from
        self.pending: Release | None = None  # starts at the next item boundary
        self.previous_good: Release | None = None  # the last release an item of which was shown
        self.release_shown = False  # an item of the current playlist has been on screen
        self.file_emergency: Item | None = None  # from the emergency file, over the playlist's own
        self.bad: dict[str, Signature] = {}  # item id -> its files' (name, mtime, size) when it failed
        self.warned: set[str] = set()
        self._take(playlist, release, wall)

    # -- playlists -------------------------------------------------------------------------

    def use_playlist(self, playlist: Playlist, release: int | None, wall: float) -> None:
        """Play `playlist` from now on (the caller shows its first entry); tells `on_playlist`."""
        self._take(playlist, release, wall)
        if self.on_playlist is not None:
            self.on_playlist(playlist, release)

    def _take(self, playlist: Playlist, release: int | None, wall: float) -> None:
        self.playlist, self.release = playlist, release
        fallback = playlist.fallback or fallback_item(self.fallback_text)
        self.schedule = Schedule(playlist, fallback, self.duration_of, self.tz)
        self.look_up_interrupt(wall)
        self.bad.clear()
        self.warned.clear()

    def set_fallback_text(self, text: dict[str, str]) -> None:
        self.fallback_text = text
        if self.playlist.fallback is None:
            self.schedule.fallback = fallback_item(text)

    def offer(self, playlist: Playlist, release: int | None) -> None:
        """A new playlist, to start at the next item boundary (an emergency's end, a fallback)."""
        log.info("new playlist %s (release %s) will start at the next item boundary", playlist.name, release)
        self.pending = Release(playlist, release)

    def fall_back_to_previous_release(self) -> None:
        """A new release none of whose items can be shown gives way to the one before it."""
        if self.release_shown or self.previous_good is None or self.pending is not None:
            return
        previous, self.previous_good = self.previous_good, None
        self.report("error", "release_bad", f"release {self.release} ({self.playlist.name}): no item could be "
                    f"shown; going back to release {previous.number} ({previous.playlist.name})",
                    {"release": self.release, "previous": previous.number})
        self.pending = previous

    # -- emergency -------------------------------------------------------------------------

    @property
    def emergency(self) -> Item | None:
        """The emergency message in force: the file's, else the playlist's own, else None."""
        return self.file_emergency or self.playlist.emergency

    def set_file_emergency(self, item: Item | None) -> None:
        self.file_emergency = item

    # -- interrupts ------------------------------------------------------------------------

    def look_up_interrupt(self, wall: float) -> None:
        self.next_interrupt = self.schedule.next_interrupt(wall)
        self.interrupt_basis = wall

    def refresh_interrupt(self, wall: float) -> None:
        """Keep `next_interrupt` honest: looked up again after the clock went back, hourly when
        none is due within the search horizon, and never fired late (after screen-off hours or a
        jump of the clock forward): a missed interrupt is skipped, not shown hours later."""
        stale = self.next_interrupt is None and wall - self.interrupt_basis >= INTERRUPT_RELOOK
        missed = self.next_interrupt is not None and wall > self.next_interrupt[0] + INTERRUPT_GRACE
        if stale or missed or wall < self.interrupt_basis - 1:
            self.look_up_interrupt(wall)

    def interrupt_wait(self, wall: float) -> float | None:
        """Seconds until the next interrupt fires; None when none is ahead."""
        if self.next_interrupt is None or self.next_interrupt[0] <= wall:
            # One that is due but cannot fire (an emergency is up) must not make a busy loop.
            return None
        return self.next_interrupt[0] - wall

    # -- choosing --------------------------------------------------------------------------

    def first_entry(self, wall: float) -> Entry:
        if self.emergency is not None:
            return self.schedule.emergency_entry(self.emergency, wall)
        return self.schedule.first(wall)

    def next_entry(self, current: Entry, wall: float) -> Entry:
        """What follows `current` at an item boundary: a waiting release first."""
        if self.pending is not None:
            return self.adopt_pending(wall)
        if current.role == "interrupt" and self.interrupted is not None:
            entry, self.interrupted = self.schedule.resume(self.interrupted, wall), None
            return entry
        return self.schedule.after(current, wall)

    def adopt_pending(self, wall: float) -> Entry:
        assert self.pending is not None
        waiting, self.pending = self.pending, None
        if self.release_shown:
            self.previous_good = Release(self.playlist, self.release)
        self.release_shown = False
        self.use_playlist(waiting.playlist, waiting.number, wall)
        self.interrupted = None
        return self.first_entry(wall)

    def decide(self, current: Entry | None, wall: float, ended: Callable[[], bool]) -> Entry | None:
        """The entry to switch to now, or None to keep `current`; `ended()` says whether the
        current slide is over (asked only when nothing else decides first)."""
        if current is None:
            return self.first_entry(wall)
        role = current.role
        emergency = self.emergency
        if emergency is not None and role != "emergency":
            self.interrupted = None
            return self.schedule.emergency_entry(emergency, wall)
        if role == "emergency":
            if self.pending is not None:
                return self.next_entry(current, wall)  # a new release may lift the emergency
            if emergency is None:
                return self.schedule.first(wall)
            if emergency is not current.item:
                return self.schedule.emergency_entry(emergency, wall)
        elif self.next_interrupt is not None and wall >= self.next_interrupt[0] and role != "interrupt":
            fire, interrupt = self.next_interrupt
            self.look_up_interrupt(fire)
            self.interrupted = current if role == "loop" else self.interrupted
            return self.schedule.interrupt_entry(interrupt, fire)
        if self.pending is not None and role == "fallback":
            return self.next_entry(current, wall)  # nothing was playing: no boundary to wait for
        return self.next_entry(current, wall) if ended() else None

    def upcoming(self, current: Entry, ends_at: float) -> Entry | None:
        """The entry most likely to follow `current` when it ends at `ends_at` (to prepare it
        ahead), skipping items known to be broken; None when nothing is worth preparing."""
        if self.pending is not None or current.role in ("emergency", "off"):
            return None
        if self.next_interrupt is not None and self.next_interrupt[0] <= ends_at + SEE_AHEAD:
            entry = self.schedule.interrupt_entry(self.next_interrupt[1], self.next_interrupt[0])
        elif current.role == "interrupt" and self.interrupted is not None:
            entry = self.schedule.resume(self.interrupted, ends_at)
        else:
            entry = self.schedule.after(current, ends_at)
        for _ in range(len(self.playlist.items)):
            if entry.role != "loop" or not self.known_bad(entry.item):
                return entry
            entry = self.schedule.after(entry, ends_at)  # a broken item is not decoded again
        return None if entry.role == "loop" and self.known_bad(entry.item) else entry

    def choose(self, entry: Entry, wall: float, make: Callable[[Entry], S],
               last_resort: Callable[[Item], S]) -> tuple[S, Entry]:
        """The slide for `entry`, made by `make` (which raises Unplayable when it cannot be);
        failing that, the next loop item that can, then the fallback, then `last_resort`. Each
        item is tried at most once a switch, and an item that failed is not tried again until
        one of its files changes."""
        failed = False
        for candidate in self._candidates(entry, wall):
            if candidate.role == "loop" and self.known_bad(candidate.item):
                failed = True
                continue
            try:
                slide = make(candidate)
            except Unplayable as exc:
                failed = True
                if candidate.role == "loop":
                    self.mark_bad(candidate.item)
                self.warn_item(candidate.item, str(exc))
                if candidate.role not in ("loop", "interrupt"):
                    self._shown(candidate, True)
                    return last_resort(candidate.item), candidate
                continue
            self._shown(candidate, failed)
            return slide, candidate
        fallback = self.schedule.fallback_entry(wall)
        self._shown(fallback, True)
        try:
            return make(fallback), fallback
        except Unplayable:
            return last_resort(fallback.item), fallback

    def _candidates(self, entry: Entry, wall: float) -> Iterator[Entry]:
        for _ in range(len(self.playlist.items) + 1):
            yield entry
            if entry.role == "interrupt":
                entry = self.schedule.resume(self.interrupted, wall) if self.interrupted else \
                    self.schedule.first(wall)
            elif entry.role == "loop":
                entry = self.schedule.after(entry, wall)
            else:
                return

    def _shown(self, entry: Entry, failed: bool) -> None:
        if entry.role == "loop":
            self.release_shown = True
            self.bad.pop(entry.item.id, None)
        elif failed and entry.role == "fallback":
            self.fall_back_to_previous_release()

    # -- broken items ----------------------------------------------------------------------

    def known_bad(self, item: Item) -> bool:
        """True when this item failed before and none of its files changed since."""
        return item.id in self.bad and self.bad[item.id] == self.media_signature(item)

    def mark_bad(self, item: Item) -> None:
        self.bad[item.id] = self.media_signature(item)

    def media_signature(self, item: Item) -> Signature:
        signature: list[tuple[str, int | None, int | None]] = []
        for name in item.media_files():
            try:
                stat = self.stat(self.playlist.folder / name)
                signature.append((name, stat.st_mtime_ns, stat.st_size))
            except OSError:
                signature.append((name, None, None))
        return tuple(signature)

    def warn_item(self, item: Item, message: str) -> None:
        """Report a broken item once a playlist; later repeats only at debug level."""
        if message in self.warned:
            log.debug("%s", message)
            return
        self.warned.add(message)
        self.report("error", "file_bad", f"skipped: {message}", {"item": item.id})
