import threading

import pytest

from tests.health.receiver import Receiver


@pytest.fixture(autouse=True)
def no_leaked_health_threads():
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for thread in leaked:
        thread.join(2)
    leaked = [t.name for t in leaked if t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()
