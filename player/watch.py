"""The one file watcher: the config file, local playlists, sync folders, USB sticks, emergencies.

The emergency message file is read here too, so the render loop never waits on the disk for it.
Changes are debounced (an editor writes several times; a copy to a stick takes a while) and
posted to the render loop's queue: `ConfigChanged` only for a config that validates (an invalid
one is logged, reported and ignored, so the old one stays), `PlaylistChanged` for a playlist
whose folder changed or that a plugged-in stick carries, and `StopRequested(restart=True)` when
that stick is pulled out (the restarted player plays its normal content again).
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from player.core.config_reader import load_config
from player.core.emergency import EmergencyFile
from player.core.messages import ConfigChanged, PlaylistChanged, StopRequested
from player.core.playlist_reader import read_ahead
from player.core.problems import LoadError
from player.stoppable import StoppableThread

log = logging.getLogger(__name__)

EMERGENCY_DEBOUNCE = 0.25  # seconds of quiet after the emergency file changed before it is read
USB_PLAYLISTS = ("signage/playlist.yaml", "playlist.yaml")  # looked for on a stick, in order


class _StopRaceFilter(logging.Filter):
    """Drops watchdog's ERROR for an inotify event that arrives while its emitter stops.

    The event is dropped, as it should be at a stop, but watchdog logs "queue_events() called
    when the thread is inactive" at ERROR level: with files changing in a watched folder (the
    state folder beside the config, an editor), the journal showed an error at nearly every
    stop that was no fault at all.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("InotifyEmitter.queue_events() called when the thread is inactive")


logging.getLogger("watchdog.observers.inotify").addFilter(_StopRaceFilter())


class Watcher(StoppableThread):
    """Posts ConfigChanged / PlaylistChanged to `outbox`; `stop()` then `join()`."""

    def __init__(self, config_path: Path, playlist_paths: list[Path], outbox: queue.Queue, *,
                 media_root: Path = Path("/media"), debounce: float = 1.0,
                 poll_interval: float = 5.0, board: Any = None,
                 ismount: Callable[[str], bool] = os.path.ismount,
                 emergency: EmergencyFile | None = None,
                 languages: Callable[[], tuple[str, ...]] = lambda: ("vi", "en"),
                 sync_folders: Sequence[Path] = (),
                 on_sync_folder: Callable[[], None] | None = None) -> None:
        super().__init__(name="watch")
        self.config_path = Path(config_path).absolute()
        self.playlists = [Path(p).absolute() for p in playlist_paths]
        self.outbox = outbox
        self.media_root = media_root
        self.debounce = debounce
        self.poll_interval = poll_interval
        self.board = board  # a StatusBoard, to report a refused config
        self.ismount = ismount
        # The emergency file is read here, off the render thread, for the playlist's languages.
        self.emergency = emergency
        self.emergency_path = emergency.path.absolute() if emergency is not None else None
        self.languages = languages
        # Local channel folders (a stick, a share) of sync: a change wakes the sync worker.
        self.sync_folders = [Path(p).absolute() for p in sync_folders]
        self.on_sync_folder = on_sync_folder
        self._kick = threading.Event()
        self._lock = threading.Lock()
        self._due: dict[Path, float] = {}  # what changed -> when to act (after the quiet time)
        self._config_digest = _digest(self.config_path)
        self._sticks: dict[Path, Path] = {}  # mount point -> playlist found on it
        self._observer = None
        self.ready = threading.Event()  # set once the watches are in place

    def on_stop(self) -> None:
        self._kick.set()

    def run(self) -> None:
        self._observer = self._start_observer()
        self._sticks = self._scan_media()
        self.ready.set()
        next_poll = time.monotonic() + self.poll_interval
        try:
            while self.should_keep_running():
                now = time.monotonic()
                try:
                    if now >= next_poll:
                        next_poll = now + self.poll_interval
                        self._poll_media()
                        self._emergency_changed()  # a file event lost or a folder made later
                    for target in self._take_due(now):
                        self._act(target)
                except Exception:  # a stick pulled out mid-scan (EIO) must not end watching
                    log.exception("watching for changes failed once; going on")
                with self._lock:
                    wake = min([next_poll, *self._due.values()])
                self._kick.wait(max(0.0, wake - time.monotonic()))
                self._kick.clear()
        finally:
            if self._observer is not None:
                self._observer.stop()
                self._observer.join(5)

    def changed(self, target: Path) -> None:
        """Note a change of the config file or of a playlist (acted on after the quiet time)."""
        # An emergency message must be up within a second (docs/config.md): a short quiet time.
        quiet = min(self.debounce, EMERGENCY_DEBOUNCE) if target == self.emergency_path else self.debounce
        with self._lock:
            self._due[target] = time.monotonic() + quiet
        self._kick.set()

    def _start_observer(self):
        handler = _Handler(self)
        folders = {self.config_path.parent: False}
        if self.emergency_path is not None:
            folders.setdefault(self.emergency_path.parent, False)
        for folder in self.sync_folders:
            folders.setdefault(folder, False)
        for playlist in self.playlists:
            folder = playlist if playlist.is_dir() else playlist.parent
            folders[folder] = True
        for factory in (Observer, PollingObserver):
            observer = factory()
            try:
                for folder, recursive in folders.items():
                    if folder.is_dir():
                        observer.schedule(handler, str(folder), recursive=recursive)
                    else:
                        log.warning("cannot watch %s: no such folder", folder)
                observer.start()
                return observer
            except OSError as exc:  # inotify watch or instance limits
                log.warning("file watching with %s failed (%s); polling instead",
                            factory.__name__, exc)
        return None

    def _take_due(self, now: float) -> list[Path]:
        with self._lock:
            due = [target for target, when in self._due.items() if when <= now]
            for target in due:
                del self._due[target]
        return due

    def _act(self, target: Path) -> None:
        if target == self.config_path:
            self._config_changed()
        elif target == self.emergency_path:
            self._emergency_changed()
        else:
            log.info("playlist %s changed on disk; reloading at the next item", target)
            self.outbox.put(PlaylistChanged(target, read_ahead(target)))

    def _config_changed(self) -> None:
        digest = _digest(self.config_path)
        if digest == self._config_digest:
            return  # touched or rewritten with the same bytes
        try:
            load_config(self.config_path, must_exist=True)
        except (LoadError, OSError) as exc:
            log.error("the changed config %s is refused, the old one stays:\n%s",
                      self.config_path, exc)
            if self.board is not None:
                lines = str(exc).splitlines()
                self.board.event("error", "config_invalid",
                                 f"{self.config_path} refused: {lines[0]}",
                                 {"problems": lines[:20]})
                self.board.set_config([f"{self.config_path} refused, the previous config "
                                       f"runs: {line.strip()}" for line in lines[:3]],
                                      str(self.config_path))
            self._config_digest = digest
            return
        self._config_digest = digest
        if self.board is not None:  # fixed: the earlier refusal is history at once
            self.board.set_config([], str(self.config_path))
        log.info("config %s changed; applying at the next item", self.config_path)
        self.outbox.put(ConfigChanged(self.config_path))

    def _emergency_changed(self) -> None:
        if self.emergency is None:
            return
        change = self.emergency.poll(self.languages())
        if change is not None:
            log.info("emergency file %s changed", self.emergency.path)
            self.outbox.put(change)

    def _scan_media(self) -> dict[Path, Path]:
        """Mounted sticks (`/media/X` or `/media/user/X`) that carry a playlist."""
        found: dict[Path, Path] = {}
        try:
            candidates = [p for p in self.media_root.iterdir() if p.is_dir()]
            candidates += [q for p in list(candidates) if not self.ismount(str(p))
                           for q in p.iterdir() if q.is_dir()]
        except OSError:
            return found
        for mount in candidates:
            if not self.ismount(str(mount)):
                continue
            for name in USB_PLAYLISTS:
                if (mount / name).is_file():
                    found[mount] = mount / name
                    break
        return found

    def _poll_media(self) -> None:
        sticks = self._scan_media()
        for mount, playlist in sticks.items():
            if self._sticks.get(mount) != playlist:
                log.info("USB stick at %s carries %s", mount, playlist)
                self.outbox.put(PlaylistChanged(playlist, read_ahead(playlist)))
        for mount in self._sticks:
            if mount not in sticks:
                # what plays normally (a synced release, the config's playlist) is chosen at
                # start: a clean restart returns to it, whatever it is
                log.info("USB stick at %s was removed; restarting on the normal content", mount)
                self.outbox.put(StopRequested(f"USB stick at {mount} removed", restart=True))
        self._sticks = sticks


class _Handler(FileSystemEventHandler):
    """Maps file events to the config file or to the playlist whose folder they touch."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder "modified" repeats the event of the file inside it
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            if _is_scratch(path):
                continue
            if path in (self.watcher.config_path, self.watcher.emergency_path):
                self.watcher.changed(path)
                continue
            if self.watcher.on_sync_folder is not None and (
                    path in self.watcher.sync_folders or path.parent in self.watcher.sync_folders):
                self.watcher.on_sync_folder()  # cheap: the sync worker reads local folders only
            for playlist in self.watcher.playlists:
                folder = playlist if playlist.is_dir() else playlist.parent
                if path == folder or folder in path.parents:
                    self.watcher.changed(playlist)


def _is_scratch(path: Path) -> bool:
    """Editor and copy leftovers (.swp, ~, .#x, .part) never trigger a reload."""
    name = path.name
    return (name.startswith((".#", "~")) or name.endswith(("~", ".swp", ".swx", ".part", ".tmp"))
            or (name.startswith(".") and name not in (".", "..")))


def _digest(path: Path) -> bytes | None:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None
