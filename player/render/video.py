"""Video items: decoded by PyAV in a worker thread, shown by the render loop frame by frame.

The worker opens the file as soon as the slide is made (while the previous item still shows),
decodes, scales each frame once with FFmpeg's scaler straight to the size and the pixel layout it
is drawn in and turns it upright (display matrix), in one FFmpeg filter graph, then puts it in a
small bounded queue. The loop's `draw` takes the frame whose time has come, dropping any it is
too late for, and blits it: `frombuffer` shares the decoded pixels, so the blit is the only copy
in the main thread. Sound goes through the `AudioOutput`; while it plays, its clock drives the
pictures, otherwise `time.monotonic` does.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import pygame

from player.media.probe import MediaError, decode_frames, normal_rotation, open_media
from player.render.audio import AudioDecoder, AudioOutput, AudioStream

if TYPE_CHECKING:
    from av.video.frame import VideoFrame

log = logging.getLogger(__name__)

QUEUE_FRAMES = 4  # decoded frames held ahead: ~25 MB at 1080p, 130 ms at 30 fps
FIRST_FRAME_TIMEOUT = 10.0  # prepare() waits this long for a slow disk before giving up
DUE_SLACK = 0.002  # a frame due within this is shown now (timer and clock rounding)
DEFAULT_FRAME = 1 / 30  # a frame's duration when the file does not say
# Up to this many pixels a second, one core decodes with a wide margin (1080p30 H.264: 3 ms of
# each 33 ms) and FFmpeg's frame threads only add hand-over work: measured while playing, 1080p30
# H.264 costs 0.4 ms a frame less CPU in one thread. Beyond it (4K, 60 fps), both cores decode.
ONE_THREAD_PIXEL_RATE = 1920 * 1088 * 30
TRUNCATED_SLACK = 1.0  # pictures ending this much before the announced length: a cut file
MAX_HOLE = 30.0  # a wait longer than this for the next frame is damage, not a still scene
_END = object()


# the pygame names of the layouts decoded into (pygame.image.frombuffer's formats)
PygameFormat = Literal["BGR", "BGRA", "RGBX"]


@dataclass(frozen=True)
class PixelLayout:
    """A packed pixel layout by its FFmpeg and pygame names (both spell the bytes in memory)."""

    ffmpeg: str
    pygame: PygameFormat


PACKED_24 = PixelLayout("bgr24", "BGR")  # any screen: SDL widens each pixel while blitting
# 32-bit screens by their (red, green, blue) masks, on a little-endian machine. Scaling straight
# into the screen's own layout makes the blit a copy (1080p: swscale 0.53 ms instead of 0.64 ms,
# blit 0.45 ms instead of 0.58 ms). pygame has no alpha-less BGRA: the frame's alpha bytes are
# 255, and SDL copies opaque pixels of a per-pixel-alpha surface without blending them.
SCREEN_LAYOUTS = {
    (0xFF0000, 0x00FF00, 0x0000FF): PixelLayout("bgra", "BGRA"),  # XRGB8888: x11, offscreen
    (0x0000FF, 0x00FF00, 0xFF0000): PixelLayout("rgb0", "RGBX"),  # XBGR8888: the same format
}
# The 32-bit screens whose pixels are byte for byte a picture of that layout (alpha ignored).
SCREEN_MASKS = {layout.pygame: (*masks, 0) for masks, layout in SCREEN_LAYOUTS.items()}


def screen_layout(surface: pygame.Surface | None) -> PixelLayout:
    """The layout to decode into for drawing on `surface` (bgr24 when it is not a known one)."""
    if surface is None or surface.get_bitsize() != 32 or sys.byteorder != "little":
        return PACKED_24
    red, green, blue, alpha = surface.get_masks()
    if alpha:
        return PACKED_24
    return SCREEN_LAYOUTS.get((red, green, blue), PACKED_24)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's `malloc_trim`).

    Each clip's decoder, filter graph and frame pools allocate and free several full-size
    pictures from whichever thread's malloc arena is at hand; glibc keeps what is freed in those
    arenas, so over thousands of items the process grows to a plateau some 30 MB above what it
    uses (measured with benchmarks/soak.py). Called by each new decoder thread, off the render
    thread: about a millisecond.
    """
    if _TRIM is not None:
        _TRIM(0)


@dataclass
class _Frame:
    pts: float  # media seconds (loops add the clip length)
    duration: float
    picture: VideoFrame  # at drawing size; its plane is the pixel buffer
    pixels: PygameFormat  # the picture's layout by its pygame name


@dataclass(frozen=True)
class Placement:
    """Where a picture of one shape goes on the target: its scaled size and top-left corner."""

    width: int
    height: int
    x: int
    y: int

    def bars(self, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
        """The rectangles of a target of `size` that the picture leaves uncovered."""
        width, height = size
        left, top = max(self.x, 0), max(self.y, 0)
        right, bottom = min(self.x + self.width, width), min(self.y + self.height, height)
        if right <= left or bottom <= top:
            return [(0, 0, width, height)]
        bars = [(0, 0, width, top), (0, bottom, width, height - bottom),
                (0, top, left, bottom - top), (right, top, width - right, bottom - top)]
        return [bar for bar in bars if bar[2] > 0 and bar[3] > 0]

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

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

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


class _Scaler:
    """Scales decoded frames of one shape to the drawing size and pixel layout, and turns them
    upright by a display-matrix rotation, in one FFmpeg filter graph.

    A graph rather than `VideoFrame.reformat`: its output frames come from a pool that reuses
    their buffers, where `reformat` allocates a fresh 6-8 MB picture a frame and the kernel then
    maps its pages in one by one (measured at 1080p: 0.3 ms a frame less, no page faults).
    A picture that changes size is scaled, and turned, while still in its own YUV format, and
    converted to the screen's layout last, at the size it is drawn: swscale's combined
    scale-and-convert costs about twice as much (720p to 1080p: 1.8 ms instead of 2.8 ms a frame;
    1080p to 608x1080 upright: 1.8 instead of 2.5), and the unscaled conversion has its own fast
    path (1080p: 0.5 ms).
    """

    TURNS = {90: (("transpose", "cclock"),), 270: (("transpose", "clock"),),
             180: (("hflip", None), ("vflip", None))}
    # 8-bit planar YUV is scaled as it is; other YUV (10-bit, semi-planar) as yuv420p.
    PLANAR_8BIT = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"}

    def __init__(self, frame, size: tuple[int, int], pixels: str,  # noqa: ANN001 - av.VideoFrame
                 rotation: int):
        import av.filter

        self.graph = av.filter.Graph()
        # One thread: this worker already runs beside the loop, and swscale's own threads cost
        # more CPU in hand-over than they save (measured: 1.0 ms vs 1.8 ms a 1080p frame).
        self.graph.threads = 1
        source = self.graph.add(
            "buffer", video_size=f"{frame.width}x{frame.height}", pix_fmt=str(int(frame.format)),
            time_base=str(frame.time_base or Fraction(1, 1000)), pixel_aspect="1/1",
            colorspace=str(int(frame.colorspace)), range=str(int(frame.color_range)))
        nodes = [source]
        name = frame.format.name
        yuv = name.startswith(("yuv", "nv", "p0", "p2", "p4")) and pixels != name
        if yuv and ((frame.width, frame.height) != size or rotation):
            middle = name if name in self.PLANAR_8BIT else "yuv420p"
            # Scaling up, swscale's fast bilinear looks the same on screen (compared side by side
            # on 720p test pictures at 1080p) and costs 0.7 ms a frame less; scaling down keeps
            # the exact filter, which aliases less.
            up = size[0] >= frame.width and size[1] >= frame.height
            nodes += [self._scale(size, "fast_bilinear" if up else "bilinear"),
                      self.graph.add("format", pix_fmts=middle)]
            nodes += [self.graph.add(turn, args) for turn, args in self.TURNS.get(rotation, ())]
            upright = (size[1], size[0]) if rotation in (90, 270) else size
            nodes += [self._scale(upright), self.graph.add("format", pix_fmts=pixels)]
        else:
            nodes += [self._scale(size), self.graph.add("format", pix_fmts=pixels)]
            nodes += [self.graph.add(turn, args) for turn, args in self.TURNS.get(rotation, ())]
        nodes.append(self.graph.add("buffersink"))
        self.graph.link_nodes(*nodes).configure()

    def _scale(self, size: tuple[int, int], flags: str = "bilinear"):  # noqa: ANN202
        # Bilinear, as `reformat` did; a same-size conversion takes swscale's unscaled path.
        return self.graph.add("scale", width=str(size[0]), height=str(size[1]), flags=flags,
                              threads="1")

    def convert(self, frame):  # noqa: ANN001, ANN201 - av.VideoFrame in and out
        self.graph.push(frame)
        return self.graph.pull()


class _VideoDecoder:
    """The worker: open, decode, scale, turn upright, queue; repeat the clip when looping."""

    def __init__(self, path: Path, size: tuple[int, int], fit: str, frames: _FrameQueue, *,
                 layout: PixelLayout, loop: bool, on_error: Callable[[str], None] | None,
                 on_truncated: Callable[[str], None] | None = None):
        self.path = path
        self.size = size
        self.fit = fit
        self.screen_layout = layout
        self.frames = frames
        self.loop = loop
        self.on_error = on_error
        self.on_truncated = on_truncated or on_error
        self.error: MediaError | None = None
        self.has_video = True
        self.first = threading.Event()  # set once the first frame is queued (or there is none)
        self.first_pts: float | None = None
        self.decoded = 0
        self._stopped = threading.Event()
        self._shape: tuple | None = None
        self._placement: Placement | None = None
        self._layout = layout
        self._scaler: _Scaler | None = None
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
            release_free_memory()
            self._decode_all()
        except MediaError as exc:
            self.error = exc
        except Exception as exc:  # FFmpeg failing half-way must never take the player down
            message = f"{self.path}: video decoding stopped: {exc}"
            log.warning("%s", message)
            if self.on_error:
                self.on_error(message)
        finally:
            # Free the filter graph (and with it the frame pool its pictures come from) as soon
            # as the clip is decoded, not whenever the garbage collector gets to the slide: a
            # graph held that way costs several full-size pictures, clip after clip.
            self._scaler = None
            self._shape = None
            self.on_error = self.on_truncated = None
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
                self._choose_threads(stream)
                length = container.duration / 1_000_000 if container.duration else None
                end = self._decode_pass(container, stream, offset)
                if end is not None and offset == 0.0:
                    self._check_length(container, stream, end)
            if not self.loop or end is None or self.decoded == 0:
                return
            # The audio decoder repeats by the same container duration, so both stay aligned.
            offset += length if length else end - offset - (self.first_pts or 0.0)

    def _check_length(self, container, stream, end: float) -> None:  # noqa: ANN001
        """Report a clip whose pictures stop well before the length its index announces: an
        interrupted copy. (MPEG-TS has no index: its length is guessed from the file's size.)"""
        if stream.duration and stream.time_base:
            start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
            announced = start + float(stream.duration * stream.time_base)
        elif container.duration:
            start = container.start_time / 1_000_000 if container.start_time else 0.0
            announced = start + container.duration / 1_000_000
        else:
            return
        if announced - end > max(TRUNCATED_SLACK, announced * 0.1) and self.on_truncated:
            first = self.first_pts or 0.0
            message = (f"{self.path}: the file is cut short: pictures stop at {end - first:.1f} s "
                       f"of {announced - first:.1f} s (an interrupted copy?)")
            log.warning("%s", message)
            self.on_truncated(message)

    @staticmethod
    def _choose_threads(stream) -> None:  # noqa: ANN001 - av.VideoStream
        codec = stream.codec_context
        rate = float(stream.average_rate or stream.guessed_rate or 30)
        if codec.width * codec.height * rate <= ONE_THREAD_PIXEL_RATE:
            codec.thread_count = 1
        else:
            stream.thread_type = "AUTO"  # slice + frame threads: both cores

    def _decode_pass(self, container, stream, offset: float) -> float | None:  # noqa: ANN001
        """Queue one pass of frames; returns where it ended (media time), None when stopped."""
        held: _Frame | None = None
        last_pts: float | None = None
        for frame in decode_frames(container, stream, self.path, on_error=self.on_error):
            if self._stopped.is_set():
                return None
            if frame is None:
                break
            if frame.time is None and last_pts is None:
                continue
            # a frame without a time follows one with a time (the first ones were skipped)
            pts = (frame.time if frame.time is not None
                   else cast("float", last_pts) + DEFAULT_FRAME) + offset
            if last_pts is not None and pts <= last_pts:
                continue  # a damaged timestamp going backwards: the picture would stutter
            picture = self._convert(frame, stream)
            duration = float(frame.duration * frame.time_base) if frame.duration and \
                frame.time_base else DEFAULT_FRAME
            if held is not None:
                held.duration = pts - held.pts
                if not self._put(held):
                    return None
            held = _Frame(pts, duration, picture, self._layout.pygame)
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
        shape = (frame.width, frame.height, rotation, frame.format.name, frame.colorspace,
                 frame.color_range)
        if shape != self._shape:
            self._shape = shape
            self._setup(frame, rotation, stream)
        return self._scaler.convert(frame)

    def _setup(self, frame, rotation: int, stream) -> None:  # noqa: ANN001
        width, height = frame.width, frame.height
        sar = stream.sample_aspect_ratio
        shown_width = width * float(sar) if sar else width
        source = (height, shown_width) if rotation in (90, 270) else (shown_width, height)
        self._placement = place(source, self.size, self.fit)
        p = self._placement
        # A picture with an alpha channel (rare: ProRes 4444, PNG in MOV) keeps to 24 bits: its
        # alpha would be blended by the blit, where it has always been dropped.
        see_through = any(part.is_alpha for part in frame.format.components)
        self._layout = PACKED_24 if see_through else self.screen_layout
        scaled = (p.height, p.width) if rotation in (90, 270) else (p.width, p.height)
        self._scaler = _Scaler(frame, scaled, self._layout.ffmpeg, rotation)
        log.debug("%s: %dx%d %s rotated %d drawn at %dx%d as %s", self.path, width, height,
                  frame.format.name, rotation, p.width, p.height, self._layout.ffmpeg)


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
        self._frames = _FrameQueue(QUEUE_FRAMES)
        self._decoder = _VideoDecoder(
            path, size, fit, self._frames, layout=screen_layout(pygame.display.get_surface()),
            loop=loop and duration is not None, on_error=on_error,
            on_truncated=self._report_truncated if self._on_truncated is not None else None)
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
        if self._stream is not None:  # made only with an audio output
            cast("AudioOutput", self._audio).play(self._stream, self._pts0, now, fade=self.fade)

    def draw(self, target: pygame.Surface, now: float) -> None:
        self._advance(now)
        placed = self._decoder.placement
        if self._surface is None or placed is None:
            target.fill(self.background)
        elif not placed.covers(self.size):
            # Only the bars: the picture covers the rest (filling all of it first would write a
            # 1080p screen twice, 0.3-0.4 ms a frame).
            for bar in placed.bars(target.get_size()):
                target.fill(self.background, bar)
        if self._surface is not None and placed is not None and not self._copy_rows(target, placed):
            target.blit(self._surface, (placed.x, placed.y))

    def _copy_rows(self, target: pygame.Surface, placed: Placement) -> bool:
        """Copy a full-width picture already in `target`'s own layout straight into its pixels.

        pygame has no alpha-less layout for BGRA bytes, so blitting the picture goes through its
        alpha blitter (1080p: 0.5-0.7 ms a frame, every pixel's alpha read); the pixels are
        already what the screen holds, so one memmove does it (about half of that). Any other
        case (a narrower picture, another layout, other line lengths) is blitted.
        """
        frame = self._current
        if frame is None or placed.x != 0 or placed.y < 0:
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
        self._current = self._pending = None

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
            if item is _END:
                self._video_done = True
            elif item is not None:
                self._pending = cast("_Frame", item)  # the queue holds frames and _END

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

    def _show(self, frame: _Frame) -> None:
        plane = frame.picture.planes[0]
        self._surface = pygame.image.frombuffer(
            plane, (frame.picture.width, frame.picture.height), frame.pixels,
            pitch=plane.line_size)
        self._current = frame
        self.frames += 1
