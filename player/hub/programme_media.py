"""The media library as the programmes' ``MediaSource``, and the guard that keeps in use files.

``connect(library, store)`` is how a running hub joins the two: the programme editor offers
the library's ready files, approvals copy their prepared files into the release, and a file
that a programme still needs cannot be deleted from the library. A programme needs a file
when its newest version (the draft being edited, or the approved head), any approved version
(a rollback can put it back) or a version a channel carries names it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa

from player.hub.media import MediaItem as LibraryItem
from player.hub.media import MediaLibrary
from player.hub.programme_sources import MediaItem
from player.hub.programmes import ProgrammeStore
from player.hub.programmes_schema import programme_releases, programme_versions, programmes

log = logging.getLogger(__name__)


class LibraryMediaSource:
    """The library's ready files, as the programme pages and approvals see them."""

    def __init__(self, library: MediaLibrary):
        self.library = library

    def list_ready(self) -> list[MediaItem]:
        return [MediaItem(str(m.id), m.name, m.kind, m.sha256, m.ext)
                for m in self.library.list_ready()]

    def prepared_path(self, media_id: str) -> Path:
        try:
            return self.library.prepared_path(int(media_id))
        except (KeyError, ValueError):
            raise FileNotFoundError(media_id) from None

    def thumbnail_url(self, media_id: str) -> str:
        return f"/media/{media_id}/thumb.jpg"


class ProgrammesUsingMedia:
    """A ``media_in_use`` check: names the programmes that still need a file, or None."""

    def __init__(self, store: ProgrammeStore):
        self.store = store

    def __call__(self, item: LibraryItem) -> str | None:
        if not item.sha256:
            return None  # never prepared: no playlist can name it
        names = needing(self.store.engine, item.playlist_path)
        if not names:
            return None
        return ", ".join(f'"{name}"' for name in names)


def needing(engine: sa.Engine, playlist_path: str) -> list[str]:
    """Names of the programmes whose needed versions name ``playlist_path``."""
    v, p = programme_versions.c, programmes.c
    on_air = sa.select(programme_releases.c.version_id).where(
        programme_releases.c.version_id.is_not(None))
    needed = sa.or_(v.state == "approved", v.number == p.head, v.id.in_(on_air))
    query = (sa.select(p.name).distinct()
             .select_from(programme_versions.join(programmes, v.programme_id == p.id))
             .where(needed, v.yaml.contains(playlist_path, autoescape=True)).order_by(p.name))
    with engine.connect() as db:
        return [str(row[0]) for row in db.execute(query)]


def connect(library: MediaLibrary, store: ProgrammeStore) -> LibraryMediaSource:
    """Guard the library's files that programmes need; the source the programmes read from."""
    library.media_in_use.append(ProgrammesUsingMedia(store))
    return LibraryMediaSource(library)


__all__ = ["LibraryMediaSource", "ProgrammesUsingMedia", "connect", "needing"]
