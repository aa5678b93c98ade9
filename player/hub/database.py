"""The hub's database: an SQLAlchemy engine for SQLite (default) or PostgreSQL, and migrations.

`database:` in hub.yaml is a file path (SQLite, relative to the config file) or a URL
(`postgresql://user@host/db`, driven by psycopg 3). Migrations ship inside the package and run
at every start; running them again is harmless.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
# Alembic names each of its plug-ins at INFO on every start: noise in the hub's journal.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(setting: str | Path | None, root: Path) -> str:
    """hub.yaml's `database:` (a path or a URL) -> an SQLAlchemy URL."""
    if setting is None:
        return f"sqlite:///{(root / 'hub.sqlite').resolve()}"
    text = str(setting)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


def is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """An engine with the hub's settings: WAL and synchronous=FULL on SQLite."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  pool_size=pool_size, max_overflow=20)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Acknowledged reports are deleted on the device: they must survive a power cut here.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision this version of the hub knows (what `migrate` brings a database to)."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the hub's migrations folder has no revision"
    return head


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (an old pre-migration hub.sqlite is converted)."""
    config = _alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Several hub processes may start at once: one migrates, the others wait here.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(804271)"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


class Record(tuple):
    """One result row, readable by position and by column name (like sqlite3.Row)."""

    _names: dict[str, int]

    def __new__(cls, values: tuple, names: dict[str, int]) -> Record:
        record = super().__new__(cls, values)
        record._names = names
        return record

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def records(result: sa.CursorResult) -> list[Record]:
    names = {name: index for index, name in enumerate(result.keys())}
    return [Record(tuple(row), names) for row in result]
