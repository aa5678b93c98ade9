"""The remote tests share one served hub per module: its thread pool (AnyIO's workers, which
idle for a while before they end) lives as long as that hub, so the leak check here leaves
those alone; every other thread a test leaves running still fails it."""

from __future__ import annotations

import threading
import time

import pytest

POOL = "AnyIO worker thread"


@pytest.fixture(autouse=True)
def no_leaked_threads():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()
                  and not t.daemon and t.name != POOL]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"
