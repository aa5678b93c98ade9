"""The emergency message file a technician drops beside the device config.

`EmergencyFile.poll` is asked by the file watcher (never by the render loop, which must not
wait on a disk): it reads the file again only when its modification time changed and says what
changed as an `EmergencyChanged` message for the loop.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from player.core.messages import EmergencyChanged
from player.core.playlist import load_emergency
from player.core.problems import LoadError

log = logging.getLogger(__name__)


class EmergencyFile:
    """One emergency file and what was last read from it."""

    def __init__(self, path: Path, stat: Callable[[Path], os.stat_result] = os.stat) -> None:
        self.path = Path(path)
        self.stat = stat
        self.mtime: float | None = None  # of the version last read; None: no file
        self.present = False  # an emergency from this file is in force

    def poll(self, languages: tuple[str, ...]) -> EmergencyChanged | None:
        """What changed since the last poll, or None when nothing did."""
        try:
            mtime: float | None = self.stat(self.path).st_mtime
        except OSError:
            mtime = None
        if mtime == self.mtime:
            return None
        self.mtime = mtime
        if mtime is None:
            was, self.present = self.present, False
            return EmergencyChanged(self.path, None) if was else None
        try:
            item = load_emergency(self.path, languages)
        except (LoadError, OSError) as exc:
            self.present = False
            return EmergencyChanged(self.path, None, str(exc))
        self.present = True
        return EmergencyChanged(self.path, item)
