"""A player syncing from a real HTTP server on 127.0.0.1: the happy path and every fault."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from datetime import timedelta

import pytest

from player.core.messages import ReleaseReady
from player.core.problems import LoadError, Problem
from player.sync.state import read_sync_state
from player.sync.store import current_release, previous_release
from player.sync.worker import SyncWorker, in_hours
from tests.sync.kit import (
    PLAYLIST,
    device_config,
    event_names,
    make_syncer,
    object_files,
    publish_files,
    release_tree,
    sync_config,
    utc,
)

pytestmark = pytest.mark.timeout(60)

BIG = bytes(range(256)) * 2000  # 512 kB
FILES = {"media/a.jpg": b"A" * 3000, "media/big.mp4": BIG}


@pytest.fixture
def published(tmp_path, key, channel_dir):
    return publish_files(tmp_path / "src", channel_dir, key, FILES)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_first_sync_installs_a_verified_release(tmp_path, key, server, published):
    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events)
    syncer.prepare()
    result = syncer.run_once()
    assert result.result == "updated" and result.version == 1, result
    assert result.bytes == published.manifest.total_size
    version, playlist = current_release(tmp_path / "state")
    assert version == 1
    assert release_tree(playlist) == {"playlist.yaml": PLAYLIST, **FILES}
    assert events == []
    state = read_sync_state(tmp_path / "state")
    assert state["current_version"] == 1 and state["last_result"] == "updated"
    assert state["last_success"] and state["bytes_pending"] == 0 and state["last_error"] is None
    for request in server.log:
        assert request[1].get("accept-encoding") == "identity"


def test_an_unchanged_poll_is_one_request_and_no_object_bytes(tmp_path, key, server, published):
    syncer = make_syncer(tmp_path / "state", key, server.url)
    syncer.run_once()
    server.reset_counts()
    result = syncer.run_once()
    assert result.result == "unchanged"
    assert [(path, status) for path, _h, status in server.log] == [("manifest.json", 304)]
    assert "wait=" in server.log[0][1].get("prefer", "wait=") and server.body_bytes == 0


def test_a_hurried_source_asks_once_without_a_long_poll(tmp_path, key, server, published):
    """`hurry` before the request goes out (sync_now racing the worker): that request is not
    held; the ones after are held again. `run_once(hold=False)` is the same for one pass."""
    syncer = make_syncer(tmp_path / "state", key, server.url)
    syncer.sources[0].wait = 25
    syncer.run_once()
    server.reset_counts()
    syncer.hurry()
    assert syncer.run_once().result == "unchanged"
    assert syncer.run_once().result == "unchanged"
    assert syncer.run_once(hold=False).result == "unchanged"
    prefer = [(headers.get("prefer"), "if-none-match" in headers) for _p, headers, _s in server.log]
    assert prefer == [(None, True), ("wait=25", True), (None, True)]
    syncer.close()


def test_a_full_manifest_request_now_and_then_defeats_a_wrong_304(tmp_path, key, server,
                                                                    published):
    syncer = make_syncer(tmp_path / "state", key, server.url, full_check_every=0)
    syncer.run_once()
    server.reset_counts()
    assert syncer.run_once().result == "unchanged"
    assert [(p, h.get("if-none-match"), s) for p, h, s in server.log] == [
        ("manifest.json", None, 200), ("manifest.json.sig", None, 200)]


def test_a_new_version_switches_and_keeps_the_previous(tmp_path, key, server, published):
    syncer = make_syncer(tmp_path / "state", key, server.url)
    syncer.run_once()
    publish_files(tmp_path / "src", server.root, key, {**FILES, "media/a.jpg": b"new" * 10})
    server.reset_counts()
    result = syncer.run_once()
    assert result.result == "updated" and result.version == 2
    objects = [p for p, _h, s in server.log if p.startswith("objects/")]
    assert objects == [f"objects/{sha(b'new' * 10)}"]  # only the changed file moves
    assert current_release(tmp_path / "state")[0] == 2
    assert previous_release(tmp_path / "state")[0] == 1


def test_a_tampered_object_is_discarded_and_nothing_switches(tmp_path, key, server, published):
    events: list = []
    server.fault(f"objects/{sha(BIG)}", "tamper")
    syncer = make_syncer(tmp_path / "state", key, server.url, events)
    result = syncer.run_once()
    assert result.result == "failed" and "wrong sha256" in result.error
    assert "file_bad" in event_names(events)
    assert current_release(tmp_path / "state") is None
    assert sha(BIG) not in object_files(tmp_path / "state")
    server.faults.clear()
    assert syncer.run_once().result == "updated"


def test_a_tampered_manifest_is_refused_before_parsing(tmp_path, key, server, published):
    manifest = server.root / "manifest.json"
    data = json.loads(manifest.read_bytes())
    data["files"][1]["sha256"] = "0" * 64
    manifest.write_bytes(json.dumps(data).encode())
    events: list = []
    result = make_syncer(tmp_path / "state", key, server.url, events).run_once()
    assert result.result == "refused" and "not signed" in result.error
    assert event_names(events) == ["signature_bad"]
    assert read_sync_state(tmp_path / "state")["last_success"] is None  # never "up to date"
    assert not [p for p, _h, _s in server.log if p.startswith("objects/")]


def test_a_manifest_signed_by_another_key_is_refused(tmp_path, key, server, published):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    publish_files(tmp_path / "src", server.root, Ed25519PrivateKey.generate(), FILES)
    events: list = []
    assert make_syncer(tmp_path / "state", key, server.url, events).run_once().result == "refused"
    assert event_names(events) == ["signature_bad"]
    assert current_release(tmp_path / "state") is None


def test_an_old_manifest_replayed_is_refused_as_a_rollback(tmp_path, key, server, published):
    old_manifest = (server.root / "manifest.json").read_bytes()
    old_signature = (server.root / "manifest.json.sig").read_bytes()
    publish_files(tmp_path / "src", server.root, key, {"media/a.jpg": b"v2"})
    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events)
    assert syncer.run_once().version == 2
    (server.root / "manifest.json").write_bytes(old_manifest)
    (server.root / "manifest.json.sig").write_bytes(old_signature)
    result = syncer.run_once()
    assert result.result == "refused" and "rollback" in result.error
    assert event_names(events) == ["rollback_refused"]
    assert events[0][3] == {"source": server.url, "offered": 1, "accepted": 2}
    assert current_release(tmp_path / "state")[0] == 2


def test_an_expired_manifest_blocks_new_content_not_the_current(tmp_path, key, server):
    issued = utc(2026, 11, 1)
    publish_files(tmp_path / "src", server.root, key, FILES, now=issued,
                  expires=timedelta(days=10))
    events: list = []
    clock = [utc(2026, 11, 5)]
    syncer = make_syncer(tmp_path / "state", key, server.url, events, now=lambda: clock[0])
    assert syncer.run_once().result == "updated"
    clock[0] = utc(2026, 11, 20)  # v1 expires while playing: keep playing it
    assert syncer.run_once(conditional=False).result == "unchanged"
    assert event_names(events) == ["manifest_expired"] and events[0][0] == "warning"
    publish_files(tmp_path / "src", server.root, key, {"media/a.jpg": b"v2"}, now=issued,
                  expires=timedelta(days=10))
    result = syncer.run_once()
    assert result.result == "refused" and result.error == "manifest expired"
    assert current_release(tmp_path / "state")[0] == 1


def test_a_server_sending_more_bytes_than_promised_is_cut_off(tmp_path, key, server, published):
    server.fault(f"objects/{sha(BIG)}", "extra")
    result = make_syncer(tmp_path / "state", key, server.url).run_once()
    assert result.result == "updated"
    assert object_files(tmp_path / "state")[sha(BIG)] == BIG


def test_a_larger_different_file_is_refused(tmp_path, key, server, published):
    (server.root / "objects" / sha(b"A" * 3000)).chmod(0o644)
    (server.root / "objects" / sha(b"A" * 3000)).write_bytes(b"B" * 10_000_000)
    events: list = []
    result = make_syncer(tmp_path / "state", key, server.url, events).run_once()
    assert result.result == "failed" and "file_bad" in event_names(events)
    partial = tmp_path / "state" / "store" / "partial" / sha(b"A" * 3000)
    assert not partial.exists() or partial.stat().st_size <= 3000


@pytest.mark.parametrize("kind", ["drop", "stall"])
def test_a_transfer_cut_mid_file_resumes_from_where_it_stopped(tmp_path, key, server, published,
                                                              kind):
    target = f"objects/{sha(BIG)}"
    server.fault(target, kind, times=1)
    syncer = make_syncer(tmp_path / "state", key, server.url, timeout=0.5)
    result = syncer.run_once()
    assert result.result == "updated", result
    requests = [h for p, h, _s in server.log if p == target]
    assert len(requests) == 2
    assert requests[1]["range"] == f"bytes={len(BIG) // 2}-{len(BIG) - 1}"
    assert result.bytes <= sum(len(d) for d in FILES.values()) * 1.05 + 100


def test_a_server_ignoring_range_restarts_the_file(tmp_path, key, server, published):
    target = f"objects/{sha(BIG)}"
    server.fault(target, "drop", times=1)
    syncer = make_syncer(tmp_path / "state", key, server.url, attempts=1)
    assert syncer.run_once().result == "failed"
    server.fault(target, "ignore_range")
    result = syncer.run_once()
    assert result.result == "updated"
    assert object_files(tmp_path / "state")[sha(BIG)] == BIG


def test_a_206_from_the_wrong_offset_is_refused(tmp_path, key, server, published):
    target = f"objects/{sha(BIG)}"
    server.fault(target, "drop", times=1)
    syncer = make_syncer(tmp_path / "state", key, server.url, attempts=1)
    assert syncer.run_once().result == "failed"
    server.fault(target, "bad_range", times=1)
    result = syncer.run_once()
    assert result.result == "failed" and "Content-Range" in result.error
    assert syncer.run_once().result == "updated"
    assert object_files(tmp_path / "state")[sha(BIG)] == BIG


def test_500s_are_retried_and_a_dead_server_is_reported(tmp_path, key, server, published):
    server.fault("manifest.json", "status", times=2)
    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events)
    assert syncer.run_once().result == "updated"  # urllib3 retried the two 500s
    assert [s for p, _h, s in server.log if p == "manifest.json"] == [500, 500, 200]
    server.fault("manifest.json", "status", status=503)
    result = syncer.run_once()
    assert result.result == "failed" and "503" in result.error
    state = read_sync_state(tmp_path / "state")
    assert state["last_result"] == "failed" and "503" in state["last_error"]
    assert state["current_version"] == 1
    assert event_names(events) == ["sync_failed"]
    syncer.run_once()
    assert event_names(events) == ["sync_failed"]  # the same failure is reported once


def test_the_disk_guard_refuses_and_says_why(tmp_path, key, server, published):
    class Usage:
        free = 1_000_000

    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events,
                         disk_usage=lambda _p: Usage(),
                         sync=sync_config(key, [server.url], min_free=900_000))
    result = syncer.run_once()
    assert result.result == "failed" and "min_free" in result.error
    assert event_names(events) == ["disk_low"]
    assert not object_files(tmp_path / "state")
    assert read_sync_state(tmp_path / "state")["bytes_pending"] == published.manifest.total_size


def test_a_wrong_channel_is_refused(tmp_path, key, server):
    publish_files(tmp_path / "src", server.root, key, FILES, channel="other-place")
    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events,
                         sync=sync_config(key, [server.url], channel="ban-gioc"))
    assert syncer.run_once().result == "refused"
    assert event_names(events) == ["channel_mismatch"]


def test_a_release_whose_playlist_does_not_load_is_not_switched_to(tmp_path, key, server,
                                                                  published):
    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events)
    assert syncer.run_once().result == "updated"

    def refuse(path):
        raise LoadError([Problem(str(path), 3, "items[0].image", "cannot be decoded")])

    syncer.check_playlist = refuse
    publish_files(tmp_path / "src", server.root, key, {"media/a.jpg": b"v2"})
    result = syncer.run_once()
    assert result.result == "refused"
    assert event_names(events) == ["release_bad"] and "cannot be decoded" in events[0][2]
    assert current_release(tmp_path / "state")[0] == 1
    assert syncer.run_once().result == "unchanged"  # not downloaded again every poll


def test_a_usb_folder_is_verified_like_a_download(tmp_path, key):
    stick = tmp_path / "usb"
    events: list = []
    syncer = make_syncer(tmp_path / "state", key, stick, events)
    assert syncer.run_once().result == "idle"  # no stick yet: nothing to report
    assert events == []
    publish_files(tmp_path / "src", stick, key, FILES)
    assert syncer.run_once().result == "updated"
    assert release_tree(current_release(tmp_path / "state")[1])["media/big.mp4"] == BIG
    assert syncer.run_once().result == "unchanged"
    publish_files(tmp_path / "src", stick, key, {"media/a.jpg": b"v2"})
    evil = stick / "objects" / sha(b"v2")
    evil.chmod(0o644)
    evil.write_bytes(b"v3")
    result = syncer.run_once()
    assert result.result == "failed" and "file_bad" in event_names(events)
    assert current_release(tmp_path / "state")[0] == 1


def test_the_worker_thread_posts_release_ready_and_stops(tmp_path, key, server, published):
    outbox: queue.Queue = queue.Queue()
    events: list = []
    config = device_config(tmp_path / "state", sync_config(key, [server.url], interval=3600))
    worker = SyncWorker(config, outbox, lambda *e: events.append(e))
    worker.start()
    try:
        message = outbox.get(timeout=20)
    finally:
        worker.stop()
        worker.join(10)
    assert not worker.is_alive()
    assert message == ReleaseReady(1, current_release(tmp_path / "state")[1])
    assert message.playlist.read_bytes().startswith(b"name: Test")
    assert message.loaded is not None and message.loaded.name == "Test"  # read off the render thread


def test_the_worker_posts_each_pass_outcome_once(tmp_path, key, server, published):
    outcomes: list[dict] = []
    posted = threading.Event()
    config = device_config(tmp_path / "state", sync_config(key, [server.url], interval=3600))
    worker = SyncWorker(config, queue.Queue(), on_sync=lambda o: (outcomes.append(o), posted.set()))
    worker.start()
    try:
        assert posted.wait(30), "no pass outcome posted"
        worker.wake(full=False)  # a local-only check changes nothing: nothing more is posted
    finally:
        worker.stop()
        worker.join(10)
    assert len(outcomes) == 1, outcomes
    outcome = outcomes[0]
    assert (outcome["result"], outcome["error"]) == ("updated", None)
    assert outcome["bytes"] > 0 and outcome["time"].endswith("Z")


def test_the_worker_notices_a_usb_stick_channel(tmp_path, key, monkeypatch):
    """By its own periodic look (no file watcher here), every LOCAL_CHECK seconds: 10 in the
    product, a fraction of a second here, the same loop."""
    import player.sync.worker

    monkeypatch.setattr(player.sync.worker, "LOCAL_CHECK", 0.2)
    stick = tmp_path / "usb"
    stick.mkdir()
    outbox: queue.Queue = queue.Queue()
    config = device_config(tmp_path / "state", sync_config(key, [str(stick)], interval=3600))
    worker = SyncWorker(config, outbox)
    worker.start()
    try:
        publish_files(tmp_path / "src", stick, key, FILES)
        message = outbox.get(timeout=30)
    finally:
        worker.stop()
        worker.join(10)
    assert not worker.is_alive()
    assert message.version == 1
    assert (message.playlist.parent / "media" / "big.mp4").read_bytes() == BIG


def test_sync_hours_wrap_past_midnight():
    from datetime import time

    night = ((time(22, 0), time(6, 0)),)
    assert in_hours(night, time(23, 30)) and in_hours(night, time(5, 59))
    assert not in_hours(night, time(12, 0))
    assert in_hours((), time(12, 0))


def test_no_pinned_key_means_nothing_is_accepted(tmp_path, key, server, published):
    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events)
    syncer.public_keys = []
    result = syncer.run_once()
    assert result.result == "failed" and "public_keys" in result.error
    assert event_names(events) == ["config_bad"] and server.log == []



def test_a_disk_that_fills_up_mid_download_is_reported(tmp_path, key, server, published):
    import errno

    class FullDisk:
        """A source whose every write fails as on a full disk."""

        def __init__(self, inner):
            self.inner, self.name = inner, inner.name

        def fetch_manifest(self, etag=None):
            return self.inner.fetch_manifest(etag)

        def fetch_object(self, *args):
            raise OSError(errno.ENOSPC, "No space left on device", "partial")

        def close(self):
            self.inner.close()

    events: list = []
    syncer = make_syncer(tmp_path / "state", key, server.url, events)
    syncer.sources = [FullDisk(syncer.sources[0])]
    result = syncer.run_once()
    assert result.result == "failed" and "No space left" in result.error
    assert event_names(events) == ["disk_low"]
    assert current_release(tmp_path / "state") is None


def test_the_worker_announces_a_release_switched_by_another_process(tmp_path, key, server,
                                                                    published):
    outbox: queue.Queue = queue.Queue()
    config = device_config(tmp_path / "state", sync_config(key, [server.url], interval=3600))
    worker = SyncWorker(config, outbox)
    worker.start()
    try:
        assert outbox.get(timeout=20).version == 1
        publish_files(tmp_path / "src", server.root, key, {"media/a.jpg": b"v2"})
        # A technician's `sync --once` installs version 2 while the player runs.
        assert make_syncer(tmp_path / "state", key, server.url).run_once().version == 2
        worker.wake()
        message = outbox.get(timeout=20)
    finally:
        worker.stop()
        worker.join(10)
    assert message == ReleaseReady(2, current_release(tmp_path / "state")[1])
    assert read_sync_state(tmp_path / "state")["current_version"] == 2
