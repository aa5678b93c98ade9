"""Stopping the watcher leaves no error in the log, even with files changing in a watched folder."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import pytest

from player.watch import Watcher


def test_stops_while_files_change_log_no_watchdog_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "player.yaml"
    config.write_text("cluster: test\n", encoding="utf-8")
    (tmp_path / "playlist").mkdir()
    done = threading.Event()

    def churn() -> None:  # what the state folder beside the config does while the player runs
        count = 0
        while not done.is_set():
            (tmp_path / "state.tmp").write_text(str(count))
            (tmp_path / "playlist" / "notes.tmp").write_text(str(count))
            count += 1

    writer = threading.Thread(target=churn)
    caplog.set_level(logging.WARNING)
    writer.start()
    try:
        for _ in range(30):
            watcher = Watcher(config, [tmp_path / "playlist" / "playlist.yaml"], queue.Queue(),
                              media_root=tmp_path / "media")
            watcher.start()
            assert watcher.ready.wait(30)
            done.wait(0.02)
            watcher.stop()
            watcher.join(30)
            assert not watcher.is_alive()
    finally:
        done.set()
        writer.join()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("watchdog")] == []


def test_only_the_stop_race_is_held_back(caplog: pytest.LogCaptureFixture) -> None:
    inotify_log = logging.getLogger("watchdog.observers.inotify")
    with caplog.at_level(logging.WARNING):
        inotify_log.error("InotifyEmitter.queue_events() called when the thread is inactive")
        inotify_log.warning("Inotify queue overflowed; reconciling recursive watches below %r", "/x")
    assert [r.getMessage() for r in caplog.records] == [
        "Inotify queue overflowed; reconciling recursive watches below '/x'"]
