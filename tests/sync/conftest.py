"""Fixtures for the sync tests: a signing key, a published channel, a misbehaving server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.sync.kit import ChannelServer


@pytest.fixture(autouse=True)
def no_leaked_daemon_threads():
    """Stricter than the suite's check: the sync worker is a daemon thread, count it too."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    leaked: list = []
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"threads left running: {[t.name for t in leaked]}")


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def channel_dir(tmp_path: Path) -> Path:
    return tmp_path / "channel"


@pytest.fixture
def server(channel_dir: Path):
    channel_dir.mkdir(exist_ok=True)
    with ChannelServer(channel_dir) as running:
        yield running
