"""The ``media:`` section of hub.yaml: upload limits and what uploads are prepared into.

```yaml
media:
  max_video_bytes: 2GB         # a larger video is refused before it is read
  max_image_bytes: 50MB
  max_megapixels: 100          # a larger picture is refused (decompression bombs)
  screen: 1920x1080            # the largest screen: pictures and videos are scaled to fit it,
                               # in either orientation (a portrait photo fits 1080x1920)
  max_frame_rate: 30           # videos above it are brought down to it
  jobs_at_once: 1              # preparations running together (a box has 2 cores)
  ffmpeg: ffmpeg               # the program (a path, or a name on PATH)
  ffmpeg_timeout: 2h           # one preparation is stopped after this
  nice: 10                     # FFmpeg runs at this lower priority so pages stay quick
```
"""

from __future__ import annotations

from dataclasses import dataclass

from player.core.fields import Fields
from player.core.units import parse_bytes, parse_duration, parse_size


@dataclass(frozen=True)
class MediaSettings:
    max_video_bytes: int = 2 * 1000**3
    max_image_bytes: int = 50 * 1000**2
    max_megapixels: float = 100.0
    screen: tuple[int, int] = (1920, 1080)
    max_frame_rate: float = 30.0
    jobs_at_once: int = 1
    ffmpeg: str = "ffmpeg"
    ffmpeg_timeout: float = 7200.0
    nice: int = 10

    @property
    def max_upload_bytes(self) -> int:
        return max(self.max_video_bytes, self.max_image_bytes)


KEYS = ("max_video_bytes", "max_image_bytes", "max_megapixels", "screen", "max_frame_rate",
        "jobs_at_once", "ffmpeg", "ffmpeg_timeout", "nice")


def read_media_settings(f: Fields) -> MediaSettings:
    """``media:`` from hub.yaml; every error names its key (``media.screen: ...``)."""
    f.check_keys(KEYS)
    d = MediaSettings()
    return MediaSettings(
        max_video_bytes=f.parse("max_video_bytes", parse_bytes, d.max_video_bytes),
        max_image_bytes=f.parse("max_image_bytes", parse_bytes, d.max_image_bytes),
        max_megapixels=f.number("max_megapixels", d.max_megapixels, 1, 1000),
        screen=f.parse("screen", parse_size, d.screen),
        max_frame_rate=f.number("max_frame_rate", d.max_frame_rate, 1, 120),
        jobs_at_once=f.integer("jobs_at_once", d.jobs_at_once, 1, 16),
        ffmpeg=f.string("ffmpeg", d.ffmpeg) or d.ffmpeg,
        ffmpeg_timeout=f.parse("ffmpeg_timeout", parse_duration, d.ffmpeg_timeout),
        nice=f.integer("nice", d.nice, 0, 19),
    )
