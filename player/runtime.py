"""One run of the player: the config in force, the status board, the workers beside the render
loop and the loop itself.

Workers start in dependency order (health, sync, watch, remote) and stop in reverse. A changed
config is applied in place where it can be (workers restarted with it, volume, power hours,
fallback text, log level); a change of display, fonts or state folder asks for a restart.
player/app.py runs it and owns the one stop path.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from player.core.config import DEFAULT_CONFIG_PATH, Config
from player.core.config_reader import load_config
from player.core.emergency import EmergencyFile
from player.core.problems import LoadError

if TYPE_CHECKING:  # the heavy parts are imported when the run starts, not with this module
    from player.core.playlist import Playlist
    from player.health.board import StatusBoard
    from player.power import PowerSchedule
    from player.remote.worker import RemoteWorker
    from player.render.display import Display, DisplayKeeper
    from player.render.loop import Player
    from player.render.mediaslides import MediaFactory
    from player.sdnotify import Notifier
    from player.sync.worker import SyncWorker

log = logging.getLogger(__name__)

EMERGENCY_FILE = "emergency.yaml"
ORDER = ("health", "sync", "watch", "remote")  # start order; stop is the reverse


class Worker(Protocol):
    """A part that runs beside the render loop (player.stoppable.StoppableThread)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...

    def is_alive(self) -> bool: ...


@dataclass
class RunOptions:
    config_path: Path | None = None
    playlist: Path | None = None
    exit_after: float | None = None
    headless: bool = False
    size: tuple[int, int] | None = None


class Runtime:
    """One run of the player: the config in force, the board, the workers and the loop."""

    def __init__(self, config: Config, options: RunOptions):
        self.config = config
        self.options = options
        self.inbox: queue.Queue = queue.Queue()
        self.board = make_board(config)
        self.notifier = make_notifier()
        self.makers: dict[str, Callable[[], Worker | None]] = {
            "health": self.make_health, "sync": self.make_sync, "watch": self.make_watch,
            "remote": self.make_remote}
        self.workers: dict[str, Worker] = {}
        self.player: Player | None = None
        self.media: MediaFactory | None = None
        self.emergency = EmergencyFile(emergency_path(config))

    # -- workers ---------------------------------------------------------------------------

    def start_workers(self) -> None:
        for name in ORDER:
            self.start_worker(name)

    def start_worker(self, name: str) -> None:
        worker = self.makers[name]()
        if worker is not None:
            worker.start()
            self.workers[name] = worker

    def stop_worker(self, name: str) -> None:
        worker = self.workers.pop(name, None)
        if worker is None:
            return
        try:
            worker.stop()
        except Exception:
            log.exception("stopping the %s worker", name)
        worker.join(timeout=5)
        if worker.is_alive():
            log.warning("the %s worker did not stop within 5 s", name)

    def stop_workers(self) -> None:
        for name in reversed(ORDER):
            self.stop_worker(name)

    def make_health(self) -> Worker | None:
        if self.board is None:
            return None
        from player.health.worker import HealthWorker

        return HealthWorker(self.config, self.board, outbox=self.inbox, notifier=self.notifier,
                            on_answer=self.hub_answered if self.config.remote.enabled else None)

    def make_sync(self) -> Worker | None:
        if not self.config.sync.sources or self.options.playlist is not None:
            return None
        from player.sync.worker import SyncWorker

        board = self.board

        def on_event(severity: str, event: str, message: str, details: dict) -> None:
            if board is not None:
                board.event(severity, event, message, details)

        def on_sync(last_sync: dict) -> None:
            if board is not None:
                board.set_sync(**last_sync)

        return SyncWorker(self.config, self.inbox, on_event, on_sync=on_sync)

    # -- remote commands (player.remote) ---------------------------------------------------

    def make_remote(self) -> Worker | None:
        from player.remote.worker import make_remote

        return make_remote(self.config, self.inbox,
                           self.sync_now if self.config.sync.sources else None,
                           lambda: getattr(self.player, "release", None))

    def hub_answered(self, answer: dict) -> None:
        """A heartbeat answer from the hub (health thread): its commands go to the remote worker."""
        worker = cast("RemoteWorker | None", self.workers.get("remote"))
        if worker is not None:
            worker.offer(answer)

    def sync_now(self) -> str:
        """A sync pass now, for a remote command: its outcome in words."""
        from player.remote.executor import SYNC_WAIT

        worker = cast("SyncWorker | None", self.workers.get("sync"))
        if worker is None:
            return "no sync worker is running"
        result = worker.sync_now(SYNC_WAIT)
        if result is None:
            return f"no sync pass ended within {SYNC_WAIT:.0f} s; it goes on"
        words = result.result + (f": release {result.version}" if result.version else "")
        return words + (f" ({result.error})" if result.error else "")

    def make_watch(self) -> Worker | None:
        from player.watch import Watcher

        explicit = self.options.playlist
        paths = [p for p in ([explicit] if explicit else [self.config.playlist]) if p]
        local = [Path(s) for s in self.config.sync.sources if not s.startswith(("http://", "https://"))]
        return Watcher(self.options.config_path or DEFAULT_CONFIG_PATH, paths, self.inbox, board=self.board,
                       emergency=self.emergency, languages=self.playing_languages,
                       sync_folders=local, on_sync_folder=self.wake_sync)

    def wake_sync(self) -> None:
        """A local channel folder changed: the sync worker (if one runs) looks at it now."""
        from player.sync.worker import SyncWorker

        worker = self.workers.get("sync")
        if isinstance(worker, SyncWorker):
            worker.wake(full=False)  # a copy to the stick must not make the hub busy

    def playing_languages(self) -> tuple[str, ...]:
        """The languages of the playlist on screen: what an emergency message is read for."""
        return self.player.playlist.languages if self.player is not None else ("vi", "en")

    # -- config changes --------------------------------------------------------------------

    def apply_config(self, path: Path) -> str | None:
        """Validate and apply a changed config; 'restart' when it cannot apply in place."""
        try:
            new = load_config(path, must_exist=True)
        except LoadError as exc:
            log.error("config change refused, keeping the running config:\n%s", exc)
            board_event(self.board, "error", "config_invalid", f"config change refused: {exc.problems[0]}")
            return None
        old, self.config = self.config, new
        if new.needs_restart_against(old):
            log.warning("config change needs a restart (display, fonts or state folder)")
            return "restart"
        logging.getLogger().setLevel(new.log_level.upper())
        for name, changed in (("health", (new.health, new.cluster, new.remote.enabled)
                               != (old.health, old.cluster, old.remote.enabled)),
                              ("sync", (new.sync, new.cluster) != (old.sync, old.cluster)),
                              ("watch", new.sync.sources != old.sync.sources),  # its sync folders
                              ("remote", (new.remote, new.health, new.cluster)
                               != (old.remote, old.health, old.cluster))):
            if changed:
                self.stop_worker(name)
                self.start_worker(name)
        if self.board is not None:
            self.board.screenshot_interval = new.health.screenshot_interval
        if self.media is not None:
            self.media.set_config(new)
        if self.player is not None:
            self.player.reconfigure(new, make_power(new) if new.power != old.power else self.player.power)
            if new.playlist != old.playlist and new.playlist and self.options.playlist is None \
                    and self.player.release is None:
                self.player.load_new_playlist(new.playlist, None)
        log.info("config change applied")
        return None

    # -- the run ---------------------------------------------------------------------------

    def make_player(self, display: Display, keeper: DisplayKeeper, playlist: Playlist,
                    release: int | None) -> Player:
        """The render loop, with the emergency message in force at start on its first frame."""
        from player.render.loop import Player
        from player.render.text_fonts import FontSet

        config = self.config
        fonts = FontSet.from_config(config.fonts.latin, config.fonts.cjk, config.fonts.cjk_index)
        self.media = make_media(config, self.board)
        self.player = Player(
            display, fonts, playlist, fallback_text=config.fallback, inbox=self.inbox,
            board=self.board, notifier=self.notifier, release=release,
            max_fps=config.display.max_fps, media=self.media,
            power=make_power(config), on_config=self.apply_config,
            screenshot_width=config.health.screenshot_width, default_fit=config.display.fit,
            keeper=keeper,
        )
        # The watcher tells of later changes; one in force at start shows from the first frame.
        emergency = self.emergency.poll(playlist.languages)
        if emergency is not None:
            self.player.handle(emergency)
        return self.player

    def first_frame(self) -> None:
        if self.notifier is not None and self.player is not None:
            self.notifier.ready()
            display = self.player.display
            self.notifier.status(f"playing {self.player.playlist.name}" if display.available
                                 else f"display unavailable: {display.away}")


def emergency_path(config: Config) -> Path:
    """`emergency.yaml` beside the device config (a technician's) or in the state folder."""
    if config.source != "(defaults)" and Path(config.source).parent.is_dir():
        return Path(config.source).parent / EMERGENCY_FILE
    return config.state_dir / EMERGENCY_FILE


def board_event(board: StatusBoard | None, severity: str, event: str, message: str) -> None:
    if board is not None:
        board.event(severity, event, message, {})


def make_board(config: Config) -> StatusBoard:
    """The board, holding the last sync pass saved by an earlier run (or a `sync --once`), so
    heartbeats and `status` show it before this run's sync worker finishes a pass."""
    from player.health.board import StatusBoard
    from player.sync.state import read_last_sync

    board = StatusBoard(screenshot_interval=config.health.screenshot_interval)
    board.set_sync(**read_last_sync(config.state_dir))
    return board


def make_notifier() -> Notifier:
    from player.sdnotify import Notifier

    return Notifier.from_environment()


def make_power(config: Config) -> PowerSchedule | None:
    if not config.power.off_hours:
        return None
    from player.power import PowerSchedule

    return PowerSchedule(config.power)


def make_media(config: Config, board: StatusBoard | None) -> MediaFactory:
    from player.render.mediaslides import MediaFactory

    return MediaFactory(config, board)

