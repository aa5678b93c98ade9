"""Counts per day (restarts, under-voltage events, display disconnects, humid hours), kept in
`<state_dir>/counters.json` so they survive restarts and power cuts.

Days are the box's local dates. The file is small and written only when an event is counted,
or every `SLOW_WRITE` seconds for amounts that grow at every sample (humid hours), to spare
the SD card; a power cut loses at most that much of them. An unreadable file starts again
from zero with a warning; the bad file is kept beside it for a person to look at.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from player.storage.durable import write_atomic

log = logging.getLogger(__name__)

COUNTERS_FILE = "counters.json"
KEEP_DAYS = 62
SLOW_WRITE = 900.0


class DailyCounters:
    """`add(name, amount)` to today's count; `today(name)`, `total(name)` and `days()` read."""

    def __init__(self, path: Path, now: Callable[[], datetime] = datetime.now) -> None:
        self.path = path
        self._now = now
        self._days: dict[str, dict[str, float]] = {}
        self._totals: dict[str, float] = {}
        self.marks: dict[str, str] = {}  # small remembered strings (the last boot and pid)
        self._written_at: datetime | None = None
        self._dirty = False
        self._warned = False
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            days, totals, marks = data["days"], data["totals"], data.get("marks", {})
            self._days = {str(d): {str(k): float(v) for k, v in counts.items()}
                          for d, counts in days.items()}
            self._totals = {str(k): float(v) for k, v in totals.items()}
            self.marks = {str(k): str(v) for k, v in marks.items()}
            if not all(math.isfinite(v) for v in self._totals.values()):
                raise ValueError("a total that is not a number")
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("%s is unreadable (%s); daily counts start again from zero "
                        "(the old file is kept as %s.bad)", self.path, exc, self.path.name)
            self._days, self._totals, self.marks = {}, {}, {}
            try:
                os.replace(self.path, self.path.with_name(self.path.name + ".bad"))
            except OSError:
                pass

    def add(self, name: str, amount: float = 1.0, *, slow: bool = False) -> None:
        """Count `amount` for today; `slow` amounts are written at most every SLOW_WRITE s."""
        if amount <= 0 or not math.isfinite(amount):
            return
        day = self._now().date().isoformat()
        counts = self._days.setdefault(day, {})
        counts[name] = counts.get(name, 0.0) + amount
        self._totals[name] = self._totals.get(name, 0.0) + amount
        self._dirty = True
        if not slow:
            self.save()
        else:
            self.save_if_due()

    def mark(self, key: str, value: str) -> None:
        if self.marks.get(key) != value:
            self.marks[key] = value
            self._dirty = True

    def today(self, name: str) -> float:
        return self._days.get(self._now().date().isoformat(), {}).get(name, 0.0)

    def total(self, name: str) -> float:
        return self._totals.get(name, 0.0)

    def days(self) -> dict[str, dict[str, float]]:
        return {day: dict(counts) for day, counts in sorted(self._days.items())}

    def save_if_due(self) -> None:
        now = self._now()
        if self._dirty and (self._written_at is None or now.date() != self._written_at.date()
                            or abs((now - self._written_at).total_seconds()) >= SLOW_WRITE):
            self.save()

    def save(self) -> None:
        """Write now (the oldest days beyond KEEP_DAYS are dropped); never raises."""
        for day in sorted(self._days)[:-KEEP_DAYS]:
            del self._days[day]
        self._written_at = self._now()
        if not self.path.parent.is_dir():  # no state folder (yet): counts stay in memory
            return
        text = json.dumps({"days": self._days, "totals": self._totals, "marks": self.marks},
                          sort_keys=True) + "\n"
        try:
            write_atomic(self.path, text.encode("utf-8"))
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the daily counts to %s: %s", self.path, exc)
                self._warned = True
            return
        self._dirty = False
