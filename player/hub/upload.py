"""Publishing to the hub over HTTP: objects first, then the signed manifest, all verified.

`PUT /api/v1/channels/NAME/objects/SHA256` stores one object; its bytes must hash to its name.
`PUT /api/v1/channels/NAME/manifest` with `{"manifest": base64, "signature": text of the .sig}`
makes a new version current, only if the signature verifies against one of the channel's keys
in hub.yaml, the version is higher than the one served now and every object it lists is present
with the promised size. The `.sig` is written before `manifest.json`, so a player that sees the
new manifest always finds its signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from player.hub.config import NAME_PATTERN, HubConfig
from player.hub.files import OBJECT_NAME
from player.hub.ingest import bearer_token

log = logging.getLogger(__name__)
CHUNK = 1 << 20


class UploadRefused(Exception):
    """The upload is refused; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class ChannelPublisher:
    """Writes uploaded objects and manifests into `<root>/channels/NAME/`."""

    def __init__(self, root: Path, config: HubConfig, on_manifest: Callable[[str], None]):
        self.channels = root / "channels"
        self.config = config
        self.on_manifest = on_manifest
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def check_token(self, authorization: str | None) -> None:
        if not self.config.upload_token:
            raise UploadRefused(403, "uploads are disabled: set upload_token in the hub config")
        token = bearer_token(authorization)
        if token is None:
            raise UploadRefused(401, "missing Authorization: Bearer <upload token> header")
        if not hmac.compare_digest(token.encode(), self.config.upload_token.encode()):
            raise UploadRefused(401, "wrong upload token")

    def _channel_dir(self, name: str) -> Path:
        if not NAME_PATTERN.match(name):
            raise UploadRefused(404, "not a channel name")
        if name not in self.config.channels:
            raise UploadRefused(404, f'channel "{name}" is not in the hub config (channels:)')
        return self.channels / name

    def put_object(self, channel: str, name: str, body: BinaryIO, length: int) -> bool:
        """Store one object read from `body`; False when it was already there."""
        folder = self._channel_dir(channel) / "objects"
        if not OBJECT_NAME.match(name):
            raise UploadRefused(400, "an object's name is the sha256 of its bytes (64 hex digits)")
        if length > self.config.limits.max_object_bytes:
            raise UploadRefused(413, f"objects may be at most "
                                     f"{self.config.limits.max_object_bytes} bytes")
        target = folder / name
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".upload-{name}-{threading.get_ident()}"
        digest = hashlib.sha256()
        try:
            with open(temp, "wb") as out:
                remaining = length
                while remaining:
                    chunk = body.read(min(CHUNK, remaining))
                    if not chunk:
                        raise UploadRefused(400, "the body ended before Content-Length bytes")
                    digest.update(chunk)
                    out.write(chunk)
                    remaining -= len(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != name:
                raise UploadRefused(422, f"the bytes hash to {digest.hexdigest()}, not to {name}")
            existed = target.exists()
            os.replace(temp, target)
            _fsync_dir(folder)
        finally:
            temp.unlink(missing_ok=True)
        return not existed

    def put_manifest(self, channel: str, body: bytes) -> int:
        """Verify and publish a manifest; returns its version."""
        folder = self._channel_dir(channel)
        limit = self.config.limits.max_manifest_bytes
        manifest, signature_text = _decode_manifest_upload(body, limit)
        _verify_signature(manifest, signature_text, self.config.channels[channel].public_keys)
        data = _parse_manifest(manifest, channel)
        with self._lock_for(channel):
            current = folder / "manifest.json"
            if current.exists() and current.read_bytes() == manifest:
                return data["version"]  # the same upload again: nothing to do
            published = _published_version(current)
            if published is not None and data["version"] <= published:
                raise UploadRefused(409, f"version {data['version']} is not newer than the "
                                         f"published version {published}")
            self._check_objects(folder / "objects", data["files"])
            _write_atomic(folder / "manifest.json.sig", signature_text.encode())
            _write_atomic(current, manifest)
        log.info("channel %s: version %d published", channel, data["version"])
        self.on_manifest(channel)
        return data["version"]

    def _check_objects(self, objects: Path, files: list[dict]) -> None:
        missing = []
        for entry in files:
            path = objects / entry["sha256"]
            try:
                size = path.stat().st_size
            except OSError:
                missing.append(entry["path"])
                continue
            if size != entry["size"]:
                raise UploadRefused(422, f'{entry["path"]}: object {entry["sha256"]} has '
                                         f'{size} bytes, the manifest says {entry["size"]}')
        if missing:
            raise UploadRefused(422, "upload these objects first: " + ", ".join(missing[:20]))

    def _lock_for(self, channel: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(channel, threading.Lock())


def _decode_manifest_upload(body: bytes, limit: int) -> tuple[bytes, str]:
    try:
        data = json.loads(body)
        manifest = base64.b64decode(data["manifest"], validate=True)
        signature_text = data["signature"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise UploadRefused(400, 'expected {"manifest": base64 of manifest.json, "signature": '
                                 "the text of manifest.json.sig}") from None
    if not isinstance(signature_text, str):
        raise UploadRefused(400, "signature: expected the text of manifest.json.sig")
    if len(manifest) > limit:
        raise UploadRefused(413, f"the manifest is larger than {limit} bytes")
    return manifest, signature_text


def _verify_signature(manifest: bytes, signature_text: str, keys: tuple[str, ...]) -> None:
    try:
        signature = base64.b64decode(signature_text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UploadRefused(422, "the signature is not base64") from None
    if len(signature) != 64:
        raise UploadRefused(422, "the signature is not a 64-byte Ed25519 signature")
    for key in keys:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.split(":", 1)[1]))
        try:
            public.verify(signature, manifest)
            return
        except InvalidSignature:
            continue
    raise UploadRefused(422, "the manifest's signature does not match any key of this channel")


def _parse_manifest(manifest: bytes, channel: str) -> dict:
    try:
        data = json.loads(manifest)
    except ValueError:
        raise UploadRefused(422, "manifest.json is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != 1:
        raise UploadRefused(422, "manifest.json: format: expected 1")
    if data.get("channel") != channel:
        raise UploadRefused(422, f'manifest.json: channel: expected "{channel}", got '
                                 f'{json.dumps(data.get("channel"))[:80]}')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise UploadRefused(422, "manifest.json: version: expected a whole number")
    files = data.get("files")
    if not isinstance(files, list) or not files:
        raise UploadRefused(422, "manifest.json: files: expected a list")
    for index, entry in enumerate(files):
        if (not isinstance(entry, dict) or not isinstance(entry.get("path"), str)
                or not isinstance(entry.get("sha256"), str)
                or not OBJECT_NAME.match(entry["sha256"])
                or not isinstance(entry.get("size"), int) or entry["size"] < 0):
            raise UploadRefused(422, f"manifest.json: files[{index}]: expected "
                                     "{path, sha256 (64 hex digits), size}")
    return data


def _published_version(path: Path) -> int | None:
    try:
        version = json.loads(path.read_bytes()).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, int) else None


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
