"""Channel folders as static files: safe path resolution, strong ETags, conditional and range GETs.

Only `<root>/channels/...` is ever served. A path is decoded once and refused if any segment is
empty, `.`/`..`, hidden (a leading dot: upload temp files) or holds a backslash or NUL; the
resolved file must still lie inside the channels folder (a symlink pointing out is refused).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote

OBJECT_NAME = re.compile(r"^[0-9a-f]{64}$")
# More than 18 digits is no file on earth: such a Range is ignored (200 and the whole file).
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")
CONTENT_TYPES = {".json": "application/json", ".sig": "text/plain; charset=utf-8",
                 ".yaml": "text/yaml; charset=utf-8"}


@dataclass(frozen=True)
class StaticFile:
    path: Path
    size: int
    mtime: float
    etag: str
    content_type: str
    immutable: bool


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    pass


class ChannelFiles:
    """Finds files under `<root>/channels` and computes their ETags (cached by stat)."""

    def __init__(self, root: Path):
        self.channels = (root / "channels").resolve()
        self._etags: dict[Path, tuple[tuple, str]] = {}
        self._lock = threading.Lock()

    def resolve(self, url_path: str) -> Path | None:
        """`ban-gioc/objects/ab12...` (still percent-encoded) -> a file inside the root, or None."""
        decoded = unquote(url_path, errors="strict") if "%" in url_path else url_path
        segments = decoded.split("/")
        if not segments or any(not s or s.startswith(".") or "\\" in s or "\x00" in s
                               for s in segments):
            return None
        candidate = (self.channels / decoded).resolve()
        if not candidate.is_relative_to(self.channels) or not candidate.is_file():
            return None
        return candidate

    def open(self, url_path: str) -> StaticFile | None:
        try:
            path = self.resolve(url_path)
        except (UnicodeDecodeError, ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
            return None
        if path is None:
            return None
        try:
            stat = path.stat()
            etag = self.etag(path, stat)
        except OSError:
            return None
        immutable = path.parent.name == "objects" and bool(OBJECT_NAME.match(path.name))
        content_type = ("application/octet-stream" if immutable
                        else CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
        return StaticFile(path, stat.st_size, stat.st_mtime, etag, content_type, immutable)

    def etag(self, path: Path, stat: os.stat_result) -> str:
        if path.parent.name == "objects" and OBJECT_NAME.match(path.name):
            return f'"{path.name}"'  # the name is the content's sha256
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._etags.get(path)
        if cached and cached[0] == key:
            return cached[1]
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        etag = f'"{digest.hexdigest()[:40]}"'
        with self._lock:
            self._etags[path] = (key, etag)
        return etag

    def current_etag(self, url_path: str) -> str | None:
        found = self.open(url_path)
        return found.etag if found else None


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match comparison (weak, as RFC 9110 asks for this header)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """A single `bytes=` range -> ByteRange; None means send the whole file (no or multi-range).

    Raises RangeNotSatisfiable when the range starts past the end.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None  # several ranges or another unit: RFC 9110 lets us answer 200 in full
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # syntactically invalid: ignore, as RFC 9110 says
    if start >= size:
        raise RangeNotSatisfiable
    return ByteRange(start, end)


def http_date(timestamp: float) -> str:
    return formatdate(timestamp, usegmt=True)
