"""The durable record of remote commands: every id the box took, its state and its result.

A command id is written here (one SQLite transaction, synchronous=FULL) *before* the command
runs, so a crash or a power cut in the middle never runs it twice: after a restart it is
reported as failed ("interrupted"). The hub gets each result until it acknowledged it.
``<state_dir>/remote.sqlite``; `signage-player status` lists the newest rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

RECORD_FILE = "remote.sqlite"
KEEP = 500  # rows kept; older ones go (their ids expired on the hub long before)
INTERRUPTED = "interrupted: the player stopped while it ran (not run again)"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    arguments: dict
    received: float  # wall time
    state: str  # running | done | failed
    reason: str
    result: dict
    reported: bool


class CommandRecord:
    """One SQLite file; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path, clock=time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS commands (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
            "arguments TEXT NOT NULL, received REAL NOT NULL, state TEXT NOT NULL, "
            "reason TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '{}', "
            "reported INTEGER NOT NULL DEFAULT 0)")
        with self._lock:
            # a row still running was cut by a stop or a crash: it never runs again
            self._db.execute("UPDATE commands SET state='failed', reason=?, reported=0 "
                             "WHERE state='running'", (INTERRUPTED,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def claim(self, command_id: str, kind: str, arguments: dict) -> bool:
        """Note the command as running; False when this id was taken before (a replay)."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO commands (id, kind, arguments, received, state) "
                    "VALUES (?, ?, ?, ?, 'running')",
                    (command_id, kind, json.dumps(arguments), self.clock()))
            except sqlite3.IntegrityError:
                return False
            self._db.execute("DELETE FROM commands WHERE id NOT IN (SELECT id FROM commands "
                             "ORDER BY received DESC LIMIT ?)", (KEEP,))
            return True

    def finish(self, command_id: str, state: str, reason: str = "",
               result: dict | None = None) -> None:
        with self._lock:
            self._db.execute("UPDATE commands SET state=?, reason=?, result=?, reported=0 "
                             "WHERE id=?", (state, reason[:2000],
                                            json.dumps(result or {}, ensure_ascii=False),
                                            command_id))

    def reported(self, command_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE commands SET reported=1 WHERE id=?", (command_id,))

    def get(self, command_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM commands WHERE id=?", (command_id,)).fetchone()
        return _entry(row) if row else None

    def unreported(self) -> list[Entry]:
        """Finished commands whose result the hub has not acknowledged yet, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM commands WHERE reported=0 AND state!='running' "
                                    "ORDER BY received").fetchall()
        return [_entry(row) for row in rows]

    def recent(self, limit: int = 10) -> list[Entry]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM commands ORDER BY received DESC LIMIT ?",
                                    (limit,)).fetchall()
        return [_entry(row) for row in rows]

    def count_since(self, since: float) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM commands WHERE received>=?",
                                        (since,)).fetchone()[0])


def read_recent(state_dir: Path, limit: int = 10) -> list[Entry]:
    """The newest rows of a record, read-only (for `signage-player status`); [] when none."""
    path = state_dir / RECORD_FILE
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT * FROM commands ORDER BY received DESC LIMIT ?",
                              (limit,)).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return []
    return [_entry(row) for row in rows]


def _entry(row: tuple) -> Entry:
    def load(text: str) -> dict:
        try:
            value = json.loads(text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    return Entry(row[0], row[1], load(row[2]), float(row[3]), row[4], row[5], load(row[6]),
                 bool(row[7]))
