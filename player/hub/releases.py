"""Signed releases the hub makes itself: an approved programme, a rollback, an emergency.

A release goes into a channel by the same code the upload API runs
(``player.hub.upload.ChannelPublisher``): every object first (hashed as it is written), then the
manifest, checked by the players' own rules and by the channel's keys, made current by one
atomic swap, and the long-polls woken. The manifest is signed with the approver's own key,
unlocked for this one call.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel.keys import sign
from player.core.manifest import (
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    ManifestError,
    manifest_bytes,
    parse_manifest,
)
from player.hub.programme_form import dump_yaml
from player.hub.upload import ChannelPublisher, UploadRefused, read_published
from player.storage.durable import sha256_file

log = logging.getLogger(__name__)

PLAYLIST = "playlist.yaml"
EXPIRES = timedelta(days=45)  # as `signage-player publish` (its --expires default)
CHUNK = 1 << 20


@dataclass(frozen=True)
class Published:
    channel: str
    version: int  # 0 when the channel refused it
    error: str = ""  # why the channel refused it


@dataclass(frozen=True)
class OnAir:
    """What a channel serves now: its version, playlist text and files."""

    version: int
    playlist: str
    files: tuple[FileEntry, ...]


def on_air(publisher: ChannelPublisher, channel: str) -> OnAir | None:
    """The channel's current release, read from its own manifest and objects (whoever
    published it: the hub, an upload or `signage-player publish`)."""
    folder = publisher.channels / channel
    try:
        manifest = parse_manifest((folder / MANIFEST_NAME).read_bytes())
    except (OSError, ManifestError):
        return None
    entry = next((f for f in manifest.files if f.path == manifest.playlist), None)
    try:
        text = (folder / "objects" / entry.sha256).read_text("utf-8") if entry else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    return OnAir(manifest.version, text, manifest.files)


def _store_object(publisher: ChannelPublisher, channel: str, path: Path) -> FileEntry:
    sha, size = sha256_file(path)
    target = publisher.channel_dir(channel) / "objects" / sha
    if not (target.is_file() and target.stat().st_size == size):
        writer = publisher.begin_object(channel, sha, size)
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    writer.write(chunk)
            writer.finish()
        finally:
            writer.abort()
    return FileEntry("", sha, size)


def _store_bytes(publisher: ChannelPublisher, channel: str, data: bytes) -> FileEntry:
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    target = publisher.channel_dir(channel) / "objects" / sha
    if not (target.is_file() and target.stat().st_size == len(data)):
        writer = publisher.begin_object(channel, sha, len(data))
        try:
            writer.write(data)
            writer.finish()
        finally:
            writer.abort()
    return FileEntry(PLAYLIST, sha, len(data))


def publish_release(publisher: ChannelPublisher, channel: str, playlist: str,
                    files: Mapping[str, Path | FileEntry], key: Ed25519PrivateKey,
                    clock: Callable[[], float]) -> Published:
    """Publish ``playlist`` with ``files`` (release path -> a file to store, or an object the
    channel already holds) as the channel's next version, signed with ``key``."""
    entries = [_store_bytes(publisher, channel, playlist.encode("utf-8"))]
    for path, source in sorted(files.items()):
        if isinstance(source, FileEntry):
            entries.append(FileEntry(path, source.sha256, source.size))
        else:
            stored = _store_object(publisher, channel, source)
            entries.append(FileEntry(path, stored.sha256, stored.size))
    for attempt in range(3):  # another approval may take the next version number first
        folder = publisher.channel_dir(channel)
        published = read_published(folder)
        now = datetime.fromtimestamp(clock(), UTC).replace(microsecond=0)
        manifest = Manifest(channel=channel, version=(published[1] + 1 if published else 1),
                            issued=now, expires=now + EXPIRES, playlist=PLAYLIST,
                            files=tuple(entries))
        data = manifest_bytes(manifest)
        body = json.dumps({"manifest": base64.b64encode(data).decode("ascii"),
                           "signature": sign(key, data).decode("ascii")}).encode()
        try:
            version = publisher.put_manifest(channel, body)
        except UploadRefused as exc:
            if exc.status == 409 and attempt < 2:
                continue
            raise
        log.info("channel %s: version %d signed on the hub", channel, version)
        return Published(channel, version)
    raise UploadRefused(409, "the channel kept changing; try again")


def with_emergency(playlist: str, message: Mapping[str, str]) -> str:
    """The playlist text with an ``emergency:`` text item (shown over everything, white on red)."""
    from player.core.yamlfile import parse_yaml

    data: Any = parse_yaml(playlist, PLAYLIST) if playlist.strip() else {}
    data = dict(data) if isinstance(data, dict) else {}
    data["emergency"] = {"id": "emergency", "text": {k: v for k, v in message.items() if v}}
    return dump_yaml(data)


def without_emergency(playlist: str) -> str:
    from player.core.yamlfile import parse_yaml

    data: Any = parse_yaml(playlist, PLAYLIST) if playlist.strip() else {}
    data = dict(data) if isinstance(data, dict) else {}
    data.pop("emergency", None)
    return dump_yaml(data)


def has_emergency(playlist: str) -> bool:
    from player.core.problems import LoadError
    from player.core.yamlfile import parse_yaml

    try:
        data = parse_yaml(playlist, PLAYLIST)
    except LoadError:
        return False
    return isinstance(data, dict) and "emergency" in data


def media_files(on_air_files: tuple[FileEntry, ...], playlist_name: str = PLAYLIST
                ) -> dict[str, FileEntry]:
    """The files of a release other than its playlist, to carry into the next version."""
    return {f.path: f for f in on_air_files if f.path != playlist_name}


__all__ = ["publish_release", "on_air", "OnAir", "Published", "with_emergency",
           "without_emergency", "has_emergency", "media_files"]
