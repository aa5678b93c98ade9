"""The content store on the player: verified objects, complete releases, the `current` link.

Layout under the state folder:

    current -> store/releases/0000000042-1a2b3c4d      (atomic symlink swap)
    previous -> store/releases/0000000041-5e6f7a8b
    store/objects/<sha256>        verified, read-only, named by content
    store/partial/<sha256>        downloads in progress (resumable)
    store/releases/<version>-<nonce>/manifest.json, manifest.json.sig, content/<files>

A release folder is built under a temporary name from hard links to verified objects and renamed
into place only when complete; `current` moves to it by renaming a new symlink over the old one.
After a power cut at any moment, `current` names either the old or the new complete release.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from player.core.manifest import MANIFEST_NAME, SIGNATURE_NAME, FileEntry, Manifest, ManifestError, parse_manifest
from player.storage.durable import fsync_dir, sha256_file

log = logging.getLogger(__name__)

_OBJECT_NAME = re.compile(r"[0-9a-f]{64}")
_RELEASE_NAME = re.compile(r"(\d{10})-[0-9a-f]{8}")


@dataclass(frozen=True)
class Release:
    """A complete release folder on disk."""

    version: int
    path: Path
    manifest: Manifest

    @property
    def content(self) -> Path:
        return self.path / "content"

    @property
    def playlist(self) -> Path:
        return self.content / self.manifest.playlist


class Store:
    """The objects, partial downloads and releases under one state folder."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.root = self.state_dir / "store"
        self.objects = self.root / "objects"
        self.partial = self.root / "partial"
        self.releases = self.root / "releases"

    def prepare(self) -> None:
        """Create the folders and clear what an interrupted run left half-done."""
        for folder in (self.objects, self.partial, self.releases):
            folder.mkdir(parents=True, exist_ok=True)
        for leftover in self.releases.glob(".build-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for name in ("current", "previous"):
            (self.state_dir / f".{name}.tmp").unlink(missing_ok=True)

    @contextlib.contextmanager
    def locked(self, wait: bool = False) -> Iterator[bool]:
        """Hold the store's lock (True) or learn that another process holds it (False);
        with `wait`, wait for it.

        The player's worker and a technician's `sync --once` must not fill the same partial
        file at once. The kernel drops the lock when its holder dies, even by kill -9.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    yield False
                    return
                log.info("waiting for the other sync of %s to finish", self.state_dir)
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield True
        finally:
            os.close(fd)

    # Objects ---------------------------------------------------------------------------------

    def object_path(self, sha256: str) -> Path:
        return self.objects / sha256

    def partial_path(self, sha256: str) -> Path:
        return self.partial / sha256

    def has_object(self, sha256: str, size: int) -> bool:
        try:
            return self.object_path(sha256).stat().st_size == size
        except OSError:
            return False

    def missing_objects(self, manifest: Manifest) -> dict[str, int]:
        return {sha: size for sha, size in manifest.objects().items()
                if not self.has_object(sha, size)}

    def bytes_to_fetch(self, manifest: Manifest) -> int:
        """Bytes still to download for `manifest`, counting partial downloads as done."""
        total = 0
        for sha, size in self.missing_objects(manifest).items():
            try:
                have = min(self.partial_path(sha).stat().st_size, size)
            except OSError:
                have = 0
            total += size - have
        return total

    def install_object(self, sha256: str) -> None:
        """Move a fully downloaded and verified partial file into the objects (already fsynced)."""
        partial = self.partial_path(sha256)
        os.chmod(partial, 0o444)  # objects never change; a stray write should fail loudly
        os.replace(partial, self.object_path(sha256))
        fsync_dir(self.objects)

    def verify_objects(self, should_stop: Callable[[], bool] = lambda: False) -> list[str]:
        """Re-hash every object; remove bad ones and the release files that share them.

        Returns the sha256 names of the objects that were bad.
        """
        bad = []
        for path in sorted(self.objects.iterdir()):
            if should_stop():
                break
            if not _OBJECT_NAME.fullmatch(path.name):
                path.unlink(missing_ok=True)
                continue
            try:
                digest, _size = sha256_file(path)
            except OSError as exc:
                log.warning("cannot read object %s: %s", path.name, exc)
                digest = ""
            if digest != path.name:
                bad.append(path.name)
                path.unlink(missing_ok=True)
        if bad:
            self._unlink_release_files(set(bad))
            fsync_dir(self.objects)
        return bad

    def _unlink_release_files(self, bad: set[str]) -> None:
        """Hard links of a bad object carry the same bad bytes: make their releases incomplete."""
        for folder in self.releases.iterdir():
            release = read_release(folder, check_files=False)
            if release is None:
                continue
            for entry in release.manifest.files:
                if entry.sha256 in bad:
                    (release.content / entry.path).unlink(missing_ok=True)

    # Releases --------------------------------------------------------------------------------

    def build_release(self, manifest: Manifest, raw: bytes, signature: bytes) -> Path:
        """Assemble a complete release folder from verified objects; return its path."""
        name = f"{manifest.version:010d}-{secrets.token_hex(4)}"
        build = self.releases / f".build-{name}"
        content = build / "content"
        content.mkdir(parents=True)
        folders = {build, content}
        for entry in manifest.files:
            target = content / entry.path
            parent = target.parent
            if parent not in folders:
                parent.mkdir(parents=True, exist_ok=True)
                while parent not in folders:
                    folders.add(parent)
                    parent = parent.parent
            _link_or_copy(self.object_path(entry.sha256), target)
        for file_name, data in ((MANIFEST_NAME, raw), (SIGNATURE_NAME, signature)):
            with open(build / file_name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            fsync_dir(folder)
        final = self.releases / name
        os.rename(build, final)
        fsync_dir(self.releases)
        return final

    def make_current(self, release: Path) -> None:
        """Point `current` at `release` atomically; the old current becomes `previous`."""
        old = self._link_target("current")
        if old is not None and old.name != release.name:
            old_release = read_release(old)
            new_release = read_release(release, check_files=False)
            if old_release and new_release and old_release.version != new_release.version:
                self._set_link("previous", old)
        self._set_link("current", release)

    def current(self) -> Release | None:
        target = self._link_target("current")
        return read_release(target) if target is not None else None

    def previous(self) -> Release | None:
        target = self._link_target("previous")
        return read_release(target) if target is not None else None

    def complete_releases(self) -> list[Release]:
        """Every complete release folder, newest version first."""
        try:
            folders = list(self.releases.iterdir())
        except OSError:
            return []
        found = [r for r in map(read_release, folders) if r is not None]
        return sorted(found, key=lambda r: (r.version, r.path.name), reverse=True)

    def _link_target(self, name: str) -> Path | None:
        try:
            target = os.readlink(self.state_dir / name)
        except OSError:
            return None
        return (self.state_dir / target).resolve(strict=False)

    def _set_link(self, name: str, release: Path) -> None:
        tmp = self.state_dir / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(release, self.state_dir), tmp)
        os.replace(tmp, self.state_dir / name)
        fsync_dir(self.state_dir)

    # Garbage collection ----------------------------------------------------------------------

    def collect_garbage(self, pending: Manifest | None = None) -> int:
        """Keep `current`, `previous` and what `pending` needs; delete the rest.

        Returns the bytes freed.
        """
        keep_releases = {p.name for p in (self._link_target("current"),
                                           self._link_target("previous")) if p is not None}
        keep_objects: set[str] = set(pending.objects()) if pending else set()
        freed = 0
        for folder in list(self.releases.iterdir()):
            if folder.name in keep_releases:
                release = read_release(folder, check_files=False)
                if release:
                    keep_objects.update(release.manifest.objects())
                continue
            shutil.rmtree(folder, ignore_errors=True)
        for folder, keep in ((self.objects, keep_objects),
                             (self.partial, set(pending.objects()) if pending else set())):
            for path in list(folder.iterdir()):
                if path.name not in keep:
                    try:
                        freed += path.stat().st_size
                        path.unlink()
                    except OSError as exc:
                        log.warning("cannot remove %s: %s", path, exc)
        return freed


def read_release(folder: Path, check_files: bool = True) -> Release | None:
    """The release in `folder` if its manifest reads and (with check_files) every file is there
    with its promised size; None otherwise."""
    match = _RELEASE_NAME.fullmatch(folder.name)
    if not match:
        return None
    try:
        manifest = parse_manifest((folder / MANIFEST_NAME).read_bytes())
    except (OSError, ManifestError):
        return None
    if manifest.version != int(match.group(1)):
        return None
    release = Release(manifest.version, folder, manifest)
    if check_files and not all(_has_file(release.content, e) for e in manifest.files):
        return None
    return release


def _has_file(content: Path, entry: FileEntry) -> bool:
    try:
        info = (content / entry.path).lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == entry.size


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copyfile(source, target)  # a filesystem without hard links: a real copy
        with open(target, "rb") as copied:
            os.fsync(copied.fileno())  # on disk before the release can become current


def current_release(state_dir: Path) -> tuple[int, Path] | None:
    """(version, playlist path) of the complete release `<state_dir>/current` names, or None."""
    release = Store(state_dir).current()
    return (release.version, release.playlist) if release else None


def previous_release(state_dir: Path) -> tuple[int, Path] | None:
    """(version, playlist path) of the release that was current before, if still complete."""
    release = Store(state_dir).previous()
    return (release.version, release.playlist) if release else None


def releases_to_play(state_dir: Path) -> list[tuple[int, Path, str]]:
    """(version, playlist, origin) of the current release and the one before it, best first;
    a damaged store gives what can still be read, never an exception (the screen must light)."""
    try:
        current = current_release(state_dir)
    except Exception as exc:  # a damaged store must not stop the screen
        log.error("cannot read the synced release in %s: %s", state_dir, exc)
        return []
    if current is None:
        return []
    found = [(current[0], current[1], f"release {current[0]}")]
    try:
        previous = previous_release(state_dir)
    except Exception as exc:
        log.debug("no previous release: %s", exc)
        previous = None
    if previous is not None:
        found.append((previous[0], previous[1], f"previous release {previous[0]}"))
    return found
