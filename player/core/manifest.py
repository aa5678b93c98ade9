"""The channel manifest (`manifest.json`): parsing, validation and the path safety rules.

Pure: no I/O. The signature is checked on the raw bytes *before* `parse_manifest` sees them
(see `player.channel.keys`); this module only trusts what it has validated itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

MANIFEST_FORMAT = 1
MANIFEST_NAME = "manifest.json"  # in a channel and in each release of the store
SIGNATURE_NAME = "manifest.json.sig"  # the Ed25519 signature of the manifest's raw bytes
MAX_FILES = 100_000
MAX_PATH_LENGTH = 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:")


class ManifestError(ValueError):
    """The manifest is not a valid format-1 manifest; the message says where and why."""


@dataclass(frozen=True)
class FileEntry:
    """One file of a release: where it goes (relative posix path) and what it must be."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """A validated manifest; `files` includes the playlist itself."""

    channel: str
    version: int
    issued: datetime
    expires: datetime
    playlist: str
    files: tuple[FileEntry, ...]

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires

    def objects(self) -> dict[str, int]:
        """sha256 -> size of every distinct object the release needs."""
        return {f.sha256: f.size for f in self.files}


def path_problem(path: object) -> str | None:
    """Why `path` may not be a file path inside a release, or None when it is safe.

    Safe means: a relative posix path of plain names, no `..`, `.` or empty parts, no
    backslash, no drive letter, no control characters. Such a path joined to a folder
    can never leave it (symlinks are the store's and the publisher's concern).
    """
    if not isinstance(path, str) or not path:
        return "expected a non-empty relative path"
    if len(path) > MAX_PATH_LENGTH:
        return f"path longer than {MAX_PATH_LENGTH} characters"
    if path.startswith("/"):
        return f'"{path}" is absolute; expected a path relative to the playlist folder'
    if "\\" in path:
        return f'"{path}" contains a backslash; write paths with "/"'
    if _WINDOWS_DRIVE.match(path):
        return f'"{path}" starts with a drive letter'
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return f"{path!r} contains a control character"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return f'"{path}" has a "{part or "//"}" part; paths may not leave or skip folders'
    return None


def format_time(moment: datetime) -> str:
    """A UTC ISO 8601 timestamp with a `Z`, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(text: object, key: str) -> datetime:
    """ISO 8601 with a zone (`Z` or `+07:00`) -> an aware datetime."""
    if not isinstance(text, str):
        raise ManifestError(f"{key}: expected an ISO 8601 time, got {text!r}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ManifestError(f'{key}: "{text}" is not an ISO 8601 time') from None
    if moment.tzinfo is None:
        raise ManifestError(f'{key}: "{text}" has no time zone (add Z for UTC)')
    return moment


def parse_manifest(raw: bytes) -> Manifest:
    """Validate manifest bytes (already signature-checked) into a Manifest."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError("expected a JSON object at the top")
    if data.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"format: expected {MANIFEST_FORMAT}, got {data.get('format')!r}")
    channel = data.get("channel")
    if not isinstance(channel, str) or not _CHANNEL.fullmatch(channel):
        raise ManifestError(f"channel: expected a short name of letters, digits, '.', '_', '-', "
                            f"got {channel!r}")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ManifestError(f"version: expected a whole number >= 1, got {version!r}")
    issued = parse_time(data.get("issued"), "issued")
    expires = parse_time(data.get("expires"), "expires")
    if expires <= issued:
        raise ManifestError("expires: must be after issued")
    files = _parse_files(data.get("files"))
    playlist = data.get("playlist")
    if not isinstance(playlist, str) or not any(f.path == playlist for f in files):
        raise ManifestError(f"playlist: {playlist!r} is not one of the files")
    return Manifest(channel, version, issued, expires, playlist, files)


def _parse_files(value: object) -> tuple[FileEntry, ...]:
    if not isinstance(value, list) or not value:
        raise ManifestError("files: expected a non-empty list")
    if len(value) > MAX_FILES:
        raise ManifestError(f"files: more than {MAX_FILES} entries")
    entries: list[FileEntry] = []
    seen: set[str] = set()
    folders: set[str] = set()
    for i, item in enumerate(value):
        where = f"files[{i}]"
        if not isinstance(item, dict):
            raise ManifestError(f"{where}: expected an object with path, sha256 and size")
        path, sha, size = item.get("path"), item.get("sha256"), item.get("size")
        problem = path_problem(path)
        if problem or not isinstance(path, str):
            raise ManifestError(f"{where}.path: {problem}")
        if path in seen:
            raise ManifestError(f'{where}.path: "{path}" is listed twice')
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise ManifestError(f"{where}.sha256: expected 64 lowercase hex digits, got {sha!r}")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ManifestError(f"{where}.size: expected a byte count >= 0, got {size!r}")
        seen.add(path)
        parts = path.split("/")
        folders.update("/".join(parts[:n]) for n in range(1, len(parts)))
        entries.append(FileEntry(path, sha, size))
    clash = seen & folders
    if clash:
        raise ManifestError(f'files: "{sorted(clash)[0]}" is both a file and a folder')
    return tuple(entries)


def manifest_bytes(manifest: Manifest) -> bytes:
    """The canonical JSON bytes of a manifest (what gets signed)."""
    data = {
        "format": MANIFEST_FORMAT,
        "channel": manifest.channel,
        "version": manifest.version,
        "issued": format_time(manifest.issued),
        "expires": format_time(manifest.expires),
        "playlist": manifest.playlist,
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in manifest.files],
    }
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def public_key_problem(text: str) -> str | None:
    """Why `text` is not a public key as `keygen` prints it (`ed25519:` + base64 of 32 bytes)."""
    if not text.startswith("ed25519:"):
        return f'expected a key like "ed25519:AAAA...=" as keygen prints it, got "{text[:24]}"'
    try:
        raw = base64.b64decode(text[len("ed25519:"):], validate=True)
    except (binascii.Error, ValueError):
        return "the part after ed25519: is not valid base64 (copied only partly?)"
    if len(raw) != 32:
        return f"an Ed25519 public key has 32 bytes, this one has {len(raw)} (copied only partly?)"
    return None


def source_problem(text: str) -> str | None:
    """Why `text` is not a channel source: an http(s) URL or an absolute folder path."""
    if text.startswith(("http://", "https://")):
        return None if len(text) > len("https://") else f'"{text}" has no host'
    if text.startswith("/"):
        return None
    return f'expected an https:// address or an absolute folder path like /media/usb, got "{text}"'
