"""Forecasts, availability and maintenance: the per-heartbeat health history and the visits.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_history",
        sa.Column("cluster", sa.Text, primary_key=True), sa.Column("id", sa.Text, primary_key=True),
        sa.Column("time", sa.Float), sa.Column("received", sa.Float),
        sa.Column("clock_synced", sa.Integer), sa.Column("boot_id", sa.Text),
        sa.Column("cpu_celsius", sa.Float), sa.Column("fan_rpm", sa.Float),
        sa.Column("wear_percent", sa.Float), sa.Column("pre_eol", sa.Float),
        sa.Column("dew_margin", sa.Float), sa.Column("disk_free", sa.Float),
        sa.Column("screen", sa.Text), sa.Column("display", sa.Integer),
        sa.Column("off_hours", sa.Text))
    op.create_index("health_history_cluster_time", "health_history", ["cluster", "time"])
    op.create_table(
        "maintenance_visits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cluster", sa.Text, nullable=False),
        sa.Column("visited", sa.Float, nullable=False),
        sa.Column("found", sa.Text, nullable=False, server_default=""),
        sa.Column("replaced", sa.Text, nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("user_name", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Float, nullable=False))
    op.create_index("maintenance_visits_cluster", "maintenance_visits", ["cluster", "visited"])


def downgrade() -> None:
    op.drop_table("maintenance_visits")
    op.drop_table("health_history")
