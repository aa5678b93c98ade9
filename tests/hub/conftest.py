"""A real hub on 127.0.0.1 (ephemeral port) over a temporary root; no test may leak a thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hubtools import Hub, hub_config_data, write_channel

from player.hub.config import hub_config_from_data
from player.hub.server import HubServer


@pytest.fixture(autouse=True)
def no_leaked_threads():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    leaked: list = []
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"threads leaked: {leaked}")


@pytest.fixture
def hub(tmp_path: Path):
    key = Ed25519PrivateKey.generate()
    root = tmp_path / "hub"
    write_channel(root / "channels" / "ban-gioc", "ban-gioc", 3,
                  {"playlist.yaml": b"items: []\n", "media/a.jpg": bytes(range(256)) * 40}, key)
    config = hub_config_from_data(hub_config_data(key), "hub.yaml", tmp_path)
    server = HubServer(("127.0.0.1", 0), root, config)
    server.start()
    try:
        yield Hub(server, root, key, server.url)
    finally:
        server.stop()
