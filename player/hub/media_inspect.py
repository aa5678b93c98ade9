"""What an upload is: a picture or a video the screens can use, or a refusal in plain words.

``inspect_upload`` reads a file once it has arrived (Pillow, PyAV) and refuses one that is not
a picture or a video, is cut short, or is too large; it runs at upload, so nobody learns at
publish time that a file was bad. ``MediaRefused.code`` picks the sentence people read.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from player.hub.media_settings import MediaSettings

log = logging.getLogger(__name__)

IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp",
                 "TIFF": ".tif", "HEIF": ".heic", "MPO": ".jpg"}
# FFmpeg opens nearly anything (a text file is an "ansi" video): only these are videos people mean
VIDEO_CODECS = {"h264", "hevc", "h265", "vp8", "vp9", "av1", "mpeg4", "mpeg2video", "mpeg1video",
                "prores", "mjpeg", "dnxhd", "theora", "wmv2", "wmv3", "vc1", "msmpeg4v3",
                "h263", "dvvideo"}
TRUNCATED_SLACK = 1.0  # packets ending this much before the announced length: a cut file


class MediaRefused(Exception):
    """A file that cannot be used; ``code`` picks the sentence people read (vi/en), ``values``
    fill it, ``str()`` is the English sentence for logs and scripts."""

    def __init__(self, code: str, message: str, **values: object):
        super().__init__(message)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Inspected:
    """What an upload holds (video sizes are upright, after the rotation is applied)."""

    kind: str  # image | video
    ext: str  # the original's extension, from its content
    width: int
    height: int
    duration: float | None = None
    has_audio: bool = False
    frame_rate: float | None = None
    rotation: int = 0


def inspect_upload(path: Path, settings: MediaSettings, name: str = "") -> Inspected:
    """Tell what ``path`` is; raises MediaRefused when it is no usable picture or video."""
    label = name or path.name
    if path.stat().st_size == 0:
        raise MediaRefused("empty", f"{label}: the file is empty")
    image = _inspect_image(path, settings, label)
    if image is not None:
        return image
    return _inspect_video(path, settings, label)


def _inspect_image(path: Path, settings: MediaSettings, label: str) -> Inspected | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            ext = IMAGE_FORMATS.get(image.format or "")
            if ext is None:
                return None
            _check_pixels(width * height, settings, label)
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # decodes every byte
            image.load()
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError as exc:
        # Pillow's own guard fires from the header, past twice its limit: say it our way
        found = re.search(r"\((\d+) pixels\)", str(exc))
        _check_pixels(int(found.group(1)) if found else 10**12, settings, label)
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaRefused("broken_image", f"{label}: the picture is damaged or incomplete "
                                           f"({exc})") from None
    return Inspected("image", ext, width, height)


def _check_pixels(pixels: int, settings: MediaSettings, label: str) -> None:
    """Refused from the header alone: decoding such a picture would take gigabytes."""
    megapixels = pixels / 1e6
    if megapixels > settings.max_megapixels:
        raise MediaRefused("too_many_pixels", f"{label}: the picture is {megapixels:.0f} "
                                              f"megapixels; the limit is "
                                              f"{settings.max_megapixels:g}",
                           megapixels=round(megapixels), limit=settings.max_megapixels)


def _inspect_video(path: Path, settings: MediaSettings, label: str) -> Inspected:
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError):
        raise _not_media(path, label) from None
    try:
        streams = container.streams
        video = streams.video[0] if streams.video else None
        codec = video.codec_context.name if video is not None and video.codec_context else ""
        if video is None or codec not in VIDEO_CODECS:
            raise _not_media(path, label)
        duration = container.duration / av.time_base if container.duration else None
        if not duration or duration <= 0:
            raise MediaRefused("no_length", f"{label}: the video does not say how long it is "
                                            "(the file is damaged or incomplete)")
        width, height = video.codec_context.width, video.codec_context.height
        rotation = _first_frame_rotation(container, video, label)
        end = _last_packet_end(container, label)
        # a short clip cut short loses less than a second; a long one may end a little early
        if end < duration - max(0.25, min(TRUNCATED_SLACK, duration * 0.05)):
            raise MediaRefused("truncated", f"{label}: the video stops at {end:.0f} s of "
                                            f"{duration:.0f} s: the file is incomplete (upload "
                                            "or copy it again)",
                               end=round(end), duration=round(duration))
        rate = video.average_rate
        if rotation in (90, 270):
            width, height = height, width
        return Inspected("video", path.suffix.lower() if path.suffix else ".mp4", width, height,
                         duration, bool(streams.audio), float(rate) if rate else None, rotation)
    finally:
        container.close()


def _not_media(path: Path, label: str) -> MediaRefused:
    head = path.read_bytes()[:2048] if path.stat().st_size < 10**9 else b""
    try:
        head.decode("utf-8")
        looks = "text"
    except UnicodeDecodeError:
        looks = ""
    if looks:
        return MediaRefused("text_file", f"{label}: this is a text file, not a picture or a "
                                         "video")
    return MediaRefused("not_media", f"{label}: this is not a picture or a video the hub can "
                                     "read (or the file is incomplete)")


def _first_frame_rotation(container, video, label: str) -> int:  # noqa: ANN001 - PyAV objects
    import av

    from player.media.probe import normal_rotation

    try:
        for packet in container.demux(video):
            for frame in packet.decode():
                container.seek(0)
                return normal_rotation(frame.rotation)
    except (av.error.FFmpegError, ValueError):
        pass
    raise MediaRefused("no_picture", f"{label}: no picture in the video could be decoded "
                                     "(the file is damaged or incomplete)")


def _last_packet_end(container, label: str) -> float:  # noqa: ANN001 - av container
    """Where the file's data really ends, in seconds: every packet is read, none decoded."""
    import av

    end = 0.0
    try:
        for packet in container.demux():
            if packet.pts is not None and packet.time_base is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    except av.error.FFmpegError:
        pass  # a read error is the truncation itself: ``end`` says where it happened
    return end


__all__ = ["Inspected", "MediaRefused", "inspect_upload"]
