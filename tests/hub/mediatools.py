"""Media files for the media library tests, made here: camera-like photos with an EXIF
orientation (Pillow), phone-like clips (PyAV, then tagged rotated by FFmpeg without re-encoding)."""

from __future__ import annotations

import io
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

RED, BLUE = (220, 30, 30), (30, 60, 220)


def upright_marked(size: tuple[int, int]) -> Image.Image:
    """A picture as it should look: a red band across the top fifth, blue below."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0], size[1] // 5))
    return image


def camera_jpeg(upright: tuple[int, int] = (3000, 4000), orientation: int = 6) -> bytes:
    """A JPEG stored sideways, as a phone held upright saves it, with EXIF orientation 6
    (turn 90° clockwise to show it): shown right, it is ``upright_marked(upright)``."""
    stored = upright_marked(upright).rotate(90, expand=True)  # counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera maker"
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


def is_marked_upright(image: Image.Image) -> bool:
    """Red band at the top, blue at the bottom (the marker of ``upright_marked``)."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    top, bottom = rgb.getpixel((w // 2, h // 20)), rgb.getpixel((w // 2, h - h // 20))
    return _near(top, RED) and _near(bottom, BLUE)


def _near(pixel: tuple, color: tuple, slack: int = 50) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, color, strict=False))


def phone_clip(path: Path, size: tuple[int, int] = (1280, 720), seconds: float = 2.0,
               rotate: int = 90, variable_rate: bool = True, faststart: bool = True,
               codec: str = "libx264") -> Path:
    """An H.264 + AAC clip stored landscape with a red band on the right, tagged like a phone
    held upright (``rotate``: FFmpeg's display matrix), so that shown upright (as FFmpeg and the
    players turn it) the band is on top; frames come at uneven times (variable frame rate)."""
    import av

    plain = path.with_name(path.stem + "-plain.mp4")
    width, height = size
    frame_count = int(seconds * 30)
    with av.open(str(plain), "w") as container:
        options = {"preset": "ultrafast"} if codec == "libx265" else {}
        if codec == "libx265":
            options["x265-params"] = "log-level=error"
        video = container.add_stream(codec, rate=30, options=options)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = Fraction(1, 1000)
        video.codec_context.time_base = Fraction(1, 1000)
        audio = container.add_stream("aac", rate=48000)
        picture = np.zeros((height, width, 3), np.uint8)
        picture[:, :] = BLUE
        picture[:, width - width // 5:] = RED  # the top once turned upright
        moment = 0
        for number in range(frame_count):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = moment
            frame.time_base = Fraction(1, 1000)
            moment += (28 + (number % 3) * 5) if variable_rate else 33
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        samples = int(seconds * 48000)
        tone = (np.sin(np.arange(samples) * 2 * np.pi * 440 / 48000) * 0.3).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = tone[start:start + 1024]
            if len(chunk) < 1024:
                break
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate = 48000
            frame.pts = start
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    if not (rotate or faststart):  # as PyAV wrote it: the index (moov) at the end
        plain.replace(path)
        return path
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(plain),
               "-c", "copy", "-movflags", "+faststart"]
    if rotate:
        command += ["-metadata:s:v:0", f"rotate={rotate}"]
    subprocess.run([*command, str(path)], check=True, timeout=60)
    plain.unlink()
    return path


def middle_frame(path: Path) -> Image.Image:
    """The upright picture halfway through a clip, as the players turn it."""
    from player.hub.prepare import video_frame

    return video_frame(path, 0.5)
