"""Heartbeat batches kept in the hub's database (SQLite in WAL mode, or PostgreSQL).

Storing is idempotent by (cluster, report id), so a batch sent twice (a lost answer) is harmless.
One writer thread commits every batch waiting at that moment in one transaction (group commit);
reports past the history limit are deleted now and then. Batches arrive here already checked
(``player.hub.ingest``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import SQLCompiler

from player.hub import foresight_schema, schema
from player.hub.database import Record, database_url, make_engine, migrate, records
from player.hub.ingest import Batch, Report, parse_time

log = logging.getLogger(__name__)

PRUNE_EVERY = 6 * 3600  # seconds between deletions of reports past the history limit
GROUP_LIMIT = 200  # batches committed together at most


@dataclass(frozen=True)
class _Prepared:
    """A statement compiled once for the engine's dialect, run as plain driver SQL: the writer
    runs a few per batch, and SQLAlchemy's per-execution work would double its cost."""

    sql: str
    names: tuple[str, ...] | None  # parameter order for positional drivers (sqlite3)

    @classmethod
    def compile(cls, statement: sa.sql.ClauseElement, engine: Engine) -> _Prepared:
        # a statement compiles to an SQLCompiler, the kind that knows the parameter order
        compiled = cast("SQLCompiler", statement.compile(dialect=engine.dialect))
        names = compiled.positiontup
        return cls(str(compiled), tuple(names) if names is not None else None)

    def run(self, db: Connection, params: dict[str, Any]) -> sa.CursorResult:
        if self.names is None:
            return db.exec_driver_sql(self.sql, params)
        return db.exec_driver_sql(self.sql, tuple(params[name] for name in self.names))


class _Statements:
    """The writes, built and compiled once."""

    report: _Prepared
    sample: _Prepared
    event: _Prepared
    play: _Prepared
    latest: _Prepared
    screenshot: _Prepared
    seen: _Prepared
    history: _Prepared

    def __init__(self, engine: Engine):
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        statements: dict[str, sa.sql.ClauseElement] = {}
        statements["report"] = (insert(schema.reports).on_conflict_do_nothing()
                                .returning(schema.reports.c.id))
        statements["sample"] = schema.samples.insert()
        statements["event"] = schema.events.insert()
        statements["play"] = schema.plays.insert()
        latest = insert(schema.latest)
        statements["latest"] = latest.on_conflict_do_update(
            index_elements=["cluster"],
            set_={"id": latest.excluded.id, "seq": latest.excluded.seq,
                  "received": latest.excluded.received, "body": latest.excluded.body},
            where=sa.or_(latest.excluded.received > schema.latest.c.received,
                         latest.excluded.seq >= schema.latest.c.seq))
        # Only the newest to arrive is kept: it answers "what is on screen now". Ordered by the
        # hub's clock, so a device stamping 2099 cannot hide every later screenshot.
        shot = insert(schema.screenshots)
        statements["screenshot"] = shot.on_conflict_do_update(
            index_elements=["cluster"],
            set_={name: shot.excluded[name]
                  for name in ("id", "time", "received", "width", "height", "jpeg")},
            where=shot.excluded.received >= schema.screenshots.c.received)
        seen = insert(schema.seen)
        statements["seen"] = seen.on_conflict_do_update(
            index_elements=["cluster"],
            set_={"received": seen.excluded.received, "address": seen.excluded.address,
                  "reports": schema.seen.c.reports + seen.excluded.reports})
        # forecasts, availability
        statements["history"] = foresight_schema.health_history.insert()
        for name, statement in statements.items():
            setattr(self, name, _Prepared.compile(statement, engine))


class HeartbeatStore:
    """Reports in the hub's database (SQLite in WAL mode, or PostgreSQL); thread-safe.

    `database` is a path to an SQLite file or an SQLAlchemy/PostgreSQL URL; the schema is
    migrated when the store opens. Batches are written by one writer thread that commits every
    batch waiting at that moment in one transaction (group commit): one flush to disk for many
    batches, and each is acknowledged only once it is on disk.
    """

    def __init__(self, database: Path | str, clock: Callable[[], float] = time.time,
                 history_days: int = 400, engine: Engine | None = None):
        self.url = database if isinstance(database, str) else database_url(database, Path("."))
        self.clock = clock
        self.history_days = history_days
        self._pruned = 0.0
        self.engine = engine or make_engine(self.url)
        if engine is None:
            migrate(self.engine)
        self._sql = _Statements(self.engine)
        self._queue: queue.SimpleQueue[tuple[Batch, str, float, Future] | None] = (
            queue.SimpleQueue())
        self._writer: threading.Thread | None = None
        self._db: Connection | None = None  # the writer thread's own
        self._writer_lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        with self._writer_lock:
            self._closed = True
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            writer.join()
        self.engine.dispose()

    def store(self, batch: Batch, address: str = "") -> list[str]:
        """Store a batch durably; returns every id now stored (new or not)."""
        return self.submit(batch, address).result()

    def submit(self, batch: Batch, address: str = "") -> Future:
        """Queue a batch for the writer; the future holds the stored ids once committed."""
        future: Future = Future()
        with self._writer_lock:
            if self._closed:
                raise RuntimeError("the heartbeat store is closed")
            if self._writer is None:
                # A daemon: a store someone forgot to close must not hold the process open.
                self._writer = threading.Thread(target=self._write_loop, name="hub-db-writer",
                                                daemon=True)
                self._writer.start()
            self._queue.put((batch, address, self.clock(), future))
        return future

    def _write_loop(self) -> None:
        try:
            self._write_until_stopped()
        finally:
            self._drop_connection()

    def _write_until_stopped(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            group = [item]
            while len(group) < GROUP_LIMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # finish this group, then stop
                    break
                group.append(more)
            self._prune_now_and_then(group[-1][2])
            self._write_group(group)
            self._log_rejected(group)

    def _connection(self) -> Connection:
        # One connection kept by the writer: a pool checkout and its reset at every group
        # cost as much as the commit itself when batches come one at a time.
        if self._db is None:
            self._db = self.engine.connect()
        return self._db

    def _drop_connection(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(Exception):
                db.close()

    def _write_group(self, group: list[tuple[Batch, str, float, Future]]) -> None:
        try:
            db = self._connection()
            with db.begin():
                for batch, address, now, _future in group:
                    self._write_batch(db, batch, address, now)
        except Exception as exc:
            self._drop_connection()  # the next group starts on a fresh one
            if len(group) == 1:
                group[0][3].set_exception(exc)
                return
            for one in group:  # find the batch at fault; the others are stored on their own
                self._write_group([one])
            return
        for batch, _address, _now, future in group:
            future.set_result([r.id for r in batch.reports] + [r[0] for r in batch.rejected])

    def _prune_now_and_then(self, now: float) -> None:
        if now - self._pruned > PRUNE_EVERY:
            self._pruned = now
            try:
                self.prune(now - self.history_days * 86400)
            except sa.exc.SQLAlchemyError as exc:
                log.warning("could not delete old reports: %s", exc)

    def _log_rejected(self, group: list[tuple[Batch, str, float, Future]]) -> None:
        for batch, _address, _now, _future in group:
            if batch.rejected:
                log.warning("cluster %s: %d report(s) set aside: %s", batch.cluster,
                            len(batch.rejected), batch.rejected[0][1])

    def _write_batch(self, db: Connection, batch: Batch, address: str, now: float) -> None:
        for report in batch.reports:
            self._store_report(db, report, now)
        if batch.rejected:
            db.execute(schema.rejected.insert(), [
                {"id": report_id, "cluster": batch.cluster, "received": now, "reason": reason,
                 "body": json.dumps(raw)[:100_000]}
                for report_id, reason, raw in batch.rejected])
        self._sql.seen.run(db, {"cluster": batch.cluster, "received": now,
                                    "address": address, "reports": len(batch.reports)})

    def _store_report(self, db: Connection, r: Report, now: float) -> None:
        inserted = self._sql.report.run(db, {
            "cluster": r.cluster, "id": r.id, "kind": r.kind, "seq": r.seq,
            "boot_id": r.boot_id, "time": r.time, "clock_synced": int(r.clock_synced),
            "received": now})
        if inserted.first() is None:
            return  # already stored: a batch sent again after a lost answer
        body = r.body
        if r.kind == "heartbeat":
            self._store_heartbeat(db, r, now)
        elif r.kind == "event":
            self._sql.event.run(db, {
                "cluster": r.cluster, "id": r.id, "seq": r.seq, "time": r.time, "received": now,
                "severity": body["severity"], "event": body["event"],
                "message": body["message"], "details": json.dumps(body.get("details") or {})})
        elif r.kind == "play":
            self._sql.play.run(db, {
                "cluster": r.cluster, "id": r.id, "item": body["item"],
                "release": body.get("release"), "start": parse_time(body["start"], "start"),
                "end": parse_time(body["end"], "end"), "received": now})
        elif r.kind == "screenshot":
            self._store_screenshot(db, r, now)

    def _store_heartbeat(self, db: Connection, r: Report, now: float) -> None:
        summary = r.body.get("summary") or {}
        player = r.body.get("player") or {}
        display = summary.get("display_connected")
        self._sql.sample.run(db, {
            "cluster": r.cluster, "id": r.id, "seq": r.seq, "time": r.time, "received": now,
            "temperature": summary.get("temperature_celsius"),
            "humidity": summary.get("humidity_percent"),
            "disk_free": summary.get("disk_free_bytes"),
            "disk_total": summary.get("disk_total_bytes"),
            "display": None if display is None else int(display),
            "playlist": player.get("playlist"), "release": player.get("release"),
            "item": player.get("item")})
        self._sql.history.run(db, foresight_schema.history_row(
            r.cluster, r.id, r.time, now, r.clock_synced, r.boot_id, r.body))
        # The whole report (readings, sync state) only for the newest heartbeat: history
        # needs the few numbers above, and a year of full reports would be gigabytes.
        self._sql.latest.run(db, {"cluster": r.cluster, "id": r.id, "seq": r.seq,
                                      "received": now, "body": json.dumps(r.body)})

    def _store_screenshot(self, db: Connection, r: Report, now: float) -> None:
        try:
            jpeg = base64.b64decode(r.body["jpeg_base64"], validate=True)
        except (binascii.Error, ValueError):
            log.warning("cluster %s: screenshot %s is not valid base64", r.cluster, r.id)
            return
        self._sql.screenshot.run(db, {
            "cluster": r.cluster, "id": r.id, "time": r.time, "received": now,
            "width": r.body["width"], "height": r.body["height"], "jpeg": jpeg})

    def prune(self, before: float) -> int:
        """Delete reports that arrived before `before` (unix seconds); returns how many."""
        deleted = 0
        with self.engine.begin() as db:
            for table in (schema.samples, schema.events, schema.rejected, schema.plays,
                          schema.reports, foresight_schema.health_history):
                deleted += db.execute(table.delete().where(table.c.received < before)).rowcount
        if deleted:
            log.info("deleted %d reports older than the history limit", deleted)
        return deleted

    # -- reading (used by fleet.py) --

    def query(self, sql: str, params: tuple = ()) -> list[Record]:
        """Run one SELECT written with `?` placeholders; rows read by index or column name."""
        parts = sql.split("?")
        if len(parts) - 1 != len(params):
            raise ValueError("one parameter per ? placeholder")
        named = "".join(part + (f":p{i}" if i < len(params) else "")
                        for i, part in enumerate(parts))
        with self.engine.connect() as db:
            return records(db.execute(sa.text(named), {f"p{i}": v for i, v in enumerate(params)}))

    def count(self, table: str) -> int:
        if table not in ("reports", "samples", "events", "plays", "screenshots", "rejected"):
            raise ValueError(table)
        return self.query(f"SELECT count(*) FROM {table}")[0][0]


__all__ = ["HeartbeatStore"]
