"""Video items: decoded by PyAV in a worker thread, shown by the render loop frame by frame.

The worker opens the file as soon as the slide is made (while the previous item still shows),
decodes, scales each frame once with FFmpeg's scaler straight to the size it is drawn at, turns it
upright (display matrix) and puts it in a small bounded queue. The loop's `draw` takes the frame
whose time has come, dropping any it is too late for, and blits it: `frombuffer` shares the
decoded pixels, so nothing is copied in the main thread. Sound goes through the `AudioOutput`;
while it plays, its clock drives the pictures, otherwise `time.monotonic` does.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pygame

from player.render.audio import AudioDecoder, AudioOutput, AudioStream
from player.render.probe import MediaError, decode_frames, normal_rotation, open_media

log = logging.getLogger(__name__)

QUEUE_FRAMES = 4  # decoded frames held ahead: ~25 MB at 1080p, 130 ms at 30 fps
FIRST_FRAME_TIMEOUT = 10.0  # prepare() waits this long for a slow disk before giving up
DUE_SLACK = 0.002  # a frame due within this is shown now (timer and clock rounding)
DEFAULT_FRAME = 1 / 30  # a frame's duration when the file does not say
MAX_HOLE = 30.0  # a wait longer than this for the next frame is damage, not a still scene
PIXELS = "bgr24"  # the byte order of SDL's 32-bit XRGB screens: the blit only widens pixels
_END = object()


@dataclass
class _Frame:
    pts: float  # media seconds (loops add the clip length)
    duration: float
    picture: object  # av.VideoFrame (bgr24) at drawing size; its plane is the pixel buffer


@dataclass(frozen=True)
class Placement:
    """Where a picture of one shape goes on the target: its scaled size and top-left corner."""

    width: int
    height: int
    x: int
    y: int

    def covers(self, size: tuple[int, int]) -> bool:
        return self.x <= 0 and self.y <= 0 and self.x + self.width >= size[0] and \
            self.y + self.height >= size[1]


def place(source: tuple[float, float], target: tuple[int, int], fit: str) -> Placement:
    """Scale a picture of display size `source` into `target` by `fit` (contain|cover|stretch)."""
    tw, th = target
    sw, sh = source
    if fit == "stretch" or sw <= 0 or sh <= 0:
        return Placement(tw, th, 0, 0)
    scale = max(tw / sw, th / sh) if fit == "cover" else min(tw / sw, th / sh)
    width, height = max(2, round(sw * scale)), max(2, round(sh * scale))
    return Placement(width, height, (tw - width) // 2, (th - height) // 2)


class _FrameQueue:
    """A bounded queue the decoder blocks on, which a close() releases at once."""

    def __init__(self, size: int):
        self._items: deque = deque()
        self._size = size
        self._cond = threading.Condition()
        self._closed = False

    def put(self, item: object) -> bool:
        with self._cond:
            while len(self._items) >= self._size and not self._closed:
                self._cond.wait()
            if self._closed:
                return False
            self._items.append(item)
            self._cond.notify_all()
            return True

    def get_nowait(self) -> object | None:
        with self._cond:
            if not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._items.clear()
            self._cond.notify_all()


class _Upright:
    """Turns bgr24 frames by a display-matrix rotation with FFmpeg's transpose filters."""

    CHAINS = {90: (("transpose", "cclock"),), 270: (("transpose", "clock"),),
              180: (("hflip", None), ("vflip", None))}

    def __init__(self, width: int, height: int, rotation: int):
        import av.filter

        self.graph = av.filter.Graph()
        nodes = [self.graph.add_buffer(width=width, height=height, format=PIXELS,
                                       time_base=Fraction(1, 1000))]
        for name, args in self.CHAINS[rotation]:
            nodes.append(self.graph.add(name, args))
        nodes.append(self.graph.add("buffersink"))
        self.graph.link_nodes(*nodes).configure()

    def turn(self, frame):  # noqa: ANN001, ANN201 - av.VideoFrame in and out
        frame.pts = 0
        self.graph.push(frame)
        return self.graph.pull()


class _VideoDecoder:
    """The worker: open, decode, scale, turn upright, queue; repeat the clip when looping."""

    def __init__(self, path: Path, size: tuple[int, int], fit: str, frames: _FrameQueue, *,
                 loop: bool, on_error: Callable[[str], None] | None):
        self.path = path
        self.size = size
        self.fit = fit
        self.frames = frames
        self.loop = loop
        self.on_error = on_error
        self.error: MediaError | None = None
        self.has_video = True
        self.first = threading.Event()  # set once the first frame is queued (or there is none)
        self.first_pts: float | None = None
        self.decoded = 0
        self._stopped = threading.Event()
        self._shape: tuple | None = None
        self._placement: Placement | None = None
        self._upright: _Upright | None = None
        self._thread = threading.Thread(target=self._run, name=f"video:{path.name}", daemon=True)
        self._thread.start()

    @property
    def placement(self) -> Placement | None:
        return self._placement

    def stop(self) -> None:
        self._stopped.set()
        self.frames.close()
        self._thread.join(timeout=5)
        if self._thread.is_alive():
            log.warning("%s: the decoder did not stop within 5 s", self.path)

    def _run(self) -> None:
        try:
            self._decode_all()
        except MediaError as exc:
            self.error = exc
        except Exception as exc:  # FFmpeg failing half-way must never take the player down
            message = f"{self.path}: video decoding stopped: {exc}"
            log.warning("%s", message)
            if self.on_error:
                self.on_error(message)
        finally:
            self.frames.put(_END)
            self.first.set()

    def _decode_all(self) -> None:
        offset = 0.0
        while not self._stopped.is_set():
            with open_media(self.path) as container:
                if not container.streams.video:
                    self.has_video = False
                    return
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"  # slice + frame threads: both cores on 1080p
                length = container.duration / 1_000_000 if container.duration else None
                end = self._decode_pass(container, stream, offset)
            if not self.loop or end is None or self.decoded == 0:
                return
            # The audio decoder repeats by the same container duration, so both stay aligned.
            offset += length if length else end - offset - (self.first_pts or 0.0)

    def _decode_pass(self, container, stream, offset: float) -> float | None:  # noqa: ANN001
        """Queue one pass of frames; returns where it ended (media time), None when stopped."""
        held: _Frame | None = None
        last_pts = None
        for frame in decode_frames(container, stream, self.path, on_error=self.on_error):
            if self._stopped.is_set():
                return None
            if frame is None:
                break
            if frame.time is None and last_pts is None:
                continue
            pts = (frame.time if frame.time is not None else last_pts + DEFAULT_FRAME) + offset
            if last_pts is not None and pts <= last_pts:
                continue  # a damaged timestamp going backwards: the picture would stutter
            picture = self._convert(frame, stream)
            duration = float(frame.duration * frame.time_base) if frame.duration and \
                frame.time_base else DEFAULT_FRAME
            if held is not None:
                held.duration = pts - held.pts
                if not self._put(held):
                    return None
            held = _Frame(pts, duration, picture)
            last_pts = pts
        if held is not None and not self._put(held):
            return None
        return held.pts + held.duration if held is not None else offset

    def _put(self, item: _Frame) -> bool:
        if self.first_pts is None:
            self.first_pts = item.pts
        ok = self.frames.put(item)
        self.decoded += 1
        self.first.set()
        return ok

    def _convert(self, frame, stream):  # noqa: ANN001, ANN202
        rotation = normal_rotation(frame.rotation)
        shape = (frame.width, frame.height, rotation)
        if shape != self._shape:
            self._shape = shape
            self._setup(frame.width, frame.height, rotation, stream)
        placed = self._placement
        # One scaler thread: this worker already runs beside the loop, and swscale's own
        # threads cost more CPU in hand-over than they save (measured: 1.0 ms vs 1.8 ms a frame).
        if rotation in (90, 270):
            picture = frame.reformat(placed.height, placed.width, PIXELS, threads=1)
        else:
            picture = frame.reformat(placed.width, placed.height, PIXELS, threads=1)
        return self._upright.turn(picture) if self._upright else picture

    def _setup(self, width: int, height: int, rotation: int, stream) -> None:  # noqa: ANN001
        sar = stream.sample_aspect_ratio
        shown_width = width * float(sar) if sar else width
        source = (height, shown_width) if rotation in (90, 270) else (shown_width, height)
        self._placement = place(source, self.size, self.fit)
        p = self._placement
        self._upright = None
        if rotation:
            pre = (p.height, p.width) if rotation in (90, 270) else (p.width, p.height)
            self._upright = _Upright(pre[0], pre[1], rotation)
        log.debug("%s: %dx%d rotated %d drawn at %dx%d", self.path, width, height, rotation,
                  p.width, p.height)


class VideoSlide:
    """A video item (see `player.render.slide.Slide`).

    Making one starts decoding at once; `prepare()` waits for the first frame and raises
    MediaError naming the file when it cannot be played. `duration` cuts the clip (and holds its
    last frame if the clip is shorter, unless `loop` repeats it to fill the time).
    """

    animated = True

    def __init__(self, item_id: str, path: Path, size: tuple[int, int], fit: str,
                 background: tuple[int, int, int], *, loop: bool = False,
                 duration: float | None = None, volume: float = 1.0, mute: bool = False,
                 audio: AudioOutput | None = None,
                 on_error: Callable[[str], None] | None = None):
        self.item_id = item_id
        self.path = path
        self.size = size
        self.background = background
        self.duration = duration
        self.frames = 0  # frames shown
        self.late_frames = 0  # frames dropped because their time had passed
        self._on_error = on_error
        self._reported = False
        on_error = self._report_once if on_error is not None else None
        self._frames = _FrameQueue(QUEUE_FRAMES)
        self._decoder = _VideoDecoder(path, size, fit, self._frames,
                                      loop=loop and duration is not None, on_error=on_error)
        self._audio = audio
        self._stream: AudioStream | None = None
        self._audio_decoder: AudioDecoder | None = None
        if audio is not None and audio.available and not mute and volume > 0:
            self._stream = AudioStream(volume)
            self._audio_decoder = AudioDecoder(path, self._stream,
                                               loop=loop and duration is not None,
                                               on_error=on_error)
            self._audio_decoder.start()
        self._prepared = False
        self._closed = False
        self._pending: _Frame | None = None
        self._current: _Frame | None = None
        self._surface: pygame.Surface | None = None
        self._video_done = False
        self._t0 = 0.0
        self._pts0 = 0.0
        self._offset = 0.0

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
        if self._stream is not None:
            self._audio.play(self._stream, self._pts0, now)

    def draw(self, target: pygame.Surface, now: float) -> None:
        self._advance(now)
        placed = self._decoder.placement
        if self._surface is None or placed is None or not placed.covers(self.size):
            target.fill(self.background)
        if self._surface is not None and placed is not None:
            target.blit(self._surface, (placed.x, placed.y))

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
        if self._stream is not None:
            self._audio.stop(self._stream)
        self._decoder.stop()
        if self._audio_decoder is not None:
            self._audio_decoder.stop()
        self._surface = None
        self._current = self._pending = None

    def _report_once(self, message: str) -> None:
        """One report per showing: damage seen by both decoders, or on every loop, is one event."""
        if not self._reported:
            self._reported = True
            self._on_error(message)

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
            if item is _END:
                self._video_done = True
            elif item is not None:
                self._pending = item

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
        while True:
            self._fetch()
            if self._pending is None or self._pending.pts > due:
                break
            if shown is not None:
                self.late_frames += 1
            shown, self._pending = self._pending, None
        if shown is not None:
            self._show(shown)

    def _show(self, frame: _Frame) -> None:
        plane = frame.picture.planes[0]
        self._surface = pygame.image.frombuffer(
            plane, (frame.picture.width, frame.picture.height), "BGR", pitch=plane.line_size)
        self._current = frame
        self.frames += 1
