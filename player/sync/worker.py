"""The sync worker thread: polls the sources, posts ReleaseReady when new content is current.

Polls every `sync.interval` with jitter (so a fleet does not hit the hub in step), backs off
exponentially after failures, polls again at once after a hub held the request (`Prefer: wait`),
and checks local folders (a USB stick) every few seconds, and at once when the file watcher
(player/watch.py) sees one change.
Outside `sync.hours` only local folders are read.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as time_of_day
from pathlib import Path

from player.core.config import Config
from player.core.hours import in_any
from player.core.messages import ReleaseReady
from player.core.playlist_reader import read_ahead
from player.stoppable import StoppableThread
from player.sync.fetch import make_session
from player.sync.sources import FolderSource, make_source
from player.sync.syncer import PassResult, Syncer

log = logging.getLogger(__name__)

LOCAL_CHECK = 10.0  # seconds between looks at local folders (a stat each)
FIRST_RETRY = 30.0
LONG_POLL_WAIT = 25  # seconds a hub may hold a conditional manifest request
RETRY = (5.0, 300.0)  # after a failed start (a read-only state folder): first, longest wait


def in_hours(windows: tuple, moment: time_of_day) -> bool:
    """True when `moment` falls in one of the (start, end) windows; no windows means always."""
    return not windows or in_any(moment, windows)


def build_syncer(config: Config, on_event=None, stop: threading.Event | None = None,
                 **options) -> Syncer:
    """A Syncer with the sources of `config.sync` (one HTTP session shared by them)."""
    sync = config.sync
    session = make_session() if any(s.startswith("http") for s in sync.sources) else None
    wait = min(LONG_POLL_WAIT, int(sync.interval)) if sync.interval >= 1 else 0
    sources = [make_source(s, session, sync.timeout, sync.max_manifest_bytes, wait)
               for s in sync.sources]
    return Syncer(sync, config.state_dir, sources, on_event=on_event, stop=stop, **options)


class SyncWorker(StoppableThread):
    """Keeps `<state_dir>/current` up to date; posts ReleaseReady(version, playlist) to `outbox`.

    `on_event(severity, event, message, details)` hears of problems; `on_sync(last_sync)` hears
    of each pass that changed the saved outcome (`time`, `result`, `bytes`, `error`)."""

    def __init__(self, config: Config, outbox: queue.Queue,
                 on_event: Callable[[str, str, str, dict], None] | None = None,
                 clock: Callable[[], datetime] = datetime.now,
                 retry: tuple[float, float] = RETRY,
                 on_sync: Callable[[dict], None] | None = None):
        super().__init__(name="sync")  # daemon: a held long poll must not block exit
        self.config = config
        self.outbox = outbox
        self.on_event = on_event
        self.on_sync = on_sync
        self._last_sync: dict = {}
        self.clock = clock
        self._wake = threading.Event()
        self._full_requested = threading.Event()
        self._syncer: Syncer | None = None
        self._announced: tuple[int, Path] | None = None
        self.retry = retry  # seconds: first and longest wait before setting up again
        self.waiting = ""  # why the worker could not set up, while it waits ("" = fine)
        self._failed_starts = 0
        self._passes = threading.Condition()  # for sync_now (a remote command)
        self.passes_started = self.passes_done = 0
        self._prompt = False  # the next full pass asks without a long poll (under _passes)
        self.last_result: PassResult | None = None

    def on_stop(self) -> None:
        """A request in flight is cut; a wait ends at once."""
        self._wake.set()
        with self._passes:
            self._passes.notify_all()  # a sync_now waiting for a pass gives up at once
        syncer = self._syncer
        if syncer is not None:
            syncer.stop()

    def wake(self, full: bool = True) -> None:
        """Poll now; `full=False` looks at local folders only (a stick's files changed)."""
        if full:
            self._full_requested.set()
        self._wake.set()

    def sync_now(self, timeout: float) -> PassResult | None:
        """Ask for a full pass now and wait for one that started after this call; None when
        none ended in time. A held long poll is cut at once and that pass asks without one;
        a download under way ends first."""
        with self._passes:
            wanted = self.passes_started + 1
            self._prompt = True
        syncer = self._syncer
        if syncer is not None:
            syncer.hurry()
        self.wake(full=True)
        with self._passes:
            if not self._passes.wait_for(lambda: self.passes_done >= wanted
                                         or self.stopping, timeout):
                return None
            return self.last_result if self.passes_done >= wanted else None

    def run(self) -> None:
        while self.should_keep_running():
            try:
                self._start_and_poll()
                return
            except Exception as exc:  # the screen keeps playing; content comes again later
                first, longest = self.retry
                delay = min(longest, first * 2 ** min(self._failed_starts, 20))
                delay *= random.uniform(0.5, 1.0)
                self._failed_starts += 1
                problem = f"{type(exc).__name__}: {exc}"
                if problem != self.waiting:  # once per cause, not at every try
                    log.error("sync waits: %s (trying again, next in %.0f s)", problem, delay,
                              exc_info=not isinstance(exc, OSError))
                    if self.on_event:
                        self.on_event("error", "sync_failed",
                                      f"sync cannot run yet: {problem}; it tries again", {})
                self.waiting = problem
                self.wait(delay)

    def _start_and_poll(self) -> None:
        """Set up (the store, the `current` link), then poll until stopped."""
        syncer = build_syncer(self.config, self.on_event, self._stop_event)
        self._syncer = syncer
        try:
            if self.stopping:
                return
            current = syncer.store.current()  # what the render loop found by itself at start
            self._announced = (current.version, current.path) if current else None
            # before re-hashing the store (minutes on a large SD card): the loop shows the
            # fallback slide until then; a damaged object found next is handled as ever
            if syncer.restore_current() is not None:
                self._post(syncer)
            syncer.prepare()
            if self.waiting:
                log.warning("sync works again (was: %s)", self.waiting)
                self.waiting = ""
            self._failed_starts = 0
            self._loop(syncer)
        finally:
            syncer.close()

    def _loop(self, syncer: Syncer) -> None:
        sync = self.config.sync
        failures = 0
        next_poll = time.monotonic()
        has_local = any(isinstance(s, FolderSource) for s in syncer.sources)
        while self.should_keep_running():
            due = time.monotonic() >= next_poll
            full = due and in_hours(sync.hours, self.clock().time())
            if full or has_local:
                result = self._one_pass(syncer, full)
                if full and result.result == "interrupted":
                    next_poll = time.monotonic()  # the pass cut short is asked for again
                elif full:
                    failures = failures + 1 if result.result == "failed" else 0
                    next_poll = time.monotonic() + self._delay(result, failures)
            wait = max(0.05, next_poll - time.monotonic())
            if has_local:
                wait = min(wait, LOCAL_CHECK)
            if due and not full:
                wait = min(wait, 60.0)  # outside sync hours: look at the clock once a minute
            if self._wake.wait(wait):
                self._wake.clear()
                if self._full_requested.is_set():
                    self._full_requested.clear()
                    next_poll = time.monotonic()

    def _one_pass(self, syncer: Syncer, full: bool) -> PassResult:
        """A full pass (the sources asked) or a look at local folders only, counted and posted."""
        prompt = False
        if full:
            with self._passes:
                self.passes_started += 1
                prompt, self._prompt = self._prompt, False
        try:
            result = syncer.run_once(local_only=not full, hold=not prompt)
        except Exception as exc:  # never let one odd answer end syncing for good
            log.exception("sync pass failed unexpectedly")
            self._report_unexpected(exc)
            result = PassResult("failed", error=str(exc))
        self._post(syncer)
        self._report_sync(syncer)
        if full:
            with self._passes:
                self.passes_done, self.last_result = self.passes_done + 1, result
                self._passes.notify_all()
        return result

    def _report_sync(self, syncer: Syncer) -> None:
        """Tell `on_sync` the saved outcome when it changed (local checks run every few seconds)."""
        summary = syncer.state.last_sync()
        if self.on_sync is None or not summary or summary == self._last_sync:
            return
        self._last_sync = summary
        try:
            self.on_sync(summary)
        except Exception:  # a listener's fault must not end syncing
            log.exception("reporting the sync outcome")

    def _report_unexpected(self, exc: Exception) -> None:
        if self.on_event is not None:
            try:
                self.on_event("error", "sync_failed", f"sync pass failed: {type(exc).__name__}: {exc}", {})
            except Exception:
                log.exception("reporting a sync failure")

    def _delay(self, result: PassResult, failures: int) -> float:
        sync = self.config.sync
        if (result.waited or result.asked_full) and result.result != "failed":
            # the hub held the request until a change or its timeout, or could not hold it
            # (no ETag yet: at start, after new content): ask again, conditionally
            return 1.0
        base = sync.interval
        if failures:
            base = min(sync.interval, FIRST_RETRY * 2 ** (failures - 1))
        return max(1.0, base * (1 + random.uniform(-sync.jitter, sync.jitter)))

    def _post(self, syncer: Syncer) -> None:
        """Announce `current` whenever it moved, by this thread or by a `sync --once`."""
        current = syncer.store.current()
        seen = (current.version, current.path) if current else None
        if current is not None and seen != self._announced:
            self.outbox.put(ReleaseReady(current.version, current.playlist, read_ahead(current.playlist)))
        self._announced = seen
