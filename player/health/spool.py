"""The report spool: an SQLite file in the state folder that keeps reports until the hub acks them.

One row a report, written with WAL and `synchronous=FULL`, so a report that `add` returned for
survives `kill -9` and power cuts. Each row gets a uuid4 `id` and a per-device `seq` (SQLite
AUTOINCREMENT: never reused, even after every row was deleted). Past the size limit, routine
rows (screenshots, then the oldest heartbeats) are summarised into one `thinned` event and
deleted; events and proof-of-play rows are never dropped.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from player.health.reports import event_report

log = logging.getLogger(__name__)

ROUTINE_KINDS = ("screenshot", "heartbeat")  # thinned in this order
PURGE_AT = 2000  # acknowledged rows deleted at once past this many, not at the next write
THIN_TO = 0.8  # thin down to this share of the limit, so passes (and thinned events) stay rare
PACK_OVER = 400  # bytes of JSON over which a report is stored compressed

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    time TEXT NOT NULL,
    size INTEGER NOT NULL,  -- bytes of the report's JSON (the body may be stored compressed)
    rejected INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class SpoolStats:
    """What the spool holds, for status.json and the heartbeat's readings."""

    reports: int
    bytes: int
    events: int
    rejected: int
    thinned_total: int
    oldest: str | None


class Spool:
    """A thread-safe queue of reports on disk (one SQLite connection guarded by a lock)."""

    def __init__(self, path: Path, limit: int = 50 * 1000**2,
                 stamp: Callable[[dict], dict] = lambda report: report):
        self.path = path
        self.limit = limit
        self.stamp = stamp  # adds the common keys (cluster, boot_id...) to the thinned event
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = _open(path)
        self._bytes = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM reports").fetchone()[0]
        # Acknowledged rows are deleted in the next write's transaction, where their pages are
        # reused at once: one transaction a cycle instead of two (SD card writes). Until then
        # they are invisible; after a crash they are sent again and the hub acks them again.
        self._acked: dict[int, tuple[int, str]] = {}  # seq -> (size, kind)
        self._sent: dict[str, tuple[int, int, str]] = {}  # id -> (seq, size, kind), last batch
        # seq numbers handed to reports sent straight from memory while the file could not be
        # written; the next write moves the counter past them, so `seq` never repeats
        self._seq_floor = 0

    def close(self) -> None:
        with self._lock:
            if self._acked:
                with self._db:
                    self._purge()
            self._db.close()

    def add(self, reports: Iterable[dict]) -> list[dict]:
        """Store reports (without `id`/`seq`) in one transaction; returns them with both set."""
        stored = []
        with self._lock, self._db:
            if self._seq_floor:
                self._db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) "
                                 "WHERE name = 'reports'", (self._seq_floor,))
            self._purge()
            for report in reports:
                stored.append(self._insert(report))
            if self._bytes > self.limit:
                thinned = self._thin()
                if thinned:
                    stored.append(self._insert(self.stamp(thinned)))
        return stored

    def number(self, reports: list[dict]) -> list[dict]:
        """Give reports that cannot be stored (the disk is full or read-only) an `id` and the
        next `seq` numbers, to send them straight to the hub; reading still works."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'reports'"
                                   ).fetchone()
            last = max(row[0] if row else 0, self._seq_floor)
            numbered = [{"id": str(uuid.uuid4()), "seq": last + n + 1,
                         **_finite({k: v for k, v in r.items() if k not in ("id", "seq")})}
                        for n, r in enumerate(reports)]
            self._seq_floor = last + len(reports)
        return numbered

    def _insert(self, report: dict) -> dict:
        report = _finite({k: v for k, v in report.items() if k not in ("id", "seq")})
        report_id = str(uuid.uuid4())
        text = json.dumps(report, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        cursor = self._db.execute(
            "INSERT INTO reports (id, kind, time, size, body) VALUES (?, ?, ?, ?, ?)",
            (report_id, report.get("kind", ""), report.get("time", ""), len(text), _pack(text)))
        self._bytes += len(text)
        return {"id": report_id, "seq": cursor.lastrowid, **report}

    def batch(self, max_reports: int = 500, max_bytes: int = 2_000_000) -> list[dict]:
        """The oldest reports not yet acknowledged, in seq order, within the batch limits."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, kind, size, body FROM reports WHERE rejected = 0 "
                "ORDER BY seq LIMIT ?", (max_reports + len(self._acked),)).fetchall()
            reports: list[dict] = []
            total, sent = 0, {}
            for seq, report_id, kind, size, body in rows:
                if seq in self._acked:
                    continue
                if len(reports) >= max_reports or (reports and total + size + 100 > max_bytes):
                    break
                total += size + 100  # room for the id, seq and the JSON around each report
                reports.append({"id": report_id, "seq": seq, **_unpack(body)})
                sent[report_id] = (seq, size, kind)
            self._sent = sent
        return reports

    def delete(self, ids: Iterable[str]) -> int:
        """Forget acknowledged reports; ids the spool does not hold are ignored."""
        deleted = 0
        with self._lock:
            for report_id in ids:
                known = self._sent.get(report_id) or self._find(report_id)
                if known is None or known[0] in self._acked:
                    continue
                seq, size, kind = known
                self._acked[seq] = (size, kind)
                self._bytes -= size
                deleted += 1
            if len(self._acked) >= PURGE_AT:  # catching up after an outage: free the space now
                with self._db:
                    self._purge()
        return deleted

    def _find(self, report_id: str) -> tuple[int, int, str] | None:
        row = self._db.execute("SELECT seq, size, kind FROM reports WHERE id = ?",
                               (report_id,)).fetchone()
        return tuple(row) if row else None

    def _purge(self) -> None:
        """Delete the acknowledged rows (inside the caller's transaction)."""
        seqs = list(self._acked)
        for start in range(0, len(seqs), 500):
            chunk = seqs[start:start + 500]
            self._db.execute(f"DELETE FROM reports WHERE seq IN ({','.join('?' * len(chunk))})",
                             chunk)
        self._acked.clear()

    def reject(self, report_id: str) -> None:
        """Keep a report the hub refuses (schema error) but stop sending it: it blocks nothing."""
        with self._lock, self._db:
            self._db.execute("UPDATE reports SET rejected = 1 WHERE id = ?", (report_id,))

    def stats(self) -> SpoolStats:
        with self._lock:
            acked = list(self._acked)
            marks = ",".join("?" * len(acked))
            reports, events, rejected, oldest = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(kind = 'event'), 0), COALESCE(SUM(rejected), 0), "
                f"MIN(time) FROM reports WHERE seq NOT IN ({marks})", acked).fetchone()
            return SpoolStats(reports, self._bytes, events, rejected, self._meta("thinned"), oldest)

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else 0

    def _thin(self) -> dict | None:
        """Delete routine rows, oldest first, down to THIN_TO of the limit; summarise them."""
        target = self.limit * THIN_TO
        summary = _Summary()
        for kind in ROUTINE_KINDS:
            keep_newest = 1 if kind == "screenshot" else 0
            while self._bytes > target:
                rows = self._db.execute(
                    "SELECT seq, size, time, body FROM reports WHERE kind = ? AND rejected = 0 "
                    "AND seq < (SELECT COALESCE(MAX(seq), 0) + 1 - ? FROM reports WHERE kind = ?) "
                    "ORDER BY seq LIMIT 200", (kind, keep_newest, kind)).fetchall()
                if not rows:
                    break
                for seq, size, when, body in rows:
                    if self._bytes <= target:
                        break
                    self._db.execute("DELETE FROM reports WHERE seq = ?", (seq,))
                    self._bytes -= size
                    # A thinned row that was in the batch on its way must not be subtracted
                    # again when the hub acknowledges it.
                    self._sent = {k: v for k, v in self._sent.items() if v[0] != seq}
                    summary.add(kind, when, body)
        if not summary.count:
            log.warning("spool %s holds %d bytes over its limit of %d, all of them events or "
                        "proof of play, which are never dropped",
                        self.path, self._bytes, self.limit)
            return None
        total = self._meta("thinned") + summary.count
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('thinned', ?)", (total,))
        log.warning("spool over its limit of %d bytes: summarised %d routine reports (%d so far)",
                    self.limit, summary.count, total)
        return summary.event(total)


class _Summary:
    """What thinning removed: counts, the time span and the extremes of the heartbeats."""

    def __init__(self) -> None:
        self.count = 0
        self.kinds: dict[str, int] = {}
        self.first: str | None = None
        self.last: str | None = None
        self.extremes: dict[str, float] = {}

    def add(self, kind: str, time: str, body: str) -> None:
        self.count += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.first = min(self.first or time, time)
        self.last = max(self.last or time, time)
        if kind == "heartbeat":
            summary = _unpack(body).get("summary") or {}
            for key, pick in (("temperature_celsius", max), ("humidity_percent", max),
                              ("disk_free_bytes", min), ("memory_available_bytes", min)):
                value = summary.get(key)
                if isinstance(value, int | float):
                    old = self.extremes.get(key)
                    self.extremes[key] = value if old is None else pick(old, value)

    def event(self, total: int) -> dict:
        details: dict[str, object] = {"removed": self.kinds, "from": self.first, "to": self.last,
                   "thinned_total": total}
        details.update({f"{'max' if k in ('temperature_celsius', 'humidity_percent') else 'min'}_"
                        f"{k}": v for k, v in self.extremes.items()})
        return event_report("warning", "thinned",
                            f"the spool was full: {self.count} routine reports summarised", details)


def _pack(text: str) -> str | bytes:
    """Heartbeats compress about 2.5 times: stored as a zlib BLOB when that is smaller."""
    if len(text) < PACK_OVER:
        return text
    packed = zlib.compress(text.encode("utf-8"), 6)
    return packed if len(packed) < len(text) else text


def _unpack(body: str | bytes) -> dict:
    if isinstance(body, bytes):
        body = zlib.decompress(body).decode("utf-8")
    return json.loads(body)


CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB


def is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """Only real damage: "database disk image is malformed", "file is not a database". A
    read-only, full or failing disk (EROFS, EACCES, ENOSPC, EIO) says nothing of the file."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in CORRUPT_CODES  # extended codes keep the primary in the low byte
    text = str(exc)
    return "malformed" in text or "not a database" in text


def _open(path: Path) -> sqlite3.Connection:
    """Open (or create) the spool; a corrupt file is moved aside, never deleted. Any other
    error (a read-only or failing disk) is raised: the caller tries again later."""
    try:
        return _connect(path)
    except sqlite3.DatabaseError as exc:
        if not is_corrupt(exc):
            raise
        aside = path.with_name(path.name + ".corrupt")
        log.error("spool %s is unreadable (%s); moved to %s, starting a new one", path, exc, aside)
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(path) + suffix)
            if source.exists():
                source.replace(Path(str(aside) + suffix))
        db = _connect(path)
        # `seq` only grows, even across a lost spool: the new one counts on from a number no
        # earlier report can have reached (milliseconds since 1970; a counter at one report a
        # second would need decades to get there).
        start = max(int(time.time() * 1000), 1_700_000_000_000)
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('reports', ?)", (start,))
        return db


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        # one process owns the spool: the WAL index lives in memory, not in a -shm file
        # rewritten at every commit (fewer SD card writes); set before WAL is first used
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        # truncate the -wal file back to 1 MB after each checkpoint
        db.execute("PRAGMA journal_size_limit=1048576")
        db.executescript(_SCHEMA)
        db.execute("SELECT COUNT(*) FROM reports").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    db.isolation_level = "DEFERRED"  # `with db:` now wraps each batch in one transaction
    return db


def _finite(value: Any) -> Any:
    """NaN and infinities (a failed sensor read) become null: JSON has no such numbers, and one
    of them in a report would block every upload behind it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
