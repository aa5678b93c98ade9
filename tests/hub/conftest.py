"""A real hub on 127.0.0.1 (ephemeral port) over a temporary root."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from tests.hub.hubtools import Hub, hub_config_data, write_channel


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
