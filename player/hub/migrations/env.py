"""Alembic environment: migrations run on the connection the hub hands over (see database.py)."""

from __future__ import annotations

from alembic import context

from player.hub.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the hub's migrations through `signage-player hub migrate`")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
