"""The last step of a video frame: FFmpeg's scaler writing it straight into the screen's pixels.

The decoder thread hands over pictures already at the size they are drawn and upright, still in
YUV; here, on the render thread, one `sws_scale` turns one into the screen's 32-bit layout right
inside the target surface's pixel buffer. That replaces a conversion into a picture of our own
(decoder thread) plus an 8 MB copy of it onto the screen (render thread) by one pass of the same
cost as that copy, and the picture pool of full-size 32-bit frames is gone with it.

PyAV has no call that converts into a buffer it does not own, so this goes through ctypes to the
libswscale that PyAV itself loaded; ctypes lets go of the GIL during the call, so the decoder
thread decodes meanwhile. Where that library cannot be found, `available()` is False and the
decoder converts as before.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path
from typing import Any, cast

log = logging.getLogger(__name__)

# swscale's unscaled YUV to RGB conversion writes whole blocks of pixels: up to 15 beyond the
# width of a row (measured on yuv420p; 8-pixel blocks for other YUV layouts). A row may only be
# written where that much room follows it.
BLOCK = 16
SWS_BILINEAR = 2  # the flags the filter graph used: the unscaled path takes no filter anyway
# sws_getCoefficients takes AVColorSpace numbers; AVCOL_SPC_RGB (0) on a YUV frame means nothing
# useful, so it, like "unspecified", gets swscale's default (BT.601), as the filter graph does.
_DEFAULT_MATRIX = 2
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG
_UNITY = 1 << 16  # contrast and saturation in swscale's 16.16 fixed point

_IntArray4 = ctypes.c_int * 4
_PointerArray4 = ctypes.c_void_p * 4


def _load() -> Any | None:
    """PyAV's own libswscale (the wheel bundles it), with the signatures used here."""
    try:
        import av
    except ImportError:
        return None
    folder = Path(av.__file__).resolve().parent.parent / "av.libs"
    found = sorted(folder.glob("libswscale*.so*"))
    if not found:
        return None  # PyAV built against the system's FFmpeg: leave conversion to the graph
    try:
        lib = ctypes.CDLL(str(found[0]))
    except OSError as exc:
        log.warning("video: cannot load %s (%s); converting in the decoder thread", found[0], exc)
        return None
    lib.sws_getCachedContext.restype = ctypes.c_void_p
    lib.sws_getCachedContext.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                         ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                         ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_void_p]
    lib.sws_getCoefficients.restype = ctypes.POINTER(ctypes.c_int)
    lib.sws_getCoefficients.argtypes = [ctypes.c_int]
    lib.sws_setColorspaceDetails.restype = ctypes.c_int
    lib.sws_setColorspaceDetails.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                             ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                                             ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                             ctypes.c_int]
    lib.sws_scale.restype = ctypes.c_int
    lib.sws_scale.argtypes = [ctypes.c_void_p, _PointerArray4, _IntArray4, ctypes.c_int,
                              ctypes.c_int, _PointerArray4, _IntArray4]
    lib.sws_freeContext.restype = None
    lib.sws_freeContext.argtypes = [ctypes.c_void_p]
    return lib


_LIB = _load()


def padded(width: int) -> int:
    """The pixels a row of `width` may be written over (its width rounded up to a block)."""
    return -(-width // BLOCK) * BLOCK


def available() -> bool:
    """True when frames can be converted straight into a surface on the render thread."""
    return _LIB is not None


class ScreenWriter:
    """Converts pictures of one shape and format into a 32-bit pixel buffer (one scaler context).

    Owned by one slide and used by the render thread only; `close()` frees the context (a
    context per clip, freed with it: nothing for the garbage collector to find later).
    """

    def __init__(self) -> None:
        self._context: int | None = None
        self._key: tuple | None = None
        self._src_pointers = _PointerArray4()
        self._src_strides = _IntArray4()
        self._dst_pointers = _PointerArray4()
        self._dst_strides = _IntArray4()

    def write(self, picture: Any, ffmpeg_layout: str, address: int, pitch: int) -> None:
        """Convert `picture` (a PyAV VideoFrame) into the `ffmpeg_layout` pixels at `address`,
        rows `pitch` bytes apart, at the picture's own size. Each row may be written over up
        to `padded(picture.width)` pixels: the caller makes sure that room is there."""
        assert _LIB is not None
        self._configure(picture, ffmpeg_layout)
        planes = picture.planes
        for index in range(4):
            plane = planes[index] if index < len(planes) else None
            self._src_pointers[index] = plane.buffer_ptr if plane is not None else None
            self._src_strides[index] = plane.line_size if plane is not None else 0
        self._dst_pointers[0] = address
        self._dst_strides[0] = pitch
        _LIB.sws_scale(self._context, self._src_pointers, self._src_strides, 0, picture.height,
                       self._dst_pointers, self._dst_strides)

    def _configure(self, picture: Any, ffmpeg_layout: str) -> None:
        import av

        key = (picture.width, picture.height, picture.format.name, ffmpeg_layout,
               int(picture.colorspace), int(picture.color_range))
        if key == self._key:
            return
        assert _LIB is not None
        source = int(picture.format)
        target: int = int(cast(Any, av.VideoFormat(ffmpeg_layout)))  # its AVPixelFormat
        context = _LIB.sws_getCachedContext(self._context, picture.width, picture.height, source,
                                            picture.width, picture.height, target, SWS_BILINEAR,
                                            None, None, None)
        if not context:
            raise ValueError(f"swscale cannot convert {picture.format.name} to {ffmpeg_layout}")
        self._context = context
        self._key = key
        matrix = int(picture.colorspace) if int(picture.colorspace) not in (0, 2) else _DEFAULT_MATRIX
        full = int(picture.color_range) == _FULL_RANGE or picture.format.name.startswith("yuvj")
        coefficients = _LIB.sws_getCoefficients(matrix)
        _LIB.sws_setColorspaceDetails(context, coefficients, int(full), coefficients, 1, 0,
                                      _UNITY, _UNITY)

    def close(self) -> None:
        if self._context is not None and _LIB is not None:
            _LIB.sws_freeContext(self._context)
        self._context = None
        self._key = None
