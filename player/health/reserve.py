"""A few megabytes kept aside in the state folder, given up when the disk is full.

A full state filesystem must still let the player say so: with the reserve released there is
room for `status.json`, the `disk_full` event and fresh heartbeats in the spool.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

RESERVE_NAME = ".reserve"
RESERVE_BYTES = 2 * 1024**2


def is_disk_full(exc: BaseException) -> bool:
    """True for "no space left" from the OS or from SQLite."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == 13 or "disk is full" in str(exc)
    return False


class Reserve:
    """A file of `size` bytes in `folder`, really allocated (not sparse)."""

    def __init__(self, folder: Path, size: int = RESERVE_BYTES) -> None:
        self.path = Path(folder) / RESERVE_NAME
        self.size = size

    def held(self) -> bool:
        try:
            return self.path.stat().st_size >= self.size
        except OSError:
            return False

    def ensure(self, free: float | None) -> None:
        """Create the reserve when it is missing and the disk has plenty of room for it."""
        if free is None or free < 4 * self.size or self.held():
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.size)
            finally:
                os.close(fd)
        except OSError as exc:  # a read-only or odd filesystem: no reserve, nothing worse
            log.debug("cannot keep a reserve in %s: %s", self.path, exc)
            try:
                self.path.unlink(missing_ok=True)  # never leave a half-allocated one behind
            except OSError:
                pass

    def release(self) -> bool:
        """Give the space back; True when there was a reserve to give."""
        try:
            self.path.unlink()
        except OSError:
            return False
        log.warning("the state filesystem is full: released %d kB kept for this", self.size // 1024)
        return True
