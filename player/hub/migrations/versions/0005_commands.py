"""Remote commands for clusters (screenshot, logs, sync, restart, identify, reboot, screen).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("cluster", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("delivered", sa.Float),
        sa.Column("finished", sa.Float),
        sa.Column("reason", sa.Text),
        sa.Column("result", sa.Text),
        sa.Column("file", sa.LargeBinary),
        sa.Column("file_type", sa.Text),
    )
    op.create_index("commands_cluster_state", "commands", ["cluster", "state"])
    op.create_index("commands_cluster_created", "commands", ["cluster", "created"])


def downgrade() -> None:
    op.drop_index("commands_cluster_created", "commands")
    op.drop_index("commands_cluster_state", "commands")
    op.drop_table("commands")
