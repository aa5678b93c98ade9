"""The health worker thread: sample, raise alarms, spool, upload, write status files."""

from __future__ import annotations

import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests

from player.core.config import Config
from player.core.messages import StopRequested
from player.health import sysfs
from player.health.board import StatusBoard
from player.health.lifecycle import EXIT_FILE, STATUS_FILE, previous_exit, process_uptime
from player.health.lifecycle import mark_clean_exit as mark_clean_exit  # app.py's import
from player.health.prometheus import TextFile
from player.health.readings import Sample, Sampler, kernel_clock_synchronised
from player.health.reports import Stamp, heartbeat_report, iso
from player.health.reserve import Reserve, is_disk_full
from player.health.spool import Spool
from player.health.status import (
    CONFIG_EVENTS,
    DISK_FULL_BELOW,
    STATUS_FORMAT,
    StatusFile,
    alarm_events,
    alarms,
    one_line,
    player_alarms,
    stale_after,
    write_atomic,
)
from player.health.uploader import MAX_REPORTS, Backoff, Uploader, UploadError

log = logging.getLogger(__name__)

SPOOL_FILE = "reports.sqlite"
WAKE_GAP = 5.0  # at most one early spool or status write (error event, new item) this often
RECENT_ERRORS = 10
SETUP_RETRY = (5.0, 300.0)  # seconds: first and longest wait before using the state folder again


class HealthWorker(threading.Thread):
    """Samples every `health.interval`, spools reports, uploads them when a report URL is set.

    Writes `<state_dir>/status.json`, the Prometheus text file when configured, and reports a
    `restarted` event at start. `stop()` then `join()`; pending board reports are spooled.
    """

    def __init__(self, config: Config, board: StatusBoard, sysfs_root: Path = Path("/"), *,
                 session: requests.Session | None = None,
                 statvfs: Callable[[str], os.statvfs_result] = os.statvfs,
                 clock_synced: Callable[[], bool | None] = kernel_clock_synchronised,
                 monotonic: Callable[[], float] = time.monotonic,
                 outbox: queue.Queue | None = None, notifier: Any = None,
                 setup_retry: tuple[float, float] = SETUP_RETRY,
                 on_answer: Callable[[dict], None] | None = None) -> None:
        super().__init__(name="health", daemon=True)
        self.notifier = notifier  # a player.sdnotify.Notifier: STATUS= for `systemctl status`
        self._status_line = ""
        self.outbox = outbox  # the render loop's queue: a display back after a loss restarts
        self.config = config
        self.health = config.health
        self.board = board
        board.screenshot_interval = config.health.screenshot_interval
        self.root = sysfs_root
        self.state_dir = config.state_dir
        self._session = session
        self._statvfs = statvfs
        self._clock_synced = clock_synced
        self._monotonic = monotonic
        self._stopped = threading.Event()
        self.alarms: dict[str, str] = {}
        self.recent_errors: list[dict] = []
        self.upload_state: dict = {"enabled": bool(self.health.report_url),
                                   "url": self.health.report_url, "last_ok": None,
                                   "last_attempt": None, "error": None, "status": None,
                                   "failing_since": None, "sent_total": 0}
        self._setup_retry = setup_retry
        self.waiting_for_state: str = ""  # why the state folder cannot be used yet ("" = fine)
        self.reserve = Reserve(config.state_dir)
        self.disk_full = False  # a write failed for want of space since the last good sample
        self.spool_failing = False  # the last spool write failed: reports wait in memory
        self._readings: dict[str, float] = {}
        self.last_sample: Sample | None = None
        self.spool: Spool | None = None
        self.ticks = 0
        self._buffer: list[dict] = []  # routine reports waiting for the next spool write
        self._buffered_errors = 0
        self._buffer_lock = threading.RLock()
        self._closed = False
        self._next_write = 0.0
        self._last_failure = ""
        self._file_problem = ""
        self.uploader: Uploader | None = None
        self.on_answer = on_answer  # the hub's answers: remote commands ride in them

    def stop(self) -> None:
        """Stop sampling; what waits in memory is written to the spool here and now, so a
        join() that gives up on a slow upload loses nothing."""
        self._stopped.set()
        self.board.wake.set()
        with self._buffer_lock:
            if self.spool is None or self._closed:
                return
            try:
                self._spool_pending()
            except sqlite3.Error as exc:  # the worker's own final write tries again
                log.warning("cannot write pending reports at stop: %s", exc)

    def run(self) -> None:
        if not self._set_up():
            self._close()
            return
        backoff = Backoff(*self._setup_retry)
        try:
            while not self._stopped.is_set():
                try:
                    self._loop()
                except Exception:  # the next round may well work: reports never stop for good
                    delay = backoff.next_delay()
                    log.exception("health worker failed; going on in %.0f s", delay)
                    self._stopped.wait(delay)
        finally:
            try:
                self._spool_pending()
                self._final_status()
            finally:
                self._close()

    def _final_status(self) -> None:
        """status.json with what the spool holds after the last write (nothing in memory)."""
        try:
            self.refresh_status()
        except Exception:  # a stop must not fail on the status file
            log.exception("cannot write the last status")

    def _set_up(self) -> bool:
        """Set up, trying again with backoff while the state folder cannot be used (read-only,
        full, missing); False when stopped first."""
        backoff = Backoff(*self._setup_retry)
        while not self._stopped.is_set():
            try:
                self._setup()
            except (OSError, sqlite3.Error) as exc:
                self._close_spool()
                delay = backoff.next_delay()
                if str(exc) != self.waiting_for_state:  # once per cause, not at every try
                    log.error("health reports wait: cannot use the state folder %s: %s "
                              "(trying again, next in %.0f s)", self.state_dir, exc, delay)
                    if self.notifier is not None:
                        self.notifier.status(f"health reports wait: {exc}")
                self.waiting_for_state = str(exc)
                self._stopped.wait(delay)
                continue
            if self.waiting_for_state:
                log.warning("health reports work again: the state folder %s is usable",
                            self.state_dir)
                self.board.event("info", "state_folder_usable",
                                 f"the state folder is usable again (was: {self.waiting_for_state})")
            self.waiting_for_state = ""
            return True
        return False

    def _close_spool(self) -> None:
        with self._buffer_lock:
            if self.spool is not None:
                self.spool.close()
                self.spool = None

    @property
    def _open_spool(self) -> Spool:
        """The spool, or the SQLite error every caller already handles when it is not open."""
        if self.spool is None:
            raise sqlite3.OperationalError("the report spool is not open")
        return self.spool

    def _close(self) -> None:
        with self._buffer_lock:
            self._closed = True
            if self.spool is not None:
                self.spool.close()
        if self.uploader is not None:
            self.uploader.session.close()

    def _setup(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        boot = sysfs.boot_id(self.root)
        self.stamp = Stamp(self.config.cluster, boot)
        self.stamp.update(sysfs.uptime(self.root) or 0.0, bool(self._clock_synced()))
        severity, message, details = previous_exit(self.state_dir, boot, os.getpid())
        started = details.get("started") if not severity else None
        spool = Spool(self.state_dir / SPOOL_FILE, self.health.spool_limit, self.stamp)
        try:
            write_atomic(self.state_dir / EXIT_FILE, json.dumps(
                {"state": "running", "pid": os.getpid(), "boot_id": boot,
                 "started": started or iso()}) + "\n")
        except OSError:
            spool.close()
            raise
        with self._buffer_lock:
            self.spool = spool
        self.sampler = Sampler(self.health, self.state_dir, self.root, self._statvfs,
                               clock_synced=self._clock_synced)
        self.status_file = StatusFile(self.state_dir / STATUS_FILE, self._monotonic)
        path = self.health.prometheus_textfile
        self.textfile = TextFile(Path(path)) if path else None
        self.uploader = None
        if self.health.report_url:
            # short timeouts: a stop must not wait long for a hub that does not answer
            self.uploader = Uploader(self.health.report_url, self.health.token, self.config.cluster,
                                     self._session, timeout=(5.0, 20.0), on_answer=self.on_answer)
            self.upload_state["url"] = self.uploader.url
        self.backoff = Backoff(base=min(30.0, self.health.upload_interval), cap=1800.0)
        if severity:  # not for a worker restarted in the same process: nothing ended
            self.board.event(severity, "restarted", message,
                             {"previous": details} if details else None)
        else:
            log.info("%s", message)

    def _loop(self) -> None:
        now = self._monotonic()
        next_sample = next_upload = now
        self._next_write = now + self.health.write_interval
        last_wake = -WAKE_GAP
        while not self._stopped.is_set():
            now = self._monotonic()
            if now >= next_sample:
                self._safe_tick()
                next_sample = now + self.health.interval
            elif self.board.wake.is_set() and now - last_wake >= WAKE_GAP:
                last_wake = now
                self.board.wake.clear()
                if self.board.errors_waiting():
                    self._spool_pending()  # an error event: onto the disk now, not later
                if self.board.changed.is_set():
                    self.refresh_status()  # a new item, the screen off: status.json says so
            if self.uploader and now >= next_upload and not self._stopped.is_set():
                try:
                    next_upload = now + self._upload()
                except Exception:  # an odd answer must not end reporting for good
                    log.exception("heartbeat upload failed unexpectedly")
                    next_upload = now + self.backoff.next_delay()
                self.refresh_status()  # the spool count and the upload result as they are now
            wait = min(next_sample, next_upload if self.uploader else next_sample)
            if self.board.wake.is_set():
                wait = min(wait, last_wake + WAKE_GAP)
                self._stopped.wait(max(0.0, wait - self._monotonic()))
            else:
                self.board.wake.wait(max(0.0, wait - self._monotonic()))

    def _safe_tick(self) -> None:
        """A tick whose unexpected failure is logged (once per kind) and does not end reports."""
        try:
            self.tick()
        except Exception as exc:  # the next sample may well work (a sensor that came back)
            kind = f"{type(exc).__name__}: {exc}"
            if kind != self._last_failure:
                log.exception("health sample failed")
                self._last_failure = kind

    def tick(self) -> None:
        """One sample: alarms, a heartbeat with the pending reports, status files."""
        sample = self.sampler.sample()
        if self.disk_full and not _full(sample):
            sample = _mark_full(sample)  # a write found no room though statvfs shows some
        self.disk_full = False
        self.last_sample = sample
        self.stamp.update(sample.uptime, sample.clock_synced)
        self.board.changed.clear()  # before the snapshot: a change after it wakes us again
        player = self._player()
        found = alarms(sample, self.health, self.alarms)
        found.update(player_alarms(player))
        for severity, event, message in alarm_events(self.alarms, found):
            self.board.event(severity, event, message)
            if event == "display_reconnected" and self.outbox is not None:
                # a TV power-cycled or a cable reseated: its mode may differ, and a fresh
                # process (systemd restarts it) sets the display up again at the right size
                self.outbox.put(StopRequested("display reconnected: restarting to set it up again",
                                              restart=True))
        self.alarms = found
        if "disk_full" not in found:
            self.reserve.ensure(sample.summary.get("disk_free_bytes"))
        reports, errors = self.board.drain()
        player["errors"] = errors
        readings = dict(sample.readings)
        readings.update(self._own_readings(player))
        self._readings = readings
        reports.append(heartbeat_report(sample.summary, readings, player))
        self._note_errors(reports)
        with self._buffer_lock:
            self._buffer += [self.stamp(r) for r in reports]  # uptime as of now, not at write
            self._buffered_errors += errors
        if self._monotonic() >= self._next_write or errors:
            self._spool_pending()
        self._write_status(sample, player, readings)
        self.ticks += 1

    def refresh_status(self) -> None:
        """Rewrite status.json from the last sample and the board as it is now (no new
        sample, no heartbeat): what is on screen and what waits change between samples."""
        if self.last_sample is None or self.spool is None:
            return
        self.board.changed.clear()
        player = self._player()
        player["errors"] = 0
        try:
            self._write_status(self.last_sample, player, self._readings)
        except sqlite3.Error as exc:  # the spool's figures: the next sample tries again
            log.debug("status not refreshed: %s", exc)

    def _player(self) -> dict:
        player = self.board.snapshot()
        player["process_uptime"] = process_uptime()
        # the schedule itself, so a receiver can tell off-hours from dark hours in a gap
        player["off_hours"] = [f"{start:%H:%M}-{end:%H:%M}"
                               for start, end in self.config.power.off_hours]
        return player

    def _spool_pending(self) -> None:
        """Write the buffered reports and whatever waits on the board in one transaction."""
        with self._buffer_lock:  # the worker and stop() (another thread) both write
            reports, errors = self.board.drain()
            self._note_errors(reports)
            reports = sorted(self._buffer + [self.stamp(r) for r in reports],
                             key=lambda r: r["time"])
            errors += self._buffered_errors
            self._buffer, self._buffered_errors = [], 0
            self._next_write = self._monotonic() + self.health.write_interval
            if reports:
                self._spool(reports, errors)

    def _note_errors(self, reports: list[dict]) -> None:
        self.recent_errors = (self.recent_errors + [
            {"time": r["time"], "event": r["event"], "message": r["message"]}
            for r in reports if r["kind"] == "event" and r["severity"] == "error"
        ])[-RECENT_ERRORS:]

    def _spool(self, reports: list[dict], errors: int) -> list[dict]:
        try:
            try:
                stored = self._open_spool.add(self.stamp(r) for r in reports)
            except sqlite3.Error as exc:
                if not (is_disk_full(exc) and self._room_made()):
                    raise
                stored = self._open_spool.add(self.stamp(r) for r in reports)
        except sqlite3.Error as exc:
            # a full or read-only disk: keep them in memory, send them from there (see
            # _send_from_memory) and try the spool again at the next tick
            log.error("cannot write %d reports to the spool: %s", len(reports), exc)
            self.board.give_back(reports, errors)
            self.spool_failing = True
            return []
        self.spool_failing = False
        return stored

    def _room_made(self) -> bool:
        """A write found the disk full: note it (the next sample raises `disk_full`) and free
        the reserve; True when there is room to try again."""
        self.disk_full = True
        return self.reserve.release()

    def _upload(self) -> float:
        """Upload what is waiting; returns the seconds until the next try."""
        state, uploader = self.upload_state, self.uploader
        if uploader is None:
            return self.health.upload_interval
        sent_before = uploader.sent_total
        try:
            uploader.upload_all(self._open_spool, max_batches=10, stop=self._stopped)
        except UploadError as exc:
            delay = self.backoff.next_delay()
            if state["error"] != str(exc):
                log.warning("heartbeat upload failed: %s (next try in %.0f s)", exc, delay)
            if not state["error"]:
                state["failing_since"] = iso()
            state.update(error=str(exc), status=exc.status, last_attempt=iso())
            self._note_sent(sent_before)
            return delay
        except sqlite3.Error as exc:
            log.error("cannot read the spool: %s", exc)
            return self.backoff.next_delay()
        self.backoff.reset()
        if self.spool_failing:
            self._send_from_memory(uploader)
        if uploader.posted:  # nothing waiting is not an upload: last_ok stays truthful
            if state["error"]:
                log.info("heartbeat uploads work again")
            state.update(error=None, status=None, failing_since=None, last_attempt=iso())
        self._note_sent(sent_before)
        more = self._open_spool.stats().reports > 0
        return 1.0 if more else self.health.upload_interval

    def _send_from_memory(self, uploader: Uploader) -> None:
        """The spool cannot be written (a full or read-only card): send what waits in memory
        straight to the hub, so that it hears of the failing card now, not after the repair."""
        with self._buffer_lock:
            reports, _errors = self.board.drain()
            reports = sorted(self._buffer + [self.stamp(r) for r in reports],
                             key=lambda r: r["time"])
            self._buffer, self._buffered_errors = [], 0
        if not reports:
            return
        numbered = self._open_spool.number(reports[-MAX_REPORTS:])
        try:
            acked = set(uploader.send(numbered))
        except UploadError as exc:
            log.info("reports kept in memory not sent either: %s", exc)
            acked = set()
        left = reports[:-MAX_REPORTS] + [r for r in numbered if r["id"] not in acked]
        if left:  # events and plays wait on the board again; routine ones are let go
            self.board.give_back(left, sum(1 for r in left if r.get("severity") == "error"))

    def _note_sent(self, before: int) -> None:
        if self.uploader is not None and self.uploader.sent_total > before:
            self.upload_state.update(last_ok=iso(), sent_total=self.uploader.sent_total)

    def _own_readings(self, player: dict) -> dict[str, float]:
        stats = self._open_spool.stats()
        return {
            "signage_frames_total": float(player.get("frames", 0)),
            "signage_late_frames_total": float(player.get("late_frames", 0)),
            "signage_audio_present": float(bool(player.get("audio"))),
            "signage_spool_reports": float(stats.reports),
            "signage_spool_bytes": float(stats.bytes),
            "signage_spool_thinned_total": float(stats.thinned_total),
            "signage_reports_uploaded_total": float(self.uploader.sent_total if self.uploader
                                                    else 0),
        }

    def _write_status(self, sample: Sample, player: dict, readings: dict) -> None:
        stats = self._open_spool.stats()
        config = self.board.config_state()
        self._forget_config_errors(config)
        with self._buffer_lock:
            in_memory = len(self._buffer)
        status = {
            "format": STATUS_FORMAT, "state": "running", "cluster": self.config.cluster,
            "time": iso(), "stale_after": stale_after(self.health.interval), "pid": os.getpid(),
            "boot_id": sample.boot_id, "machine_uptime": sample.uptime,
            "process_uptime": player.get("process_uptime"),
            "clock_synced": sample.clock_synced, "summary": sample.summary,
            "alarms": self.alarms, "errors_recent": self.recent_errors, "player": player,
            "config": config,
            "spool": {"reports": stats.reports, "in_memory": in_memory, "bytes": stats.bytes,
                      "events": stats.events, "rejected": stats.rejected,
                      "thinned_total": stats.thinned_total, "oldest": stats.oldest},
            "upload": dict(self.upload_state),
        }
        line = one_line(status)
        if self.notifier is not None and line != self._status_line:
            self.notifier.status(line)
            self._status_line = line
        problem = ""
        try:
            try:
                self.status_file.update(status)
            except OSError as exc:
                if not (is_disk_full(exc) and self._room_made()):
                    raise
                self.status_file.update(status)
            if self.textfile:
                self.textfile.update(readings)
        except OSError as exc:
            problem = str(exc)
        if problem and problem != self._file_problem:  # once, not at every sample
            log.warning("cannot write the status files: %s", problem)
        self._file_problem = problem

    def _forget_config_errors(self, config: dict) -> None:
        """A config that loaded cleanly makes the errors about an earlier, broken one history:
        the cluster is healthy again as soon as the file is fixed, not an hour later."""
        since = config.get("time")
        if config.get("problems") or not since:
            return
        self.recent_errors = [e for e in self.recent_errors
                              if e["event"] not in CONFIG_EVENTS or e["time"] > since]


def _full(sample: Sample) -> bool:
    free = sample.summary.get("disk_free_bytes")
    return free is not None and free < DISK_FULL_BELOW


def _mark_full(sample: Sample) -> Sample:
    """The sample as the failed write saw it: no room left on the state filesystem."""
    return replace(sample, summary={**sample.summary, "disk_full": True})
