"""Writes that survive a power cut: temp file in the same folder, fsync, rename, fsync the folder.

A reader (a web server, the render loop) sees either the old file or the new one, never half.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 256 * 1024


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(path: Path) -> Path:
    """A temporary name beside `path` (same filesystem, so the rename is atomic)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_atomic(path: Path, data: bytes | str, mode: int = 0o644, mtime: float | None = None) -> None:
    """Replace `path` with `data` (text is written as UTF-8) atomically and durably, with `mtime`
    set before it shows. The one implementation for the whole player: publish, sync, health."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    # A unique name: two threads of one process may replace the same file at once.
    fd, temp = tempfile.mkstemp(prefix=f"{temp_path(path).name}-", dir=path.parent)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            if mtime is not None:
                os.utime(fd, (mtime, mtime))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def sha256_file(path: Path) -> tuple[str, int]:
    """(sha256 hex, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_atomic(source: Path, path: Path, sha256: str) -> None:
    """Copy `source` to `path` atomically, only if the copy has the expected sha256.

    Raises ValueError when the source changed since it was hashed (nothing is written).
    """
    tmp = temp_path(path)
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as src, open(tmp, "wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise ValueError(f"{source} changed while it was being published")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
