"""Forecasts from a cluster's stored history: what is about to fail, and when.

Pure functions: each takes the history it needs as ``(unix time, value)`` points (already
limited to readings made with a synchronised clock) and ``now``, and returns a `Forecast`:
``due`` is the predicted moment of the failure (``now`` when it is already happening), or None
when nothing is coming; ``state`` says whether there were enough points to say anything.

Every fit is an ordinary least-squares line, as Prometheus' ``predict_linear`` draws, over
per-bucket medians (one odd value moves a median little), refitted once without the points far
from the first line (3 median absolute deviations). The method of each is in
docs/hub-foresight.md.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

HOUR = 3600.0
DAY = 86400.0
EARLIEST = 946684800.0  # 2000-01-01: a box without a battery clock starts in 1970
FUTURE_SLACK = HOUR  # a reading stamped further ahead of `now` than this is a clock gone wrong

OK, WARN, INSUFFICIENT = "ok", "warn", "insufficient"
KINDS = ("disk_full", "wear", "fan", "restarts", "heat", "condensation")

Points = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Line:
    """value = slope * (t - t0) + at_t0, drawn from ``start`` to ``end`` on the plot."""

    slope: float  # per second
    t0: float
    at_t0: float
    start: float
    end: float

    def at(self, t: float) -> float:
        return self.at_t0 + self.slope * (t - self.t0)

    def reaches(self, level: float) -> float | None:
        """When the line crosses ``level`` going towards it, or None if it moves away."""
        if self.slope == 0:
            return None
        t = self.t0 + (level - self.at_t0) / self.slope
        return t if math.isfinite(t) else None


@dataclass(frozen=True)
class Forecast:
    """One forecast for one cluster. ``values`` fill in the words (days, months, rpm...)."""

    kind: str
    state: str  # ok | warn | insufficient
    due: float | None = None
    line: Line | None = None
    values: dict = field(default_factory=dict)
    points: int = 0  # how many buckets the fit used (or had, when too few)

    def within(self, now: float, horizon_days: float) -> bool:
        return self.due is not None and self.due - now <= horizon_days * DAY


@dataclass(frozen=True)
class Settings:
    """hub.yaml ``foresight:`` (docs/hub-foresight.md); the defaults suit a 60 s heartbeat."""

    horizon_days: float = 14.0
    disk_window_days: float = 7.0
    wear_window_days: float = 365.0
    fan_window_days: float = 14.0
    heat_window_days: float = 28.0
    restart_window_days: float = 28.0
    condensation_window_days: float = 14.0
    condensation_margin: float = 3.0  # °C, as the player's health.dew_point_margin
    condensation_hold_hours: float = 6.0
    max_temperature: float = 70.0  # the heat forecast's failure line (alerts.max_temperature)


# -- points ------------------------------------------------------------------------------------

def clean(points: Iterable[tuple[float, float | None]], now: float,
          low: float = -math.inf, high: float = math.inf) -> list[tuple[float, float]]:
    """Finite values within [low, high], stamped between 2000 and a little after ``now``,
    in time order."""
    kept = [(t, float(v)) for t, v in points
            if v is not None and t is not None and math.isfinite(t) and math.isfinite(v)
            and low <= v <= high and EARLIEST <= t <= now + FUTURE_SLACK]
    kept.sort(key=lambda p: p[0])
    return kept


def buckets(points: Points, width: float, how: str = "median") -> list[tuple[float, float]]:
    """One point per ``width`` seconds: the bucket's middle time and its median (or min/max)."""
    groups: dict[int, list[float]] = {}
    for t, v in points:
        groups.setdefault(int(t // width), []).append(v)
    picks: dict[str, Callable[[list[float]], float]] = {
        "median": statistics.median, "min": min, "max": max}
    pick = picks[how]
    return [((key + 0.5) * width, pick(values)) for key, values in sorted(groups.items())]


def fit(points: Points) -> Line | None:
    """Least squares, refitted once without outliers; None with fewer than 3 points or no
    spread in time."""
    if len(points) < 3:
        return None
    line = _least_squares(points)
    if line is None:
        return None
    residuals = [abs(v - line.at(t)) for t, v in points]
    spread = statistics.median(residuals) * 1.4826
    limit = max(3 * spread, 1e-9 * max(abs(v) for _, v in points), 1e-12)
    kept = [p for p, r in zip(points, residuals, strict=True) if r <= limit]
    if 3 <= len(kept) < len(points):
        line = _least_squares(kept) or line
    return line


def _least_squares(points: Points) -> Line | None:
    times = [t for t, _ in points]
    t0 = times[-1]
    if max(times) - min(times) <= 0:
        return None
    slope, intercept = statistics.linear_regression([t - t0 for t in times],
                                                    [v for _, v in points])
    return Line(slope, t0, intercept, times[0], times[-1])


def _span(points: Points) -> float:
    return points[-1][0] - points[0][0] if points else 0.0


def _too_few(kind: str, have: int, need: int, values: dict | None = None) -> Forecast:
    return Forecast(kind, INSUFFICIENT, values={"have": have, "need": need, **(values or {})},
                    points=have)


def _days_until(due: float, now: float) -> float:
    return max(0.0, (due - now) / DAY)


def _believable(due: float | None, now: float, points: Points) -> float | None:
    """A date further ahead than four times the history the line was drawn through is noise
    on a flat series, not a forecast: none."""
    if due is None or due - now > 4 * max(_span(points), DAY):
        return None
    return due


# -- the forecasts -----------------------------------------------------------------------------

def disk_full(free: Points, now: float, s: Settings = Settings()) -> Forecast:
    """Free bytes on the state filesystem, fitted over the last ``disk_window_days``: the day
    the line reaches zero. Needs 24 hourly buckets over at least a day and a half."""
    recent = buckets([p for p in free if p[0] >= now - s.disk_window_days * DAY and p[1] >= 0],
                     HOUR)
    if len(recent) < 24 or _span(recent) < 1.5 * DAY:
        return _too_few("disk_full", len(recent), 24)
    line = fit(recent)
    if line is None:
        return _too_few("disk_full", len(recent), 24)
    due = _believable(line.reaches(0.0) if line.slope < 0 else None, now, recent)
    if due is not None:
        due = max(due, now)
        line = Line(line.slope, line.t0, line.at_t0, line.start, due)
    per_day = -line.slope * DAY
    return Forecast("disk_full", WARN if due is not None else OK, due, line,
                    {"days": None if due is None else _days_until(due, now),
                     "per_day": per_day, "free": recent[-1][1]}, len(recent))


def wear(used: Points, now: float, s: Settings = Settings(), pre_eol: float | None = None
         ) -> Forecast:
    """Storage wear in percent of rated life (eMMC ``life_time`` in 10 % steps, or SMART
    "percentage used"). The moments each level was first reached (a level counts once seen in
    two buckets running, and never below an earlier one) are fitted; the line's crossing of
    100 % is the forecast. eMMC ``pre_eol_info`` 3 (urgent) is worn out now. Needs two rises."""
    if pre_eol is not None and pre_eol >= 3:
        return Forecast("wear", WARN, now, None, {"months": 0.0, "used": None, "pre_eol": 3}, 0)
    daily = buckets([p for p in used if p[0] >= now - s.wear_window_days * DAY and 0 <= p[1]
                     <= 110], 6 * HOUR)
    firsts: list[tuple[float, float]] = []
    level = -math.inf
    for (t, v), (_, following) in zip(daily, daily[1:], strict=False):
        seen = min(v, following)  # held for two buckets running
        if seen > level:
            firsts.append((t, seen))
            level = seen
    if len(firsts) < 3:  # the first level's start is unknown: two rises after it
        return _too_few("wear", max(0, len(firsts) - 1), 2,
                        {"used": daily[-1][1] if daily else None})
    line = fit(firsts[1:]) if len(firsts) > 3 else _least_squares(firsts[1:])
    if line is None or line.slope <= 0:
        return Forecast("wear", OK, None, line, {"used": level}, len(firsts) - 1)
    due = max(line.reaches(100.0) or now, now) if level < 100 else now
    line = Line(line.slope, line.t0, line.at_t0, line.start, max(due, line.end))
    return Forecast("wear", WARN, due, line,
                    {"months": _days_until(due, now) / 30.44, "days": _days_until(due, now),
                     "used": level}, len(firsts) - 1)


def fan(rpm: Points, celsius: Points, now: float, s: Settings = Settings()) -> Forecast:
    """A fan slowing while the board heats up: the fan's hourly medians fitted over
    ``fan_window_days``, the day the line reaches 0 rpm, raised only while the CPU temperature's
    own line over the same days is not falling. A fan already stopped (its last 6 hours'
    median is 0) on a board warmer than its window's median is due now. Needs 48 hourly buckets
    over 3 days."""
    since = now - s.fan_window_days * DAY
    speeds = buckets([p for p in rpm if p[0] >= since and 0 <= p[1] < 100000], HOUR)
    temps = buckets([p for p in celsius if p[0] >= since and -40 <= p[1] <= 150], HOUR)
    if len(speeds) < 48 or _span(speeds) < 3 * DAY or len(temps) < 48:
        return _too_few("fan", min(len(speeds), len(temps)), 48)
    line, heat = fit(speeds), fit(temps)
    if line is None or heat is None:
        return _too_few("fan", len(speeds), 48)
    last = statistics.median(v for t, v in speeds if t >= now - 6 * HOUR) if any(
        t >= now - 6 * HOUR for t, _ in speeds) else speeds[-1][1]
    warming = heat.slope * DAY > 0.05
    hot_now = temps[-1][1] > statistics.median(v for _, v in temps) + 1.0
    values = {"rpm": last, "per_day": heat.slope * DAY, "celsius": temps[-1][1]}
    if last <= 0 and (warming or hot_now):
        return Forecast("fan", WARN, now, line, {**values, "days": 0.0}, len(speeds))
    due = _believable(line.reaches(0.0) if line.slope < 0 and warming else None, now, speeds)
    if due is None:
        return Forecast("fan", OK, None, line, values, len(speeds))
    due = max(due, now)
    line = Line(line.slope, line.t0, line.at_t0, line.start, due)
    return Forecast("fan", WARN, due, line, {**values, "days": _days_until(due, now)},
                    len(speeds))


def restarts(times: Sequence[float], now: float, days_seen: int,
             s: Settings = Settings()) -> Forecast:
    """Abnormal restarts (crashes, power cuts: the ``restarted`` events of severity warning or
    error) counted per day over ``restart_window_days``: rising when the last 7 days hold at
    least 3 and twice the weekly average of the weeks before (at least one more), with a
    least-squares line over the daily counts going up. ``days_seen``: days with any heartbeat
    in the window; needs 14."""
    window = s.restart_window_days
    if days_seen < 14:
        return _too_few("restarts", days_seen, 14)
    since = now - window * DAY
    recent = [t for t in times if since <= t <= now + FUTURE_SLACK]
    last_week = sum(1 for t in recent if t >= now - 7 * DAY)
    earlier_weeks = max((window - 7) / 7, 1.0)
    before = (len(recent) - last_week) / earlier_weeks
    counts = [0.0] * int(window)
    for t in recent:
        counts[min(int((t - since) // DAY), len(counts) - 1)] += 1
    line = _least_squares([(since + (i + 0.5) * DAY, c) for i, c in enumerate(counts)])
    rising = (last_week >= 3 and last_week >= 2 * before and last_week >= before + 1
              and line is not None and line.slope > 0)
    values = {"last_week": last_week, "before": before}
    return Forecast("restarts", WARN if rising else OK, now if rising else None, line, values,
                    days_seen)


def heat(celsius: Points, now: float, s: Settings = Settings()) -> Forecast:
    """The daily maximum CPU temperature rising week on week: the last ``heat_window_days`` of
    daily maxima (local days do not matter at this scale: UTC days), each of the last three
    weeks' mean maximum higher than the week before, and the least-squares line over the
    daily maxima reaching ``max_temperature``: that day is the forecast. Needs 14 days."""
    since = now - s.heat_window_days * DAY
    daily = buckets([p for p in celsius if p[0] >= since and -40 <= p[1] <= 150], DAY, "max")
    if len(daily) < 14:
        return _too_few("heat", len(daily), 14)
    weeks = [[v for t, v in daily if now - (k + 1) * 7 * DAY <= t < now - k * 7 * DAY]
             for k in range(3, -1, -1)]
    means = [statistics.fmean(w) for w in weeks if w]
    rising = len(means) >= 3 and all(b > a for a, b in zip(means[-3:], means[-2:],
                                                             strict=False))
    line = fit(daily)
    values = {"celsius": daily[-1][1], "limit": s.max_temperature,
              "per_week": None if line is None else line.slope * 7 * DAY}
    if line is None or not rising or line.slope <= 0:
        return Forecast("heat", OK, None, line, values, len(daily))
    due = _believable(max(line.reaches(s.max_temperature) or now, now), now, daily)
    if due is None:
        return Forecast("heat", OK, None, line, values, len(daily))
    line = Line(line.slope, line.t0, line.at_t0, line.start, due)
    return Forecast("heat", WARN, due, line, {**values, "days": _days_until(due, now)},
                    len(daily))


def condensation(margin: Points, now: float, s: Settings = Settings()) -> Forecast:
    """The dew-point margin (coldest cabinet temperature minus the dew point). Due now when
    every hourly minimum of the last ``condensation_hold_hours`` is under
    ``condensation_margin`` (a sustained time, not one odd value); otherwise the daily minima
    of ``condensation_window_days`` are fitted and the day the line reaches 0 °C (water on the
    glass) is the forecast. Needs 7 daily minima."""
    since = now - s.condensation_window_days * DAY
    valid = [p for p in margin if p[0] >= since and -60 <= p[1] <= 100]
    hourly = buckets(valid, HOUR, "min")
    hold = [v for t, v in hourly if t >= now - s.condensation_hold_hours * HOUR]
    needed = max(1, int(s.condensation_hold_hours) - 1)
    values: dict = {"margin": hourly[-1][1] if hourly else None,
                    "limit": s.condensation_margin}
    if len(hold) >= needed and all(v < s.condensation_margin for v in hold):
        return Forecast("condensation", WARN, now, None, {**values, "days": 0.0}, len(hourly))
    daily = buckets(valid, DAY, "min")
    if len(daily) < 7:
        return _too_few("condensation", len(daily), 7, values)
    line = fit(daily)
    if line is None or line.slope >= 0:
        return Forecast("condensation", OK, None, line, values, len(daily))
    due = _believable(max(line.reaches(0.0) or now, now), now, daily)
    if due is None:
        return Forecast("condensation", OK, None, line, values, len(daily))
    line = Line(line.slope, line.t0, line.at_t0, line.start, due)
    return Forecast("condensation", WARN, due, line, {**values, "days": _days_until(due, now)},
                    len(daily))


__all__ = ["Forecast", "Line", "Settings", "clean", "buckets", "fit", "disk_full", "wear", "fan",
           "restarts", "heat", "condensation", "KINDS", "OK", "WARN", "INSUFFICIENT"]


SETTING_KEYS = {  # hub.yaml foresight: key -> (lowest, highest)
    "horizon_days": (1, 365), "disk_window_days": (2, 90), "wear_window_days": (30, 3650),
    "fan_window_days": (3, 90), "heat_window_days": (14, 90), "restart_window_days": (14, 90),
    "condensation_window_days": (7, 90), "condensation_margin": (0, 20),
    "condensation_hold_hours": (1, 72),
}


def settings_from_fields(f: Any, max_temperature: float) -> Settings:
    """The ``foresight:`` section of hub.yaml (a `player.core.fields.Fields`); every key has a
    default, an error names the key."""
    f.check_keys(tuple(SETTING_KEYS))
    d = Settings()
    values = {key: f.number(key, getattr(d, key), low, high)
              for key, (low, high) in SETTING_KEYS.items()}
    return Settings(**values, max_temperature=max_temperature)
