"""Moved to player.storage.durable (shared by publish, sync and health); kept for old imports."""

from player.storage.durable import copy_atomic, fsync_dir, sha256_file, temp_path, write_atomic

__all__ = ["copy_atomic", "fsync_dir", "sha256_file", "temp_path", "write_atomic"]
