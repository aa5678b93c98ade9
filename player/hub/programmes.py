"""Programmes on the hub: versions of a playlist.yaml, drafts and approvals, and what plugs in.

- ``ProgrammeStore``: programmes and their versions in the database. Every save is a new
  version; ``save`` names the version the editor started from and is refused with
  ``SaveConflict`` when someone saved in between (nothing is overwritten).
- ``MediaSource``: where prepared media comes from (the media library plugs in here; a folder
  of files is the default). A playlist refers to a file as ``media/<sha256><ext>``.
- ``Previewer``: renders a programme's slides and contact sheet; the default has none and says so.
- ``check_text``: a playlist's YAML validated by the players' own rules (``player.core``), in a
  folder holding the media it names, with messages in the page's language.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from player.core.playlist_reader import check_playlist
from player.core.problems import LoadError, Problem
from player.core.yamlfile import parse_yaml
from player.hub.programme_form import EDITOR_LANGS
from player.hub.programmes_schema import programme_stash, programme_versions, programmes
from player.i18n import _, language
from player.storage.durable import sha256_file

log = logging.getLogger(__name__)

MEDIA_PATH = re.compile(r"^media/(?P<sha>[0-9a-f]{64})(?P<ext>\.[A-Za-z0-9]{1,8})?$")
MAX_YAML = 1_000_000
STASH_SECONDS = 24 * 3600.0
MAX_STASHES = 200  # edits kept across expired sessions at once; more are refused


# -- what plugs in -------------------------------------------------------------------------------

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


class PreviewUnavailable(Exception):
    """No preview renderer on this hub."""


class Previewer(Protocol):
    """Renders what the screens will show (the preview worker plugs in here)."""

    def contact_sheet(self, playlist_path: Path, size: tuple[int, int], rotation: int) -> Path: ...

    def render_slides(self, playlist_path: Path, size: tuple[int, int],
                      rotation: int) -> list[Any]: ...


class NoPreview:
    """The default: no renderer; the page says the preview is not ready."""

    def contact_sheet(self, playlist_path: Path, size: tuple[int, int], rotation: int) -> Path:
        raise PreviewUnavailable("no preview renderer is installed on this hub")

    def render_slides(self, playlist_path: Path, size: tuple[int, int],
                      rotation: int) -> list[Any]:
        raise PreviewUnavailable("no preview renderer is installed on this hub")


def preview_ready(previewer: Previewer) -> bool:
    """Whether pages should offer a preview (anything but the default stand-in)."""
    return not isinstance(previewer, NoPreview)


# -- checking ----------------------------------------------------------------------------------

@contextmanager
def release_folder(text: str, media: dict[str, tuple[MediaItem, Path]],
                   real: bool = False) -> Iterator[Path]:
    """A temporary folder holding playlist.yaml and, under media/, a stand-in for every ready
    file it names (``real``: the file itself, linked or copied); yields the playlist's path.

    The players' rules look at a media path's place in the folder, not at its bytes (the media
    library checked those when it prepared the file): a one-byte stand-in spares copying a
    4 GB clip across file systems at every page view. A preview needs the real pixels.
    """
    folder = Path(tempfile.mkdtemp(prefix="programme-"))
    try:
        playlist = folder / "playlist.yaml"
        playlist.write_text(text, encoding="utf-8")
        named = set(re.findall(r"media/[0-9a-f]{64}(?:\.[A-Za-z0-9]{1,8})?", text))
        if named:
            (folder / "media").mkdir()
        for path in named & set(media):
            if real:
                _link_or_copy(media[path][1], folder / path)
            else:
                (folder / path).write_bytes(b"\0")
        yield playlist
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def check_text(text: str, media: dict[str, tuple[MediaItem, Path]], lang: str = "vi",
               file: str = "playlist.yaml") -> list[Problem]:
    """Every problem (errors, then warnings, by line) the players' rules find in ``text``."""
    with language(lang):
        with release_folder(text, media) as playlist:
            problems = check_playlist(playlist)
    # the temporary folder means nothing to the reader: the files are the hub's media
    here = "thư viện ảnh/video của hub" if lang == "vi" else "the hub's media library"
    return [Problem(file, p.line, p.path, p.message.replace(str(playlist.parent) + "/", "")
                    .replace(str(playlist.parent), here), p.severity) for p in problems]


def read_upload(data: bytes, lang: str = "vi", file: str = "playlist.yaml") -> tuple[str, Any]:
    """The text and the data of an uploaded playlist.yaml; LoadError with a message people can
    act on for UTF-16 (Notepad), other code pages, tabs and unquoted colons."""
    from player.core.yamlfile import read_yaml

    with language(lang), tempfile.TemporaryDirectory(prefix="import-") as folder:
        path = Path(folder) / file
        path.write_bytes(data[:MAX_YAML + 1])
        try:
            parsed = read_yaml(path)
        except LoadError as exc:
            raise LoadError([Problem(file, p.line, p.path, p.message) for p in exc.problems]
                            ) from None
        return data.decode("utf-8-sig"), parsed


def load_document(text: str) -> Any:
    """The data of a stored playlist text; {} when it no longer parses (the page says why)."""
    try:
        return parse_yaml(text, "playlist.yaml")
    except LoadError:
        return {}


# -- translations ------------------------------------------------------------------------------

def vi_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def text_fields(data: Any) -> dict[str, dict[str, str]]:
    """Every translatable text of a document: ``items[2].text`` -> {lang: text}."""
    found: dict[str, dict[str, str]] = {}
    if not isinstance(data, dict):
        return found
    for group in ("items", "interrupts"):
        entries = data.get(group)
        for index, item in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(item, dict):
                continue
            name = str(item.get("id") or f"{group}[{index}]")
            for key in ("text", "caption"):
                value = item.get(key)
                if isinstance(value, dict):
                    found[f"{name}.{key}"] = {str(k): str(v) for k, v in value.items() if v}
                elif isinstance(value, str):
                    found[f"{name}.{key}"] = {"vi": value}
    overlays = data.get("overlays")
    ticker = overlays.get("ticker") if isinstance(overlays, dict) else None
    if isinstance(ticker, dict) and isinstance(ticker.get("text"), dict):
        found["ticker.text"] = {str(k): str(v) for k, v in ticker["text"].items() if v}
    return found


def languages_of(data: Any) -> list[str]:
    languages = data.get("languages") if isinstance(data, dict) else None
    if isinstance(languages, list) and languages:
        return [str(x) for x in languages]
    return ["vi", "en"]


def new_basis(old_data: Any, new_data: Any, old_basis: dict) -> dict:
    """The Vietnamese each translation was made from, carried across a save: a translation
    that changed (or is new) in this save was made from the Vietnamese saved with it."""
    old_fields = text_fields(old_data)
    basis: dict[str, dict[str, str]] = {}
    for name, texts in text_fields(new_data).items():
        vi = texts.get("vi", "")
        before = old_fields.get(name, {})
        kept = old_basis.get(name, {})
        basis[name] = {}
        for lang, value in texts.items():
            if lang == "vi":
                continue
            if lang in kept and before.get(lang) == value:
                basis[name][lang] = kept[lang]
            else:
                basis[name][lang] = vi_hash(vi)
    return basis


@dataclass(frozen=True)
class TranslationCell:
    state: str  # ok | missing | stale (Vietnamese changed after the translation) | source
    text: str


@dataclass(frozen=True)
class TranslationRow:
    field: str
    cells: tuple[tuple[str, TranslationCell], ...]


def translation_table(data: Any, basis: dict) -> tuple[list[str], list[TranslationRow]]:
    """Languages (the playlist's, vi/en/zh at least) and one row per text."""
    langs = list(dict.fromkeys(languages_of(data) + list(EDITOR_LANGS)))
    shown = languages_of(data)
    rows = []
    for name, texts in text_fields(data).items():
        vi = texts.get("vi", "")
        cells = []
        for lang in langs:
            value = texts.get(lang, "")
            if lang == "vi":
                state = "source" if value else "missing"
            elif not value:
                state = "missing" if lang in shown else "unused"
            elif vi and basis.get(name, {}).get(lang, vi_hash(vi)) != vi_hash(vi):
                state = "stale"
            else:
                state = "ok"
            cells.append((lang, TranslationCell(state, value)))
        rows.append(TranslationRow(name, tuple(cells)))
    return langs, rows


def missing_translations(data: Any) -> list[str]:
    """``field: lang`` for every text lacking one of the playlist's languages."""
    _langs, rows = translation_table(data, {})
    return [f"{row.field}: {lang}" for row in rows for lang, cell in row.cells
            if cell.state == "missing"]


# -- the store ---------------------------------------------------------------------------------

class StashFull(Exception):
    """Too many edits are waiting for their logins."""


class SaveConflict(Exception):
    """Someone saved the programme after the version this edit started from."""

    def __init__(self, head: int, author: str):
        super().__init__(f"version {head} was saved meanwhile by {author}")
        self.head, self.author = head, author


@dataclass(frozen=True)
class Programme:
    id: int
    name: str
    head: int
    created: float
    created_by: str


@dataclass(frozen=True)
class Version:
    id: int
    programme_id: int
    number: int
    yaml: str
    basis: dict
    author: str
    created: float
    state: str
    approved_by: str | None
    approved_at: float | None
    note: str

    @property
    def data(self) -> Any:
        return load_document(self.yaml)


def _storable(number: int) -> bool:
    """Whether an id or version number from a URL or a form can be in the database at all:
    a 30-digit one finds no row instead of overflowing the database's integer."""
    return 0 <= number < 2**31  # INTEGER on PostgreSQL is 32 bits


class ProgrammeStore:
    """The ``programmes`` and ``programme_versions`` tables."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], float] = time.time):
        self.engine, self.clock = engine, clock

    def create(self, name: str, author: str, text: str = "") -> Programme:
        text = text or f"name: {json.dumps(name, ensure_ascii=False)}\nlanguages: [vi, en, zh]\nitems: []\n"
        with self.engine.begin() as db:
            inserted = db.execute(programmes.insert().values(
                name=name[:200], head=1, created=self.clock(), created_by=author))
            pid = int(inserted.inserted_primary_key[0])  # type: ignore[index]
            data = load_document(text)
            db.execute(programme_versions.insert().values(
                programme_id=pid, number=1, yaml=text, author=author, created=self.clock(),
                basis=json.dumps(new_basis({}, data, {})), note="created"))
        programme = self.get(pid)
        assert programme is not None
        return programme

    def get(self, programme_id: int) -> Programme | None:
        if not _storable(programme_id):
            return None
        with self.engine.connect() as db:
            row = db.execute(sa.select(programmes).where(programmes.c.id == programme_id)).first()
        return Programme(row.id, row.name, row.head, row.created, row.created_by) if row else None

    def all(self) -> list[Programme]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(programmes).order_by(programmes.c.id.desc())).all()
        return [Programme(r.id, r.name, r.head, r.created, r.created_by) for r in rows]

    def versions(self, programme_id: int) -> list[Version]:
        if not _storable(programme_id):
            return []
        with self.engine.connect() as db:
            rows = db.execute(sa.select(programme_versions)
                              .where(programme_versions.c.programme_id == programme_id)
                              .order_by(programme_versions.c.number.desc())).all()
        return [self._version(r) for r in rows]

    def version(self, programme_id: int, number: int | None = None) -> Version | None:
        """One version (the newest when ``number`` is None)."""
        if not _storable(programme_id) or (number is not None and not _storable(number)):
            return None
        v = programme_versions.c
        query = sa.select(programme_versions).where(v.programme_id == programme_id)
        query = query.where(v.number == number) if number is not None else \
            query.order_by(v.number.desc()).limit(1)
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return self._version(row) if row else None

    def version_by_id(self, version_id: int) -> Version | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(programme_versions)
                             .where(programme_versions.c.id == version_id)).first()
        return self._version(row) if row else None

    def save(self, programme_id: int, base: int, text: str, author: str,
             note: str = "") -> Version:
        """A new draft after version ``base``; SaveConflict when ``base`` is not the newest."""
        if not _storable(base + 1):
            base = -1  # a forged number: no row has it, so the save is a conflict like a stale one
        previous = self.version(programme_id, base)
        old_data = previous.data if previous else {}
        data = load_document(text)
        basis = new_basis(old_data, data, previous.basis if previous else {})
        name = data.get("name") if isinstance(data, dict) else None
        with self.engine.begin() as db:
            # the conditional UPDATE is the lock: of two saves from one base, one changes a row
            moved = db.execute(programmes.update().where(
                programmes.c.id == programme_id, programmes.c.head == base).values(
                head=base + 1, **({"name": str(name)[:200]} if name else {})))
            if moved.rowcount == 1:
                db.execute(programme_versions.insert().values(
                    programme_id=programme_id, number=base + 1, yaml=text[:MAX_YAML],
                    basis=json.dumps(basis), author=author, created=self.clock(),
                    note=note[:200]))
        if moved.rowcount != 1:
            newest = self.version(programme_id)
            raise SaveConflict(newest.number if newest else 0, newest.author if newest else "")
        version = self.version(programme_id, base + 1)
        assert version is not None
        return version

    def mark_approved(self, version_id: int, approver: str) -> None:
        with self.engine.begin() as db:
            db.execute(programme_versions.update().where(programme_versions.c.id == version_id)
                       .values(state="approved", approved_by=approver, approved_at=self.clock()))

    # -- edits posted after the session expired --

    def stash(self, programme_id: int, form: dict) -> str:
        """Keep a posted edit; returns the token the browser keeps in a cookie."""
        token = secrets.token_urlsafe(24)
        now = self.clock()
        with self.engine.begin() as db:
            db.execute(programme_stash.delete().where(programme_stash.c.created
                                                      < now - STASH_SECONDS))
            waiting = db.execute(sa.select(sa.func.count()).select_from(programme_stash)).scalar()
            if (waiting or 0) >= MAX_STASHES:
                raise StashFull()
            db.execute(programme_stash.insert().values(
                id=hashlib.sha256(token.encode()).hexdigest(), programme_id=programme_id,
                form=json.dumps(form, ensure_ascii=False)[:2_000_000], created=now))
        return token

    def take_stash(self, programme_id: int, token: str) -> dict | None:
        """The stashed edit for this browser's token (once), or None."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        s = programme_stash.c
        with self.engine.begin() as db:
            row = db.execute(sa.select(programme_stash).where(
                s.id == digest, s.programme_id == programme_id,
                s.created >= self.clock() - STASH_SECONDS)).first()
            if row is not None:
                db.execute(programme_stash.delete().where(s.id == digest))
        if row is None:
            return None
        try:
            form = json.loads(row.form)
        except ValueError:
            return None
        return form if isinstance(form, dict) else None

    @staticmethod
    def _version(row: Any) -> Version:
        try:
            basis = json.loads(row.basis or "{}")
        except ValueError:
            basis = {}
        return Version(row.id, row.programme_id, row.number, row.yaml, basis, row.author,
                       row.created, row.state, row.approved_by, row.approved_at, row.note)


# -- what changed ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemChange:
    id: str
    change: str  # added | removed | changed | same
    before: str  # YAML of the item on air
    after: str  # YAML of the item in the draft


def diff_items(on_air: Any, draft: Any) -> list[ItemChange]:
    """Items of the draft against the programme on air, matched by id, in the draft's order
    (removed ones last)."""
    from player.hub.programme_form import dump_yaml

    def by_id(data: Any) -> dict[str, Any]:
        items = data.get("items") if isinstance(data, dict) else None
        return {str(i.get("id") or f"item{n + 1}"): i for n, i in
                enumerate(items if isinstance(items, list) else []) if isinstance(i, dict)}

    old, new = by_id(on_air), by_id(draft)
    changes = []
    for key, item in new.items():
        if key not in old:
            changes.append(ItemChange(key, "added", "", dump_yaml(item)))
        else:
            change = "same" if old[key] == item else "changed"
            changes.append(ItemChange(key, change, dump_yaml(old[key]), dump_yaml(item)))
    changes += [ItemChange(k, "removed", dump_yaml(i), "") for k, i in old.items() if k not in new]
    return changes


def problem_text(problem: Problem) -> str:
    where = f"{problem.file}:{problem.line}" if problem.line else problem.file
    key = f" {problem.path}:" if problem.path else ""
    prefix = _("warning: ") if problem.severity == "warning" else ""
    return f"{where}:{key} {prefix}{problem.message}"


__all__ = ["ProgrammeStore", "Programme", "Version", "SaveConflict", "MediaSource", "MediaItem",
           "FolderMediaSource", "Previewer", "NoPreview", "PreviewUnavailable", "check_text",
           "read_upload", "translation_table", "missing_translations", "diff_items",
           "media_by_path", "release_folder"]
