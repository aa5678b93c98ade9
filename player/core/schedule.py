"""What to show when: `when` windows, the playlist loop, clock-aligned loops and interrupts.

Times are Unix seconds (float). `when` windows are judged in local time of the timezone given
(the box's local time by default; clusters here run on Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from player.core.hours import in_hours, started_the_day_before
from player.core.playlist import Interrupt, Item, Playlist, Window

FALLBACK_RECHECK = 10.0  # seconds a fallback slide stays before the schedule is asked again
CLOCK_JOIN_MARGIN = 0.5  # seconds: a clock-aligned join closer than this to an item's end takes the next
DurationOf = Callable[[Item], "float | None"]


def window_active(window: Window, moment: datetime) -> bool:
    """True when `moment` (local time) lies inside the window."""
    day = moment.date()
    if window.hours:
        start, end = window.hours
        clock = moment.time()
        if not in_hours(clock, start, end):
            return False
        if started_the_day_before(clock, start):
            day = day - timedelta(days=1)  # the small hours belong to the evening before
    return _day_matches(window, day)


def _day_matches(window: Window, day: date) -> bool:
    if window.start_date and day < window.start_date:
        return False
    if window.end_date and day > window.end_date:
        return False
    return window.days is None or day.weekday() in window.days


def item_active(item: Item, moment: datetime) -> bool:
    return not item.when or any(window_active(w, moment) for w in item.when)


def local(unix: float, tz: tzinfo | None = None) -> datetime:
    return datetime.fromtimestamp(unix, tz) if tz else datetime.fromtimestamp(unix)


@dataclass(frozen=True)
class Entry:
    """One showing of one item: from `start` to `end` (Unix seconds; end None: until it ends)."""

    item: Item
    index: int  # position in playlist.items; -1 for fallback, interrupt and emergency
    start: float
    end: float | None
    offset: float = 0.0  # seconds into the item at `start` (a clock-aligned join mid-item)
    role: str = "loop"  # loop | fallback | interrupt | emergency

    @property
    def key(self) -> tuple[str, int, float]:
        return (self.item.id, self.index, self.start)


class Schedule:
    """Chooses entries for a playlist; `duration_of` gives a video's own length when it has none."""

    def __init__(self, playlist: Playlist, fallback: Item, duration_of: DurationOf | None = None,
                 tz: tzinfo | None = None):
        self.playlist = playlist
        self.fallback = fallback
        self.duration_of = duration_of or (lambda item: None)
        self.tz = tz

    def length(self, item: Item) -> float | None:
        return item.duration if item.duration is not None else self.duration_of(item)

    def active_indexes(self, unix: float) -> list[int]:
        moment = local(unix, self.tz)
        return [i for i, item in enumerate(self.playlist.items) if item_active(item, moment)]

    def first(self, unix: float) -> Entry:
        """The entry to show when playback (re)starts at `unix`."""
        if self.playlist.align == "clock":
            return self._clock_entry(unix)
        return self._loop_entry_from(0, unix)

    def after(self, entry: Entry, unix: float) -> Entry:
        """The entry that follows `entry`, which ends (or ended) at `unix`."""
        if self.playlist.align == "clock":
            return self._clock_entry(unix)
        start_index = entry.index + 1 if entry.role == "loop" else max(entry.index, 0)
        return self._loop_entry_from(start_index, unix)

    def resume(self, interrupted: Entry, unix: float) -> Entry:
        """Where the loop goes on after an interrupt: the interrupted item, shown again."""
        if self.playlist.align == "clock" or interrupted.role != "loop":
            return self.first(unix)
        return self._loop_entry_from(interrupted.index, unix)

    def _loop_entry_from(self, index: int, unix: float) -> Entry:
        items = self.playlist.items
        active = set(self.active_indexes(unix))
        for step in range(len(items)):
            i = (index + step) % len(items)
            if i in active:
                length = self.length(items[i])
                return Entry(items[i], i, unix, None if length is None else unix + length)
        return self.fallback_entry(unix)

    def fallback_entry(self, unix: float) -> Entry:
        return Entry(self.fallback, -1, unix, unix + FALLBACK_RECHECK, role="fallback")

    def _clock_entry(self, unix: float) -> Entry:
        """Position in a loop anchored at the Unix epoch: every screen computes the same.

        A join within the last half second of an item (a clock slewed by NTP, a switch a few
        milliseconds early) takes the next item, so no item is shown twice for an instant.
        """
        indexes = self.active_indexes(unix)
        lengths = [(i, self.length(self.playlist.items[i]) or 0.0) for i in indexes]
        cycle = sum(length for _, length in lengths)
        if cycle <= 0:
            return self.fallback_entry(unix)
        start = math.floor(unix / cycle) * cycle
        for _ in range(2):  # this cycle, then the first item of the next
            for i, length in lengths:
                end = start + length
                if unix < end - min(CLOCK_JOIN_MARGIN, length / 2):
                    return Entry(self.playlist.items[i], i, unix, end, offset=max(0.0, unix - start))
                start = end
        i, length = lengths[0]
        return Entry(self.playlist.items[i], i, unix, unix + length)

    def next_interrupt(self, after: float, horizon: float = 8 * 86400.0) -> tuple[float, Interrupt] | None:
        """The first interrupt firing strictly after `after` and within `horizon` seconds."""
        best: tuple[float, Interrupt] | None = None
        for interrupt in self.playlist.interrupts:
            fire = next_fire_time(interrupt, after, self.tz, horizon)
            if fire is not None and (best is None or fire < best[0]):
                best = (fire, interrupt)
        return best

    def interrupt_entry(self, interrupt: Interrupt, fire: float) -> Entry:
        length = self.length(interrupt.item) or 30.0
        return Entry(interrupt.item, -1, fire, fire + length, role="interrupt")

    def emergency_entry(self, item: Item, unix: float) -> Entry:
        return Entry(item, -1, unix, None, role="emergency")


def next_fire_time(interrupt: Interrupt, after: float, tz: tzinfo | None = None,
                   horizon: float = 8 * 86400.0) -> float | None:
    """The first time after `after` at which the interrupt fires, honouring its `when`."""
    moment = local(after, tz)
    for day_shift in range(0, int(horizon // 86400) + 2):  # day by day: the first hit wins
        day = moment.date() + timedelta(days=day_shift)
        midnight = datetime.combine(day, time(0), moment.tzinfo)
        candidates = [datetime.combine(day, at, moment.tzinfo) for at in interrupt.at]
        if interrupt.every:
            count = int(86400 // interrupt.every) + 1
            candidates.extend(midnight + timedelta(seconds=k * interrupt.every) for k in range(count)
                              if k * interrupt.every < 86400)
        for candidate in sorted(candidates):
            fire = candidate.timestamp()
            if fire <= after:
                continue
            if fire - after > horizon:
                return None
            if not interrupt.when or any(window_active(w, candidate) for w in interrupt.when):
                return fire
    return None
