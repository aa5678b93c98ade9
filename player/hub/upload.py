"""Publishing to the hub over HTTP: objects first, then the signed manifest, all verified.

`PUT /api/v1/channels/NAME/objects/SHA256` stores one object; its bytes must hash to its name.
`PUT /api/v1/channels/NAME/manifest` with `{"manifest": base64, "signature": text of the .sig}`
makes a new version current, only if the signature verifies against one of the channel's keys
in hub.yaml, the manifest passes the players' own rules (`player.core.manifest`), is not expired,
its version is higher than the one served now (and not absurd), and every object it lists is
present with the promised size.

A channel folder the hub publishes to looks like this:

    manifest.json      -> current/manifest.json
    manifest.json.sig  -> current/manifest.json.sig
    current            -> versions/42
    versions/42/manifest.json, versions/42/manifest.json.sig
    objects/<sha256>

A new version is written whole into its own folder, then `current` is swapped by one atomic
rename: a reader, or a hub killed at any moment, only ever sees a manifest beside its own
signature. Several hub processes may publish to one folder: a lock file serialises them.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from player.core.manifest import MANIFEST_NAME, SIGNATURE_NAME, Manifest, ManifestError, parse_manifest
from player.hub.config import NAME_PATTERN, HubConfig
from player.hub.files import OBJECT_NAME
from player.hub.ingest import bearer_token
from player.hub.reports import ManifestUpload
from player.storage.durable import fsync_dir, write_atomic

log = logging.getLogger(__name__)
CHUNK = 1 << 20
MAX_VERSION = 10**12  # a version a second for 30,000 years: anything above is a mistake
KEEP_VERSIONS = 3  # version folders kept (current and the ones before it)


class UploadRefused(Exception):
    """The upload is refused; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class ObjectWriter:
    """One object upload in progress: bytes go to a hidden temp file, hashed as they come."""

    def __init__(self, folder: Path, name: str, length: int):
        self.folder, self.name, self.length = folder, name, length
        folder.mkdir(parents=True, exist_ok=True)
        self.temp = folder / f".upload-{name}-{os.getpid()}-{time.monotonic_ns()}"
        self._file = open(self.temp, "wb")
        self._digest = hashlib.sha256()
        self.received = 0

    def write(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.length:
            raise UploadRefused(400, "the body is longer than Content-Length")
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> bool:
        """Verify and move into place; False when the object was already there."""
        try:
            if self.received != self.length:
                raise UploadRefused(400, "the body ended before Content-Length bytes")
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if self._digest.hexdigest() != self.name:
                raise UploadRefused(422, f"the bytes hash to {self._digest.hexdigest()}, "
                                         f"not to {self.name}")
            target = self.folder / self.name
            existed = target.exists()
            os.replace(self.temp, target)
            fsync_dir(self.folder)
            return not existed
        finally:
            self.abort()

    def abort(self) -> None:
        self._file.close()
        self.temp.unlink(missing_ok=True)


class ChannelPublisher:
    """Writes uploaded objects and manifests into `<root>/channels/NAME/`."""

    def __init__(self, root: Path, config: HubConfig, on_manifest: Callable[[str], None],
                 clock: Callable[[], float] = time.time):
        self.channels = root / "channels"
        self.config = config
        self.on_manifest = on_manifest
        self.clock = clock
        # more keys every channel accepts besides hub.yaml's: the approvers' (player.hub.approvers)
        self.extra_keys: Callable[[], tuple[str, ...]] = tuple

    def check_token(self, authorization: str | None) -> None:
        if not self.config.upload_token:
            raise UploadRefused(403, "uploads are disabled: set upload_token in the hub config")
        token = bearer_token(authorization)
        if token is None:
            raise UploadRefused(401, "missing Authorization: Bearer <upload token> header")
        if not hmac.compare_digest(token.encode(), self.config.upload_token.encode()):
            raise UploadRefused(401, "wrong upload token")

    def channel_dir(self, name: str) -> Path:
        if not NAME_PATTERN.match(name):
            raise UploadRefused(404, "not a channel name")
        if name not in self.config.channels:
            raise UploadRefused(404, f'channel "{name}" is not in the hub config (channels:)')
        return self.channels / name

    def begin_object(self, channel: str, name: str, length: int) -> ObjectWriter:
        """Start storing one object of `length` bytes (the caller writes, then finishes)."""
        folder = self.channel_dir(channel) / "objects"
        if not OBJECT_NAME.match(name):
            raise UploadRefused(400, "an object's name is the sha256 of its bytes (64 hex digits)")
        if length > self.config.limits.max_object_bytes:
            raise UploadRefused(413, f"objects may be at most "
                                     f"{self.config.limits.max_object_bytes} bytes")
        return ObjectWriter(folder, name, length)

    def put_manifest(self, channel: str, body: bytes) -> int:
        """Verify and publish a manifest; returns its version."""
        folder = self.channel_dir(channel)
        limit = self.config.limits.max_manifest_bytes
        manifest_bytes, signature_text = _decode_manifest_upload(body, limit)
        _verify_signature(manifest_bytes, signature_text,
                          self.config.channels[channel].public_keys + self.extra_keys())
        manifest = self._check_manifest(manifest_bytes, channel)
        with channel_lock(folder):
            published = read_published(folder)
            if published is not None and published[0] == manifest_bytes:
                return manifest.version  # the same upload again: nothing to do
            if published is not None and manifest.version <= published[1]:
                raise UploadRefused(409, f"version {manifest.version} is not newer than the "
                                         f"published version {published[1]}")
            self._check_objects(folder / "objects", manifest)
            publish_version(folder, manifest.version, manifest_bytes,
                            signature_text.encode())
        log.info("channel %s: version %d published", channel, manifest.version)
        self.on_manifest(channel)
        return manifest.version

    def _check_manifest(self, raw: bytes, channel: str) -> Manifest:
        try:
            manifest = parse_manifest(raw)  # exactly the rules the players apply
        except ManifestError as exc:
            raise UploadRefused(422, f"manifest.json: {exc}") from None
        if manifest.channel != channel:
            raise UploadRefused(422, f'manifest.json: channel: expected "{channel}", got '
                                     f'"{manifest.channel}"')
        if manifest.version > MAX_VERSION:
            raise UploadRefused(422, f"manifest.json: version: {manifest.version} is absurd "
                                     f"(at most {MAX_VERSION}); number versions 1, 2, 3, ...")
        if manifest.is_expired(datetime.fromtimestamp(self.clock(), UTC)):
            raise UploadRefused(422, "manifest.json: expires: already expired, players would "
                                     "refuse it; publish again with a later expiry")
        return manifest

    def _check_objects(self, objects: Path, manifest: Manifest) -> None:
        missing = []
        for entry in manifest.files:
            try:
                size = (objects / entry.sha256).stat().st_size
            except OSError:
                missing.append(entry.path)
                continue
            if size != entry.size:
                raise UploadRefused(422, f"{entry.path}: object {entry.sha256} has {size} bytes, "
                                         f"the manifest says {entry.size}")
        if missing:
            raise UploadRefused(422, "upload these objects first: " + ", ".join(missing[:20]))


@contextmanager
def channel_lock(folder: Path) -> Iterator[None]:
    """Serialise publishers to one channel, across threads and hub processes."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_published(folder: Path) -> tuple[bytes, int] | None:
    """The manifest served now and its version, or None."""
    try:
        raw = (folder / MANIFEST_NAME).read_bytes()
        version = json.loads(raw).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return raw, version


def publish_version(folder: Path, version: int, manifest: bytes, signature: bytes) -> None:
    """Write a version folder whole, then make it current with one atomic rename."""
    versions = folder / "versions"
    versions.mkdir(exist_ok=True)
    _adopt_plain_layout(folder)
    target = _write_version(versions, str(version), manifest, signature)
    _point_current(folder, target)
    _drop_old_versions(folder)


def _write_version(versions: Path, name: str, manifest: bytes, signature: bytes) -> Path:
    temp = versions / f".tmp-{name}-{os.getpid()}-{time.monotonic_ns()}"
    temp.mkdir()
    for file_name, data in ((MANIFEST_NAME, manifest), (SIGNATURE_NAME, signature)):
        write_atomic(temp / file_name, data)
    target = versions / name
    if target.exists():  # left by a publish killed before it became current
        shutil.rmtree(target)
    os.replace(temp, target)
    fsync_dir(versions)
    return target


def _point_current(folder: Path, version_dir: Path) -> None:
    _replace_with_symlink(folder / "current", f"versions/{version_dir.name}")


def _replace_with_symlink(path: Path, target: str) -> None:
    temp = path.with_name(f".{path.name}.link-{os.getpid()}-{time.monotonic_ns()}")
    os.symlink(target, temp)
    os.replace(temp, path)
    fsync_dir(path.parent)


def _adopt_plain_layout(folder: Path) -> None:
    """Turn plain manifest.json/.sig files (written by `publish` into the folder) into links.

    Each step leaves a matching pair in place: the old pair is copied into a version folder
    and made current first, then the signature and the manifest become links to it.
    """
    manifest, signature = folder / MANIFEST_NAME, folder / SIGNATURE_NAME
    if manifest.is_symlink() and signature.is_symlink():
        return
    if manifest.is_file() and not manifest.is_symlink() and signature.is_file():
        published = read_published(folder)
        name = str(published[1]) if published else "previous"
        target = _write_version(folder / "versions", name, manifest.read_bytes(),
                                signature.read_bytes())
        _point_current(folder, target)
    _replace_with_symlink(signature, f"current/{SIGNATURE_NAME}")
    _replace_with_symlink(manifest, f"current/{MANIFEST_NAME}")


def _drop_old_versions(folder: Path) -> None:
    current = _current_name(folder)
    names = sorted((p.name for p in (folder / "versions").iterdir()
                    if p.is_dir() and not p.name.startswith(".") and p.name != current),
                   key=_version_key)
    for name in names[:max(0, len(names) - (KEEP_VERSIONS - 1))]:
        shutil.rmtree(folder / "versions" / name, ignore_errors=True)


def _current_name(folder: Path) -> str | None:
    try:
        return Path(os.readlink(folder / "current")).name
    except OSError:
        return None


def _version_key(name: str) -> int:
    return int(name) if name.isdigit() else -1


_TEMP_OWNER = re.compile(r"-(\d+)-\d+$")


def clean_channels(channels: Path) -> int:
    """Delete what a killed upload or publish left behind; returns how many were removed.

    Temp names carry the writer's process id: another hub process sharing the folder may be
    writing one right now, and its files are left alone while it lives.
    """
    removed = 0
    if not channels.is_dir():
        return 0
    for folder in channels.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        with channel_lock(folder):
            for path in _leftovers(folder):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                log.info("removed %s, left by an interrupted upload", path)
                removed += 1
    return removed


def _leftovers(folder: Path) -> list[Path]:
    temps = [p for p in folder.glob(".*") if p.name != ".lock"]
    temps += list((folder / "objects").glob(".upload-*"))
    temps += list((folder / "versions").glob(".tmp-*"))
    found = [p for p in temps if not _writer_alive(p.name)]
    current = _current_name(folder)
    if current is not None:  # written whole but never made current: the publish was cut
        found += [p for p in (folder / "versions").glob("*")
                  if p.is_dir() and p.name.isdigit() and _version_key(p.name) > _version_key(current)]
    return found


def _writer_alive(name: str) -> bool:
    match = _TEMP_OWNER.search(name)
    if match is None or int(match.group(1)) == os.getpid():
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _decode_manifest_upload(body: bytes, limit: int) -> tuple[bytes, str]:
    try:
        upload = ManifestUpload.model_validate_json(body)
        manifest = base64.b64decode(upload.manifest, validate=True)
    except (ValidationError, ValueError, binascii.Error):
        raise UploadRefused(400, 'expected {"manifest": base64 of manifest.json, "signature": '
                                 "the text of manifest.json.sig}") from None
    signature_text = upload.signature
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
