"""The health worker thread: sample, raise alarms, hand reports to the spool, upload them and
write the status files (each of those in its own module; this one keeps time and order)."""

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
from player.health.handoff import SpoolHandoff
from player.health.lifecycle import EXIT_FILE, previous_exit, process_uptime
from player.health.readings import Sample, Sampler, kernel_clock_synchronised
from player.health.reports import Stamp, heartbeat_report, iso
from player.health.reserve import Reserve
from player.health.spool import Spool
from player.health.status import (
    DISK_FULL_BELOW,
    alarm_events,
    alarms,
    player_alarms,
    write_atomic,
)
from player.health.status_writer import StatusWriter, status_document
from player.health.upload_round import UploadRound
from player.health.uploader import Backoff, Uploader

log = logging.getLogger(__name__)

SPOOL_FILE = "reports.sqlite"
WAKE_GAP = 5.0  # at most one early spool or status write (error event, new item) this often
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
        self._setup_retry = setup_retry
        self.waiting_for_state: str = ""  # why the state folder cannot be used yet ("" = fine)
        self.reserve = Reserve(config.state_dir)
        self.handoff = SpoolHandoff(board, self.reserve, self.health.write_interval, monotonic)
        self.uploads = UploadRound(self.health.report_url, self.health.upload_interval)
        self._readings: dict[str, float] = {}
        self.last_sample: Sample | None = None
        self.ticks = 0
        self._last_failure = ""
        self.on_answer = on_answer  # the hub's answers: remote commands ride in them

    def stop(self) -> None:
        """Stop sampling; what waits in memory is written to the spool here and now, so a
        join() that gives up on a slow upload loses nothing."""
        self._stopped.set()
        self.board.wake.set()
        self.handoff.write_at_stop()

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
                self.handoff.close_spool()
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

    def _close(self) -> None:
        self.handoff.close()
        self.uploads.close()

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
        self.handoff.open(spool, self.stamp)
        self.sampler = Sampler(self.health, self.state_dir, self.root, self._statvfs,
                               clock_synced=self._clock_synced)
        self.status_writer = StatusWriter(self.state_dir, self.health.prometheus_textfile,
                                          room_made=self.handoff.room_made,
                                          notifier=self.notifier, monotonic=self._monotonic)
        self.uploads.connect(self._make_uploader())
        if severity:  # not for a worker restarted in the same process: nothing ended
            self.board.event(severity, "restarted", message,
                             {"previous": details} if details else None)
        else:
            log.info("%s", message)

    def _make_uploader(self) -> Uploader | None:
        if not self.health.report_url:
            return None
        # short timeouts: a stop must not wait long for a hub that does not answer
        return Uploader(self.health.report_url, self.health.token, self.config.cluster,
                        self._session, timeout=(5.0, 20.0), on_answer=self.on_answer)

    def _loop(self) -> None:
        now = self._monotonic()
        next_sample = next_upload = now
        self.handoff.next_write = now + self.health.write_interval
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
            uploading = self.uploads.uploader is not None
            if uploading and now >= next_upload and not self._stopped.is_set():
                next_upload = now + self._safe_upload()
            wait = min(next_sample, next_upload if uploading else next_sample)
            if self.board.wake.is_set():
                wait = min(wait, last_wake + WAKE_GAP)
                self._stopped.wait(max(0.0, wait - self._monotonic()))
            else:
                self.board.wake.wait(max(0.0, wait - self._monotonic()))

    def _safe_upload(self) -> float:
        """An upload round whose unexpected failure is logged and waited out; the seconds until
        the next round."""
        try:
            delay = self._upload()
        except Exception:  # an odd answer must not end reporting for good
            log.exception("heartbeat upload failed unexpectedly")
            delay = self.uploads.backoff.next_delay()
        self.refresh_status()  # the spool count and the upload result as they are now
        return delay

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
        if self.handoff.disk_full and not _full(sample):
            sample = _mark_full(sample)  # a write found no room though statvfs shows some
        self.handoff.disk_full = False
        self.last_sample = sample
        self.stamp.update(sample.uptime, sample.clock_synced)
        self.board.changed.clear()  # before the snapshot: a change after it wakes us again
        player = self._player()
        self._raise_alarms(sample, player)
        reports, errors = self.board.drain()
        player["errors"] = errors
        readings = dict(sample.readings)
        readings.update(self._own_readings(player))
        self._readings = readings
        reports.append(heartbeat_report(sample.summary, readings, player))
        self.handoff.add(reports, errors)
        if self.handoff.due() or errors:
            self._spool_pending()
        self._write_status(sample, player, readings)
        self.ticks += 1

    def _raise_alarms(self, sample: Sample, player: dict) -> None:
        """Events for the alarms raised and cleared since the last sample."""
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

    def refresh_status(self) -> None:
        """Rewrite status.json from the last sample and the board as it is now (no new
        sample, no heartbeat): what is on screen and what waits change between samples."""
        if self.last_sample is None or self.handoff.spool is None:
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
        self.handoff.write_pending()

    def _upload(self) -> float:
        """Upload what is waiting; returns the seconds until the next try."""
        return self.uploads.run(self.handoff, self._stopped)

    def _own_readings(self, player: dict) -> dict[str, float]:
        stats = self.handoff.open_spool.stats()
        return {
            "signage_frames_total": float(player.get("frames", 0)),
            "signage_late_frames_total": float(player.get("late_frames", 0)),
            "signage_audio_present": float(bool(player.get("audio"))),
            "signage_spool_reports": float(stats.reports),
            "signage_spool_bytes": float(stats.bytes),
            "signage_spool_thinned_total": float(stats.thinned_total),
            "signage_reports_uploaded_total": float(self.uploads.sent_total),
        }

    def _write_status(self, sample: Sample, player: dict, readings: dict) -> None:
        stats = self.handoff.open_spool.stats()
        config = self.board.config_state()
        self.handoff.forget_config_errors(config)
        status = status_document(
            self.config.cluster, self.health.interval, sample, player, alarms=self.alarms,
            errors=self.handoff.recent_errors, config=config, spool=stats,
            in_memory=self.handoff.in_memory(), upload=self.uploads.state)
        self.status_writer.write(status, readings)


def _full(sample: Sample) -> bool:
    free = sample.summary.get("disk_free_bytes")
    return free is not None and free < DISK_FULL_BELOW


def _mark_full(sample: Sample) -> Sample:
    """The sample as the failed write saw it: no room left on the state filesystem."""
    return replace(sample, summary={**sample.summary, "disk_full": True})
