"""A hub database made by the real migrations, and a fast password hasher, for account tests."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles

from player.hub.database import database_url, make_engine, migrate

# argon2id with the smallest parameters: the tests exercise the logic, not the cost
FAST_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


def people_engine(path: Path, url: str | None = None) -> sa.Engine:
    """A migrated hub database: the SQLite file ``path``, or the PostgreSQL ``url``."""
    engine = make_engine(database_url(url or path, path.parent))
    migrate(engine)
    return engine
