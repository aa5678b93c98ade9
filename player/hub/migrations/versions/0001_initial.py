"""The initial schema: reports keyed by (cluster, id), and the tables for people.

A hub.sqlite written before migrations existed (tables made by the old ingest code, report ids
unique across the fleet) is converted in place: its report tables are rebuilt with the new key
and every row is kept.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

REBUILT = ("reports", "samples", "events", "plays")  # their key changes from id to (cluster, id)
LEGACY_INDEXES = ("samples_cluster_time", "samples_cluster_seq", "events_cluster_seq",
                  "plays_cluster_start")
KEPT = ("latest", "screenshots", "rejected", "seen")  # same shape before and after


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    legacy = "reports" in existing
    if legacy:
        # SQLite index names are global and would stay with the renamed tables.
        for index in LEGACY_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {index}")
        for name in REBUILT:
            if name in existing:
                op.rename_table(name, f"legacy_{name}")
    _create_report_tables(existing if legacy else set())
    _create_people_tables()
    if legacy:
        _copy_legacy(existing)


def _time() -> sa.Float:
    return sa.Float()


def _create_report_tables(existing: set[str]) -> None:
    op.create_table(
        "reports",
        sa.Column("cluster", sa.Text, primary_key=True), sa.Column("id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False), sa.Column("seq", sa.BigInteger),
        sa.Column("boot_id", sa.Text), sa.Column("time", _time()),
        sa.Column("clock_synced", sa.Integer), sa.Column("received", _time(), nullable=False))
    op.create_index("reports_received", "reports", ["received"])
    op.create_table(
        "samples",
        sa.Column("cluster", sa.Text, primary_key=True), sa.Column("id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger), sa.Column("time", _time()), sa.Column("received", _time()),
        sa.Column("temperature", sa.Float), sa.Column("humidity", sa.Float),
        sa.Column("disk_free", sa.Float), sa.Column("disk_total", sa.Float),
        sa.Column("display", sa.Integer), sa.Column("playlist", sa.Text),
        sa.Column("release", sa.BigInteger), sa.Column("item", sa.Text))
    op.create_index("samples_cluster_received", "samples", ["cluster", "received"])
    op.create_index("samples_cluster_time", "samples", ["cluster", "time"])
    op.create_table(
        "events",
        sa.Column("cluster", sa.Text, primary_key=True), sa.Column("id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger), sa.Column("time", _time()), sa.Column("received", _time()),
        sa.Column("severity", sa.Text), sa.Column("event", sa.Text), sa.Column("message", sa.Text),
        sa.Column("details", sa.Text))
    op.create_index("events_cluster_received", "events", ["cluster", "received"])
    op.create_table(
        "plays",
        sa.Column("cluster", sa.Text, primary_key=True), sa.Column("id", sa.Text, primary_key=True),
        sa.Column("item", sa.Text), sa.Column("release", sa.BigInteger),
        sa.Column("start", _time()), sa.Column("end", _time()), sa.Column("received", _time()))
    op.create_index("plays_cluster_start", "plays", ["cluster", "start"])
    op.create_index("plays_received", "plays", ["received"])
    if "latest" not in existing:
        op.create_table(
            "latest",
            sa.Column("cluster", sa.Text, primary_key=True), sa.Column("id", sa.Text),
            sa.Column("seq", sa.BigInteger), sa.Column("received", _time()),
            sa.Column("body", sa.Text, nullable=False))
    if "screenshots" not in existing:
        op.create_table(
            "screenshots",
            sa.Column("cluster", sa.Text, primary_key=True), sa.Column("id", sa.Text),
            sa.Column("time", _time()), sa.Column("received", _time()),
            sa.Column("width", sa.Integer), sa.Column("height", sa.Integer),
            sa.Column("jpeg", sa.LargeBinary))
    if "rejected" not in existing:
        op.create_table(
            "rejected",
            sa.Column("id", sa.Text), sa.Column("cluster", sa.Text), sa.Column("received", _time()),
            sa.Column("reason", sa.Text), sa.Column("body", sa.Text))
    op.create_index("rejected_cluster_received", "rejected", ["cluster", "received"])
    if "seen" not in existing:
        op.create_table(
            "seen",
            sa.Column("cluster", sa.Text, primary_key=True), sa.Column("received", _time()),
            sa.Column("address", sa.Text), sa.Column("reports", sa.BigInteger))


def _create_people_tables() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", _time(), nullable=False),
        sa.Column("password_changed", _time(), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'editor', 'approver', 'admin')", name="users_role"))
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("csrf_token", sa.Text, nullable=False),
        sa.Column("created", _time(), nullable=False),
        sa.Column("last_seen", _time(), nullable=False),
        sa.Column("expires", _time(), nullable=False))
    op.create_index("sessions_user", "sessions", ["user_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _time(), nullable=False),
        sa.Column("user_name", sa.Text, nullable=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
        sa.Column("address", sa.Text, nullable=False, server_default=""))
    op.create_index("audit_at", "audit", ["at"])
    op.create_table(
        "login_attempts",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("at", _time(), nullable=False))
    op.create_index("login_attempts_name_at", "login_attempts", ["name", "at"])
    op.create_index("login_attempts_address_at", "login_attempts", ["address", "at"])


def _copy_legacy(existing: set[str]) -> None:
    copies = {
        "reports": "INSERT INTO reports (cluster, id, kind, seq, boot_id, time, clock_synced, "
                   "received) SELECT cluster, id, kind, seq, boot_id, time, clock_synced, "
                   "received FROM legacy_reports",
        "samples": "INSERT INTO samples SELECT cluster, id, seq, time, received, temperature, "
                   "humidity, disk_free, disk_total, display, playlist, release, item "
                   "FROM legacy_samples",
        "events": "INSERT INTO events SELECT cluster, id, seq, time, received, severity, event, "
                  "message, details FROM legacy_events",
        "plays": 'INSERT INTO plays SELECT p.cluster, p.id, p.item, p.release, p.start, p."end", '
                 "coalesce(r.received, p.start) FROM legacy_plays p "
                 "LEFT JOIN legacy_reports r ON r.id = p.id",
    }
    for name in REBUILT:
        if name in existing:
            op.execute(copies[name])
    for name in REBUILT:
        if name in existing:
            op.drop_table(f"legacy_{name}")


def downgrade() -> None:
    for name in ("login_attempts", "audit", "sessions", "users", "seen", "rejected",
                 "screenshots", "latest", "plays", "events", "samples", "reports"):
        op.drop_table(name)
