"""The display power schedule: screen-off hours, and the commands that turn a screen off/on.

The render loop asks `screen_off(now)` (then blanks and mutes) and calls `apply(off)` each
frame; a command runs once per change, without a shell, in the background with a time limit,
so a slow `cec-ctl` never stalls the picture.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from player.core.config import PowerConfig
from player.core.hours import in_any
from player.core.hours import in_hours as in_window  # noqa: F401 - the name this module gave it

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 15.0


class PowerSchedule:
    """Whether the screen should be off now, and the on/off commands run once per change."""

    def __init__(self, config: PowerConfig,
                 popen: Callable[..., subprocess.Popen] = subprocess.Popen,
                 timeout: float = COMMAND_TIMEOUT,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.popen = popen
        self.timeout = timeout
        self.monotonic = monotonic
        self.off: bool | None = None  # None: nothing applied yet
        self._process: subprocess.Popen | None = None
        self._command = ""
        self._errors: Any = None  # a temporary file with the running command's error output
        self._deadline = 0.0

    def screen_off(self, now: datetime) -> bool:
        """True inside any of `power.off_hours` (local wall-clock time of `now`)."""
        return in_any(now.time(), self.config.off_hours)

    def apply(self, off: bool) -> bool:
        """Run the off or on command if the state changed; returns True on a change."""
        self._reap()
        if off == self.off:
            return False
        self.off = off
        log.info("screen %s (power schedule)", "off" if off else "on")
        command = self.config.off_command if off else self.config.on_command
        if command:
            self._launch(command)
        return True

    def close(self) -> None:
        """Wait briefly for a running command, then end it."""
        if self._process is not None:
            try:
                self._process.wait(timeout=min(self.timeout, 3.0))
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._reap()

    def _launch(self, command: str) -> None:
        if self._process is not None and self._process.poll() is None:
            log.warning("power command %r still running; ending it for the newer one",
                        self._command)
            self._process.kill()
            self._process.wait()
        self._reap()
        try:
            args = shlex.split(command)
            # Its error output goes to a file, not a pipe: a helper the command left running in
            # the background would otherwise hold the pipe open and block the render loop's read.
            self._errors = tempfile.TemporaryFile()
            self._process = self.popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=self._errors, close_fds=True, start_new_session=True)
        except (OSError, ValueError) as exc:
            log.error("power command %r cannot run: %s", command, exc)
            self._process = None
            return
        self._command = command
        self._deadline = self.monotonic() + self.timeout

    def _reap(self) -> None:
        process = self._process
        if process is None:
            return
        code = process.poll()
        if code is None:
            if self.monotonic() < self._deadline:
                return
            log.error("power command %r took over %.0f s; ended", self._command, self.timeout)
            process.kill()
            process.wait()
        elif code != 0:
            log.error("power command %r failed (exit %d): %s", self._command, code, self._error_text())
        if self._errors is not None:
            self._errors.close()
            self._errors = None
        self._process = None

    def _error_text(self) -> str:
        if self._errors is None:
            return ""
        self._errors.seek(0)
        return self._errors.read(2000).decode(errors="replace").strip()
