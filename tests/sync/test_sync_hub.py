"""Syncing from the real hub: its long poll (`Prefer: wait`) and a new version during the hold."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from player.sync.fetch import make_session
from player.sync.sources import HttpSource
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
