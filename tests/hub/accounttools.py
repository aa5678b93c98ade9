"""A database with the people tables for the account tests, and a fast password hasher."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles

# argon2id with the smallest parameters: the tests exercise the logic, not the cost
FAST_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


def people_engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    meta = sa.MetaData()
    sa.Table("users", meta, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(64), unique=True, nullable=False),
             sa.Column("password_hash", sa.String(255), nullable=False),
             sa.Column("role", sa.String(16), nullable=False),
             sa.Column("disabled", sa.Boolean, nullable=False, default=False),
             sa.Column("created", sa.Float), sa.Column("password_changed", sa.Float))
    sa.Table("sessions", meta, sa.Column("id", sa.String(64), primary_key=True),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
             sa.Column("csrf_token", sa.String(64), nullable=False),
             sa.Column("created", sa.Float), sa.Column("last_seen", sa.Float),
             sa.Column("expires", sa.Float))
    sa.Table("audit", meta, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("at", sa.Float), sa.Column("user_name", sa.String(200)),
             sa.Column("action", sa.String(64)), sa.Column("target", sa.String(200)),
             sa.Column("detail", sa.Text), sa.Column("address", sa.String(64)))
    sa.Table("login_attempts", meta, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(200)), sa.Column("address", sa.String(64)),
             sa.Column("at", sa.Float))
    meta.create_all(engine)
    return engine
