"""What a media file holds, read with PyAV alone (no pygame), and the decoding loop that survives
damage. `check` uses `probe_media`; the players use `open_media` and `decode_frames`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAX_BAD_PACKETS = 500  # past this many undecodable packets in a row, the rest is noise


class MediaError(Exception):
    """A media file cannot be played at all; the message names the file and the reason."""


@dataclass(frozen=True)
class MediaInfo:
    """The facts `check` and the players need before decoding."""

    path: Path
    format: str  # container, as FFmpeg names it (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`)
    duration: float | None  # seconds; None when the container does not say
    has_video: bool
    has_audio: bool
    video_codec: str | None = None
    audio_codec: str | None = None
    width: int = 0  # as stored, before rotation
    height: int = 0
    rotation: int = 0  # degrees counter-clockwise to show it upright: 0, 90, 180 or 270
    frame_rate: float | None = None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height once rotated upright."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


def open_media(path: Path):  # noqa: ANN201 - av.container.InputContainer, av imported lazily
    """Open a file with FFmpeg; raises MediaError naming the file when it cannot be read."""
    import av

    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"{path}: not a playable media file ({_reason(exc)})") from exc


def probe_media(path: Path) -> MediaInfo:
    """Open `path`, read its streams and first video frame's rotation; raises MediaError."""
    import av

    container = open_media(path)
    try:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise MediaError(f"{path}: has neither a video nor an audio track")
        if video is not None and video.codec_context is None:
            raise MediaError(f"{path}: video codec not supported")
        duration = container.duration / av.time_base if container.duration else None
        rotation = stream_rotation(container, video) if video is not None else 0
        rate = video.average_rate if video is not None else None
        return MediaInfo(
            path=path, format=container.format.name, duration=duration,
            has_video=video is not None, has_audio=audio is not None,
            video_codec=video.codec_context.codec.canonical_name if video is not None else None,
            audio_codec=audio.codec_context.codec.canonical_name if audio is not None else None,
            width=video.codec_context.width if video is not None else 0,
            height=video.codec_context.height if video is not None else 0,
            rotation=rotation, frame_rate=float(rate) if rate else None)
    finally:
        container.close()


def stream_rotation(container, stream) -> int:  # noqa: ANN001
    """The rotation of the first frame that decodes (FFmpeg puts the display matrix on frames)."""
    for frame in decode_frames(container, stream, Path(container.name), limit=50):
        if frame is not None:
            return normal_rotation(frame.rotation)
    return 0


def normal_rotation(degrees: float) -> int:
    """A display-matrix angle (counter-clockwise, -180..180) -> 0, 90, 180 or 270."""
    return int(round(degrees / 90.0)) % 4 * 90


def decode_frames(container, stream, path: Path, limit: int | None = None,  # noqa: ANN001
                  on_error: Callable[[str], None] | None = None) -> Iterator:
    """Decoded frames of `stream`, skipping damaged packets; stops at the end or a read error.

    Yields None once at the end so a caller can flush what it keeps (a resampler). `on_error`
    hears about damage once per file pass (for the `decode_failed` event).
    """
    import av

    def report(message: str) -> None:
        log.warning("%s", message)
        if on_error is not None:
            on_error(message)

    bad = damaged = 0
    packets = 0
    try:
        for packet in container.demux(stream):
            packets += 1
            if limit is not None and packets > limit:
                return
            try:
                frames = packet.decode()
            except (av.error.InvalidDataError, av.error.PatchWelcomeError, ValueError) as exc:
                bad += 1
                damaged += 1
                if damaged == 1:
                    report(f"{path}: skipping damaged {stream.type} data ({_reason(exc)})")
                if bad > MAX_BAD_PACKETS:
                    report(f"{path}: too much damaged {stream.type} data, stopping here")
                    break
                continue
            bad = 0
            yield from frames
    except av.error.FFmpegError as exc:  # a read error: a truncated file or a failing disk
        report(f"{path}: reading stopped early ({_reason(exc)})")
    yield None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
