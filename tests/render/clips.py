"""Small test clips encoded with PyAV: every frame carries its own number, flashes and beeps
happen at known times, and there are helpers that damage a file the ways real files get damaged.

A frame's number is drawn as 8 vertical bars (bit 7 on the left; a white bar is a 1), which
survives lossy compression at any size; `read_frame_number` decodes it from a pygame Surface.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

RATE = 48000
BEEP_HZ = 1000.0
BEEP_SECONDS = 0.05
# Fast settings so the tests spend their time playing, not encoding.
ENCODER_OPTIONS = {
    "libx264": {"preset": "ultrafast", "tune": "zerolatency"},
    "libx265": {"preset": "ultrafast", "x265-params": "log-level=error"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
    "libsvtav1": {"preset": "12"},
}


def frame_picture(number: int, width: int, height: int, flash: bool = False) -> np.ndarray:
    """An RGB picture showing `number` (0-255) as bars, or all white for a flash."""
    picture = np.zeros((height, width, 3), dtype=np.uint8)
    if flash:
        picture[:] = 255
        return picture
    bar = width // 8
    for bit in range(8):
        if number >> (7 - bit) & 1:
            picture[:, bit * bar:(bit + 1) * bar] = 255
    # A grey strip at the bottom tells a numbered frame from a flash (which is all white).
    picture[height - max(2, height // 10):, :] = 128
    return picture


def read_frame_number(surface, rect=None) -> int:  # noqa: ANN001 - pygame types kept out of here
    """Decode the bars of `frame_picture` from a Surface (or the `rect` of it the clip fills)."""
    if rect is not None:
        surface = surface.subsurface(rect)
    width, height = surface.get_size()
    number = 0
    for bit in range(8):
        x = int((bit + 0.5) * width / 8)
        r, g, b, *_ = surface.get_at((x, height // 3))
        number = number << 1 | (1 if (r + g + b) / 3 > 128 else 0)
    return number


def is_flash(surface, rect=None) -> bool:  # noqa: ANN001
    if rect is not None:
        surface = surface.subsurface(rect)
    width, height = surface.get_size()
    r, g, b, *_ = surface.get_at((width // 2, height - 1))
    return (r + g + b) / 3 > 200


def tone(seconds: float, beeps: Sequence[float] = (), hz: float = BEEP_HZ,
         continuous: bool = False) -> np.ndarray:
    """Stereo float samples: silence with short sine beeps at `beeps`, or a continuous tone."""
    count = int(round(seconds * RATE))
    t = np.arange(count) / RATE
    mono = np.zeros(count, dtype=np.float32)
    if continuous:
        mono[:] = 0.5 * np.sin(2 * math.pi * hz * t)
    for start in beeps:
        a, b = int(start * RATE), int((start + BEEP_SECONDS) * RATE)
        mono[a:b] = 0.8 * np.sin(2 * math.pi * hz * t[a:b])
    return np.stack([mono, mono])


def make_clip(path: Path, seconds: float = 2.0, *, fps: int = 30, size: tuple[int, int] = (160, 96),
              audio: bool = True, flashes: Sequence[float] = (), beeps: Sequence[float] = (),
              continuous_tone: bool = False, codec: str = "libx264", rotation: int = 0,
              frame_times: Sequence[float] | None = None, video: bool = True,
              audio_codec: str = "aac", start: float = 0.0) -> Path:
    """Encode a clip; `frame_times` (seconds) gives a variable frame rate instead of `fps`.

    Frame n shows number n % 256; a frame whose time is within half a frame of a flash is white.
    `start` shifts every timestamp (files from cameras and broadcasts rarely start at 0).
    """
    width, height = size
    times = list(frame_times) if frame_times is not None else [
        i / fps for i in range(int(round(seconds * fps)))]
    options = {"movflags": "faststart"} if path.suffix in (".mp4", ".mov") else {}
    with av.open(str(path), "w", options=options) as out:
        vstream = None
        if video:
            # A millisecond frame rate lets the encoder keep irregular times exactly.
            vstream = out.add_stream(codec, rate=1000 if frame_times is not None else fps)
            vstream.width, vstream.height = width, height
            vstream.pix_fmt = "yuv420p"
            vstream.time_base = Fraction(1, 1000) if frame_times is not None else Fraction(1, fps)
            vstream.options = ENCODER_OPTIONS.get(codec, {})
            if rotation:
                vstream.set_display_rotation(rotation)
        astream = None
        if audio:
            astream = out.add_stream(audio_codec, rate=RATE, layout="stereo")
        if vstream is not None:
            for n, t in enumerate(times):
                flash = any(abs(t - f) < 0.5 / fps for f in flashes)
                frame = av.VideoFrame.from_ndarray(frame_picture(n % 256, width, height, flash),
                                                   format="rgb24")
                frame.pts = int(round((t + start) / vstream.time_base))
                frame.time_base = vstream.time_base
                out.mux(vstream.encode(frame))
            out.mux(vstream.encode())
        if astream is not None:
            samples = tone(seconds, beeps, continuous=continuous_tone)
            step = 1024
            start_time = start
            for first in range(0, samples.shape[1], step):
                block = np.ascontiguousarray(samples[:, first:first + step])
                frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
                frame.sample_rate = RATE
                frame.pts = first + int(round(start_time * RATE))
                frame.time_base = Fraction(1, RATE)
                out.mux(astream.encode(frame))
            out.mux(astream.encode())
    return path


def truncate(path: Path, fraction: float, target: Path | None = None) -> Path:
    """Keep only the first `fraction` of the file's bytes (an interrupted copy)."""
    data = path.read_bytes()
    target = target or path
    target.write_bytes(data[:int(len(data) * fraction)])
    return target


def corrupt_middle(path: Path, start: float = 0.4, end: float = 0.55, seed: int = 1,
                   target: Path | None = None) -> Path:
    """Overwrite a span of the file with random bytes, keeping its size (a bad sector)."""
    data = bytearray(path.read_bytes())
    a, b = int(len(data) * start), int(len(data) * end)
    data[a:b] = random.Random(seed).randbytes(b - a)
    target = target or path
    target.write_bytes(bytes(data))
    return target


class FakeSound:
    def __init__(self, buffer: bytes):
        self.data = bytes(buffer)


class FakeChannel:
    """A mixer Channel whose playback the test moves on by hand with `advance`."""

    def __init__(self):
        self.playing: FakeSound | None = None
        self.queued: FakeSound | None = None
        self.pos = 0
        self.volume = 1.0
        self.out = bytearray()  # every byte "played", in order

    def play(self, sound: FakeSound) -> None:
        self.playing, self.queued, self.pos = sound, None, 0

    def queue(self, sound: FakeSound) -> None:
        if self.playing is None:
            self.play(sound)
        else:
            self.queued = sound

    def get_busy(self) -> bool:
        return self.playing is not None

    def get_queue(self) -> FakeSound | None:
        return self.queued

    def stop(self) -> None:
        self.playing = self.queued = None

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def get_volume(self) -> float:
        return self.volume

    def mix(self, samples: int) -> None:
        """One run of SDL's mixing callback: `samples` more, switching to the queued Sound
        within the same period, as SDL_mixer does."""
        left = samples * 4
        while left and self.playing is not None:
            data = self.playing.data
            take = min(left, len(data) - self.pos)
            self.out += data[self.pos:self.pos + take]
            self.pos += take
            left -= take
            if self.pos >= len(data):
                self.playing, self.queued, self.pos = self.queued, None, 0


class FakeMixer:
    """The part of `pygame.mixer` the audio output uses, with a hand-driven device."""

    Sound = FakeSound

    def __init__(self, fail: str | None = None):
        self.fail = fail
        self.settings: tuple | None = None
        self.channels = {0: FakeChannel()}
        self.channel = self.channels[0]  # the one a sound without a crossfade plays on
        self.period = 1024  # samples SDL mixes at a time (the mixer's buffer)
        self.clock = 0  # samples the device has played
        self.next_period = 0  # when SDL mixes next

    def get_init(self) -> tuple | None:
        return self.settings

    def init(self, frequency: int, size: int, channels: int, buffer: int,
             allowedchanges: int) -> None:
        if self.fail:
            raise RuntimeError(self.fail)
        self.settings = (frequency, size, channels)

    def quit(self) -> None:
        self.settings = None

    def set_reserved(self, count: int) -> None:
        pass

    def Channel(self, index: int) -> FakeChannel:  # noqa: N802 - the pygame name
        return self.channels.setdefault(index, FakeChannel())

    def advance(self, seconds: float) -> None:
        """The device plays on by `seconds`: SDL's callback mixes every channel a period
        (1024 samples) at a time, at the top of each period, so a Sound started or queued in
        between is reached at the next one."""
        end = self.clock + int(round(seconds * RATE))
        while self.next_period < end:
            for channel in self.channels.values():
                channel.mix(self.period)
            self.next_period += self.period
        self.clock = end
