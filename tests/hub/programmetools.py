"""Helpers for the programme tests: a folder of real media, an approver key that derives fast,
and a desk over a real hub database and channel folder."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from player.hub.approvers import ApproverKeys, AttemptPolicy, KdfParameters
from player.hub.programmes import FolderMediaSource, MediaItem

# argon2id still, with a small memory cost: the tests exercise the logic, not the cost
FAST_KDF = KdfParameters(time_cost=1, memory_kib=1024, parallelism=1)
PASSPHRASE = "Đèo Mã Phục lúc bình minh 2026"


def make_media(folder: Path) -> FolderMediaSource:
    """A real JPEG (Pillow) and a real H.264 clip (PyAV) in ``folder``."""
    from tests.render.clips import make_clip

    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 180), (20, 120, 60)).save(folder / "thac-ban-gioc.jpg", quality=85)
    make_clip(folder / "dong-nguom-ngao.mp4", 1.0, fps=10, audio=False)
    return FolderMediaSource(folder)


def item(source: FolderMediaSource, name: str) -> MediaItem:
    return next(m for m in source.list_ready() if m.name == name)


def fast_keys(engine, clock, max_failures: int = 3) -> ApproverKeys:
    return ApproverKeys(engine, clock, FAST_KDF, AttemptPolicy(window=900, max_failures=max_failures))


def trilingual_playlist(photo: MediaItem, word: str = "Chào mừng") -> str:
    return f"""name: Bản Giốc tháng 12
languages: [vi, en, zh]
items:
  - id: chao-mung
    text:
      vi: "{word} đến thác Bản Giốc"
      en: Welcome to Ban Gioc waterfall
      zh: 欢迎来到板约瀑布
    duration: 3s
  - id: anh-thac
    image: {photo.playlist_path}
    caption: {{vi: Thác Bản Giốc, en: Ban Gioc falls, zh: 板约瀑布}}
    duration: 3s
"""
