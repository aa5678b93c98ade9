"""Shared test set-up: SDL without a screen or a sound card, and no leaked threads."""

from __future__ import annotations

import os
import threading
import time

import pytest
from hypothesis import HealthCheck, settings

# Property tests must not fail for the machine's sake: no deadline, no "too slow" health check
# (a cold or loaded machine generates slowly), and the same examples on every run.
settings.register_profile(
    "project", deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("project")

os.environ["SDL_VIDEODRIVER"] = "offscreen"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a thread of its own running, daemon or not: every worker is a
    daemon, and a daemon left running is a leak all the same (workers must stop and join)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"
