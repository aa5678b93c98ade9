"""Wiring for `signage-player run`: config, display, workers, the render loop, signals.

The run's parts are a player.runtime.Runtime. Workers start in dependency order (health, sync,
watch, remote) and stop in reverse in one `finally`; SIGTERM takes the same path as Ctrl-C. The
render loop runs on the main thread. A changed config is applied in place where it can be
(workers restarted with it, volume, power hours, fallback text, log level); a change of display,
fonts or state folder, a display reconnected or the X server lost stop the run cleanly and start
the program again in the same process.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.config import Config
from player.core.config_reader import load_config_lenient
from player.runtime import RunOptions, Runtime, board_event
from player.signals import StopSignals, flush_output, install_stop_signals, restart_in_place

if TYPE_CHECKING:  # the heavy parts are imported when the run starts, not with this module
    from player.core.playlist import Playlist

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PROBLEM, EXIT_ENVIRONMENT = 0, 1, 3


def read_config(path: Path | None) -> tuple[Config, list[str]]:
    """The device config; each bad value runs on its default (the screen stays lit) and says why."""
    config, problems = load_config_lenient(path)
    return config, [str(p) for p in problems]


@dataclass
class Outcome:
    """How a run ended: what the stop path does next."""

    reason: str | None = None  # None: an exception is on its way up, not a clean stop
    again: bool = False  # start again in place (same pid) rather than exit
    x_lost: bool = False  # the X server went away under SDL


def run(options: RunOptions) -> int:
    from player.render.display import DisplayError, DisplayKeeper

    signals = install_stop_signals()
    runtime = start_runtime(options)
    playlist, release = choose_content(runtime)
    if signals.reason is not None:  # told to stop while loading: no screen, no workers to start
        log.info("stopped: %s (before the first frame)", signals.reason)
        mark_clean_exit(runtime.config, signals.reason)
        return EXIT_OK
    keeper = DisplayKeeper(runtime.config.display, options.headless, options.size)
    try:
        display = keeper.open()  # a missing screen is waited for, not a reason to stop
    except DisplayError as exc:
        log.error("%s", exc)
        return EXIT_ENVIRONMENT
    outcome = Outcome()
    try:
        player = runtime.make_player(display, keeper, playlist, release)
        signals.attach(player)
        if signals.reason is None:
            runtime.start_workers()
        outcome.reason = player.run(options.exit_after, on_first_frame=runtime.first_frame)
        outcome.x_lost = keeper.x_lost
        outcome.again = player.restart and signals.reason is None
        log.info("stopped: %s", outcome.reason)
        return EXIT_OK
    finally:
        stop_run(runtime, signals, outcome)


def start_runtime(options: RunOptions) -> Runtime:
    """The config (each bad value on its default, and said), logging, and the run's parts."""
    config, config_errors = read_config(options.config_path)
    logging.getLogger().setLevel(config.log_level.upper())
    install_rate_limit()
    runtime = Runtime(config, options)
    for problem in config_errors:
        log.error("config: %s (the default is used instead)", problem)
        board_event(runtime.board, "error", "config_bad", f"config refused: {problem}")
    if runtime.board is not None:  # status says what is wrong with the config, or that it is fine
        runtime.board.set_config(config_errors, config.source)
    return runtime


def choose_content(runtime: Runtime) -> tuple[Playlist, int | None]:
    from player.content import choose_playlist
    from player.sync.store import releases_to_play

    playlist, release, errors = choose_playlist(runtime.config, runtime.options.playlist, releases_to_play)
    for error in errors:
        log.error("%s", error)
        board_event(runtime.board, "error", "playlist_bad", error)
    return playlist, release


def stop_run(runtime: Runtime, signals: StopSignals, outcome: Outcome) -> None:
    """The one stop path: workers in reverse order, the screen's power, the display, then
    exit, or start again in place."""
    from player.render.display import close_display

    signals.player = None  # a later signal has no loop to stop; the reason is kept
    if runtime.notifier is not None and not outcome.again:
        runtime.notifier.stopping()
    runtime.stop_workers()
    if runtime.player is not None and runtime.player.power is not None:
        runtime.player.power.close()
    if outcome.reason is not None:  # an exception on its way up is not a clean stop
        mark_clean_exit(runtime.config, outcome.reason)
    if not outcome.x_lost:  # SDL cannot let go of a dead X connection (see player.render.x11)
        close_display()
    if outcome.again:
        restart_in_place(outcome.reason or "restart", signals)
    elif outcome.x_lost:
        # Stopped while the X server was gone: SDL's own clean-up at interpreter exit would
        # sync with the dead server and exit through Xlib (status 1); leave right here.
        flush_output()
        os._exit(EXIT_OK)

def install_rate_limit() -> None:
    from player.ratelimit import install

    install()


def mark_clean_exit(config: Config, reason: str) -> None:
    from player.health.lifecycle import mark_clean_exit as mark

    try:
        mark(config.state_dir, reason)
    except OSError as exc:
        log.warning("cannot record the clean exit: %s", exc)
