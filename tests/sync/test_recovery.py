"""The sync worker recovers by itself: a lost `current` link, a read-only state folder."""

from __future__ import annotations

import os
import queue
import socket
import time

import pytest

from player.core.messages import ReleaseReady
from player.sync.store import Store, current_release
from player.sync.worker import SyncWorker
from tests.health.mounts import tmpfs
from tests.sync.kit import device_config, event_names, make_syncer, publish_files, sync_config

pytestmark = pytest.mark.timeout(90)

FILES = {"media/a.jpg": b"A" * 3000}


def dead_url() -> str:
    """An address where nothing listens: the hub is unreachable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/channel"


def two_releases(tmp_path, key, server) -> Store:
    state = tmp_path / "state"
    syncer = make_syncer(state, key, server.url)
    publish_files(tmp_path / "src", server.root, key, FILES)
    assert syncer.run_once().result == "updated"
    publish_files(tmp_path / "src", server.root, key, {"media/a.jpg": b"B" * 3000})
    assert syncer.run_once().result == "updated"
    syncer.close()
    return Store(state)


def start_offline(tmp_path, key, **options) -> tuple[SyncWorker, queue.Queue, list]:
    outbox: queue.Queue = queue.Queue()
    events: list = []
    config = device_config(tmp_path / "state",
                           sync_config(key, [dead_url()], interval=3600, timeout=1.0))
    worker = SyncWorker(config, outbox, lambda *e: events.append(e), **options)
    worker.start()
    return worker, outbox, events


def test_a_lost_current_link_plays_the_newest_complete_release_while_offline(
        tmp_path, key, server):
    store = two_releases(tmp_path, key, server)
    (store.state_dir / "current").unlink()
    (store.state_dir / "previous").unlink()
    assert current_release(store.state_dir) is None
    worker, outbox, events = start_offline(tmp_path, key)
    try:
        message = outbox.get(timeout=30)
    finally:
        worker.stop()
        worker.join(10)
    assert message == ReleaseReady(2, current_release(store.state_dir)[1])
    assert "release_restored" in event_names(events)


def test_an_incomplete_or_unsigned_release_is_passed_over(tmp_path, key, server):
    store = two_releases(tmp_path, key, server)
    newest, older = store.complete_releases()
    (store.state_dir / "current").unlink()
    (store.state_dir / "previous").unlink()
    os.chmod(newest.content / "media" / "a.jpg", 0o644)
    (newest.content / "media" / "a.jpg").unlink()  # damaged: version 2 is incomplete
    worker, outbox, _events = start_offline(tmp_path, key)
    try:
        assert outbox.get(timeout=30).version == 1
    finally:
        worker.stop()
        worker.join(10)
    (store.state_dir / "current").unlink()
    (older.path / "manifest.json.sig").write_bytes(b"not a signature")
    worker, outbox, _events = start_offline(tmp_path, key)
    try:
        with pytest.raises(queue.Empty):
            outbox.get(timeout=2)  # nothing trustworthy on disk: the fallback stays
    finally:
        worker.stop()
        worker.join(10)
    assert current_release(store.state_dir) is None


def test_a_read_only_state_folder_is_waited_for_then_synced(tmp_path, key, server):
    publish_files(tmp_path / "src", server.root, key, FILES)
    with tmpfs(tmp_path / "state") as mount:
        mount.read_only(True)
        outbox: queue.Queue = queue.Queue()
        events: list = []
        config = device_config(mount.path, sync_config(key, [server.url], interval=3600))
        worker = SyncWorker(config, outbox, lambda *e: events.append(e), retry=(0.05, 0.2))
        worker.start()
        try:
            deadline = time.monotonic() + 30
            while not worker.waiting and time.monotonic() < deadline:
                time.sleep(0.02)
            assert "Read-only file system" in worker.waiting
            mount.read_only(False)
            message = outbox.get(timeout=30)
        finally:
            worker.stop()
            worker.join(10)
        assert message.version == 1 and worker.waiting == ""
        assert event_names(events).count("sync_failed") == 1  # said once, not at every try
