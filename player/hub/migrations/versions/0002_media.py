"""The media library: uploaded pictures and videos, and the durable queue of jobs that prepare
them for the screens (player/hub/media_schema.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("original_sha256", sa.Text, nullable=False),
        sa.Column("original_ext", sa.Text, nullable=False),
        sa.Column("original_size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False, server_default=""),
        sa.Column("ext", sa.Text, nullable=False, server_default=""),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("width", sa.Integer, nullable=False, server_default="0"),
        sa.Column("height", sa.Integer, nullable=False, server_default="0"),
        sa.Column("duration", sa.Float, nullable=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("error_code", sa.Text, nullable=False, server_default=""),
        sa.Column("uploaded_by", sa.Text, nullable=False, server_default=""),
        sa.Column("uploaded_at", sa.Float(), nullable=False),
        sa.CheckConstraint("kind IN ('image', 'video')", name="media_kind"),
        sa.CheckConstraint("state IN ('preparing', 'ready', 'failed')", name="media_state"))
    op.create_index("media_state", "media", ["state"])
    op.create_table(
        "media_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("media_id", sa.Integer, sa.ForeignKey("media.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("owner", sa.Text, nullable=False, server_default=""),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("started", sa.Float(), nullable=True),
        sa.Column("finished", sa.Float(), nullable=True))
    op.create_index("media_jobs_state", "media_jobs", ["state"])


def downgrade() -> None:
    op.drop_table("media_jobs")
    op.drop_table("media")
