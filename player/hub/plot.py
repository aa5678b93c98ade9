"""The geometry of the history plots (temperature, humidity, disk, forecasts, visits).

``plot`` turns samples into what the SVG in the templates draws: polylines broken at gaps,
lone dots, the alert limit's line, round ticks in local time. Coordinates are viewBox units;
no SVG is written here, the template does that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from player.hub.pages import LOCAL, Page

PLOT_LIMIT = 1e15  # readings beyond this (a broken sensor, a bad report) are left out of plots


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Plot:
    """Everything the SVG template needs for one history plot; coordinates in viewBox units."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    lines: tuple[str, ...]  # polyline "x,y x,y" strings; a gap in the data breaks the line
    dots: tuple[tuple[float, float], ...]  # lone samples with no neighbour to join
    limit_y: float | None
    limit_label: str
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    unit: str
    summary: str  # for screen readers and the tooltip: "30–39 °C"
    forecast: str = ""  # the forecast line, polyline "x,y x,y", drawn dashed
    markers: tuple[float, ...] = ()  # x of maintenance visits, drawn as vertical lines
    marker_label: str = ""


def plot(points: list[tuple[float, float | None]], start: float, end: float, unit: str,
         page: Page, limit: float | None = None,
         bounds: tuple[float | None, float | None] = (None, None),
         width: int = 420, height: int = 190,
         forecast: tuple[tuple[float, float], tuple[float, float]] | None = None,
         markers: tuple[float, ...] = (), marker_label: str = "") -> Plot | None:
    """The geometry of a line plot over [start, end]; None when there is nothing to draw.

    The y range always includes the alert limit, so its line is in view even when every sample
    is far from it. Samples further apart than three buckets (the cluster was off or offline)
    break the line. ``forecast`` is a straight line's two ends (time, value), drawn dashed and
    clipped to the plot; ``markers`` are times drawn as vertical lines (maintenance visits).
    """
    clean = _samples_in_view(points, start, end)
    if not clean:
        return None
    values = [v for _, v in clean]
    if forecast is not None:
        forecast = _clip_line(forecast, start, end)
    low, high = _value_range(values, limit, forecast, bounds)
    frame = _Frame(start, max(end - start, 1.0), low, high,
                   44.0, width - 6.0, 10.0, height - 22.0)
    lines, dots = _traces(clean, frame)
    y_ticks = tuple(Tick(frame.y(v), page.number(v)) for v in _nice_ticks(low, high, 4))
    # a label is centred on its tick: one that would stick out of the plot is left out
    x_ticks = tuple(Tick(frame.x(t), label) for t, label in _time_ticks(start, end, page)
                    if frame.left + len(label) * 3.6 <= frame.x(t)
                    <= frame.right - len(label) * 3.6)
    line = "" if forecast is None else " ".join(f"{frame.x(t):.1f},{frame.y(v):.1f}"
                                                for t, v in forecast)
    return Plot(width, height, frame.left, frame.right, frame.top, frame.bottom, lines, dots,
                None if limit is None else frame.y(limit),
                "" if limit is None else f"{page.t['limit']} {page.number(limit)} {unit}",
                y_ticks, x_ticks, unit,
                _range_text(page, min(values), max(values), unit), line,
                tuple(round(frame.x(t), 1) for t in markers if start <= t <= end), marker_label)


@dataclass(frozen=True)
class _Frame:
    """Where times and values land in the viewBox."""

    start: float
    span: float
    low: float
    high: float
    left: float
    right: float
    top: float
    bottom: float

    def x(self, t: float) -> float:
        return self.left + (t - self.start) / self.span * (self.right - self.left)

    def y(self, v: float) -> float:
        clamped = min(max(v, self.low), self.high)
        return self.bottom - (clamped - self.low) / (self.high - self.low) * (self.bottom - self.top)


def _samples_in_view(points: list[tuple[float, float | None]], start: float,
                     end: float) -> list[tuple[float, float]]:
    """The plottable samples within [start, end], times clamped to it."""
    # a sample a little past ``end`` (bucket averages, a clock a few seconds ahead) is drawn at
    # the right edge rather than dropped
    slack = (end - start) / 100
    return [(min(max(t, start), end), v) for t, v in points
            if v is not None and abs(v) < PLOT_LIMIT and start - slack <= t <= end + slack]


def _value_range(values: list[float], limit: float | None,
                 forecast: tuple[tuple[float, float], tuple[float, float]] | None,
                 bounds: tuple[float | None, float | None]) -> tuple[float, float]:
    """The y range: every value, the limit and the forecast in view, padded, within bounds."""
    low, high = min(values), max(values)
    if limit is not None:
        low, high = min(low, limit), max(high, limit)
    if forecast is not None:
        low = min(low, forecast[0][1], forecast[1][1])
        high = max(high, forecast[0][1], forecast[1][1])
    if not high - low > max(abs(low), abs(high)) * 1e-9:  # flat (also for huge numbers)
        spread = max(1.0, abs(high) * 0.05)
        low, high = low - spread, high + spread
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    bounded = (low if bounds[0] is None else max(low, bounds[0]),
               high if bounds[1] is None else min(high, bounds[1]))
    if bounded[1] > bounded[0]:  # readings outside the bounds (a broken sensor): keep them in view
        low, high = bounded
    return low, high


def _traces(clean: list[tuple[float, float]],
            frame: _Frame) -> tuple[tuple[str, ...], tuple[tuple[float, float], ...]]:
    """Polylines ("x,y x,y") broken where samples are far apart, and the lone samples as dots."""
    gap = max(3600.0, 3 * frame.span / 400)
    segments: list[list[tuple[float, float]]] = []
    last_t: float | None = None
    for t, v in sorted(clean, key=lambda p: p[0]):
        if last_t is None or t - last_t > gap:
            segments.append([])
        segments[-1].append((frame.x(t), frame.y(v)))
        last_t = t
    lines = tuple(" ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
                  for seg in segments if len(seg) > 1)
    dots = tuple(seg[0] for seg in segments if len(seg) == 1)
    return lines, dots


def _clip_line(ends: tuple[tuple[float, float], tuple[float, float]], start: float,
               end: float) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of a straight line within [start, end], or None when none of it is."""
    (t0, v0), (t1, v1) = sorted(ends)
    if t1 <= t0 or t1 < start or t0 > end or not all(map(math.isfinite, (v0, v1))):
        return None
    slope = (v1 - v0) / (t1 - t0)
    a, b = max(t0, start), min(t1, end)
    return (a, v0 + slope * (a - t0)), (b, v0 + slope * (b - t0))


def _range_text(page: Page, low: float, high: float, unit: str) -> str:
    if page.number(low) == page.number(high):
        return f"{page.number(low)} {unit}"
    return f"{page.number(low)}–{page.number(high)} {unit}"


def _nice_ticks(low: float, high: float, count: int) -> list[float]:
    raw = (high - low) / count
    if not raw > 0 or not math.isfinite(raw):
        return []
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(count + 2) if first + i * step <= high + 1e-9]


def _time_ticks(start: float, end: float, page: Page) -> list[tuple[float, str]]:
    """Tick times at round local times: hours for a day, days for a week or month, months for
    a year; each label carries the date."""
    days = (end - start) / 86400
    local = datetime.fromtimestamp(start, LOCAL)
    ticks: list[tuple[float, str]] = []
    if days <= 2:
        moment = local.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=6)
        while moment.hour % 6:
            moment += timedelta(hours=1)
        fmt = "%H:%M %d/%m"
    elif days <= 40:
        moment = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        step = timedelta(days=1 if days <= 10 else 7)
        fmt = "%d/%m"
    else:
        moment = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        step = timedelta(0)
        fmt = "%m/%Y"
    while moment.timestamp() <= end and len(ticks) < 60:
        if moment.timestamp() >= start:
            ticks.append((moment.timestamp(), moment.strftime(fmt)))
        if step:
            moment += step
        else:  # the next month's first day
            moment = (moment.replace(day=28) + timedelta(days=4)).replace(day=1)
    if days > 40:
        ticks = ticks[::2] if len(ticks) > 8 else ticks
    return ticks
