"""Wake held long-polls when a channel's manifest changes.

Three ways a change is learnt: an upload through this process (`notify`), a PostgreSQL
`NOTIFY` sent by an upload through another hub process sharing the database, and a periodic
look at the manifest files (for `signage-player publish` writing into the folder directly).
Long-polls are coroutines on the event loop; nothing here holds a thread per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from player.core.manifest import MANIFEST_NAME

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "signage_hub_manifest"


class ManifestChanges:
    """A generation counter the long-polls wait on; `notify` may be called from any thread."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.stopping = False
        self.generation = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def notify(self, _channel: str = "") -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)

    def stop(self) -> None:
        """End every held long-poll now (the hub is stopping)."""
        self.stopping = True
        self.notify()

    def _wake(self) -> None:
        self.generation += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, timeout: float) -> None:
        """Return at the next change, at stop, or after `timeout` seconds."""
        if self.stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


async def watch_manifest_files(channels: Path, changes: ManifestChanges, interval: float) -> None:
    """Notify when a manifest file changes on disk; one stat per channel per `interval`."""
    previous: dict[str, tuple] = {}
    while not changes.stopping:
        current = _manifest_stats(channels)
        if previous and current != previous:
            changes.notify()
        previous = current
        await asyncio.sleep(interval)


def _manifest_stats(channels: Path) -> dict[str, tuple]:
    stats: dict[str, tuple] = {}
    try:
        entries = list(os.scandir(channels))
    except OSError:
        return stats
    for entry in entries:
        try:
            info = os.stat(os.path.join(entry.path, MANIFEST_NAME))
        except OSError:
            continue
        stats[entry.name] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return stats


async def listen_postgresql(url: str, changes: ManifestChanges,
                            on_ready: Callable[[], None] = lambda: None) -> None:
    """LISTEN for manifests published by other hub processes; reconnects after a failure."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    while not changes.stopping:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as db:
                await db.execute(f"LISTEN {NOTIFY_CHANNEL}")
                on_ready()
                async for _note in db.notifies():
                    changes.notify()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database restarting must not end the hub
            log.warning("listening for manifest changes on PostgreSQL failed: %s; retrying", exc)
            await asyncio.sleep(2.0)
