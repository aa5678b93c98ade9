"""Stopping and starting again: SIGTERM, SIGINT and SIGHUP take the one clean stop path, and a
run that must start afresh (a new display, a config that needs it) does so in the same process.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType
from typing import Protocol

log = logging.getLogger(__name__)


class Stoppable(Protocol):
    """What a signal stops: the render loop."""

    def stop(self, reason: str, restart: bool = False) -> None: ...


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StopSignals:
    """SIGTERM, SIGINT and SIGHUP all take the one clean stop path, even during start-up.

    Installed once per process, as early as the command line allows (`install_stop_signals`),
    so a stop sent while pygame and the content are still loading is remembered and honoured
    when the player is attached instead of killing the process with the default action.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.player: Stoppable | None = None
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.on_signal)
        # A stop that arrived while the previous program in this process was starting again
        # in place was held blocked across the exec (see restart_in_place): it is delivered
        # here, now that the handlers are in place.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.reason = f"signal {signal.Signals(signum).name}"
        if self.player is not None:
            self.player.stop(self.reason)

    def attach(self, player: Stoppable) -> None:
        self.player = player
        if self.reason is not None:
            player.stop(self.reason)


_signals: StopSignals | None = None


def install_stop_signals() -> StopSignals:
    """The process's StopSignals, installed on the first call."""
    global _signals
    if _signals is None:
        _signals = StopSignals()
    return _signals


def restart_in_place(reason: str, signals: StopSignals | None = None) -> None:
    """Start this program again in this process. Same pid: systemd sees no stop and no start, so
    its start limit (a reboot when reached) counts only real crashes, never a screen switched
    off and on, an X server restarted or a config change that needs a fresh process."""
    # exec resets the handlers to the default action: a SIGTERM arriving from here until the new
    # program has installed its own would kill it (or, if it came just before, be forgotten and
    # leave a player running that was told to stop). Blocked signals stay pending across exec,
    # and the new program unblocks them once its handlers are in place.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    if signals is not None and signals.reason is not None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        log.info("not starting again: %s arrived while stopping", signals.reason)
        return
    log.warning("starting again in place (%s)", reason)
    flush_output()
    # Nothing of this run may stay open in the next one (the sound device, the spool, sockets).
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    try:
        os.execv(sys.executable, sys.orig_argv)
    except OSError as exc:  # then exit; systemd starts the player again
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        log.error("cannot start again in place: %s", exc)


def flush_output() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
