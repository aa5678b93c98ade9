"""Sound files decoded into streams: the decoder thread, and a sound track under a still item.

The stream and its clock are in audio_stream.py, the mixer and its feeder in audio_output.py,
the quiet hours in volume.py; the names are importable from here as well.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from player.media.probe import MediaError, decode_frames, open_media, probe_media
from player.render.audio_output import AudioOutput
from player.render.audio_stream import FRAME_BYTES, MIXER_BUFFER, RATE, AudioStream
from player.render.volume import device_level
from player.stoppable import StoppableThread

log = logging.getLogger(__name__)

FIRST_SOUND_TIMEOUT = 5.0  # AudioTrack.prepare() waits this long for a slow disk

__all__ = ["FRAME_BYTES", "MIXER_BUFFER", "RATE", "AudioDecoder", "AudioOutput", "AudioStream", "AudioTrack",
           "device_level"]


class AudioDecoder(StoppableThread):
    """A thread that decodes the first audio track of a file into an AudioStream.

    `loop` repeats the file (timestamps running on by the container's duration, as the video
    decoder does) until `until` (media time) or until stopped. Damaged packets are skipped;
    anything fatal ends the stream early.
    """

    def __init__(self, path: Path, stream: AudioStream, *, loop: bool = False,
                 until: float | None = None, on_error: Callable[[str], None] | None = None):
        super().__init__(name=f"audio:{path.name}")
        self.path = path
        self.stream = stream
        self.loop = loop
        self.until = until
        self.on_error = on_error
        self.error: MediaError | None = None  # set (before the stream ends) if nothing can play
        self._first_pts: float | None = None

    def on_stop(self) -> None:
        self.stream.close()  # a write blocked on a full buffer returns at once

    def stop(self) -> None:
        """Stop decoding and wait for the thread (the stream is closed); again: nothing."""
        super().stop()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)

    def run(self) -> None:
        import av

        offset = 0.0
        try:
            while self.should_keep_running():
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
        if not self.stream.write(pts, data) or self.stopping:
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
        if self._decoder is None or self._stream is None:
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
        if self._stream is not None and self.output is not None:
            # From its first sample, whatever its pts.
            self.output.play(self._stream, None, now, fade=self.fade)

    @property
    def finished(self) -> bool:
        return self._stream is None or self._stream.finished

    def close(self) -> None:
        if self._stream is not None and self.output is not None:
            self.output.stop(self._stream)
        if self._decoder is not None:
            self._decoder.stop()
            self._decoder = None
