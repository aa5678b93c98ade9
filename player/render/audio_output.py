"""Sound through `pygame.mixer`: one Channel fed with s16 stereo 48 kHz chunks, and the audio clock.

SDL channels cannot tell how far they have played, so the clock is kept from the samples handed
out: each chunk's start is predicted from the one before it (its sample count at 48 kHz, at the
card's measured speed) and checked against what the channel shows (`get_queue()` empties when
SDL's mixing callback switches to the queued chunk). SDL mixes whole periods of MIXER_BUFFER
samples from the moment a channel starts, so the switch comes in the period holding the last
sample of the chunk before: a known time ahead of the chunk's own start, which makes the moment
to look predictable to a few milliseconds, and a short close watch around it is enough.
One feeder thread serves the one stream that currently has the floor; a video (or a still item's
`audio` track) decodes into an `AudioStream` and the render loop reads `position()` from it.

When there is no audio device (`pygame.mixer.init` raises) the output reports it and stays silent;
streams given to it never start and their position stays None, so video runs on the monotonic clock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime

from player.core.config import AudioConfig
from player.render.audio_stream import (
    CHANNELS,
    CHUNK_SAMPLES,
    FIRST_CHUNK_SAMPLES,
    FRAME_BYTES,
    MIXER_BUFFER,
    RATE,
    AudioStream,
    InFlight,
)
from player.render.volume import device_level

log = logging.getLogger(__name__)

WATCH_BEFORE = 0.006  # start polling the channel this long before the predicted switch
POLL = 0.002
LONGEST_SLEEP = 0.5  # between watches (volume and quiet hours are looked at every second)
SURE = 2 * MIXER_BUFFER / RATE  # a switch not seen this long after it was due: look harder
SPEED_GAIN = 0.25  # how much of a measured change in the card's speed is taken at once
FADE_STEP = 0.02  # the volume steps this often during a crossfade (inaudible steps)


class _Voice:
    """One mixer channel and the stream it plays, with the chunks in flight and its fade."""

    def __init__(self, channel, stream: AudioStream):  # noqa: ANN001 - pygame Channel
        self.channel = channel
        self.stream = stream
        self.in_flight: list[InFlight] = []
        self.samples = 0  # handed to the channel since it was last started
        self.speed = 1.0  # the card's seconds per second of samples, as measured
        self.idle_since: float | None = None  # when the channel was first seen idle
        self.last_poll = 0.0
        self.fade: tuple[float, float, bool] | None = None  # start, seconds, fading in

    def gain(self, now: float) -> float:
        """The fade's factor at `now`: equal power, so the sum sounds as loud as either alone."""
        if self.fade is None:
            return 1.0
        start, seconds, rising = self.fade
        x = min(max((now - start) / seconds, 0.0), 1.0)
        return math.sin(x * math.pi / 2) if rising else math.cos(x * math.pi / 2)

    def fade_done(self, now: float) -> bool:
        return self.fade is not None and now >= self.fade[0] + self.fade[1]

    def silence(self) -> None:
        self.channel.stop()
        self.stream.set_active(False)
        self.in_flight = []


class AudioOutput:
    """The one sound output: mixer start-up, the feeder thread and the device volume.

    One stream has the floor at a time; during a crossfade the one before it goes on playing on
    the second channel, fading out while the new one fades in.
    `open()` never raises: with no audio device it logs a warning, `available` is False and
    `problem` says why (for the status report).
    """

    def __init__(self, config: AudioConfig, *, mixer=None,  # noqa: ANN001 - pygame.mixer-like
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = datetime.now):
        self.config = config
        self.problem: str | None = None
        self._mixer = mixer
        self._clock = clock
        self._wall = wall
        self._channel = None
        self._channels: list = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._voice: _Voice | None = None  # the stream with the floor
        self._fading: _Voice | None = None  # the one before it, during a crossfade
        self._level_checked = 0.0
        self._thread: threading.Thread | None = None
        self.on_chunk: Callable[[float, float, float], None] | None = None  # pts, secs, start
        self.underruns = 0  # times the channel ran dry before the stream's end

    @property
    def available(self) -> bool:
        return self._channel is not None

    def open(self, feeder: bool = True) -> AudioOutput:
        """Start the mixer (s16 stereo 48 kHz, exactly) and the feeder; report a missing device.

        `feeder=False` leaves the feeding to the caller's `service(now)` (tests, benchmarks).
        """
        if not self.config.enabled:
            self.problem = "audio is disabled in the config"
            return self
        if self._mixer is None:
            import pygame.mixer

            from player.render.alsa import quiet_alsa

            quiet_alsa()  # before SDL opens audio: no ALSA noise on a box without a sound card
            self._mixer = pygame.mixer
        try:
            if self._mixer.get_init():
                self._mixer.quit()  # pygame.init() opened it with other settings
            # allowedchanges=0: SDL converts for the device, so our bytes always mean s16/48k/2.
            self._mixer.init(frequency=RATE, size=-16, channels=CHANNELS, buffer=MIXER_BUFFER,
                             allowedchanges=0)
            self._mixer.set_reserved(1)  # keep channel 0 for us
            self._channel = self._mixer.Channel(0)
        except Exception as exc:  # pygame.error, or a driver that fails its own way
            self.problem = f"no audio device ({exc}); playing without sound"
            log.warning("%s", self.problem)
            return self
        # A second reserved channel carries the sound that fades out under the next one.
        self._mixer.set_reserved(2)
        self._channels = [self._channel, self._mixer.Channel(1)]
        log.info("audio output: %s Hz, %s channels", RATE, CHANNELS)
        if feeder:
            self._thread = threading.Thread(target=self._run, name="audio-feeder", daemon=True)
            self._thread.start()
        return self

    def service(self, now: float) -> float:
        """One turn of the feeder: returns the seconds until the next turn is useful."""
        with self._lock:
            return self._service(now)

    def set_config(self, config: AudioConfig) -> None:
        """Apply new volume / quiet hours at once, a new latency from the next stream played
        (enabling or disabling sound needs a restart)."""
        self.config = config
        self._level_checked = 0.0
        self._wake.set()

    def level(self) -> float:
        """The device level now: master volume times any quiet-hours factor."""
        return device_level(self.config, self._wall())

    def status(self) -> dict[str, object]:
        return {"audio": self.available, "problem": self.problem}

    def play(self, stream: AudioStream, media_start: float | None, at: float,
             fade: float = 0.0) -> None:
        """Give `stream` the floor: media time `media_start` is heard at monotonic `at`
        (None: start from the stream's first sample, whenever it is there).

        With `fade` (seconds), a sound still playing fades out over that time while this one
        fades in (a crossfade); otherwise it stops at once.
        """
        if not self.available:
            return
        # The sink's own delay comes on top of SDL's: pictures wait for what is heard.
        stream.align(media_start, at, MIXER_BUFFER / RATE + self.config.latency)
        with self._lock:
            if self._fading is not None:
                self._fading.silence()
                self._fading = None
            old = self._voice
            if old is not None and fade > 0 and old.in_flight and not old.stream.finished:
                old.fade = (at, fade, False)
                self._fading = old
            elif old is not None:
                old.silence()
            # Channel 0 unless the sound fading out holds it.
            busy = self._fading.channel if self._fading is not None else None
            channel = next(c for c in self._channels if c is not busy)
            self._voice = _Voice(channel, stream)
            if self._fading is not None:
                self._voice.fade = (at, fade, True)
            stream.set_active(True)
            self._level_checked = 0.0
        self._wake.set()

    def stop(self, stream: AudioStream) -> None:
        """Silence `stream` at once, whether it has the floor or is fading out."""
        if not self.available:
            return
        with self._lock:
            for voice in (self._voice, self._fading):
                if voice is not None and voice.stream is stream:
                    voice.silence()
            if self._voice is not None and self._voice.stream is stream:
                self._voice = None
            if self._fading is not None and self._fading.stream is stream:
                self._fading = None

    def close(self) -> None:
        """Stop the feeder and release the device."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._channel is not None:
            for channel in self._channels:
                channel.stop()
            self._channel = None
            self._channels = []
            self._mixer.quit()

    # -- the feeder thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopped.is_set():
            delay = self.service(self._clock())
            self._wake.wait(delay)
            self._wake.clear()

    def _service(self, now: float) -> float:
        """Observe the channels, keep two chunks in flight on each; return how long to sleep."""
        if self._fading is not None and self._fading.fade_done(now):
            self._fading.silence()
            self._fading = None
        if self._voice is not None and self._voice.fade_done(now):
            self._voice.fade = None
            self._level_checked = 0.0
        fading = self._voice is not None and self._voice.fade is not None
        if fading or now - self._level_checked > 1.0:
            self._level_checked = now
            self._apply_volume(now)
        delays = [self._service_voice(voice, now) for voice in (self._voice, self._fading)
                  if voice is not None]
        if fading:
            delays.append(FADE_STEP)
        return min(delays, default=1.0)

    def _service_voice(self, voice: _Voice, now: float) -> float:
        self._observe(voice, now)
        self._feed(voice, now)
        voice.stream.set_in_flight(voice.in_flight)
        voice.last_poll = now
        if voice.idle_since is not None:
            return POLL
        if not voice.in_flight:
            return 0.02 if not voice.stream.finished else 1.0
        if len(voice.in_flight) == 1 and not voice.stream.eof_played():
            return 0.02  # the decoder is behind: feed as soon as it has more
        # Watch closely around the moment SDL should switch chunks (or run out): that moment
        # is the only sign of the card's own clock, which may run a little fast or slow.
        switch = _switch_time(voice, voice.in_flight[-1] if len(voice.in_flight) == 2 else None)
        return min(max(switch - now - WATCH_BEFORE, POLL), LONGEST_SLEEP)

    def _apply_volume(self, now: float) -> None:
        level = self.level()
        for voice in (self._voice, self._fading):
            if voice is not None:
                gain = level * voice.stream.volume * voice.gain(now)
                voice.channel.set_volume(max(0.0, min(1.0, gain)))

    def _observe(self, voice: _Voice, now: float) -> None:
        if not voice.in_flight:
            return
        pending = len(voice.in_flight) == 2 and voice.channel.get_queue() is not None
        if pending and now < _switch_time(voice, voice.in_flight[1]) + SURE:
            voice.idle_since = None  # the first chunk still plays: one call is enough
            return
        # Past that, a channel may also have run dry with a Sound still queued (a driver that
        # plays faster than `queue` follows `play`): get_busy tells.
        if not voice.channel.get_busy():
            # pygame starts the queued Sound from SDL's "finished" callback once that gets the
            # GIL: the channel looks idle meanwhile, for tens of ms on a loaded machine (and
            # treating that as an underrun would skip the queued chunk). So it is believed
            # only once everything handed out should have been played.
            if voice.idle_since is None:
                voice.idle_since = now
            if now - voice.idle_since < POLL / 2 or now < _switch_time(voice, None) - SURE:
                return
            voice.idle_since = None
            if not voice.stream.eof_played():
                self.underruns += 1
                log.debug("audio underrun at %.3f", voice.in_flight[-1].pts)
            voice.in_flight = []  # all played: an underrun, or the end
            return
        voice.idle_since = None
        if len(voice.in_flight) == 2 and not pending:
            self._switched(voice, now)

    def _switched(self, voice: _Voice, now: float) -> None:
        """The queued chunk started: SDL switched to it in (last poll, now]."""
        done = voice.in_flight.pop(0)
        current = voice.in_flight[0]
        lead = _lead(current.offset) * voice.speed
        seen = min(max(current.start, voice.last_poll + lead), now + lead)
        # A close look (not the first chunk, whose start was a guess) measures the card's speed.
        if done.offset > 0 and now - voice.last_poll <= 2 * POLL + 0.001:
            measured = (seen - done.start) / done.seconds
            voice.speed += SPEED_GAIN * (measured - voice.speed)
            voice.speed = min(max(voice.speed, 0.75), 1.25)  # SDL's dummy driver, loaded
        current.start, current.speed = seen, voice.speed
        if self.on_chunk and voice is self._voice:
            self.on_chunk(current.pts, current.seconds, current.start)

    def _feed(self, voice: _Voice, now: float) -> None:
        stream = voice.stream
        while len(voice.in_flight) < 2:
            size = CHUNK_SAMPLES if voice.in_flight else FIRST_CHUNK_SAMPLES
            chunk = stream.take(size * FRAME_BYTES, now)
            if chunk is None:
                return
            pts, data = chunk
            sound = self._mixer.Sound(buffer=data)
            seconds = len(data) / FRAME_BYTES / RATE
            if not voice.in_flight:
                gain = self.level() * stream.volume * voice.gain(now)
                voice.channel.set_volume(max(0.0, min(1.0, gain)))
                voice.channel.play(sound)
                voice.samples = 0  # SDL starts the channel at the top of its next period
                start = now
                if self.on_chunk and voice is self._voice:
                    self.on_chunk(pts, seconds, start)
            else:
                voice.channel.queue(sound)
                prev = voice.in_flight[-1]
                start = prev.start + prev.seconds * voice.speed
            stream.samples_out += len(data) // FRAME_BYTES
            voice.in_flight.append(InFlight(pts, seconds, start, sound, voice.samples, voice.speed))
            voice.samples += len(data) // FRAME_BYTES


def _lead(offset: int) -> float:
    """How long before a chunk's first sample (at `offset` on the channel) SDL switches to it:
    in the mixing period that holds the sample before it."""
    return (offset - (offset - 1) // MIXER_BUFFER * MIXER_BUFFER) / RATE


def _switch_time(voice: _Voice, queued: InFlight | None) -> float:
    """When SDL should switch to `queued` (None: when the channel should run dry)."""
    if queued is not None:
        return queued.start - _lead(queued.offset) * voice.speed
    last = voice.in_flight[-1]
    end = last.offset + round(last.seconds * RATE)
    return last.start + last.seconds * voice.speed - _lead(end) * voice.speed
