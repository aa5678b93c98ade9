"""Publishing a channel: a source folder (playlist.yaml + media) -> a signed channel folder.

The channel folder is served as-is by any static web server. Objects are written first, then the
signature, then manifest.json, each by atomic rename, so a server never serves a manifest whose
objects are missing. Objects are named by their sha256 and never change, so unchanged files are
stored once across all versions.
"""

from __future__ import annotations

import logging
import stat
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.core import signing as keys
from player.core.manifest import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    FileEntry,
    Manifest,
    ManifestError,
    manifest_bytes,
    parse_manifest,
    path_problem,
)
from player.storage.durable import copy_atomic, sha256_file, write_atomic

log = logging.getLogger(__name__)

PLAYLIST_NAME = "playlist.yaml"
OBJECTS_DIR = "objects"


class PublishError(Exception):
    """The source folder cannot be published; `problems` lists every reason found."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# The largest screens in the clusters are 4K; a picture with more than twice a 4K screen's
# pixels only costs download time, SD-card space and memory on every box that shows it.
LARGEST_SCREEN = (3840, 2160)
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


@dataclass(frozen=True)
class PublishResult:
    manifest: Manifest
    new_objects: int
    new_bytes: int
    warnings: tuple[str, ...] = ()  # each line as printed, "file:line: key: warning: ..."


def playlist_media(playlist: Path) -> tuple[str, ...]:
    """The files the playlist references, validated as `check` validates them (raises
    LoadError): the YAML and, where the player offers it, every picture and clip opened."""
    return review_playlist(playlist)[0]


def review_playlist(playlist: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(media files, warnings) for a playlist validated as `check` validates it (raises
    LoadError): every warning `check` gives about the content, and pictures far larger than
    any screen."""
    from player.media.check import load_checked

    loaded = load_checked(playlist)
    warnings = [str(problem) for problem in loaded.warnings]
    warnings += oversized_pictures(playlist.parent, loaded.media_files())
    return tuple(loaded.media_files()), tuple(warnings)


def oversized_pictures(folder: Path, names: Sequence[str]) -> list[str]:
    """A warning, with its size, for each picture with more than twice a 4K screen's pixels."""
    from PIL import Image

    limit = 2 * LARGEST_SCREEN[0] * LARGEST_SCREEN[1]
    found = []
    for name in names:
        if not name.lower().endswith(PICTURE_SUFFIXES):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(folder / name) as image:  # reads the header only
                    width, height = image.size
            size = (folder / name).stat().st_size
        except (OSError, ValueError, Image.DecompressionBombError):
            continue  # check refuses a picture it cannot open; this is only about size
        if width * height > limit:
            found.append(f"{folder / name}: warning: {width}x{height} pixels ({size / 1e6:.1f} MB) is far "
                         f"larger than any screen (4K is {LARGEST_SCREEN[0]}x{LARGEST_SCREEN[1]}); "
                         "scale it down to the screen's size (1920x1080 for most clusters) to save "
                         "download time and the players' memory")
    return found


def publish(src: Path, out: Path, channel: str, key: Ed25519PrivateKey, expires_in: timedelta,
            *, now: datetime | None = None,
            list_media: Callable[[Path], Sequence[str]] | None = None) -> PublishResult:
    """Publish `src` as the next version of `channel` in `out`.

    Raises LoadError for a broken playlist and PublishError for unsafe paths or a foreign `out`.
    `list_media` replaces the review of the playlist (`check`'s validation and warnings).
    """
    now = (now or datetime.now(UTC)).replace(microsecond=0)  # the manifest keeps seconds
    paths, previous, warnings = _review(src, out, channel, key, list_media)
    entries, new_objects, new_bytes = _store_objects(src, out / OBJECTS_DIR, paths)
    manifest = Manifest(channel=channel, version=(previous.version + 1 if previous else 1),
                        issued=now, expires=now + expires_in, playlist=PLAYLIST_NAME,
                        files=tuple(entries))
    _write_manifest(out, manifest, key)
    log.info("published %s version %d: %d files, %d new objects (%d bytes)", channel,
             manifest.version, len(entries), new_objects, new_bytes)
    return PublishResult(manifest, new_objects, new_bytes, tuple(warnings))


def _review(src: Path, out: Path, channel: str, key: Ed25519PrivateKey,
            list_media: Callable[[Path], Sequence[str]] | None,
            ) -> tuple[list[str], Manifest | None, list[str]]:
    """The files to publish (the playlist first), the version `out` holds now and the
    warnings; raises PublishError with every problem found in `src` and `out`."""
    playlist = src / PLAYLIST_NAME
    problems: list[str] = []
    _check_file(src, PLAYLIST_NAME, problems)
    if problems:
        raise PublishError(problems)
    if list_media is None:
        media, reviewed = review_playlist(playlist)
    else:
        media, reviewed = tuple(list_media(playlist)), ()
    paths = [PLAYLIST_NAME] + sorted(set(media) - {PLAYLIST_NAME})
    for path in paths[1:]:
        _check_file(src, path, problems)
    previous, warnings = _previous_manifest(out, channel, key, problems)
    if problems:
        raise PublishError(problems)
    return paths, previous, list(reviewed) + warnings


def _store_objects(src: Path, objects: Path, paths: list[str]) -> tuple[list[FileEntry], int, int]:
    """Each file copied to `objects/<sha256>` unless already there: the entries, and how many
    objects and bytes are new."""
    objects.mkdir(parents=True, exist_ok=True)
    entries, new_objects, new_bytes = [], 0, 0
    for path in paths:
        sha, size = sha256_file(src / path)
        target = objects / sha
        if not (target.is_file() and target.stat().st_size == size):
            try:
                copy_atomic(src / path, target, sha)
            except ValueError as exc:
                raise PublishError([str(exc)]) from None
            new_objects += 1
            new_bytes += size
        entries.append(FileEntry(path, sha, size))
    return entries, new_objects, new_bytes


def _write_manifest(out: Path, manifest: Manifest, key: Ed25519PrivateKey) -> None:
    data = manifest_bytes(manifest)
    try:
        if parse_manifest(data) != manifest:
            raise ManifestError("the manifest does not read back as written")
    except ManifestError as exc:
        raise PublishError([f"{MANIFEST_NAME}: {exc}"]) from None
    # Signature before manifest: a player polls manifest.json, so it sees the new version only
    # once its signature is in place.
    write_atomic(out / SIGNATURE_NAME, keys.sign(key, data))
    write_atomic(out / MANIFEST_NAME, data, mtime=_next_mtime(out / MANIFEST_NAME))


def _next_mtime(path: Path) -> float | None:
    """A modification time one second past the old manifest's when a new one would share it.

    Static servers derive ETag and Last-Modified from (whole-second mtime, size); two versions
    published within one second with equal sizes would look unchanged to a conditional GET.
    """
    try:
        old = int(path.stat().st_mtime)
    except OSError:
        return None
    return float(old + 1) if int(time.time()) <= old else None


def _check_file(src: Path, path: str, problems: list[str]) -> None:
    """A referenced file must be a regular file reached through no symlink, inside `src`."""
    problem = path_problem(path)
    if problem:
        problems.append(f"{path}: {problem}")
        return
    current = src
    parts = path.split("/")
    for i, part in enumerate(parts):
        current = current / part
        try:
            mode = current.lstat().st_mode
        except OSError as exc:
            problems.append(f"{path}: cannot read {current} ({exc.strerror})")
            return
        if stat.S_ISLNK(mode):
            problems.append(f"{path}: {current} is a symbolic link; publish real files only "
                            "(a link could point outside the folder)")
            return
        if i < len(parts) - 1 and not stat.S_ISDIR(mode):
            problems.append(f"{path}: {current} is not a folder")
            return
    if not stat.S_ISREG(mode):
        problems.append(f"{path}: {current} is not a regular file")


def _previous_manifest(out: Path, channel: str, key: Ed25519PrivateKey,
                       problems: list[str]) -> tuple[Manifest | None, list[str]]:
    path = out / MANIFEST_NAME
    if not path.exists():
        return None, []
    try:
        data = path.read_bytes()
        previous = parse_manifest(data)
    except (OSError, ManifestError) as exc:
        problems.append(f"{path}: cannot read the previous version ({exc}); fix or remove it")
        return None, []
    if previous.channel != channel:
        problems.append(f'{out} holds channel "{previous.channel}", not "{channel}"')
        return None, []
    warnings = []
    try:
        signature = (out / SIGNATURE_NAME).read_bytes()
    except OSError:
        signature = b""
    if not keys.verify([key.public_key()], data, signature):
        warnings.append(f"{out}: warning: version {previous.version} was not signed by this key: "
                        "players that pin the old key will refuse the new version")
    return previous, warnings
