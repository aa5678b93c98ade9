"""The video worker: opens the clip, decodes it, has each frame scaled and turned (video_graph.py)
and queues it for the render loop, in a thread of its own; the queue between them."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from player.media.probe import MediaError, decode_frames, normal_rotation, open_media
from player.render.heap import release_free_memory
from player.render.video_graph import FrameScaler, is_yuv, needs_graph
from player.render.video_layout import PACKED_24, PixelLayout, Placement, PygameFormat, place

log = logging.getLogger(__name__)

DEFAULT_FRAME = 1 / 30  # a frame's duration when the file does not say
# Up to this many pixels a second, one core decodes with a wide margin (1080p30 H.264: 3 ms of
# each 33 ms) and FFmpeg's frame threads only add hand-over work: measured while playing, 1080p30
# H.264 costs 0.4 ms a frame less CPU in one thread. Beyond it (4K, 60 fps), both cores decode.
ONE_THREAD_PIXEL_RATE = 1920 * 1088 * 30
TRUNCATED_SLACK = 1.0  # pictures ending this much before the announced length: a cut file
END = object()  # queued after the last frame


@dataclass
class Frame:
    """One picture for the render loop, at drawing size and upright."""

    pts: float  # media seconds (loops add the clip length)
    duration: float
    picture: Any  # av.VideoFrame; in YUV when `pixels` is None, else its plane is the pixels
    pixels: PygameFormat | None  # the packed layout by its pygame name; None: YUV


class FrameQueue:
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


class VideoDecoder:
    """The worker: open, decode, scale, turn upright, queue; repeat the clip when looping.

    `direct`: the render thread writes YUV pictures straight into the screen (video_convert.py),
    so pictures stay in YUV here; otherwise they are converted to `layout` here.
    """

    def __init__(self, path: Path, size: tuple[int, int], fit: str, frames: FrameQueue, *,
                 layout: PixelLayout, loop: bool, on_error: Callable[[str], None] | None,
                 on_truncated: Callable[[str], None] | None = None, direct: bool = False):
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
        self.direct = direct
        self._pixels: PygameFormat | None = layout.pygame
        self._scaler: FrameScaler | None = None
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
            self.frames.put(END)
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
        held: Frame | None = None
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
            held = Frame(pts, duration, picture, self._pixels)
            last_pts = pts
        if held is not None and not self._put(held):
            return None
        return held.pts + held.duration if held is not None else offset

    def _put(self, item: Frame) -> bool:
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
        # Already the drawn size, upright and to stay in YUV: the decoded frame is the picture
        # (it is only read from here on, and the decoder's pool gives the next one new memory).
        return frame if self._scaler is None else self._scaler.convert(frame)

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
        layout = PACKED_24 if see_through else self.screen_layout
        keep_yuv = self.direct and layout is not PACKED_24 and is_yuv(frame.format.name)
        pixels = None if keep_yuv else layout.ffmpeg
        self._pixels = None if keep_yuv else layout.pygame
        scaled = (p.height, p.width) if rotation in (90, 270) else (p.width, p.height)
        self._scaler = FrameScaler(frame, scaled, pixels, rotation) \
            if needs_graph(frame, scaled, pixels, rotation) else None
        log.debug("%s: %dx%d %s rotated %d drawn at %dx%d as %s", self.path, width, height,
                  frame.format.name, rotation, p.width, p.height, pixels or "YUV")
