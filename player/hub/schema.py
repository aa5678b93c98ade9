"""The hub's tables, as SQLAlchemy Core objects (the migrations in migrations/ create them).

Report ids are unique per cluster, not across the fleet: two clusters that happen to pick the
same id (a copied SD card, a buggy uuid source) must both be stored. Every time a person or the
fleet page orders by is `received` (the hub's clock); device time is kept for display only.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Float is DOUBLE PRECISION on PostgreSQL (REAL there would round unix times to minutes).
Time = sa.Float

reports = sa.Table(
    "reports", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("seq", sa.BigInteger),
    sa.Column("boot_id", sa.Text),
    sa.Column("time", Time),
    sa.Column("clock_synced", sa.Integer),
    sa.Column("received", Time, nullable=False),
)

samples = sa.Table(
    "samples", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger),
    sa.Column("time", Time),
    sa.Column("received", Time),
    sa.Column("temperature", sa.Float),
    sa.Column("humidity", sa.Float),
    sa.Column("disk_free", sa.Float),
    sa.Column("disk_total", sa.Float),
    sa.Column("display", sa.Integer),
    sa.Column("playlist", sa.Text),
    sa.Column("release", sa.BigInteger),
    sa.Column("item", sa.Text),
)

latest = sa.Table(
    "latest", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("id", sa.Text),
    sa.Column("seq", sa.BigInteger),
    sa.Column("received", Time),
    sa.Column("body", sa.Text, nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger),
    sa.Column("time", Time),
    sa.Column("received", Time),
    sa.Column("severity", sa.Text),
    sa.Column("event", sa.Text),
    sa.Column("message", sa.Text),
    sa.Column("details", sa.Text),
)

plays = sa.Table(
    "plays", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("item", sa.Text),
    sa.Column("release", sa.BigInteger),
    sa.Column("start", Time),
    sa.Column("end", Time),
    sa.Column("received", Time),
)

screenshots = sa.Table(
    "screenshots", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("id", sa.Text),
    sa.Column("time", Time),
    sa.Column("received", Time),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("jpeg", sa.LargeBinary),
)

rejected = sa.Table(
    "rejected", metadata,
    sa.Column("id", sa.Text),
    sa.Column("cluster", sa.Text),
    sa.Column("received", Time),
    sa.Column("reason", sa.Text),
    sa.Column("body", sa.Text),
)

seen = sa.Table(
    "seen", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("received", Time),
    sa.Column("address", sa.Text),
    sa.Column("reports", sa.BigInteger),
)

# -- people (used by the accounts, sessions and audit code) --

ROLES = ("viewer", "editor", "approver", "admin")

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created", Time, nullable=False),
    sa.Column("password_changed", Time, nullable=False),
    sa.CheckConstraint("role IN ('viewer', 'editor', 'approver', 'admin')", name="users_role"),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Text, primary_key=True),  # sha256 of the cookie's token, never the token
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("csrf_token", sa.Text, nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    sa.Column("expires", Time, nullable=False),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("user_name", sa.Text, nullable=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False, server_default=""),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),  # JSON text
    sa.Column("address", sa.Text, nullable=False, server_default=""),
)

login_attempts = sa.Table(
    "login_attempts", metadata,
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("at", Time, nullable=False),
)
