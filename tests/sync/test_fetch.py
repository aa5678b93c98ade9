"""`receive` (resume, cap, hash) against an in-memory opener, and the bandwidth limiter."""

from __future__ import annotations

import hashlib

import pytest

from player.sync.fetch import FetchError, RateLimiter, Stopped, receive

DATA = bytes(range(256)) * 1000
SHA = hashlib.sha256(DATA).hexdigest()


class Opener:
    """Serves DATA from an offset; can ignore ranges, append junk or cut the stream."""

    def __init__(self, honour_range=True, junk=b"", cut_at=None):
        self.honour_range, self.junk, self.cut_at = honour_range, junk, cut_at
        self.offsets: list[int] = []
        self.sent = 0

    def __call__(self, offset):
        self.offsets.append(offset)
        start = offset if self.honour_range else 0
        body = DATA[start:self.cut_at] + (self.junk if self.cut_at is None else b"")

        def chunks():
            for i in range(0, len(body), 4096):
                self.sent += len(body[i:i + 4096])
                yield body[i:i + 4096]
        return start, chunks()


def test_a_resumed_download_hashes_the_whole_file(tmp_path):
    partial = tmp_path / "p"
    with pytest.raises(FetchError, match="ended after"):
        receive(partial, len(DATA), Opener(cut_at=100_000))
    assert partial.stat().st_size == 100_000
    opener = Opener()
    assert receive(partial, len(DATA), opener) == SHA
    assert opener.offsets == [100_000] and opener.sent == len(DATA) - 100_000
    assert partial.read_bytes() == DATA


def test_a_source_ignoring_the_range_starts_over_cleanly(tmp_path):
    partial = tmp_path / "p"
    partial.write_bytes(DATA[:5000])
    assert receive(partial, len(DATA), Opener(honour_range=False)) == SHA
    assert partial.read_bytes() == DATA


def test_never_more_than_the_promised_size_is_written(tmp_path):
    partial = tmp_path / "p"
    opener = Opener(junk=b"J" * 50_000)
    assert receive(partial, len(DATA), opener) == SHA
    assert partial.stat().st_size == len(DATA)
    assert opener.sent <= len(DATA) + 4096


def test_a_partial_longer_than_promised_is_discarded(tmp_path):
    partial = tmp_path / "p"
    partial.write_bytes(b"x" * (len(DATA) + 1))
    assert receive(partial, len(DATA), Opener()) == SHA


def test_a_stop_request_keeps_the_partial(tmp_path):
    partial = tmp_path / "p"
    with pytest.raises(Stopped):
        receive(partial, len(DATA), Opener(), should_stop=lambda: True)
    assert 0 < partial.stat().st_size < len(DATA)


def test_rate_limiter_waits_for_the_average_rate():
    now = [0.0]
    waits: list[float] = []

    def wait(seconds):
        waits.append(seconds)
        now[0] += seconds
        return False

    limiter = RateLimiter(1000, wait, clock=lambda: now[0])
    for _ in range(10):
        limiter.consume(500)
    assert now[0] == pytest.approx(5.0, abs=0.3)  # 5000 bytes at 1000 B/s
    stopped = RateLimiter(1000, lambda s: True, clock=lambda: 0.0)
    with pytest.raises(Stopped):
        stopped.consume(5000)
    unlimited = RateLimiter(0, wait)
    unlimited.consume(10**9)
