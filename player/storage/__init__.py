"""Storage helpers shared by publishing, sync and health: durable writes, file hashes."""
