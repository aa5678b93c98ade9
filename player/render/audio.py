"""Sound through `pygame.mixer`: one Channel fed with s16 stereo 48 kHz chunks, and the audio clock.

SDL channels cannot tell how far they have played, so the clock is kept from the samples handed
out: each chunk's start is predicted from the one before it (its sample count at 48 kHz) and
checked against what the channel shows (`get_queue()` empties when the queued chunk starts).
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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from player.core.config import AudioConfig
from player.core.hours import in_hours
from player.media.probe import MediaError, decode_frames, open_media, probe_media

log = logging.getLogger(__name__)

RATE = 48000
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS  # s16 stereo
MIXER_BUFFER = 1024  # samples; SDL mixes this much ahead of the speaker
CHUNK_SECONDS = 0.1  # one Sound handed to the channel; two are in flight at most
GAP_TOLERANCE = 0.003  # a timestamp gap or overlap below this is rounding, not a hole
MAX_PAD = 10.0  # a larger hole in the timestamps is a jump, not silence to play
BUFFER_SECONDS = 2.0  # how far a decoder may run ahead of the speaker
CONFIRM_SLACK = 0.008  # the feeder sees a chunk start within ~2 ms unless it is held up
WATCH_BEFORE = 0.015  # start polling the channel this long before a chunk should end
POLL = 0.002
FADE_STEP = 0.02  # the volume steps this often during a crossfade (inaudible steps)
FIRST_SOUND_TIMEOUT = 5.0  # AudioTrack.prepare() waits this long for a slow disk


@dataclass
class _InFlight:
    pts: float  # media time of the chunk's first sample
    seconds: float
    start: float  # monotonic time its first sample went to the mixer (predicted, then checked)
    sound: object  # keeps the pygame Sound alive while SDL plays it


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
        self._in_flight: list[_InFlight] = []
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
                if self._played_any and not self._eof_played():
                    # An underrun: the speaker fell silent at the end of what was handed out,
                    # and the picture waits there with it.
                    return max((self._next_pts or 0.0) - self._latency, self._first_pts)
                return None
            # Past the end of the playing chunk, the queued one has started only once the feeder
            # has seen it start; until then the clock waits (a picture early is worse than late).
            first = self._in_flight[0]
            elapsed = min(now - first.start, first.seconds + CONFIRM_SLACK)
            mixed = self._in_flight[-1].pts + self._in_flight[-1].seconds
            for chunk in self._in_flight:
                if elapsed <= chunk.seconds:
                    mixed = chunk.pts + max(elapsed, 0.0)
                    break
                elapsed -= chunk.seconds
            # SDL mixes a buffer ahead of the speaker; nothing is heard before the first sample.
            return max(mixed - self._latency, self._first_pts)

    @property
    def finished(self) -> bool:
        """True once everything written has been played (or the stream was closed)."""
        with self._cond:
            return self._closed or (self._eof_played() and not self._in_flight)

    @property
    def started(self) -> bool:
        with self._cond:
            return self._played_any

    def _eof_played(self) -> bool:
        return self._eof and not self._chunks

    # -- the output side (the feeder thread, under no lock of its own) -----------------------

    def _take(self, nbytes: int, now: float) -> tuple[float, bytes] | None:
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

    def _set_in_flight(self, chunks: list[_InFlight]) -> None:
        with self._cond:
            self._in_flight = list(chunks)
            if chunks and not self._played_any:
                self._played_any = True
                self._first_pts = chunks[0].pts

    def _set_active(self, active: bool) -> None:
        with self._cond:
            self._active = active
            if not active:
                self._in_flight = []


def device_level(config: AudioConfig, moment: datetime) -> float:
    """Master volume times the quiet-hours factor in force at `moment` (0 when disabled)."""
    if not config.enabled:
        return 0.0
    for quiet in config.quiet_hours:
        if in_hours(moment.time(), *quiet.hours):
            return config.volume * quiet.volume
    return config.volume


class _Voice:
    """One mixer channel and the stream it plays, with the chunks in flight and its fade."""

    def __init__(self, channel, stream: AudioStream):  # noqa: ANN001 - pygame Channel
        self.channel = channel
        self.stream = stream
        self.in_flight: list[_InFlight] = []
        self.idle_seen = False
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
        self.stream._set_active(False)
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
        with stream._cond:
            stream._align = None if media_start is None else (media_start, at)
            # The sink's own delay comes on top of SDL's: pictures wait for what is heard.
            stream._latency = MIXER_BUFFER / RATE + self.config.latency
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
            stream._set_active(True)
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
        voice.stream._set_in_flight(voice.in_flight)
        voice.last_poll = now
        if voice.idle_seen:
            return POLL
        if not voice.in_flight:
            return 0.02 if not voice.stream.finished else 1.0
        # Watch closely around the moment the playing chunk should end: the queued one starting
        # is the only sign of the card's own clock, which may run a little fast or slow.
        first = voice.in_flight[0]
        return min(max(first.start + first.seconds - now - WATCH_BEFORE, POLL), 0.05)

    def _apply_volume(self, now: float) -> None:
        level = self.level()
        for voice in (self._voice, self._fading):
            if voice is not None:
                gain = level * voice.stream.volume * voice.gain(now)
                voice.channel.set_volume(max(0.0, min(1.0, gain)))

    def _observe(self, voice: _Voice, now: float) -> None:
        if not voice.in_flight:
            return
        if not voice.channel.get_busy():
            if not voice.idle_seen:
                # pygame starts the queued Sound from SDL's "finished" callback, so for a moment
                # the channel looks idle between two chunks: look again before believing it.
                voice.idle_seen = True
                return
            voice.idle_seen = False
            if not voice.stream._eof_played():
                self.underruns += 1
                log.debug("audio underrun at %.3f", voice.in_flight[-1].pts)
            voice.in_flight = []  # all played: an underrun, or the end
        voice.idle_seen = False
        if len(voice.in_flight) == 2 and voice.channel.get_queue() is None:
            done = voice.in_flight.pop(0)
            current = voice.in_flight[0]
            # It started when the previous chunk ran out, which we saw in (last poll, now].
            current.start = min(max(done.start + done.seconds, voice.last_poll), now)
            if self.on_chunk and voice is self._voice:
                self.on_chunk(current.pts, current.seconds, current.start)

    def _feed(self, voice: _Voice, now: float) -> None:
        nbytes = int(CHUNK_SECONDS * RATE) * FRAME_BYTES
        stream = voice.stream
        while len(voice.in_flight) < 2:
            chunk = stream._take(nbytes, now)
            if chunk is None:
                return
            pts, data = chunk
            sound = self._mixer.Sound(buffer=data)
            seconds = len(data) / FRAME_BYTES / RATE
            if not voice.in_flight:
                gain = self.level() * stream.volume * voice.gain(now)
                voice.channel.set_volume(max(0.0, min(1.0, gain)))
                voice.channel.play(sound)
                start = now
                if self.on_chunk and voice is self._voice:
                    self.on_chunk(pts, seconds, start)
            else:
                voice.channel.queue(sound)
                prev = voice.in_flight[-1]
                start = prev.start + prev.seconds
            stream.samples_out += len(data) // FRAME_BYTES
            voice.in_flight.append(_InFlight(pts, seconds, start, sound))


class AudioDecoder:
    """A thread that decodes the first audio track of a file into an AudioStream.

    `loop` repeats the file (timestamps running on by the container's duration, as the video
    decoder does) until `until` (media time) or until stopped. Damaged packets are skipped;
    anything fatal ends the stream early.
    """

    def __init__(self, path: Path, stream: AudioStream, *, loop: bool = False,
                 until: float | None = None, on_error: Callable[[str], None] | None = None):
        self.path = path
        self.stream = stream
        self.loop = loop
        self.until = until
        self.on_error = on_error
        self.error: MediaError | None = None  # set (before the stream ends) if nothing can play
        self._first_pts: float | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"audio:{path.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self.stream.close()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import av

        offset = 0.0
        try:
            while not self._stopped.is_set():
                with open_media(self.path) as container:
                    if not container.streams.audio:
                        self.error = MediaError(f"{self.path}: has no audio track")
                        return
                    length = container.duration / 1_000_000 if container.duration else None
                    end = self._decode(container, offset, av)
                if not self.loop or end is None or end <= offset:
                    return
                offset += length or end - offset
                if self.until is not None and offset >= self.until + (self._first_pts or 0.0):
                    return
        except MediaError as exc:
            self.error = exc
        except Exception as exc:  # a file that stops being readable half-way
            message = f"{self.path}: audio decoding stopped: {exc}"
            log.warning("%s", message)
            if self.on_error:
                self.on_error(message)
        finally:
            self.stream.end()

    def _decode(self, container, offset: float, av) -> float | None:  # noqa: ANN001
        """Decode one pass; returns the media time reached (None when told to stop)."""
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE)
        end: float | None = offset
        for frame in decode_frames(container, stream, self.path, on_error=self.on_error):
            for out in resampler.resample(frame):
                end = self._write(out, offset, end)
                if end is None:
                    return None
        return end

    def _write(self, frame, offset: float, last_end: float | None) -> float | None:  # noqa: ANN001
        data = bytes(frame.planes[0])[:frame.samples * FRAME_BYTES]
        pts = frame.time if frame.time is not None else (last_end or 0.0)
        pts += offset
        if self._first_pts is None:
            self._first_pts = pts
        if self.until is not None and pts - self._first_pts >= self.until:
            return None
        if not self.stream.write(pts, data) or self._stopped.is_set():
            return None
        return pts + frame.samples / RATE


class AudioTrack:
    """A sound file played over a still item (a spoken announcement, music under a picture).

    Making one starts decoding at once (do it while the previous item shows); `prepare()` waits
    for the first sound and raises MediaError naming the file when it cannot play; `start(now)`
    when the slide appears, `close()` when it is gone. `loop` repeats the file until `duration`
    seconds; `fade` crossfades it with the sound before it, as the pictures crossfade;
    `finished` turns True at its end. With no audio device it stays silent.
    """

    def __init__(self, path: Path, output: AudioOutput | None, *, volume: float = 1.0,
                 loop: bool = False, duration: float | None = None, fade: float = 0.0,
                 on_error: Callable[[str], None] | None = None):
        self.path = path
        self.output = output
        self.volume = volume
        self.fade = fade  # seconds of crossfade with the sound before it (the picture's)
        self._stream: AudioStream | None = None
        self._decoder: AudioDecoder | None = None
        if output is not None and output.available:
            self._stream = AudioStream(volume)
            # Without a duration a looping sound repeats until the slide closes it.
            self._decoder = AudioDecoder(path, self._stream, loop=loop, until=duration,
                                         on_error=on_error)
            self._decoder.start()

    def prepare(self) -> None:
        """Wait for the first sound (normally decoded already); MediaError if the file is bad."""
        if self._decoder is None:
            # Silent anyway, but a bad file is still reported the same way.
            if not probe_media(self.path).has_audio:
                raise MediaError(f"{self.path}: has no audio track")
            return
        self._stream.wait_ready(FIRST_SOUND_TIMEOUT)
        if self._decoder.error is not None:
            error = self._decoder.error
            self.close()
            raise error

    def start(self, now: float) -> None:
        if self._stream is not None:
            # From its first sample, whatever its pts.
            self.output.play(self._stream, None, now, fade=self.fade)

    @property
    def finished(self) -> bool:
        return self._stream is None or self._stream.finished

    def close(self) -> None:
        if self._stream is not None:
            self.output.stop(self._stream)
        if self._decoder is not None:
            self._decoder.stop()
            self._decoder = None
