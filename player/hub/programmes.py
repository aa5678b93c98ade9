"""Programmes on the hub: versions of a playlist.yaml in the database, and edits kept across
an expired session.

Every save is a new version; ``save`` names the version the editor started from and is refused
with ``SaveConflict`` when someone saved in between (nothing is overwritten). What plugs in is
elsewhere: media (``programme_sources``), previews (``programme_preview``), the players' checks
(``programme_check``), translations (``programme_translations``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from player.hub.programme_check import MAX_YAML, load_document
from player.hub.programme_translations import new_basis
from player.hub.programmes_schema import programme_stash, programme_versions, programmes

log = logging.getLogger(__name__)

STASH_SECONDS = 24 * 3600.0
MAX_STASHES = 200  # edits kept across expired sessions at once; more are refused


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


__all__ = ["ProgrammeStore", "Programme", "Version", "SaveConflict", "StashFull"]
