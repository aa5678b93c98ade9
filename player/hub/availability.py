"""Availability: for each cluster and day, the minutes its screen was scheduled on, the minutes it
showed content, and the dark minutes by cause.

Every minute of a local day is judged at its middle (``:30``), in this order:

1. **off-hours** (not counted): inside the cluster's ``power.off_hours`` (sent in every
   heartbeat; the last one known holds through a gap), or a heartbeat says ``screen_off``;
2. **shown**: a proof-of-play record covers it;
3. otherwise dark. While heartbeats come (the last one is vouched for until the next, when that
   comes within ``MAX_GAP`` (or 2.5 median heartbeat intervals, when longer), else for one
   median interval): **display** when it says the
   display is disconnected or unavailable, else **no_content** (the player runs, nothing plays).
   In a gap without heartbeats, the cause is what ended the gap: a ``restarted`` event of
   severity ``warning`` (the machine booted under a running player: a power cut) or a new boot
   id without one is **power_cut**; another ``restarted`` event (a crash, a stop) is
   **player_down**; no heartbeat since, or the same boot going on, is **offline**.

Minutes before a cluster's first heartbeat and after ``now`` are not counted. Times are the
device's, from heartbeats made with a synchronised clock. Pure functions, then a query layer.
"""

from __future__ import annotations

import bisect
import calendar
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as clock_time

import sqlalchemy as sa

from player.hub.foresight_schema import health_history
from player.hub.schema import events, plays

MAX_GAP = 300.0  # seconds between heartbeats beyond which the time between is a gap
# a month is computed minute by minute from every heartbeat and play (about half a second for
# a month of 60 s heartbeats): kept this long, the current month shortly, past months longer
# (reports of a cluster back from weeks offline still fill them in)
CACHE_CURRENT = 600.0
CACHE_PAST = 6 * 3600.0
MINUTE = 60.0
CAUSES = ("offline", "display", "player_down", "power_cut", "no_content")


@dataclass(frozen=True)
class Beat:
    """What one heartbeat says about the screen."""

    time: float
    boot_id: str = ""
    screen: str | None = None
    display: int | None = None
    off_hours: str | None = None  # "22:00-06:00,12:00-13:00"


@dataclass(frozen=True)
class Restart:
    time: float
    severity: str  # info: after a clean stop; warning: power cut; error: crash


@dataclass(frozen=True)
class Day:
    """One local day's minutes."""

    day: date
    scheduled: int = 0
    shown: int = 0
    dark: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CAUSES, 0))

    @property
    def ratio(self) -> float | None:
        return self.shown / self.scheduled if self.scheduled else None


def parse_windows(text: str | None) -> tuple[tuple[clock_time, clock_time], ...]:
    """``"22:00-06:00,12:00-13:00"`` -> windows; anything unreadable is left out."""
    windows = []
    for part in (text or "").split(","):
        start, _, end = part.strip().partition("-")
        try:
            windows.append((clock_time.fromisoformat(start), clock_time.fromisoformat(end)))
        except ValueError:
            continue
    return tuple(windows)


def _off(moment: clock_time, windows: tuple[tuple[clock_time, clock_time], ...]) -> bool:
    for start, end in windows:  # the player's own rule (player/power.py in_window)
        if (start <= moment < end) if start <= end else (moment >= start or moment < end):
            return True
    return False


class Timeline:
    """A cluster's heartbeats, plays and restarts, for judging minutes."""

    def __init__(self, beats: Sequence[Beat], plays: Sequence[tuple[float, float]],
                 restarts: Sequence[Restart]) -> None:
        self.beats = sorted(beats, key=lambda b: b.time)
        self.times = [b.time for b in self.beats]
        merged: list[list[float]] = []
        for start, end in sorted(p for p in plays if p[1] > p[0]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.play_starts = [m[0] for m in merged]
        self.play_ends = [m[1] for m in merged]
        self.restarts = sorted(restarts, key=lambda r: r.time)
        spacings = [b - a for a, b in zip(self.times, self.times[1:], strict=False) if b > a]
        self.interval = statistics.median(spacings) if spacings else MINUTE
        # a box reporting every 10 minutes (health.interval) is not in a gap between reports
        self.max_gap = max(MAX_GAP, 2.5 * self.interval)
        self._windows: dict[str | None, tuple] = {}

    def _playing(self, t: float) -> bool:
        i = bisect.bisect_right(self.play_starts, t) - 1
        return i >= 0 and t < self.play_ends[i]

    def _schedule(self, prev: Beat | None, next_: Beat | None) -> tuple:
        text = (prev or next_).off_hours if (prev or next_) else None  # type: ignore[union-attr]
        if text not in self._windows:
            self._windows[text] = parse_windows(text)
        return self._windows[text]

    def judge(self, t: float, local: tzinfo) -> str | None:
        """``off``, ``shown``, a dark cause, or None (not counted) for the moment ``t``."""
        i = bisect.bisect_right(self.times, t)
        prev = self.beats[i - 1] if i > 0 else None
        next_ = self.beats[i] if i < len(self.beats) else None
        if prev is None:
            return None  # before the first heartbeat: the cluster was not there yet
        if _off(datetime.fromtimestamp(t, local).time(), self._schedule(prev, next_)):
            return "off"
        vouched = (next_.time - prev.time if next_ is not None
                   and next_.time - prev.time <= self.max_gap else self.interval)
        if t < prev.time + vouched and prev.screen == "screen_off":
            return "off"
        if self._playing(t):
            return "shown"
        if t < prev.time + vouched:
            if prev.screen == "display_unavailable" or prev.display == 0:
                return "display"
            return "no_content"
        return self._gap_cause(prev, next_)

    def _gap_cause(self, prev: Beat, next_: Beat | None) -> str:
        if next_ is None:
            return "offline"
        # the restarted event is made at the player's start, just before its first heartbeat
        lo = bisect.bisect_right([r.time for r in self.restarts], prev.time)
        for restart in self.restarts[lo:]:
            if restart.time > next_.time + 2 * MINUTE:
                break
            return "power_cut" if restart.severity == "warning" else "player_down"
        if next_.boot_id and prev.boot_id and next_.boot_id != prev.boot_id:
            return "power_cut"
        return "offline"


def day_minutes(timeline: Timeline, day: date, local: tzinfo, now: float) -> Day:
    """One local day of a cluster, minute by minute."""
    start = datetime(day.year, day.month, day.day, tzinfo=local).timestamp()
    end = datetime.combine(day + timedelta(days=1), clock_time(), local).timestamp()
    result = Day(day)
    scheduled = shown = 0
    t = start
    while t < end:
        middle = t + MINUTE / 2
        t += MINUTE
        if middle > now:
            break
        verdict = timeline.judge(middle, local)
        if verdict is None or verdict == "off":
            continue
        scheduled += 1
        if verdict == "shown":
            shown += 1
        else:
            result.dark[verdict] += 1
    return Day(day, scheduled, shown, result.dark)


def total(days: Sequence[Day], label: date) -> Day:
    dark = dict.fromkeys(CAUSES, 0)
    for d in days:
        for cause, minutes in d.dark.items():
            dark[cause] += minutes
    return Day(label, sum(d.scheduled for d in days), sum(d.shown for d in days), dark)


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


# -- the query layer ---------------------------------------------------------------------------

class AvailabilityView:
    """Months of availability from the hub's database (``local``: the centre's time zone),
    kept for a while (``CACHE_CURRENT``, ``CACHE_PAST``); thread-safe enough for a cache."""

    def __init__(self, engine: sa.Engine, local: tzinfo,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.local = local
        self.clock = clock
        self._cache: dict[tuple[str, int, int], tuple[float, list[Day]]] = {}

    def month(self, cluster: str, year: int, month: int) -> list[Day]:
        days = month_days(year, month)
        start = datetime(year, month, 1, tzinfo=self.local).timestamp()
        end = datetime.combine(days[-1] + timedelta(days=1), clock_time(), self.local).timestamp()
        now = self.clock()
        cached = self._cache.get((cluster, year, month))
        keep = CACHE_PAST if end < now else CACHE_CURRENT
        if cached is not None and 0 <= now - cached[0] < keep:
            return cached[1]
        timeline = self.timeline(cluster, start, end)
        result = [day_minutes(timeline, d, self.local, now) for d in days]
        self._cache[(cluster, year, month)] = (now, result)
        return result

    def timeline(self, cluster: str, start: float, end: float) -> Timeline:
        h = health_history.c
        trusted = sa.and_(h.cluster == cluster, h.clock_synced == 1)
        columns = (h.time, h.boot_id, h.screen, h.display, h.off_hours)
        before = sa.select(*columns).where(trusted, h.time < start).order_by(
            h.time.desc()).limit(1)
        during = sa.select(*columns).where(trusted, h.time >= start, h.time < end + 86400)
        p, e = plays.c, events.c
        shown = sa.select(p.start, p.end).where(p.cluster == cluster, p.end > start,
                                                p.start < end)
        restarts = sa.select(e.time, e.severity).where(
            e.cluster == cluster, e.event == "restarted", e.time >= start - 86400,
            e.time < end + 86400)
        with self.engine.connect() as db:
            rows = [*db.execute(before).all(), *db.execute(during).all()]
            intervals = [(float(a), float(b)) for a, b in db.execute(shown).all()
                         if a is not None and b is not None]
            found = [Restart(float(t), s or "") for t, s in db.execute(restarts).all()
                     if t is not None]
        beats = [Beat(float(r[0]), r[1] or "", r[2], r[3], r[4]) for r in rows if r[0] is not None]
        return Timeline(beats, intervals, found)


__all__ = ["Beat", "Restart", "Day", "Timeline", "AvailabilityView", "day_minutes", "total",
           "month_days", "parse_windows", "CAUSES", "MAX_GAP"]
