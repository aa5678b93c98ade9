"""The PCM of one item on its way to the speaker, and the A/V clock kept from it.

SDL channels cannot tell how far they have played, so the clock is kept from the samples handed
out: each chunk's start is predicted from the one before it (its sample count, at the sound
card's measured speed) and checked against what the channel shows. A decoder thread writes;
the output's feeder takes; the render loop reads `position()`.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

RATE = 48000
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS  # s16 stereo
MIXER_BUFFER = 1024  # samples; SDL mixes this much ahead of the speaker
# One Sound handed to the channel; two are in flight at most. Whole mixing periods, so every
# chunk starts at the same place in SDL's buffer; the first after a start is short, so the
# first check of the clock comes soon.
CHUNK_SAMPLES = 16 * MIXER_BUFFER  # 341 ms
FIRST_CHUNK_SAMPLES = 2 * MIXER_BUFFER
GAP_TOLERANCE = 0.003  # a timestamp gap or overlap below this is rounding, not a hole
MAX_PAD = 10.0  # a larger hole in the timestamps is a jump, not silence to play
BUFFER_SECONDS = 2.0  # how far a decoder may run ahead of the speaker
CONFIRM_SLACK = 0.008  # the feeder sees a chunk start within ~2 ms unless it is held up


@dataclass
class InFlight:
    pts: float  # media time of the chunk's first sample
    seconds: float
    start: float  # monotonic time its first sample went to the mixer (predicted, then checked)
    sound: object  # keeps the pygame Sound alive while SDL plays it
    offset: int = 0  # samples on the channel before this chunk since it was started
    speed: float = 1.0  # seconds the card takes to play one second of samples (measured)


class AudioStream:
    """The PCM of one item on its way to the speaker (s16 stereo 48 kHz, with media timestamps).

    A decoder thread calls `write` (blocks while the buffer is full) and `end`; the output plays it
    once `AudioOutput.play` gives it the floor; the loop reads `position` and `finished`.
    """

    def __init__(self, volume: float = 1.0, max_seconds: float = BUFFER_SECONDS):
        self.volume = volume
        self._cond = threading.Condition()
        self._chunks: deque[tuple[float, bytes]] = deque()
        self._buffered = 0
        self._max_bytes = int(max_seconds * RATE) * FRAME_BYTES
        self._eof = False
        self._closed = False
        self._align: tuple[float, float] | None = None  # (media time, monotonic) of the start
        self._next_pts: float | None = None  # where the samples handed out so far end
        self._in_flight: list[InFlight] = []
        self._latency = MIXER_BUFFER / RATE
        self._played_any = False
        self._active = False  # has the floor on the output
        self._first_pts = 0.0
        self.samples_out = 0  # handed to the mixer so far (for status and benchmarks)

    # -- the decoder side ------------------------------------------------------------------

    def write(self, pts: float, data: bytes) -> bool:
        """Add PCM starting at media time `pts`; False once the stream is closed (stop decoding)."""
        with self._cond:
            while self._buffered >= self._max_bytes and not self._closed:
                self._cond.wait(0.5)
            if self._closed:
                return False
            self._chunks.append((pts, data))
            self._buffered += len(data)
            self._cond.notify_all()
            return True

    def end(self) -> None:
        """No more data will come (end of file, or the decoder gave up)."""
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def close(self) -> None:
        """Drop the stream: the decoder's next `write` returns False."""
        with self._cond:
            self._closed = True
            self._eof = True
            self._chunks.clear()
            self._buffered = 0
            self._cond.notify_all()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the first data (or the end) is there; True when something can be played."""
        with self._cond:
            self._cond.wait_for(lambda: self._chunks or self._eof, timeout)
            return bool(self._chunks)

    # -- the loop side ---------------------------------------------------------------------

    def position(self, now: float) -> float | None:
        """The media time heard at monotonic `now`, or None when the stream is not playing."""
        with self._cond:
            if not self._active:
                return None
            if not self._in_flight:
                if self._played_any and not self.eof_played():
                    # An underrun: the speaker fell silent at the end of what was handed out,
                    # and the picture waits there with it.
                    return max((self._next_pts or 0.0) - self._latency, self._first_pts)
                return None
            # Past the end of the playing chunk, the queued one has started only once the feeder
            # has seen it start; until then the clock waits (a picture early is worse than late).
            first = self._in_flight[0]
            elapsed = min((now - first.start) / first.speed, first.seconds + CONFIRM_SLACK)
            mixed = self._in_flight[-1].pts + self._in_flight[-1].seconds
            for chunk in self._in_flight:
                if elapsed <= chunk.seconds:
                    # Before the first chunk's start (SDL switched to it a period early), the
                    # tail of the one before is still being heard: count back from it.
                    mixed = chunk.pts + elapsed
                    break
                elapsed -= chunk.seconds
            # SDL mixes a buffer ahead of the speaker; nothing is heard before the first sample.
            return max(mixed - self._latency, self._first_pts)

    @property
    def finished(self) -> bool:
        """True once everything written has been played (or the stream was closed)."""
        with self._cond:
            return self._closed or (self.eof_played() and not self._in_flight)

    @property
    def started(self) -> bool:
        with self._cond:
            return self._played_any

    def eof_played(self) -> bool:
        """True once the decoder ended and everything it wrote was handed out."""
        return self._eof and not self._chunks

    # -- the output side (the feeder thread, under no lock of its own) -----------------------

    def align(self, media_start: float | None, at: float, latency: float) -> None:
        """Media time `media_start` is heard at monotonic `at` (None: from the first sample,
        whenever it is there), `latency` seconds after it is handed to the mixer."""
        with self._cond:
            self._align = None if media_start is None else (media_start, at)
            self._latency = latency

    def take(self, nbytes: int, now: float) -> tuple[float, bytes] | None:
        """The next chunk, made continuous in media time: holes become silence, overlaps are cut."""
        with self._cond:
            if self._next_pts is None:
                media, at = self._align or (self._chunks[0][0] if self._chunks else 0.0, now)
                expected = media + (now - at)
            else:
                expected = self._next_pts
            out = bytearray()
            while len(out) < nbytes and self._chunks:
                pts, data = self._chunks[0]
                gap = pts - (expected + len(out) / FRAME_BYTES / RATE)
                if gap > MAX_PAD or gap < -MAX_PAD:
                    if out:
                        break  # end this chunk here; the next one starts at the jump
                    expected = pts
                elif gap > GAP_TOLERANCE:
                    pad = min(round(gap * RATE) * FRAME_BYTES, nbytes - len(out))
                    out += bytes(pad)
                    continue
                elif gap < -GAP_TOLERANCE:
                    cut = round(-gap * RATE) * FRAME_BYTES
                    self._pop_front(cut)
                    continue
                take = min(nbytes - len(out), len(data))
                out += data[:take]
                self._pop_front(take)
            if not out:
                return None
            self._next_pts = expected + len(out) / FRAME_BYTES / RATE
            self._cond.notify_all()
            return expected, bytes(out)

    def _pop_front(self, nbytes: int) -> None:
        pts, data = self._chunks[0]
        if nbytes >= len(data):
            self._chunks.popleft()
            self._buffered -= len(data)
        else:
            self._chunks[0] = (pts + nbytes / FRAME_BYTES / RATE, data[nbytes:])
            self._buffered -= nbytes

    def set_in_flight(self, chunks: list[InFlight]) -> None:
        with self._cond:
            self._in_flight = list(chunks)
            if chunks and not self._played_any:
                self._played_any = True
                self._first_pts = chunks[0].pts

    def set_active(self, active: bool) -> None:
        with self._cond:
            self._active = active
            if not active:
                self._in_flight = []
