"""The audit log: who changed what, when, and from where.

Every change a person makes through the hub (logins, failed logins, logouts, user changes,
uploads and publishes that come through a person) is one row; admins read it on
``/admin/audit``. Rows are only ever added (``player.hub.schema.audit``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from player.hub import schema

log = logging.getLogger(__name__)

MAX_DETAIL = 4000  # characters of JSON; more is cut, never refused (the change itself happened)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    user_name: str
    action: str
    target: str
    detail: dict
    address: str


class AuditLog:
    """Appends to and reads the ``audit`` table; ``clock`` for tests."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.clock = clock
        self.table = schema.audit

    def record(self, user_name: str, action: str, target: str = "",
               detail: dict | None = None, address: str = "") -> None:
        """Add one entry. ``action`` is a short verb like ``login`` or ``user.disable``."""
        text = json.dumps(detail or {}, ensure_ascii=False, default=str)
        if len(text) > MAX_DETAIL:
            text = json.dumps({"truncated": text[:MAX_DETAIL]}, ensure_ascii=False)
        at_column = self.table.c.at
        now = self.clock()
        at: Any = now
        if isinstance(at_column.type, sa.DateTime):
            at = datetime.fromtimestamp(now, UTC).replace(tzinfo=None)
        with self.engine.begin() as db:
            db.execute(self.table.insert().values(
                at=at, user_name=user_name[:200], action=action[:64], target=target[:200],
                detail=text, address=address[:64]))
        log.info("audit: %s %s %s from %s", user_name, action, target, address or "?")

    def recent(self, limit: int = 200, before: int | None = None,
               action: str | None = None, target: str | None = None) -> list[AuditEntry]:
        """The newest entries first; ``before`` (an id) pages back."""
        t = self.table.c
        query = sa.select(self.table).order_by(t.id.desc()).limit(limit)
        if before is not None:
            query = query.where(t.id < before)
        if action:
            query = query.where(t.action == action)
        if target is not None:
            query = query.where(t.target == target)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [self._entry(row) for row in rows]

    @staticmethod
    def _entry(row: Any) -> AuditEntry:
        at = row.at
        if isinstance(at, datetime):
            at = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
        try:
            detail = json.loads(row.detail) if row.detail else {}
        except ValueError:
            detail = {"raw": str(row.detail)}
        return AuditEntry(row.id, float(at or 0.0), row.user_name or "", row.action or "",
                          row.target or "", detail if isinstance(detail, dict) else
                          {"value": detail}, row.address or "")


__all__ = ["AuditLog", "AuditEntry"]
