"""The one base for the player's worker threads: stoppable at once, stopped once.

Modelled on watchdog's `BaseThread`: the thread holds an Event; its loop waits with
`self.wait(timeout)` instead of sleeping, so `stop()` takes effect at once; `stop()` may be
called any number of times, from any thread, before or after the thread ran; `on_stop()` is
the hook that wakes whatever the thread blocks on, such as `STOP` put into the queue a reader
waits on.
"""

from __future__ import annotations

import threading
from typing import Final


class _Stop:
    def __repr__(self) -> str:
        return "STOP"


STOP: Final = _Stop()  # the sentinel that wakes a reader blocked on a queue


class StoppableThread(threading.Thread):
    """A named worker thread with an idempotent `stop()`; subclasses implement `run()`."""

    def __init__(self, name: str, daemon: bool = True) -> None:
        super().__init__(name=name, daemon=daemon)
        self._stop_event = threading.Event()
        self._stop_lock = threading.Lock()

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called."""
        return self._stop_event.is_set()

    def should_keep_running(self) -> bool:
        return not self._stop_event.is_set()

    def wait(self, timeout: float | None) -> bool:
        """Sleep up to `timeout` seconds, or less once stopped; True when stopped."""
        return self._stop_event.wait(timeout)

    def stop(self) -> None:
        """Ask the thread to end; returns at once (join to wait). A second call does nothing."""
        with self._stop_lock:
            if self._stop_event.is_set():
                return
            self._stop_event.set()
        self.on_stop()

    def on_stop(self) -> None:
        """Wake the thread where it blocks (a queue, a socket, a second Event)."""
