"""Reports on their way from memory to the spool.

Routine reports wait in memory for `health.write_interval` (every write wears the SD card);
error events go to the disk at once. A write that finds the disk full frees the reserve and
tries again; one that still fails keeps the reports in memory, where the uploader can send
them straight to the hub.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from player.health.board import StatusBoard
from player.health.reports import Stamp
from player.health.reserve import Reserve, is_disk_full
from player.health.spool import Spool
from player.health.status import CONFIG_EVENTS

log = logging.getLogger(__name__)

RECENT_ERRORS = 10


class SpoolHandoff:
    """The reports buffered in memory and the spool they go to; safe to use from the health
    worker and from the thread that stops it."""

    def __init__(self, board: StatusBoard, reserve: Reserve, write_interval: float,
                 monotonic: Callable[[], float]) -> None:
        self.board = board
        self.reserve = reserve
        self.write_interval = write_interval
        self._monotonic = monotonic
        self.spool: Spool | None = None
        self.stamp = Stamp("", "")  # replaced by the worker's own stamp when the spool opens
        self.recent_errors: list[dict] = []
        self.disk_full = False  # a write failed for want of space since the last good sample
        self.failing = False  # the last spool write failed: reports wait in memory
        self.next_write = 0.0
        self.lock = threading.RLock()
        self._buffer: list[dict] = []  # routine reports waiting for the next spool write
        self._buffered_errors = 0
        self._closed = False

    def open(self, spool: Spool, stamp: Stamp) -> None:
        with self.lock:
            self.spool = spool
            self.stamp = stamp

    def close_spool(self) -> None:
        with self.lock:
            if self.spool is not None:
                self.spool.close()
                self.spool = None

    def close(self) -> None:
        """For good: a stop that comes later has nothing to write to."""
        with self.lock:
            self._closed = True
            if self.spool is not None:
                self.spool.close()

    @property
    def open_spool(self) -> Spool:
        """The spool, or the SQLite error every caller already handles when it is not open."""
        if self.spool is None:
            raise sqlite3.OperationalError("the report spool is not open")
        return self.spool

    def in_memory(self) -> int:
        with self.lock:
            return len(self._buffer)

    def add(self, reports: list[dict], errors: int) -> None:
        """Reports of one sample, stamped now (uptime as of now, not at write)."""
        self.note_errors(reports)
        with self.lock:
            self._buffer += [self.stamp(r) for r in reports]
            self._buffered_errors += errors

    def due(self) -> bool:
        return self._monotonic() >= self.next_write

    def write_at_stop(self) -> None:
        """What waits in memory onto the disk now, so a join() that gives up on a slow upload
        loses nothing."""
        with self.lock:
            if self.spool is None or self._closed:
                return
            try:
                self.write_pending()
            except sqlite3.Error as exc:  # the worker's own final write tries again
                log.warning("cannot write pending reports at stop: %s", exc)

    def write_pending(self) -> None:
        """Write the buffered reports and whatever waits on the board in one transaction."""
        with self.lock:  # the worker and stop() (another thread) both write
            reports, errors = self.board.drain()
            self.note_errors(reports)
            reports = sorted(self._buffer + [self.stamp(r) for r in reports],
                             key=lambda r: r["time"])
            errors += self._buffered_errors
            self._buffer, self._buffered_errors = [], 0
            self.next_write = self._monotonic() + self.write_interval
            if reports:
                self._spool(reports, errors)

    def take_waiting(self) -> list[dict]:
        """Every report waiting in memory or on the board, oldest first, taken out of both."""
        with self.lock:
            reports, _errors = self.board.drain()
            reports = sorted(self._buffer + [self.stamp(r) for r in reports],
                             key=lambda r: r["time"])
            self._buffer, self._buffered_errors = [], 0
        return reports

    def note_errors(self, reports: list[dict]) -> None:
        self.recent_errors = (self.recent_errors + [
            {"time": r["time"], "event": r["event"], "message": r["message"]}
            for r in reports if r["kind"] == "event" and r["severity"] == "error"
        ])[-RECENT_ERRORS:]

    def forget_config_errors(self, config: dict) -> None:
        """A config that loaded cleanly makes the errors about an earlier, broken one history:
        the cluster is healthy again as soon as the file is fixed, not an hour later."""
        since = config.get("time")
        if config.get("problems") or not since:
            return
        self.recent_errors = [e for e in self.recent_errors
                              if e["event"] not in CONFIG_EVENTS or e["time"] > since]

    def room_made(self) -> bool:
        """A write found the disk full: note it (the next sample raises `disk_full`) and free
        the reserve; True when there is room to try again."""
        self.disk_full = True
        return self.reserve.release()

    def _spool(self, reports: list[dict], errors: int) -> list[dict]:
        try:
            try:
                stored = self.open_spool.add(self.stamp(r) for r in reports)
            except sqlite3.Error as exc:
                if not (is_disk_full(exc) and self.room_made()):
                    raise
                stored = self.open_spool.add(self.stamp(r) for r in reports)
        except sqlite3.Error as exc:
            # a full or read-only disk: keep them in memory, send them from there
            # (UploadRound.send_from_memory) and try the spool again at the next tick
            log.error("cannot write %d reports to the spool: %s", len(reports), exc)
            self.board.give_back(reports, errors)
            self.failing = True
            return []
        self.failing = False
        return stored
