"""The ``commands`` table: remote commands for clusters, their state and their result.

Kept apart from ``schema.py`` (same ``metadata``) so the remote-command feature stays in its own
files; migration 0005 creates it.
"""

from __future__ import annotations

import sqlalchemy as sa

from player.hub.schema import Time, metadata

commands = sa.Table(
    "commands", metadata,
    sa.Column("id", sa.Text, primary_key=True),  # random, made when the form was shown
    sa.Column("cluster", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("arguments", sa.Text, nullable=False),  # JSON, checked against the kind's schema
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.Column("expires", Time, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # queued|delivered|done|failed|expired
    sa.Column("delivered", Time),
    sa.Column("finished", Time),
    sa.Column("reason", sa.Text),  # why it failed, in the player's words
    sa.Column("result", sa.Text),  # JSON from the player
    sa.Column("file", sa.LargeBinary),  # a screenshot (JPEG) or logs (gzip)
    sa.Column("file_type", sa.Text),
    sa.Index("commands_cluster_state", "cluster", "state"),
    sa.Index("commands_cluster_created", "cluster", "created"),
)

__all__ = ["commands"]
