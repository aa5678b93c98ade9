"""The media library's tables (created by migration 0002): uploaded files and their jobs.

``media`` holds one row per upload: the original (kept, named by its sha256) and, once the job
has prepared it for the screens, the prepared file (also named by its sha256). ``media_jobs``
is the durable job queue that prepares them (``player.hub.jobs``).
"""

from __future__ import annotations

import sqlalchemy as sa

from player.hub.schema import Time, metadata

media = sa.Table(
    "media", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),  # the display name, as uploaded (NFC)
    sa.Column("kind", sa.Text, nullable=False),  # image | video
    sa.Column("original_sha256", sa.Text, nullable=False),
    sa.Column("original_ext", sa.Text, nullable=False),
    sa.Column("original_size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False, server_default=""),  # the prepared file
    sa.Column("ext", sa.Text, nullable=False, server_default=""),
    sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("width", sa.Integer, nullable=False, server_default="0"),
    sa.Column("height", sa.Integer, nullable=False, server_default="0"),
    sa.Column("duration", sa.Float, nullable=True),
    sa.Column("state", sa.Text, nullable=False),  # preparing | ready | failed
    sa.Column("progress", sa.Float, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("error_code", sa.Text, nullable=False, server_default=""),  # picks the words shown
    sa.Column("uploaded_by", sa.Text, nullable=False, server_default=""),
    sa.Column("uploaded_at", Time, nullable=False),
    sa.CheckConstraint("kind IN ('image', 'video')", name="media_kind"),
    sa.CheckConstraint("state IN ('preparing', 'ready', 'failed')", name="media_state"),
)

media_jobs = sa.Table(
    "media_jobs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("media_id", sa.Integer, sa.ForeignKey("media.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # queued | running | done | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("owner", sa.Text, nullable=False, server_default=""),  # host:pid running it
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("created", Time, nullable=False),
    sa.Column("started", Time, nullable=True),
    sa.Column("finished", Time, nullable=True),
)
