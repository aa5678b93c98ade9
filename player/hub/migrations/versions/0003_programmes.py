"""Programmes: versions (drafts and approved), the releases the hub signed, approvers' keys.

The tables are written out here, not taken from ``player.hub.programmes_schema``: a migration
must keep making the schema of its day when the module's tables change later.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Time = sa.Float  # DOUBLE PRECISION on PostgreSQL, as player.hub.schema.Time


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("head", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created", Time, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "programme_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("programme_id", sa.Integer,
                  sa.ForeignKey("programmes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("basis", sa.Text, nullable=False, server_default="{}"),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("created", Time, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="draft"),
        sa.Column("approved_by", sa.Text),
        sa.Column("approved_at", Time),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("programme_id", "number", name="programme_versions_number"),
    )
    op.create_table(
        "programme_releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("manifest_version", sa.BigInteger, nullable=False),
        sa.Column("programme_id", sa.Integer),
        sa.Column("version_id", sa.Integer),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("signed_by", sa.Text, nullable=False),
        sa.Column("created", Time, nullable=False),
        sa.UniqueConstraint("channel", "manifest_version", name="programme_releases_version"),
    )
    op.create_table(
        "approver_keys",
        sa.Column("user_name", sa.Text, primary_key=True),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("created", Time, nullable=False),
    )
    op.create_table(
        "passphrase_attempts",
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("at", Time, nullable=False),
    )
    op.create_index("passphrase_attempts_user", "passphrase_attempts", ["user_name", "at"])
    op.create_table(
        "programme_stash",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("programme_id", sa.Integer, nullable=False),
        sa.Column("form", sa.Text, nullable=False),
        sa.Column("created", Time, nullable=False),
    )


def downgrade() -> None:
    for table in ("programme_stash", "passphrase_attempts", "approver_keys",
                  "programme_releases", "programme_versions", "programmes"):
        op.drop_table(table)
