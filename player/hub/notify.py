"""Tell every hub process that a channel's manifest changed.

This process's long-polls are woken directly; with PostgreSQL, a `NOTIFY` reaches the other
hub processes sharing the database (each LISTENs, see changes.listen_postgresql).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from player.hub.changes import NOTIFY_CHANNEL, ManifestChanges

log = logging.getLogger(__name__)


class ManifestNotifier:
    """Called (from any thread) after a manifest is published."""

    def __init__(self, engine: Engine, changes: ManifestChanges):
        self.engine = engine
        self.changes = changes
        self.postgresql = engine.dialect.name == "postgresql"

    def published(self, channel: str) -> None:
        self.changes.notify(channel)
        if not self.postgresql:
            return
        try:
            with self.engine.begin() as db:
                db.execute(sa.text("SELECT pg_notify(:name, :channel)"),
                           {"name": NOTIFY_CHANNEL, "channel": channel})
        except sa.exc.SQLAlchemyError as exc:  # the files are written: others see it on their next look
            log.warning("could not tell the other hub processes about %s: %s", channel, exc)
