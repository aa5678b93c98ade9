"""Where the worker's view of the box goes between heartbeats: status.json, the Prometheus text
file and the STATUS= line of `systemctl status`."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from player.health.lifecycle import STATUS_FILE
from player.health.prometheus import TextFile
from player.health.readings import Sample
from player.health.reports import iso
from player.health.reserve import is_disk_full
from player.health.spool import SpoolStats
from player.health.status import STATUS_FORMAT, StatusFile, one_line, stale_after

log = logging.getLogger(__name__)


def status_document(cluster: str, interval: float, sample: Sample, player: dict, *,
                    alarms: dict[str, str], errors: list[dict], config: dict,
                    spool: SpoolStats, in_memory: int, upload: dict) -> dict:
    """status.json's content (docs/operations.md): the sample, the player, the spool, uploads."""
    return {
        "format": STATUS_FORMAT, "state": "running", "cluster": cluster,
        "time": iso(), "stale_after": stale_after(interval), "pid": os.getpid(),
        "boot_id": sample.boot_id, "machine_uptime": sample.uptime,
        "process_uptime": player.get("process_uptime"),
        "clock_synced": sample.clock_synced, "summary": sample.summary,
        "alarms": alarms, "errors_recent": errors, "player": player,
        "config": config,
        "spool": {"reports": spool.reports, "in_memory": in_memory, "bytes": spool.bytes,
                  "events": spool.events, "rejected": spool.rejected,
                  "thinned_total": spool.thinned_total, "oldest": spool.oldest},
        "upload": dict(upload),
    }


class StatusWriter:
    """Writes the status files of one state folder; a failure is logged once per cause, and a
    full disk gets one more try after `room_made` freed the reserve."""

    def __init__(self, state_dir: Path, textfile: str, *, room_made: Callable[[], bool],
                 notifier: Any = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.file = StatusFile(state_dir / STATUS_FILE, monotonic)
        self.textfile = TextFile(Path(textfile)) if textfile else None
        self.notifier = notifier  # a player.sdnotify.Notifier: STATUS= for `systemctl status`
        self._room_made = room_made
        self._line = ""
        self._problem = ""

    def write(self, status: dict, readings: dict) -> None:
        line = one_line(status)
        if self.notifier is not None and line != self._line:
            self.notifier.status(line)
            self._line = line
        problem = ""
        try:
            try:
                self.file.update(status)
            except OSError as exc:
                if not (is_disk_full(exc) and self._room_made()):
                    raise
                self.file.update(status)
            if self.textfile:
                self.textfile.update(readings)
        except OSError as exc:
            problem = str(exc)
        if problem and problem != self._problem:  # once, not at every sample
            log.warning("cannot write the status files: %s", problem)
        self._problem = problem
