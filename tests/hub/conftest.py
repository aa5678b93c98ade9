"""A real hub on 127.0.0.1 (ephemeral port) over a temporary root, on SQLite and on PostgreSQL.

Every test that uses `hub` runs twice: once on an SQLite file, once on a real PostgreSQL server
the session starts itself (skipped, with the reason, where PostgreSQL is not installed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from tests.hub.hubtools import Hub, hub_config_data, write_channel
from tests.hub.postgres import PostgresServer, missing_reason


@pytest.fixture(scope="session")
def postgres_server():
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_database(request) -> str | None:
    """`database:` for hub.yaml: None (the default SQLite file) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def hub(tmp_path: Path, hub_database):
    key = Ed25519PrivateKey.generate()
    root = tmp_path / "hub"
    write_channel(root / "channels" / "ban-gioc", "ban-gioc", 3,
                  {"playlist.yaml": b"items: []\n", "media/a.jpg": bytes(range(256)) * 40}, key)
    data = hub_config_data(key)
    if hub_database:
        data["database"] = hub_database
    config = hub_config_from_data(data, "hub.yaml", tmp_path)
    server = HubServer(("127.0.0.1", 0), root, config)
    server.start()
    try:
        yield Hub(server, root, key, server.url)
    finally:
        server.stop()
