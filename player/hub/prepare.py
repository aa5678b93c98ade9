"""Turning an upload into what the screens play (Pillow, PyAV, FFmpeg).

The upload was inspected when it arrived (``media_inspect``). ``prepare_image`` and
``prepare_video`` make the file the players get: upright, no larger than the largest screen, in
formats every player decodes cheaply (JPEG/PNG; H.264 + AAC, yuv420p, constant frame rate,
``+faststart``).
"""

from __future__ import annotations

import logging
import math
import os
import selectors
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from player.hub.media_inspect import Inspected, MediaRefused
from player.hub.media_settings import MediaSettings

log = logging.getLogger(__name__)

THUMB_WIDTH = 320


def fit_within(size: tuple[int, int], screen: tuple[int, int], even: bool = False) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit the screen in the same orientation."""
    long_side, short_side = max(screen), min(screen)
    box = (long_side, short_side) if size[0] >= size[1] else (short_side, long_side)
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    width, height = max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
    if even:  # yuv420p needs even sizes
        width, height = max(2, width - width % 2), max(2, height - height % 2)
    return width, height


@dataclass(frozen=True)
class Prepared:
    """A prepared file in ``folder`` (named ``<sha256><ext>`` by the caller)."""

    path: Path
    ext: str
    width: int
    height: int
    duration: float | None = None


def prepare_image(source: Path, out: Path, settings: MediaSettings) -> Prepared:
    """Upright (EXIF), scaled to fit the screen, saved as JPEG (PNG when it has transparency)."""
    from PIL import Image, ImageOps

    with Image.open(source) as opened:
        if opened.width * opened.height / 1e6 > settings.max_megapixels:
            raise MediaRefused("too_many_pixels", f"{source.name}: too many pixels")
        upright_size = _upright_size(opened)
        target = fit_within(upright_size, settings.screen)
        if opened.format == "JPEG":  # decode at a fraction of the size when that is enough
            opened.draft("RGB", (target[0], target[1]) if upright_size == opened.size
                         else (target[1], target[0]))
        image = ImageOps.exif_transpose(opened)
        assert image is not None
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        if image.size != target:
            image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    ext = ".png" if has_alpha else ".jpg"
    path = out.with_suffix(ext)
    if has_alpha:
        image.save(path, "PNG", optimize=True)
    else:
        image.save(path, "JPEG", quality=88, optimize=True, progressive=True)
    return Prepared(path, ext, image.width, image.height)


def _upright_size(image) -> tuple[int, int]:  # noqa: ANN001 - PIL.Image.Image
    orientation = image.getexif().get(0x0112, 1)
    return (image.height, image.width) if orientation in (5, 6, 7, 8) else image.size


def make_thumbnail(source: Path, out: Path, kind: str) -> None:
    """A small JPEG for the library page (a frame a tenth into a video)."""
    from PIL import Image, ImageOps

    if kind == "image":
        with Image.open(source) as opened:
            opened.draft("RGB", (THUMB_WIDTH * 2, THUMB_WIDTH * 2))
            image = ImageOps.exif_transpose(opened) or opened
            image = image.convert("RGB")
    else:
        image = video_frame(source, 0.1)
    image.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
    image.save(out, "JPEG", quality=80)


def video_frame(path: Path, fraction: float):  # noqa: ANN201 - PIL.Image.Image
    """The upright picture ``fraction`` of the way into a video (PyAV, a seek and a decode)."""
    import av

    from player.media.probe import normal_rotation

    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        duration = container.duration / av.time_base if container.duration else 0.0
        target = max(0.0, duration * fraction)
        if target > 0 and stream.time_base:
            container.seek(int(target / stream.time_base), stream=stream, backward=True)
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or frame.time >= target:
                break
        if chosen is None:
            raise MediaRefused("no_picture", f"{path.name}: no picture could be decoded")
        image = chosen.to_image()
        turn = normal_rotation(chosen.rotation)
        return image.rotate(turn, expand=True) if turn else image


@dataclass
class FfmpegRun:
    """One FFmpeg run; ``progress`` hears fractions 0..1 (from ``-progress pipe:1``)."""

    command: list[str]
    duration: float | None
    timeout: float
    progress: Callable[[float], None] = lambda _fraction: None
    stopped: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Run to the end; raises MediaRefused with FFmpeg's last words when it fails."""
        with open(os.devnull, "rb") as stdin, _temporary_log() as errors:
            process = subprocess.Popen(self.command, stdin=stdin, stdout=subprocess.PIPE,
                                       stderr=errors, start_new_session=True)
            try:
                self._follow(process)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                assert process.stdout is not None
                process.stdout.close()
            if self.stopped.is_set():
                raise JobStopped()
            if process.returncode != 0:
                errors.seek(0)
                tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                raise MediaRefused("ffmpeg_failed", "FFmpeg could not convert the video: "
                                   + (" / ".join(tail) or f"exit status {process.returncode}"),
                                   reason=" / ".join(tail)[-300:])

    def _follow(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        deadline = time.monotonic() + self.timeout
        buffered = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                if self.stopped.is_set():
                    return
                if time.monotonic() > deadline:
                    process.kill()
                    raise MediaRefused("timeout", f"FFmpeg took longer than {self.timeout:.0f} s",
                                       seconds=round(self.timeout))
                if not selector.select(timeout=0.5):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    return
                buffered += chunk
                *lines, buffered = buffered.split(b"\n")
                for line in lines:
                    self._progress_line(line.decode("ascii", "replace").strip())

    def _progress_line(self, line: str) -> None:
        key, _, value = line.partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit() and self.duration:
            self.progress(min(1.0, max(0.0, int(value) / 1e6 / self.duration)))
        elif key == "progress" and value == "end":
            self.progress(1.0)


class JobStopped(Exception):
    """The hub is stopping: the job goes back to the queue."""


class _temporary_log:
    def __enter__(self):  # noqa: ANN204
        import tempfile

        self.file = tempfile.TemporaryFile()
        return self.file

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def ffmpeg_program(settings: MediaSettings) -> str | None:
    """The FFmpeg to run, or None when there is none (videos then fail with a clear reason)."""
    if os.sep in settings.ffmpeg:
        return settings.ffmpeg if os.access(settings.ffmpeg, os.X_OK) else None
    return shutil.which(settings.ffmpeg)


def video_command(ffmpeg: str, source: Path, out: Path, info: Inspected,
                  settings: MediaSettings) -> list[str]:
    """The FFmpeg command that prepares a video (the benchmark runs the same one by hand)."""
    width, height = fit_within((info.width, info.height), settings.screen, even=True)
    rate = info.frame_rate if info.frame_rate and math.isfinite(info.frame_rate) else 30.0
    rate = min(round(rate * 1000) / 1000, settings.max_frame_rate)
    command = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
               "-i", str(source), "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1",
               # FFmpeg turns the picture upright by itself (autorotate) and drops the matrix
               "-vf", f"scale={width}:{height}:flags=bicubic,format=yuv420p",
               "-fps_mode", "cfr", "-r", f"{rate:g}",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "22", "-profile:v", "high",
               "-pix_fmt", "yuv420p", "-g", str(max(1, round(rate * 2))),
               "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2",
               "-movflags", "+faststart", "-progress", "pipe:1", "-nostats", str(out)]
    if settings.nice and shutil.which("nice"):
        command = ["nice", "-n", str(settings.nice), *command]
    return command


def prepare_video(source: Path, out: Path, info: Inspected, settings: MediaSettings,
                  progress: Callable[[float], None], stopped: threading.Event) -> Prepared:
    """H.264 + AAC in MP4 at the screen's size, upright, constant frame rate, ``+faststart``."""
    ffmpeg = ffmpeg_program(settings)
    if ffmpeg is None:
        raise MediaRefused("no_ffmpeg", f'FFmpeg ("{settings.ffmpeg}") is not installed on the '
                                        "hub: apt-get install ffmpeg")
    path = out.with_suffix(".mp4")
    command = video_command(ffmpeg, source, path, info, settings)
    log.info("preparing %s: %s", source.name, " ".join(command))
    FfmpegRun(command, info.duration, settings.ffmpeg_timeout, progress, stopped).run()
    width, height = fit_within((info.width, info.height), settings.screen, even=True)
    return Prepared(path, ".mp4", width, height, info.duration)


__all__ = ["Prepared", "prepare_image", "prepare_video", "make_thumbnail", "video_frame", "video_command", "fit_within",
           "ffmpeg_program", "JobStopped", "FfmpegRun"]
