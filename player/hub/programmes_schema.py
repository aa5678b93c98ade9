"""The tables of programmes, approvals and approvers' keys (``0003_programmes`` makes them).

They share ``player.hub.schema.metadata`` with the rest of the hub. A programme's versions are
the exact playlist.yaml text the players read; ``programmes.head`` is the number of its newest
version and moves by a conditional UPDATE, so two editors saving at once cannot both win.
"""

from __future__ import annotations

import sqlalchemy as sa

from player.hub.schema import Time, metadata

programmes = sa.Table(
    "programmes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("head", sa.Integer, nullable=False, server_default="0"),  # newest version number
    sa.Column("created", Time, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False, server_default=""),
)

programme_versions = sa.Table(
    "programme_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("programme_id", sa.Integer, sa.ForeignKey("programmes.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("yaml", sa.Text, nullable=False),
    # JSON {item id: {lang: sha256 of the Vietnamese text the translation was made from}}
    sa.Column("basis", sa.Text, nullable=False, server_default="{}"),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.Column("state", sa.Text, nullable=False, server_default="draft"),  # draft | approved
    sa.Column("approved_by", sa.Text),
    sa.Column("approved_at", Time),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("programme_id", "number", name="programme_versions_number"),
)

# What each channel version the hub signed carries: which programme version, or an emergency.
programme_releases = sa.Table(
    "programme_releases", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("manifest_version", sa.BigInteger, nullable=False),
    sa.Column("programme_id", sa.Integer),
    sa.Column("version_id", sa.Integer),
    sa.Column("kind", sa.Text, nullable=False),  # approve | rollback | emergency | lift
    sa.Column("signed_by", sa.Text, nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.UniqueConstraint("channel", "manifest_version", name="programme_releases_version"),
)

approver_keys = sa.Table(
    "approver_keys", metadata,
    sa.Column("user_name", sa.Text, primary_key=True),
    sa.Column("public_key", sa.Text, nullable=False),  # ed25519:<base64>, as players pin it
    sa.Column("sealed", sa.Text, nullable=False),  # JSON: kdf parameters, salt, nonce, ciphertext
    sa.Column("created", Time, nullable=False),
)

passphrase_attempts = sa.Table(
    "passphrase_attempts", metadata,
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Index("passphrase_attempts_user", "user_name", "at"),
)

# An edit posted after its session expired, kept until the same browser logs in again.
programme_stash = sa.Table(
    "programme_stash", metadata,
    sa.Column("id", sa.Text, primary_key=True),  # sha256 of the browser's stash cookie
    sa.Column("programme_id", sa.Integer, nullable=False),
    sa.Column("form", sa.Text, nullable=False),  # JSON of the posted fields
    sa.Column("created", Time, nullable=False),
)

