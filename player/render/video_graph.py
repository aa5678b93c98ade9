"""The decoder thread's FFmpeg filter graph: each frame scaled to the size it is drawn at and
turned upright, either left in YUV for the render thread to write into the screen, or converted
to a packed layout here."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

# 8-bit planar YUV is scaled as it is; other YUV (10-bit, semi-planar) as yuv420p.
PLANAR_8BIT = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"}
TURNS = {90: (("transpose", "cclock"),), 270: (("transpose", "clock"),),
         180: (("hflip", None), ("vflip", None))}


def is_yuv(format_name: str) -> bool:
    return format_name.startswith(("yuv", "nv", "p0", "p2", "p4"))


def needs_graph(frame: Any, size: tuple[int, int], pixels: str | None, rotation: int) -> bool:
    """False when the decoded frame itself is what is drawn (right size, upright, kept in YUV)."""
    return pixels is not None or (frame.width, frame.height) != size or rotation != 0


class FrameScaler:
    """Scales decoded frames of one shape to the drawing size, turns them upright by a
    display-matrix rotation and, when `pixels` names a packed layout, converts them to it, in one
    FFmpeg filter graph. `pixels=None`: the output stays in YUV (the render thread converts it
    straight into the screen, see video_convert.py).

    A graph rather than `VideoFrame.reformat`: its output frames come from a pool that reuses
    their buffers, where `reformat` allocates a fresh picture a frame and the kernel then maps its
    pages in one by one (measured at 1080p: 0.3 ms a frame less, no page faults).
    A picture that changes size is scaled, and turned, while still in its own YUV format, and
    converted last, at the size it is drawn: swscale's combined scale-and-convert costs about
    twice as much (720p to 1080p: 1.8 ms instead of 2.8 ms a frame; 1080p to 608x1080 upright:
    1.8 instead of 2.5), and the unscaled conversion has its own fast path (1080p: 0.5 ms).
    """

    def __init__(self, frame: Any, size: tuple[int, int], pixels: str | None, rotation: int):
        import av.filter

        self.graph = av.filter.Graph()
        # One thread: this worker already runs beside the loop, and swscale's own threads cost
        # more CPU in hand-over than they save (measured: 1.0 ms vs 1.8 ms a 1080p frame).
        self.graph.threads = 1
        source = self.graph.add(
            "buffer", video_size=f"{frame.width}x{frame.height}", pix_fmt=str(int(frame.format)),
            time_base=str(frame.time_base or Fraction(1, 1000)), pixel_aspect="1/1",
            colorspace=str(int(frame.colorspace)), range=str(int(frame.color_range)))
        nodes = [source, *self._chain(frame, size, pixels, rotation), self.graph.add("buffersink")]
        self.graph.link_nodes(*nodes).configure()

    def _chain(self, frame: Any, size: tuple[int, int], pixels: str | None,
               rotation: int) -> list:
        name = frame.format.name
        turns = [self.graph.add(turn, args) for turn, args in TURNS.get(rotation, ())]
        if pixels is not None and (not is_yuv(name) or pixels == name or
                                   ((frame.width, frame.height) == size and not rotation)):
            return [self._scale(size), self.graph.add("format", pix_fmts=pixels), *turns]
        middle = name if name in PLANAR_8BIT else "yuv420p"
        # Scaling up, swscale's fast bilinear looks the same on screen (compared side by side
        # on 720p test pictures at 1080p) and costs 0.7 ms a frame less; scaling down keeps
        # the exact filter, which aliases less.
        up = size[0] >= frame.width and size[1] >= frame.height
        nodes = [self._scale(size, "fast_bilinear" if up else "bilinear"),
                 self.graph.add("format", pix_fmts=middle), *turns]
        if pixels is not None:
            upright = (size[1], size[0]) if rotation in (90, 270) else size
            nodes += [self._scale(upright), self.graph.add("format", pix_fmts=pixels)]
        return nodes

    def _scale(self, size: tuple[int, int], flags: str = "bilinear") -> Any:
        # Bilinear, as `reformat` did; a same-size conversion takes swscale's unscaled path.
        return self.graph.add("scale", width=str(size[0]), height=str(size[1]), flags=flags,
                              threads="1")

    def convert(self, frame: Any) -> Any:
        """One frame in, its scaled and turned picture out (av.VideoFrame both)."""
        self.graph.push(frame)
        return self.graph.pull()
