"""Video items: decoded by PyAV in a worker thread, shown by the render loop frame by frame.

The worker (video_decoder.py) opens the file as soon as the slide is made (while the previous
item still shows), decodes, scales each frame once to the size it is drawn at and turns it
upright (display matrix) in one FFmpeg filter graph (video_graph.py), and puts it in a small
bounded queue, still in YUV. The loop's `draw` takes the frame whose time has come, dropping any
it is too late for, and FFmpeg's scaler writes it straight into the screen's pixels in the
screen's own layout (video_convert.py): one pass, no picture of our own to copy. Where that
cannot be done (another pixel layout, a picture with alpha) the worker converts to a packed
layout and the loop copies or blits it. Sound goes through the `AudioOutput`; while it plays, its
clock drives the pictures, otherwise `time.monotonic` does.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pygame

from player.media.probe import MediaError
from player.render import video_convert
from player.render.audio import AudioDecoder, AudioOutput, AudioStream
from player.render.video_decoder import END, Frame, FrameQueue, VideoDecoder
from player.render.video_layout import (
    PACKED_24,
    SCREEN_MASKS,
    PixelLayout,
    Placement,
    inside,
    layout_of,
    place,
    screen_layout,
)

__all__ = ["PACKED_24", "QUEUE_FRAMES", "PixelLayout", "Placement", "VideoSlide", "place",
           "screen_layout"]

log = logging.getLogger(__name__)

QUEUE_FRAMES = 4  # decoded frames held ahead: ~12 MB of YUV at 1080p, 130 ms at 30 fps
FIRST_FRAME_TIMEOUT = 10.0  # prepare() waits this long for a slow disk before giving up
DUE_SLACK = 0.002  # a frame due within this is shown now (timer and clock rounding)
MAX_HOLE = 30.0  # a wait longer than this for the next frame is damage, not a still scene
XRGB_MASKS = (0xFF0000, 0x00FF00, 0x0000FF, 0)  # a picture of our own when the target is no screen


class VideoSlide:
    """A video item (see `player.render.slide.Slide`).

    Making one starts decoding at once; `prepare()` waits for the first frame and raises
    MediaError naming the file when it cannot be played. `duration` cuts the clip (and holds its
    last frame if the clip is shorter, unless `loop` repeats it to fill the time). `fade`: the
    sound crossfades with the sound before it over that many seconds, as the picture does.
    """

    animated = True

    def __init__(self, item_id: str, path: Path, size: tuple[int, int], fit: str,
                 background: tuple[int, int, int], *, loop: bool = False,
                 duration: float | None = None, volume: float = 1.0, mute: bool = False,
                 audio: AudioOutput | None = None,
                 on_error: Callable[[str], None] | None = None,
                 on_truncated: Callable[[str], None] | None = None, fade: float = 0.0):
        self.item_id = item_id
        self.fade = fade  # seconds of crossfade with the sound before it (the picture's)
        self.path = path
        self.size = size
        self.background = background
        self.duration = duration
        self.frames = 0  # frames shown
        self.late_frames = 0  # frames dropped because their time had passed
        self._on_error = on_error
        self._on_truncated = on_truncated or on_error
        self._reported: set[str] = set()
        on_error = self._report_damage if on_error is not None else None
        self._frames = FrameQueue(QUEUE_FRAMES)
        self._writer, self._decoder = self._start_picture(fit, loop and duration is not None,
                                                          on_error)
        self._audio = audio
        self._stream: AudioStream | None = None
        self._audio_decoder: AudioDecoder | None = None
        if audio is not None and audio.available and not mute and volume > 0:
            self._start_sound(volume, loop and duration is not None, on_error)
        self._prepared = False
        self._closed = False
        self._pending: Frame | None = None
        self._current: Frame | None = None
        self._surface: pygame.Surface | None = None  # a packed picture, or our own converted one
        self._video_done = False
        self._converted_frame: Frame | None = None
        self._t0 = 0.0
        self._pts0 = 0.0
        self._offset = 0.0

    def _start_picture(self, fit: str, loop: bool, on_error: Callable[[str], None] | None
                       ) -> tuple[video_convert.ScreenWriter | None, VideoDecoder]:
        """Decode the clip's pictures from now on: YUV frames converted straight into the
        screen's pixels where its layout allows (a writer), else converted by the decoder."""
        layout = screen_layout(pygame.display.get_surface())
        direct = video_convert.available() and layout is not PACKED_24
        decoder = VideoDecoder(
            self.path, self.size, fit, self._frames, layout=layout, loop=loop,
            on_error=on_error, direct=direct,
            on_truncated=self._report_truncated if self._on_truncated is not None else None)
        return (video_convert.ScreenWriter() if direct else None), decoder

    def _start_sound(self, volume: float, loop: bool,
                     on_error: Callable[[str], None] | None) -> None:
        """Decode the clip's sound from now on, into a stream the output plays from start()."""
        self._stream = AudioStream(volume)
        self._audio_decoder = AudioDecoder(self.path, self._stream, loop=loop, on_error=on_error)
        self._audio_decoder.start()

    # -- the Slide interface -------------------------------------------------------------------

    def prepare(self) -> None:
        """Wait for the first frame (normally decoded long before); raise MediaError if none."""
        if self._prepared:
            return
        if not self._decoder.first.wait(FIRST_FRAME_TIMEOUT):
            self.close()
            raise MediaError(f"{self.path}: no picture after {FIRST_FRAME_TIMEOUT:.0f} s")
        error = self._decoder.error
        if error is None and self._decoder.has_video and self._decoder.decoded == 0:
            error = MediaError(f"{self.path}: no picture could be decoded")
        if error is not None:
            self.close()
            raise error
        self._prepared = True

    def start(self, now: float) -> None:
        self.prepare()
        self._t0 = now
        self._fetch()
        if self._pending is not None:
            self._pts0 = self._pending.pts
            self._show(self._pending)
            self._pending = None
        if self._stream is not None:  # made only with an audio output
            cast("AudioOutput", self._audio).play(self._stream, self._pts0, now, fade=self.fade)

    def draw(self, target: pygame.Surface, now: float) -> None:
        self._advance(now)
        placed = self._decoder.placement
        frame = self._current
        if frame is None or placed is None:
            target.fill(self.background)
            return
        if frame.pixels is None:
            if not self._write_into(target, frame, placed):
                picture = self._converted(frame)
                target.blit(picture, (placed.x, placed.y), (0, 0, placed.width, placed.height))
        elif not self._copy_rows(target, placed):
            target.blit(cast("pygame.Surface", self._surface), (placed.x, placed.y))
        if not placed.covers(self.size):
            # Only the bars: the picture covers the rest (filling all of it first would write a
            # 1080p screen twice, 0.3-0.4 ms a frame). After the picture, whose conversion may
            # write a few pixels into the bar to its right.
            for bar in placed.bars(target.get_size()):
                target.fill(self.background, bar)

    def _write_into(self, target: pygame.Surface, frame: Frame, placed: Placement) -> bool:
        """Convert a YUV picture straight into `target`'s pixels, in `target`'s own layout.

        One swscale pass on this thread, which replaces a conversion in the decoder thread plus
        a copy of its result here (1080p: 0.55-0.6 ms, against 0.5 + 0.5-0.9 ms). Only where the
        whole picture lies on a 32-bit target of a known layout; otherwise False.
        """
        layout = layout_of(target)
        picture = frame.picture
        width = target.get_width()
        if (layout is None or not inside(placed, target.get_size()) or self._writer is None
                or (picture.width, picture.height) != (placed.width, placed.height)
                or placed.x + video_convert.padded(picture.width) > width):
            return False
        pitch = target.get_pitch()
        target.lock()
        try:
            self._writer.write(picture, layout.ffmpeg,
                               target._pixels_address + placed.y * pitch + placed.x * 4, pitch)
        finally:
            target.unlock()
        return True

    def _converted(self, frame: Frame) -> pygame.Surface:
        """A YUV picture as a surface of our own, to blit where it cannot be written in place
        (a picture larger than the target with `fit: cover`, a target of another layout)."""
        picture = frame.picture
        # wide enough for the whole blocks the conversion writes (see video_convert.BLOCK)
        size = (video_convert.padded(picture.width), picture.height)
        if self._surface is None or self._surface.get_size() != size:
            self._surface = pygame.Surface(size, 0, 32, XRGB_MASKS)
        if frame is not self._converted_frame:
            self._converted_frame = frame
            # Always writable: a 32-bit surface of our own, padded; YUV frames exist only when
            # there is a writer.
            self._write_into(self._surface, frame, Placement(picture.width, picture.height, 0, 0))
        return self._surface

    def _copy_rows(self, target: pygame.Surface, placed: Placement) -> bool:
        """Copy a full-width picture already in `target`'s own layout straight into its pixels.

        pygame has no alpha-less layout for BGRA bytes, so blitting the picture goes through its
        alpha blitter (1080p: 0.5-0.7 ms a frame, every pixel's alpha read); the pixels are
        already what the screen holds, so one memmove does it (about half of that). Any other
        case (a narrower picture, another layout, other line lengths) is blitted.
        """
        frame = self._current
        if frame is None or frame.pixels is None or placed.x != 0 or placed.y < 0:
            return False
        picture = frame.picture
        plane = picture.planes[0]
        masks = SCREEN_MASKS.get(frame.pixels)
        width, height = target.get_size()
        if (masks is None or target.get_masks() != masks or placed.width != width
                or placed.y + picture.height > height or picture.width != width
                or plane.line_size != target.get_pitch()):
            return False
        target.lock()
        try:
            ctypes.memmove(target._pixels_address + placed.y * plane.line_size,
                           plane.buffer_ptr, plane.line_size * picture.height)
        finally:
            target.unlock()
        return True

    def natural_end(self, now: float) -> bool:
        elapsed = self.media_time(now) - self._pts0
        if self.duration is not None:
            return elapsed >= self.duration
        self._fetch()
        if not self._video_done or self._pending is not None:
            return False
        if self._current is not None and self.media_time(now) < \
                self._current.pts + self._current.duration:
            return False
        return self._stream is None or self._stream.finished or not self._stream.started

    def next_change(self, now: float) -> float | None:
        self._fetch()
        if self._pending is not None:
            return now + max(0.0, self._pending.pts - self.media_time(now))
        if self._video_done:
            return None
        return now + 0.01  # the decoder is behind; look again soon

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._stream is not None:  # made only with an audio output
            cast("AudioOutput", self._audio).stop(self._stream)
        self._decoder.stop()
        if self._audio_decoder is not None:
            self._audio_decoder.stop()
            self._audio_decoder.on_error = None  # it points back here: no cycle to wait for
        self._audio_decoder = None
        self._surface = None
        self._current = self._pending = self._converted_frame = None
        if self._writer is not None:
            self._writer.close()

    def _report_damage(self, message: str) -> None:
        """One report per showing: damage seen by both decoders, or on every loop, is one event."""
        self._report_once("damage", message, self._on_error)

    def _report_truncated(self, message: str) -> None:
        self._report_once("truncated", message, self._on_truncated)

    def _report_once(self, kind: str, message: str, report: Callable[[str], None] | None) -> None:
        if kind not in self._reported and report is not None:
            self._reported.add(kind)
            report(message)

    # -- timing ----------------------------------------------------------------------------------

    def media_time(self, now: float) -> float:
        """The media time to show at `now`: the sound's while it plays, else the monotonic one."""
        mono = self._pts0 + (now - self._t0) + self._offset
        if self._stream is not None:
            heard = self._stream.position(now)
            if heard is not None:
                # Remember the difference so the picture goes on smoothly if the sound ends first.
                self._offset = heard - self._pts0 - (now - self._t0)
                return heard
        return mono

    def _sound_drives(self, now: float) -> bool:
        return self._stream is not None and self._stream.position(now) is not None

    def _fetch(self) -> None:
        if self._pending is None and not self._video_done:
            item = self._frames.get_nowait()
            if item is END:
                self._video_done = True
            elif item is not None:
                self._pending = cast("Frame", item)  # the queue holds frames and END

    def _advance(self, now: float) -> None:
        due = self.media_time(now) + DUE_SLACK
        self._fetch()
        if self._pending is not None and self._pending.pts - due > MAX_HOLE and \
                not self._sound_drives(now):
            # A timestamp jump in a damaged file: skip the hole rather than freeze for hours.
            log.warning("%s: skipping a %.0f s hole in the timestamps", self.path,
                        self._pending.pts - due)
            self._offset += self._pending.pts - due
            due = self._pending.pts
        shown = None
        # At most the frames waiting when this draw began: a decoder refilling the queue while
        # the draw drops late frames must not keep it busy (nor make what it shows depend on
        # how fast the decoder thread happened to run).
        for _ in range(len(self._frames) + 1):
            self._fetch()
            if self._pending is None or self._pending.pts > due:
                break
            if shown is not None:
                self.late_frames += 1
            shown, self._pending = self._pending, None
        if shown is not None:
            self._show(shown)

    def _show(self, frame: Frame) -> None:
        if frame.pixels is not None:  # packed: shared with the picture, no copy
            plane = frame.picture.planes[0]
            self._surface = pygame.image.frombuffer(
                plane, (frame.picture.width, frame.picture.height), frame.pixels,
                pitch=plane.line_size)
        self._current = frame
        self.frames += 1

