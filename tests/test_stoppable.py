"""The worker threads' base: a stop takes effect at once, twice is once, a blocked reader wakes."""

from __future__ import annotations

import queue

from player.stoppable import STOP, StoppableThread


class Reader(StoppableThread):
    """Blocks on a queue with no timeout; the sentinel wakes it."""

    def __init__(self) -> None:
        super().__init__(name="reader")
        self.inbox: queue.Queue = queue.Queue()
        self.seen: list[object] = []
        self.stops = 0

    def run(self) -> None:
        while self.should_keep_running():
            message = self.inbox.get()
            if message is STOP:
                return
            self.seen.append(message)

    def on_stop(self) -> None:
        self.stops += 1
        self.inbox.put(STOP)


class Sleeper(StoppableThread):
    def __init__(self) -> None:
        super().__init__(name="sleeper")
        self.woke_by_stop: bool | None = None

    def run(self) -> None:
        self.woke_by_stop = self.wait(3600)


def test_a_sentinel_wakes_a_reader_blocked_on_its_queue():
    reader = Reader()
    reader.start()
    reader.inbox.put("release 42")
    reader.stop()
    reader.join(10)
    assert not reader.is_alive()
    assert reader.seen == ["release 42"]


def test_stop_is_idempotent_and_works_before_start():
    reader = Reader()
    reader.stop()
    reader.stop()
    assert reader.stops == 1 and reader.stopping
    reader.start()  # a thread told to stop before it ran ends at once
    reader.join(10)
    assert not reader.is_alive() and reader.seen == []


def test_a_wait_ends_at_the_stop_not_at_its_timeout():
    sleeper = Sleeper()
    sleeper.start()
    sleeper.stop()
    sleeper.join(10)
    assert not sleeper.is_alive() and sleeper.woke_by_stop is True
