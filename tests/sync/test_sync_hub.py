"""Syncing from the real hub: its long poll (`Prefer: wait`) and a new version during the hold."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from player.sync.fetch import make_session
from player.sync.sources import HttpSource
from player.sync.state import read_sync_state
from player.sync.syncer import Syncer
from tests.hub.hubtools import hub_config_data
from tests.sync.kit import publish_files, sync_config, yaml_check

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def hub(tmp_path: Path, key):
    config = hub_config_from_data(hub_config_data(key), "hub.yaml", tmp_path)
    server = HubServer(("127.0.0.1", 0), tmp_path / "hub", config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_long_poll_on_the_hub(tmp_path, key, hub):
    channel = tmp_path / "hub" / "channels" / "ban-gioc"
    publish_files(tmp_path / "src", channel, key, {"media/a.jpg": b"v1"}, channel="ban-gioc")
    url = hub.url + "channels/ban-gioc/"
    source = HttpSource(url, make_session(retries=1, backoff=0.01), timeout=5, wait=1)
    syncer = Syncer(sync_config(key, [url]), tmp_path / "state", [source],
                    check_playlist=yaml_check)
    try:
        first = syncer.run_once()
        assert first.result == "updated" and not first.waited
        held = syncer.run_once()  # the hub holds the conditional request, then says 304
        assert held.result == "unchanged" and held.waited

        # A new version published while the request is held comes back at once.
        publisher = threading.Timer(0.3, publish_files, (tmp_path / "src", channel, key,
                                                         {"media/a.jpg": b"v2"}),
                                    {"channel": "ban-gioc"})
        source.wait = 20
        publisher.start()
        try:
            news = syncer.run_once()
        finally:
            publisher.join()
        assert news.result == "updated" and news.version == 2 and news.waited
    finally:
        syncer.close()


def held_worker(tmp_path, key, hub):
    """A sync worker on version 1 whose next, conditional, poll the hub holds until it stops;
    returns the worker (started and held), its events and an Event set when a hold ends."""
    import queue

    from player.sync.worker import SyncWorker
    from tests.sync.kit import device_config

    channel = tmp_path / "hub" / "channels" / "ban-gioc"
    publish_files(tmp_path / "src", channel, key, {"media/a.jpg": b"v1"}, channel="ban-gioc")
    holding = threading.Event()
    hold_ended = threading.Event()
    hub_wait = hub.changes.wait

    async def wait(timeout: float) -> None:  # the hub's own wait, for as long as the hub runs
        holding.set()
        await hub_wait(3600)
        hold_ended.set()

    hub.changes.wait = wait
    events: list = []
    outbox: queue.Queue = queue.Queue()
    config = device_config(tmp_path / "state", sync_config(
        key, [hub.url + "channels/ban-gioc/"], interval=3600))
    worker = SyncWorker(config, outbox, lambda *e: events.append(e))
    worker.start()
    try:
        assert outbox.get(timeout=20).version == 1
        worker.wake()  # poll again now: the hub holds this conditional request
        assert holding.wait(20)
    except BaseException:
        worker.stop()
        worker.join(30)
        raise
    return worker, events, hold_ended


def test_stopping_the_worker_cuts_a_held_long_poll(tmp_path, key, hub):
    worker, events, _ = held_worker(tmp_path, key, hub)
    worker.stop()
    worker.join(60)  # the hub holds until it stops, after this: the request was cut
    assert not worker.is_alive()
    assert not [e for e in events if e[1] == "sync_failed"]  # stopping is not a failure


def test_sync_now_cuts_a_held_long_poll_and_asks_again_at_once(tmp_path, key, hub):
    """The hub here holds a conditional manifest request until it stops: a sync_now that
    returned at all did not wait for the hold to end."""
    worker, events, hold_ended = held_worker(tmp_path, key, hub)
    try:
        result = worker.sync_now(120)
        assert not hold_ended.is_set()  # still held by the hub when the pass came back
    finally:
        worker.stop()
        worker.join(30)
    assert not worker.is_alive()
    assert result is not None
    # the pass sync_now asked for was answered at once, not held in its turn
    assert (result.result, result.version, result.waited) == ("unchanged", 1, False)
    assert worker.passes_done == 3  # the first, the one cut, the one asked for
    assert not [e for e in events if e[1] == "sync_failed"]  # a cut hold is not a failure
    assert read_sync_state(tmp_path / "state")["last_result"] == "unchanged"  # not "interrupted"


def test_after_the_first_pass_the_worker_holds_a_long_poll_without_waiting_an_interval(
        tmp_path, key, hub):
    """The first pass asks without an ETag, which the hub cannot hold; the next (conditional)
    one goes out at once, not a whole `sync.interval` (an hour here) later, so a version
    published then arrives within seconds."""
    import queue

    from player.sync.worker import SyncWorker
    from tests.sync.kit import device_config

    channel = tmp_path / "hub" / "channels" / "ban-gioc"
    publish_files(tmp_path / "src", channel, key, {"media/a.jpg": b"v1"}, channel="ban-gioc")
    holding = threading.Event()
    hub_wait = hub.changes.wait

    async def wait(timeout: float) -> None:
        holding.set()
        await hub_wait(timeout)

    hub.changes.wait = wait
    outbox: queue.Queue = queue.Queue()
    config = device_config(tmp_path / "state", sync_config(
        key, [hub.url + "channels/ban-gioc/"], interval=3600))
    worker = SyncWorker(config, outbox)
    worker.start()
    try:
        assert outbox.get(timeout=30).version == 1
        assert holding.wait(60), "no long poll after the first pass"
        publish_files(tmp_path / "src", channel, key, {"media/a.jpg": b"v2"}, channel="ban-gioc")
        assert outbox.get(timeout=60).version == 2
    finally:
        worker.stop()
        worker.join(30)
    assert not worker.is_alive()
