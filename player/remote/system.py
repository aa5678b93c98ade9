"""What a remote command does to the machine itself, behind one small interface.

``LinuxSystem`` reboots through systemd and reads the journal; tests hand the executor their
own implementation that records what it was asked (nothing reboots a test machine). Commands
run without a shell, with fixed arguments: nothing the hub sends reaches a command line except
a number of minutes the executor already checked.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from typing import Protocol

log = logging.getLogger(__name__)

UNIT = "signage-player"
JOURNAL_LIMIT = 32 * 1024 * 1024  # bytes of journal text read at most


class SystemActions(Protocol):
    """The machine actions remote commands may take."""

    def reboot(self) -> None:
        """Reboot the machine (returns; the reboot follows)."""

    def journal(self, minutes: int) -> bytes | None:
        """The player unit's journal of the last `minutes`, or None where there is none."""


class LinuxSystem:
    """systemd: `systemctl reboot`, `journalctl -u signage-player`."""

    def reboot(self) -> None:
        log.warning("rebooting the machine (remote command)")
        subprocess.run(["systemctl", "reboot"], check=True, timeout=60,
                       stdin=subprocess.DEVNULL, capture_output=True)

    def journal(self, minutes: int) -> bytes | None:
        journalctl = shutil.which("journalctl")
        if journalctl is None:
            return None
        try:
            done = subprocess.run(
                [journalctl, "-u", UNIT, "--since", f"-{int(minutes)}min", "--no-pager",
                 "-o", "short-iso", "-q"],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("cannot read the journal: %s", exc)
            return None
        if done.returncode != 0 or not done.stdout.strip():
            return None
        return done.stdout[-JOURNAL_LIMIT:]
