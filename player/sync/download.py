"""Downloading a release's missing objects into the store: the disk-space guard first, then each
object smallest first, its size and sha256 verified, retried with backoff from a server (a local
folder is read once: waiting does not make it better)."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable
from typing import Any

from player.core.config import SyncConfig
from player.core.manifest import Manifest
from player.sync.fetch import FetchError, RateLimiter, Stopped
from player.sync.sources import FolderSource, HttpSource
from player.sync.state import SyncState
from player.sync.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
EventSink = Callable[[str, str, str, dict], None]


class DiskLow(OSError):
    def __init__(self, needed: int, free: int, min_free: int):
        super().__init__(errno.ENOSPC, f"the new release needs {needed} bytes but only {free} are "
                         f"free and sync.min_free keeps {min_free}; not downloaded")


class Downloader:
    """Fetches what a manifest needs and the store lacks; raises FetchError, Stopped, DiskLow."""

    def __init__(self, config: SyncConfig, store: Store, state: SyncState,
                 stop_event: threading.Event, disk_usage: Callable[[Any], Any],
                 report: EventSink, attempts: int, retry_wait: float):
        self.config = config
        self.store = store
        self.state = state
        self.stop_event = stop_event
        self.disk_usage = disk_usage
        self.report = report
        self.attempts = attempts
        self.retry_wait = retry_wait

    def download(self, source: HttpSource | FolderSource, manifest: Manifest,
                 progress: Progress | None) -> int:
        """Bytes downloaded for `manifest`'s missing objects, all installed in the store."""
        self.store.collect_garbage(pending=manifest)
        needed = self.store.bytes_to_fetch(manifest)
        free = self.disk_usage(self.store.root).free
        if free - needed < self.config.min_free:
            raise DiskLow(needed, free, self.config.min_free)
        self.state.update(bytes_pending=needed)
        total, done = needed, 0
        limiter = RateLimiter(self.config.bandwidth_limit, self.stop_event.wait)

        def on_bytes(count: int) -> None:
            nonlocal done
            done += count
            limiter.consume(count)
            if progress:
                progress(done, total)

        if progress and total:
            progress(0, total)
        for sha, size in sorted(self.store.missing_objects(manifest).items(), key=lambda i: i[1]):
            self._fetch_object(source, sha, size, on_bytes)
        return done

    def _fetch_object(self, source: HttpSource | FolderSource, sha: str, size: int,
                      on_bytes: Callable[[int], None]) -> None:
        partial = self.store.partial_path(sha)
        last_error = ""
        attempts = 1 if isinstance(source, FolderSource) else self.attempts
        for attempt in range(attempts):
            if attempt and self.stop_event.wait(self.retry_wait * 2 ** (attempt - 1)):
                raise Stopped()
            try:
                digest = source.fetch_object(sha, size, partial, on_bytes, self.stop_event.is_set)
            except FetchError as exc:
                last_error = str(exc)
                log.info("object %s: %s (attempt %d of %d)", sha[:12], exc, attempt + 1,
                         attempts)
                continue
            if digest == sha:
                self.store.install_object(sha)
                return
            partial.unlink(missing_ok=True)
            last_error = f"object {sha[:12]} arrived with the wrong sha256 ({digest[:12]})"
            self.report("warning", "file_bad", f"{source.name}: {last_error}; discarded",
                        {"source": source.name, "object": sha})
        raise FetchError(last_error)
