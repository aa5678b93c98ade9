"""What the cluster page's forecast section and the maintenance log show: one plot a forecast with
its dashed forecast line and the visits as markers, and each forecast's verdict in words.
No HTML here: the templates (foresight_cluster.html, maintenance.html) escape every value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from player.hub import forecast, triage
from player.hub.forecast import DAY, Forecast
from player.hub.foresight import ClusterForesight, History
from player.hub.pages import Page
from player.hub.plot import Plot, plot

MAX_DAYS_AHEAD = 60.0  # a forecast line is drawn at most this far past now


@dataclass(frozen=True)
class ForecastCard:
    kind: str
    title: str
    level: str  # warning (within the horizon) | notice (further) | ok | unknown
    words: str
    action: str
    due: str
    plot: Plot | None


@dataclass(frozen=True)
class Section:
    cards: tuple[ForecastCard, ...]
    visits: tuple  # maintenance.Visit, newest first
    can_record: bool


def visit_times(found: ClusterForesight | None) -> tuple[float, ...]:
    return tuple(v.visited for v in found.visits) if found else ()


def cluster_section(found: ClusterForesight | None, page: Page,
                    user: Any = None) -> Section | None:
    if found is None:
        return None
    from player.hub.accounts import role_allows

    cards = tuple(_card(f, found, page, found.horizon_days) for f in found.forecasts)
    can_record = bool(user is not None and role_allows(user.role, "editor"))
    return Section(cards, found.visits, can_record)


def _card(f: Forecast, found: ClusterForesight, page: Page, horizon: float) -> ForecastCard:
    title = page.t["kind_" + f.kind]
    problem = triage.Problem("forecast_" + f.kind, triage.WARNING, dict(f.values))
    if f.state == forecast.INSUFFICIENT:
        level, words, action = "unknown", page.text("insufficient", have=f.values.get("have", 0),
                                                    need=f.values.get("need", 0)), ""
    elif f.state == forecast.WARN:
        level = "warning" if f.within(found.now, horizon) else "notice"
        words, action = page.problem(problem), page.action(problem)
    else:
        level, words, action = "ok", page.t["forecast_ok"], ""
    due = page.text("due_on", date=page.when(f.due, "%d/%m/%Y")) if f.due else ""
    return ForecastCard(f.kind, title, level, words, action, due, _plot(f, found, page))


def _plot(f: Forecast, found: ClusterForesight, page: Page) -> Plot | None:
    h: History = found.history
    now = found.now
    series: dict[str, tuple[list[Any], float, str, float | None, float]] = {
        "disk_full": ([(t, v / 1e9) for t, v in h.disk_free], 1e-9, "GB", 0.0, 7),
        "wear": (list(h.wear), 1.0, "%", 100.0, 120),
        "fan": (list(h.fan), 1.0, "rpm", None, 14),
        "heat": (forecast.buckets(h.cpu, DAY, "max"), 1.0, "°C", None, 28),
        "condensation": (list(h.margin), 1.0, "°C", None, 14),
        "restarts": (_daily_counts(h.restarts, now), 1.0, "", None, 28),
    }
    points, scale, unit, limit, days = series[f.kind]
    if f.kind == "heat":
        limit = f.values.get("limit")
    if f.kind == "condensation":
        limit = f.values.get("limit")
    start = now - days * DAY
    ahead = days * 0.25 * DAY
    if f.due is not None and f.due > now:
        ahead = max(ahead, min(f.due - now, MAX_DAYS_AHEAD * DAY) + DAY)
    line = None
    if f.line is not None and f.state == forecast.WARN:
        line = ((f.line.start, f.line.at(f.line.start) * scale),
                (f.line.end, f.line.at(f.line.end) * scale))
    return plot(points, start, now + ahead, unit, page, limit, forecast=line,
                markers=visit_times(found), marker_label=page.t["visit_marker"])


def _daily_counts(times: tuple[float, ...], now: float) -> list[tuple[float, float | None]]:
    counts = [0] * 28
    for t in times:
        index = int((now - t) // DAY)
        if 0 <= index < 28:
            counts[27 - index] += 1
    return [(now - (27 - i) * DAY - DAY / 2, float(c)) for i, c in enumerate(counts)]


__all__ = ["Section", "ForecastCard", "cluster_section", "visit_times"]
