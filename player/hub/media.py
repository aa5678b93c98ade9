"""The media library: pictures and videos uploaded through the hub, kept and prepared for the
screens.

Interface for the programme editor (and anything else that puts media into a release)::

    library = MediaLibrary(engine, root)          # root: the hub's folder
    library.list_ready() -> list[MediaItem]       # ready to use, newest first
    library.get(media_id) -> MediaItem | None
    library.prepared_path(media_id) -> Path       # the file to put in a release
    library.media_in_use.append(check)            # check(item) -> str | None: why it cannot be
                                                  # deleted (e.g. 'programme "Tết 2027"')

A ``MediaItem`` has ``id, name`` (the display name as uploaded, Vietnamese letters and spaces
kept), ``kind`` ("image" | "video"), ``width, height`` (of the prepared file, upright),
``duration`` (seconds, videos), ``sha256`` and ``size`` (of the prepared file; "" and 0 until
it is ready), ``state`` ("preparing" | "ready" | "failed"), ``error`` (why it failed, English),
``uploaded_by``, ``uploaded_at`` (unix time), plus ``progress`` (0..1), ``ext``,
``original_sha256``, ``original_size``.

A programme's playlist refers to a prepared file as ``media/<sha256><ext>``, relative to the
playlist (``MediaItem.playlist_path``): the file name is its content hash, so the same picture in
two programmes is one object in the channel and a changed file is a new name.

On disk, under ``<root>/media/``: ``originals/<sha256><ext>`` (kept as uploaded),
``prepared/<sha256><ext>`` (what the players get), ``thumbs/<id>.jpg``, and ``incoming/`` for
uploads still arriving (emptied at start).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from player.hub.media_inspect import Inspected, MediaRefused, inspect_upload
from player.hub.media_schema import media, media_jobs
from player.hub.media_settings import MediaSettings

log = logging.getLogger(__name__)

MAX_NAME = 200  # characters of a display name


@dataclass(frozen=True)
class MediaItem:
    """One file of the library (see the module's docstring for the fields)."""

    id: int
    name: str
    kind: str
    width: int
    height: int
    duration: float | None
    sha256: str
    size: int
    state: str
    error: str
    uploaded_by: str
    uploaded_at: float
    progress: float = 0.0
    ext: str = ""
    original_sha256: str = ""
    original_ext: str = ""
    original_size: int = 0
    error_code: str = ""  # why it failed, as a code the pages put in words (media_inspect.MediaRefused)

    @property
    def playlist_path(self) -> str:
        """How a playlist next to the release's ``media/`` folder names this file."""
        return f"media/{self.sha256}{self.ext}" if self.sha256 else ""

    @property
    def ready(self) -> bool:
        return self.state == "ready"


class TooLarge(MediaRefused):
    """An upload over its limit, refused while it arrives."""


def display_name(name: str) -> str:
    """The name people gave the file, kept readable: NFC, no folders, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in unicodedata.normalize("NFC", base)
                    if unicodedata.category(ch)[0] != "C").strip()
    return clean[:MAX_NAME] or "media"


IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic")


def limit_for(name: str, settings: MediaSettings) -> int:
    """The size limit an upload named ``name`` is held to while it arrives (its content decides
    its kind afterwards, and a picture over the picture limit is refused then)."""
    if Path(name).suffix.lower() in IMAGE_EXTS:
        return settings.max_image_bytes
    return settings.max_upload_bytes


class UploadSink:
    """One upload arriving: bytes go to a temporary file and its hash as they come."""

    def __init__(self, library: MediaLibrary, name: str, uploaded_by: str):
        self.library = library
        self.name = display_name(name)
        self.uploaded_by = uploaded_by
        self.limit = limit_for(self.name, library.settings)
        self.hash = hashlib.sha256()
        self.size = 0
        incoming = library.folder / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        self.path = incoming / f"{os.getpid()}-{time.monotonic_ns()}.part"
        self.file: Any = open(self.path, "wb")  # noqa: SIM115 - closed in finish/abort

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self.abort()
            raise TooLarge("too_large", f"{self.name}: the file is larger than "
                                        f"{self.limit} bytes", limit=self.limit)
        self.hash.update(data)
        self.file.write(data)

    def finish(self) -> MediaItem:
        """Check what arrived, keep it as the original and queue its preparation."""
        try:
            self.file.close()
            info = inspect_upload(self.path, self.library.settings, self.name)
            if info.kind == "image" and self.size > self.library.settings.max_image_bytes:
                raise TooLarge("too_large", f"{self.name}: the picture is larger than "
                                            f"{self.library.settings.max_image_bytes} bytes",
                               limit=self.library.settings.max_image_bytes)
            return self.library.add(self.path, self.hash.hexdigest(), self.size, self.name,
                                    info, self.uploaded_by)
        finally:
            self.abort()

    def abort(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.path.unlink(missing_ok=True)


class MediaLibrary:
    """The library's rows and files under ``root/media``; ``wake`` is called when a new job is
    queued (the job queue's ``wake``)."""

    def __init__(self, engine: sa.Engine, root: Path, settings: MediaSettings | None = None,
                 clock: Callable[[], float] = time.time):
        self.engine = engine
        self.root = root
        self.folder = root / "media"
        self.settings = settings or MediaSettings()
        self.clock = clock
        self.media_in_use: list[Callable[[MediaItem], str | None]] = []
        self.wake: Callable[[], None] = lambda: None
        for sub in ("originals", "prepared", "thumbs", "incoming"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)

    # -- reading ------------------------------------------------------------------------------

    def list_ready(self) -> list[MediaItem]:
        """Every ready file, newest first."""
        return self._select(media.c.state == "ready")

    def list_all(self) -> list[MediaItem]:
        """Every file, whatever its state, newest first."""
        return self._select(None)

    def get(self, media_id: int) -> MediaItem | None:
        # a URL's 30-digit id finds no row instead of overflowing INTEGER (32 bits on PostgreSQL)
        if not 0 < media_id < 2**31:
            return None
        found = self._select(media.c.id == media_id)
        return found[0] if found else None

    def prepared_path(self, media_id: int) -> Path:
        """The prepared file (``<root>/media/prepared/<sha256><ext>``); KeyError when there is
        no such ready item."""
        item = self.get(media_id)
        if item is None or not item.ready:
            raise KeyError(f"media {media_id} is not ready")
        return self.folder / "prepared" / f"{item.sha256}{item.ext}"

    def original_path(self, item: MediaItem) -> Path:
        return self.folder / "originals" / f"{item.original_sha256}{item.original_ext}"

    def thumbnail_path(self, media_id: int) -> Path:
        return self.folder / "thumbs" / f"{media_id}.jpg"

    def _select(self, where: Any) -> list[MediaItem]:
        query = sa.select(media).order_by(media.c.id.desc())
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as db:
            return [_item(row) for row in db.execute(query)]

    # -- changing -----------------------------------------------------------------------------

    def begin_upload(self, name: str, uploaded_by: str) -> UploadSink:
        return UploadSink(self, name, uploaded_by)

    def add_file(self, path: Path, name: str, uploaded_by: str) -> MediaItem:
        """Add a file already on this machine (a copy is kept); raises MediaRefused."""
        sink = self.begin_upload(name, uploaded_by)
        with open(path, "rb") as source:
            while chunk := source.read(1 << 20):
                sink.write(chunk)
        return sink.finish()

    def add(self, path: Path, sha256: str, size: int, name: str, info: Inspected,
            uploaded_by: str) -> MediaItem:
        """Keep ``path`` as an original and queue its preparation (moves the file)."""
        ext = info.ext if info.kind == "image" else (path_ext(name) or info.ext)
        original = self.folder / "originals" / f"{sha256}{ext}"
        if not original.exists():
            os.replace(path, original)
        now = self.clock()
        with self.engine.begin() as db:
            media_id = db.execute(media.insert().values(
                name=name, kind=info.kind, original_sha256=sha256, original_ext=ext,
                original_size=size, width=info.width, height=info.height,
                duration=info.duration, state="preparing", progress=0.0, error="",
                uploaded_by=uploaded_by[:200], uploaded_at=now)).inserted_primary_key[0]  # type: ignore[index]
            db.execute(media_jobs.insert().values(media_id=media_id, state="queued",
                                                  created=now))
        log.info("media %s: %s (%s, %d bytes) uploaded by %s", media_id, name, info.kind, size,
                 uploaded_by)
        self.wake()
        item = self.get(media_id)
        assert item is not None
        return item

    def in_use(self, item: MediaItem) -> list[str]:
        """Why the item cannot be deleted: what each ``media_in_use`` check says."""
        reasons = []
        for check in self.media_in_use:
            reason = check(item)
            if reason:
                reasons.append(reason)
        return reasons

    def delete(self, media_id: int) -> MediaItem | None:
        """Remove an item and its files (the caller has checked ``in_use``); files another
        item shares (the same upload twice) are kept."""
        item = self.get(media_id)
        if item is None:
            return None
        with self.engine.begin() as db:
            db.execute(media_jobs.delete().where(media_jobs.c.media_id == media_id))
            db.execute(media.delete().where(media.c.id == media_id))
            shared_original = db.execute(sa.select(sa.func.count()).select_from(media).where(
                media.c.original_sha256 == item.original_sha256)).scalar()
            shared_prepared = item.sha256 and db.execute(sa.select(sa.func.count()).select_from(
                media).where(media.c.sha256 == item.sha256)).scalar()
        if not shared_original:
            self.original_path(item).unlink(missing_ok=True)
        if item.sha256 and not shared_prepared:
            (self.folder / "prepared" / f"{item.sha256}{item.ext}").unlink(missing_ok=True)
        self.thumbnail_path(media_id).unlink(missing_ok=True)
        return item

    def clean_incoming(self) -> None:
        """Drop what uploads cut off by a stop left behind (only this host's own processes
        write here, and none runs before the hub starts)."""
        for leftover in (self.folder / "incoming").glob("*.part"):
            pid = leftover.name.split("-", 1)[0]
            if not (pid.isdigit() and pid_alive(int(pid))):
                leftover.unlink(missing_ok=True)
        for scratch in (self.folder / "prepared").glob(".job-*"):  # a conversion cut short
            pid = scratch.name.split(".")[1].rsplit("-", 1)[-1]
            if not (pid.isdigit() and pid_alive(int(pid))):
                scratch.unlink(missing_ok=True)


def path_ext(name: str) -> str:
    ext = Path(name).suffix.lower()
    return ext if 1 < len(ext) <= 6 and ext[1:].isalnum() else ""


def pid_alive(pid: int) -> bool:
    """Whether process `pid` still runs (this process counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _item(row: Any) -> MediaItem:
    return MediaItem(
        id=row.id, name=row.name, kind=row.kind, width=row.width or 0, height=row.height or 0,
        duration=row.duration, sha256=row.sha256 or "", size=int(row.size or 0),
        state=row.state, error=row.error or "", uploaded_by=row.uploaded_by or "",
        uploaded_at=float(row.uploaded_at or 0.0), progress=float(row.progress or 0.0),
        ext=row.ext or "", original_sha256=row.original_sha256, original_ext=row.original_ext,
        original_size=int(row.original_size or 0), error_code=row.error_code or "")


__all__ = ["MediaItem", "pid_alive", "MediaLibrary", "MediaRefused", "TooLarge", "UploadSink",
           "display_name", "limit_for"]
