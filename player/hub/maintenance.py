"""The maintenance log: a technician's visits to a cluster, what was found and what was replaced.

A replaced part starts the forecasts that depend on it again from the visit (docs/hub-foresight.md):
new storage restarts the wear and disk-full forecasts, a new fan the fan forecast, a new sensor
the condensation forecast, a new power supply the restart count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from player.hub.foresight_schema import maintenance_visits

log = logging.getLogger(__name__)

PARTS = ("storage", "fan", "power_supply", "display", "sensor", "other")
# which forecasts a replaced part makes start again
RESETS: dict[str, tuple[str, ...]] = {
    "storage": ("disk_full", "wear"), "fan": ("fan", "heat"), "sensor": ("condensation",),
    "power_supply": ("restarts",),
}
MAX_TEXT = 2000


class VisitError(ValueError):
    """A visit form that cannot be stored; the message names the field."""


@dataclass(frozen=True)
class Visit:
    id: int
    cluster: str
    visited: float
    found: str
    replaced: tuple[str, ...]
    note: str
    user_name: str
    created: float


def check_visit(day: str, found: str, replaced: list[str], note: str, today: date,
                local: object) -> tuple[float, str, tuple[str, ...], str]:
    """Validate a visit form: (unix time of the day's local midnight, found, parts, note)."""
    try:
        visited = date.fromisoformat(day.strip())
    except ValueError:
        raise VisitError("date") from None
    if visited > today or visited.year < 2000:
        raise VisitError("date")
    parts = tuple(p for p in PARTS if p in replaced)
    if len(parts) != len(set(replaced)):
        raise VisitError("replaced")
    found, note = found.strip(), note.strip()
    if not found and not parts:
        raise VisitError("found")
    if len(found) > MAX_TEXT or len(note) > MAX_TEXT:
        raise VisitError("found" if len(found) > MAX_TEXT else "note")
    moment = datetime(visited.year, visited.month, visited.day, tzinfo=local)  # type: ignore[arg-type]
    return moment.timestamp(), found, parts, note


class MaintenanceLog:
    """Visits in the hub's database; ``clock`` for tests."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def add(self, cluster: str, visited: float, found: str, replaced: tuple[str, ...],
            note: str, user_name: str) -> int:
        with self.engine.begin() as db:
            result = db.execute(maintenance_visits.insert().values(
                cluster=cluster, visited=visited, found=found, replaced=",".join(replaced),
                note=note, user_name=user_name[:200], created=self.clock()))
        key = result.inserted_primary_key
        return int(key[0]) if key else 0

    def visits(self, cluster: str, limit: int = 200) -> list[Visit]:
        """The newest visits first."""
        t = maintenance_visits.c
        query = (sa.select(maintenance_visits).where(t.cluster == cluster)
                 .order_by(t.visited.desc(), t.id.desc()).limit(limit))
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [Visit(r.id, r.cluster, float(r.visited), r.found,
                      tuple(p for p in (r.replaced or "").split(",") if p), r.note,
                      r.user_name, float(r.created)) for r in rows]


def reset_times(visits: list[Visit]) -> dict[str, float]:
    """Forecast kind -> the last visit that replaced a part it depends on."""
    since: dict[str, float] = {}
    for visit in visits:
        for part in visit.replaced:
            for kind in RESETS.get(part, ()):
                since[kind] = max(since.get(kind, 0.0), visit.visited)
    return since


__all__ = ["MaintenanceLog", "Visit", "VisitError", "PARTS", "RESETS", "check_visit",
           "reset_times"]
