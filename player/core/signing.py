"""Ed25519 keys for channels: generate, store, print, sign and verify (publish, sync and the hub).

The private key stays at the culture centre (a PEM file, mode 0600); players pin the public key,
written `ed25519:<base64 of the 32 raw bytes>`. A signature file holds the base64 of the raw
64-byte signature over the exact bytes of manifest.json.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

PUBLIC_PREFIX = "ed25519:"
MAX_SIGNATURE_FILE = 1024


class KeyFileError(ValueError):
    """A key is unusable; the message says why."""


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def write_private_key(key: Ed25519PrivateKey, path: Path, overwrite: bool = False) -> None:
    """Write the key as PEM, readable by its owner only (created 0600, never world-readable)."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: expected an Ed25519 key, got {type(key).__name__}")
    return key


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """`ed25519:<base64>`: the form pasted into the device config's `sync.public_keys`."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if not text.startswith(PUBLIC_PREFIX):
        raise KeyFileError(f'expected a key like "ed25519:AAAA...", got "{text[:20]}"')
    try:
        raw = base64.b64decode(text[len(PUBLIC_PREFIX):], validate=True)
    except binascii.Error:
        raise KeyFileError("the public key is not valid base64") from None
    if len(raw) != 32:
        raise KeyFileError(f"an Ed25519 public key has 32 bytes, this one has {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The contents of a `.sig` file for `data`."""
    return base64.b64encode(key.sign(data)) + b"\n"


def verify(public_keys: Sequence[Ed25519PublicKey], data: bytes, signature_file: bytes) -> bool:
    """True when one of the pinned keys signed exactly `data`."""
    if len(signature_file) > MAX_SIGNATURE_FILE:
        return False
    try:
        signature = base64.b64decode(signature_file.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(signature) != 64:
        return False
    for key in public_keys:
        try:
            key.verify(signature, data)
            return True
        except InvalidSignature:
            continue
    return False
