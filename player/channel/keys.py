"""Moved to player.core.signing (the manifest's signature rules, shared by publish, sync and the
hub); kept so `from player.channel import keys` goes on working."""

from player.core.signing import (
    MAX_SIGNATURE_FILE,
    PUBLIC_PREFIX,
    KeyFileError,
    generate_key,
    load_private_key,
    parse_public_key,
    public_key_text,
    sign,
    verify,
    write_private_key,
)

__all__ = ["MAX_SIGNATURE_FILE", "PUBLIC_PREFIX", "KeyFileError", "generate_key", "load_private_key",
           "parse_public_key", "public_key_text", "sign", "verify", "write_private_key"]
