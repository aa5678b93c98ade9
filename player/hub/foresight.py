"""The forecasts of each cluster from the stored history (the query layer over forecast.py).

History comes from `health_history` in hourly aggregates (one query per cluster and window),
only from heartbeats made with a synchronised clock: a box that boots in 1970 or jumps ahead
would otherwise draw a line through a time that never was. Results are kept for
``CACHE_SECONDS`` so the fleet page, refreshed every minute, does not recompute them each time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from player.hub import forecast
from player.hub.forecast import DAY, HOUR, Forecast, Settings
from player.hub.foresight_schema import health_history
from player.hub.maintenance import MaintenanceLog, Visit, reset_times
from player.hub.schema import events

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0
WEAR_BUCKET = 6 * HOUR


@dataclass(frozen=True)
class History:
    """One cluster's hourly history: per series, (bucket time, value) points."""

    disk_free: tuple[tuple[float, float], ...]
    cpu: tuple[tuple[float, float], ...]  # hourly mean
    fan: tuple[tuple[float, float], ...]
    margin: tuple[tuple[float, float], ...]  # hourly minimum
    wear: tuple[tuple[float, float], ...]  # 6-hourly maximum, over the longer window
    pre_eol: float | None
    restarts: tuple[float, ...]  # abnormal restarts' times
    days_seen: int


@dataclass(frozen=True)
class ClusterForesight:
    """What the cluster page shows: every forecast, the history behind it, the visits."""

    forecasts: tuple[Forecast, ...]
    history: History
    visits: tuple[Visit, ...]
    now: float
    horizon_days: float = Settings.horizon_days


class ForesightView:
    """Forecasts per cluster, computed from the store's engine and cached a few minutes."""

    def __init__(self, engine: sa.Engine, settings: Settings | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.settings = settings or Settings()
        self.clock = clock
        self.log = MaintenanceLog(engine, clock)
        self._cache: dict[str, tuple[float, ClusterForesight]] = {}
        self._lock = threading.Lock()

    def forget(self, cluster: str) -> None:
        """Drop a cluster's cached forecasts (after a maintenance visit)."""
        with self._lock:
            self._cache.pop(cluster, None)

    def cluster(self, cluster: str) -> ClusterForesight:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(cluster)
        if cached and 0 <= now - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            result = self._compute(cluster, now)
        except sa.exc.SQLAlchemyError as exc:  # a page without forecasts beats no page
            log.warning("cluster %s: forecasts unavailable: %s", cluster, exc)
            empty = History((), (), (), (), (), None, (), 0)
            result = ClusterForesight((), empty, (), now, self.settings.horizon_days)
        with self._lock:
            self._cache[cluster] = (now, result)
        return result

    def warnings(self, cluster: str) -> tuple[Forecast, ...]:
        """The forecasts whose predicted failure is within the horizon."""
        found = self.cluster(cluster)
        return tuple(f for f in found.forecasts
                     if f.state == forecast.WARN and f.within(found.now,
                                                              self.settings.horizon_days))

    def _compute(self, cluster: str, now: float) -> ClusterForesight:
        visits = tuple(self.log.visits(cluster))
        since = reset_times(list(visits))
        history = self.history(cluster, now)
        s = self.settings

        def after(kind: str, points: tuple[tuple[float, float], ...]) -> list:
            start = since.get(kind)
            return [p for p in points if start is None or p[0] >= start]

        restarts = [t for t in history.restarts if t >= since.get("restarts", 0.0)]
        forecasts = (
            forecast.disk_full(after("disk_full", history.disk_free), now, s),
            forecast.wear(after("wear", history.wear), now, s,
                          history.pre_eol if "wear" not in since else None),
            forecast.fan(after("fan", history.fan), after("fan", history.cpu), now, s),
            forecast.restarts(restarts, now, history.days_seen, s),
            forecast.heat(after("heat", history.cpu), now, s),
            forecast.condensation(after("condensation", history.margin), now, s),
        )
        return ClusterForesight(forecasts, history, visits, now, s.horizon_days)

    def history(self, cluster: str, now: float) -> History:
        s = self.settings
        h = health_history.c
        trusted = sa.and_(h.cluster == cluster, h.clock_synced == 1,
                          h.time >= forecast.EARLIEST, h.time <= now + forecast.FUTURE_SLACK)
        window = max(s.disk_window_days, s.fan_window_days, s.heat_window_days,
                     s.condensation_window_days, s.restart_window_days)
        hour = sa.cast(h.time / HOUR, sa.Integer)
        hourly = (sa.select(sa.func.avg(h.time), sa.func.avg(h.disk_free),
                            sa.func.avg(h.cpu_celsius), sa.func.avg(h.fan_rpm),
                            sa.func.min(h.dew_margin))
                  .where(trusted, h.time >= now - window * DAY).group_by(hour))
        six = sa.cast(h.time / WEAR_BUCKET, sa.Integer)
        wear = (sa.select(sa.func.avg(h.time), sa.func.max(h.wear_percent))
                .where(trusted, h.time >= now - s.wear_window_days * DAY,
                       h.wear_percent.is_not(None)).group_by(six))
        eol = (sa.select(h.pre_eol).where(trusted, h.pre_eol.is_not(None))
               .order_by(h.time.desc()).limit(1))
        e = events.c
        restarts = sa.select(e.time).where(
            e.cluster == cluster, e.event == "restarted", e.severity.in_(("warning", "error")),
            e.time >= now - s.restart_window_days * DAY, e.time <= now + forecast.FUTURE_SLACK)
        with self.engine.connect() as db:
            rows = db.execute(hourly).all()
            wear_rows = db.execute(wear).all()
            pre_eol = db.execute(eol).scalar()
            restart_times = tuple(float(t) for (t,) in db.execute(restarts).all())
        rows = sorted((r for r in rows if r[0] is not None), key=lambda r: r[0])

        def series(index: int) -> tuple[tuple[float, float], ...]:
            return tuple((float(r[0]), float(r[index])) for r in rows if r[index] is not None)

        days = {int(r[0] // DAY) for r in rows if r[0] >= now - s.restart_window_days * DAY}
        return History(
            disk_free=series(1), cpu=series(2), fan=series(3), margin=series(4),
            wear=tuple(sorted((float(t), float(v)) for t, v in wear_rows if t is not None)),
            pre_eol=None if pre_eol is None else float(pre_eol),
            restarts=restart_times, days_seen=len(days))


__all__ = ["ForesightView", "ClusterForesight", "History"]
