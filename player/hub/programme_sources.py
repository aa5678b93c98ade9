"""Media ready for programmes: the seam the media library plugs into, and the folder default.

A playlist refers to a prepared file as ``media/<sha256><ext>`` (``MediaItem.playlist_path``);
``media_by_path`` maps those paths to the files the checks and previews use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from player.storage.durable import sha256_file


@dataclass(frozen=True)
class MediaItem:
    id: str
    name: str
    kind: str  # image | video
    sha256: str
    ext: str

    @property
    def playlist_path(self) -> str:
        """How a playlist refers to this file."""
        return f"media/{self.sha256}{self.ext}"


class MediaSource(Protocol):
    """Media ready for the screens (prepared by the media library)."""

    def list_ready(self) -> list[MediaItem]: ...

    def prepared_path(self, media_id: str) -> Path: ...


VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".m4v")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")


class FolderMediaSource:
    """Every picture and clip in one folder, as they are (the default without a media library)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._hashes: dict[str, tuple[float, int, str]] = {}

    def list_ready(self) -> list[MediaItem]:
        found = []
        try:
            paths = sorted(p for p in self.folder.iterdir() if p.is_file())
        except OSError:
            return []
        for path in paths:
            ext = path.suffix.lower()
            kind = "video" if ext in VIDEO_SUFFIXES else "image" if ext in IMAGE_SUFFIXES else ""
            if kind:
                found.append(MediaItem(path.name, path.name, kind, self._sha(path), ext))
        return found

    def prepared_path(self, media_id: str) -> Path:
        path = self.folder / media_id
        if "/" in media_id or media_id.startswith(".") or not path.is_file():
            raise FileNotFoundError(media_id)
        return path

    def _sha(self, path: Path) -> str:
        info = path.stat()
        known = self._hashes.get(path.name)
        if known and known[:2] == (info.st_mtime, info.st_size):
            return known[2]
        sha256 = sha256_file(path)[0]
        self._hashes[path.name] = (info.st_mtime, info.st_size, sha256)
        return sha256


def media_by_path(source: MediaSource) -> dict[str, tuple[MediaItem, Path]]:
    """``media/<sha><ext>`` -> (item, file) for every ready media item."""
    found = {}
    for item in source.list_ready():
        try:
            found[item.playlist_path] = (item, source.prepared_path(item.id))
        except OSError:
            continue
    return found


__all__ = ["MediaItem", "MediaSource", "FolderMediaSource", "media_by_path"]
