"""Wiring for `signage-player run`: config, display, workers, the render loop, signals.

Workers start in dependency order and stop in reverse in one `finally`; SIGTERM takes the same
path as Ctrl-C. The render loop runs on the main thread.
"""

from __future__ import annotations

import logging
import queue
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from player.core.config import Config, load_config
from player.core.problems import LoadError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PROBLEM, EXIT_ENVIRONMENT = 0, 1, 3
EMERGENCY_FILE = "emergency.yaml"


@dataclass
class RunOptions:
    config_path: Path | None = None
    playlist: Path | None = None
    exit_after: float | None = None
    headless: bool = False
    size: tuple[int, int] | None = None


@dataclass
class Services:
    """The worker threads of one run, stopped in reverse order of starting."""

    started: list[Any] = field(default_factory=list)

    def start(self, worker: Any) -> Any:
        worker.start()
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in reversed(self.started):
            try:
                worker.stop()
            except Exception:
                log.exception("stopping %s", worker)
        for worker in reversed(self.started):
            worker.join(timeout=5)
            if worker.is_alive():
                log.warning("%s did not stop within 5 s", getattr(worker, "name", worker))


def read_config(path: Path | None) -> tuple[Config, list[str]]:
    """The device config; a broken file runs on defaults (the screen stays lit) and says why."""
    try:
        return load_config(path, must_exist=False), []
    except LoadError as exc:
        return Config(source=str(path)), [str(p) for p in exc.problems]


def run(options: RunOptions) -> int:
    from player.content import choose_playlist
    from player.render.display import DisplayError, open_display
    from player.render.loop import Player
    from player.render.text import FontSet

    signals = StopSignals()
    config, config_errors = read_config(options.config_path)
    logging.getLogger().setLevel(config.log_level.upper())
    for problem in config_errors:
        log.error("config: %s (running on defaults for this key)", problem)
    board = make_board(config)
    for problem in config_errors:
        board_event(board, "error", "config_bad", f"config refused: {problem}")
    playlist, release, errors = choose_playlist(config, options.playlist)
    for error in errors:
        log.error("%s", error)
        board_event(board, "error", "playlist_bad", error)
    try:
        display = open_display(config.display, options.headless, options.size)
    except DisplayError as exc:
        log.error("%s", exc)
        return EXIT_ENVIRONMENT
    notifier = make_notifier()
    inbox: queue.Queue = queue.Queue()
    services = Services()
    player = None
    try:
        fonts = FontSet.from_config(config.fonts.latin, config.fonts.cjk, config.fonts.cjk_index)
        if board is not None and hasattr(board, "set_display"):
            board.set_display(display.driver, display.size)
        player = Player(
            display, fonts, playlist, fallback_text=config.fallback, inbox=inbox, board=board,
            notifier=notifier, release=release, max_fps=config.display.max_fps,
            emergency_file=emergency_path(config), media=make_media(config, board),
            power=make_power(config), on_config=lambda path: reload_config(path, config),
        )
        signals.attach(player)
        start_workers(services, config, inbox, board, options)

        def first_frame() -> None:
            if notifier is not None:
                notifier.ready()
                notifier.status(f"playing {playlist.name}")

        reason = player.run(options.exit_after, on_first_frame=first_frame)
        log.info("stopped: %s", reason)
        return EXIT_OK
    finally:
        if notifier is not None:
            notifier.stopping()
        services.stop_all()
        mark_clean_exit(config)
        from player.render.display import close_display

        close_display()


def emergency_path(config: Config) -> Path:
    """`emergency.yaml` beside the device config (a technician's) or in the state folder."""
    if config.source not in ("(defaults)",) and Path(config.source).parent.is_dir():
        return Path(config.source).parent / EMERGENCY_FILE
    return config.state_dir / EMERGENCY_FILE


def reload_config(path: Path, current: Config) -> str | None:
    """Validate a changed config; 'restart' when it cannot apply in place, None otherwise."""
    try:
        new = load_config(path, must_exist=True)
    except LoadError as exc:
        log.error("config change refused, keeping the running config:\n%s", exc)
        return None
    if new.needs_restart_against(current):
        log.warning("config change needs a restart (display, fonts or state folder)")
        return "restart"
    log.info("config change applied")
    return None


class StopSignals:
    """SIGTERM, SIGINT and SIGHUP all take the one clean stop path, even during start-up."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.player: Any = None
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.on_signal)

    def on_signal(self, signum: int, _frame: Any) -> None:
        self.reason = f"signal {signal.Signals(signum).name}"
        if self.player is not None:
            self.player.stop(self.reason)

    def attach(self, player: Any) -> None:
        self.player = player
        if self.reason is not None:
            player.stop(self.reason)


def board_event(board: Any, severity: str, event: str, message: str) -> None:
    if board is not None:
        board.event(severity, event, message, {})


def make_board(config: Config) -> Any:
    try:
        from player.health.board import StatusBoard
    except ImportError:
        return None
    return StatusBoard(screenshot_interval=config.health.screenshot_interval)


def make_notifier() -> Any:
    try:
        from player.sdnotify import Notifier
    except ImportError:
        return None
    return Notifier.from_environment()


def make_power(config: Config) -> Any:
    if not config.power.off_hours:
        return None
    try:
        from player.power import PowerSchedule
    except ImportError:
        return None
    return PowerSchedule(config.power)


def make_media(config: Config, board: Any) -> Any:
    from player.render.mediaslides import MediaFactory

    return MediaFactory(config, board)


def start_workers(services: Services, config: Config, inbox: queue.Queue, board: Any,
                  options: RunOptions) -> None:
    """Health first (it records what the others report), then sync, then the file watcher."""
    if board is not None:
        try:
            from player.health.worker import HealthWorker

            services.start(HealthWorker(config, board))
        except ImportError:
            pass
    if config.sync.sources and options.playlist is None:
        try:
            from player.sync.worker import SyncWorker

            def on_event(severity: str, event: str, message: str, details: dict) -> None:
                if board is not None:
                    board.event(severity, event, message, details)

            services.start(SyncWorker(config, inbox, on_event))
        except ImportError:
            pass
    try:
        from player.watch import Watcher
    except ImportError:
        return
    paths = [p for p in ([options.playlist] if options.playlist else [config.playlist]) if p]
    config_path = options.config_path or Path("/etc/signage-player/player.yaml")
    services.start(Watcher(config_path, paths, inbox))


def mark_clean_exit(config: Config) -> None:
    try:
        from player.health.worker import mark_clean_exit as mark
    except ImportError:
        return
    try:
        mark(config.state_dir)
    except OSError as exc:
        log.warning("cannot record the clean exit: %s", exc)
