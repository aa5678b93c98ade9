"""Approvers' own Ed25519 keys, kept on the hub only encrypted with their passphrase.

A key is sealed with a key derived from the passphrase by argon2id (argon2-cffi's
``hash_secret_raw``, memory-hard) and AES-256-GCM (``cryptography``); the user name and the
public key are the associated data, so a sealed key copied to another user, or a swapped public
key, fails to open. ``unlock`` opens it for one signature: the private key lives in memory
for the length of a call and is never logged or stored in the clear.

Wrong passphrases are counted per user and, past ``max_failures`` in ``window`` seconds, every
try waits (as logins do, ``player.hub.accounts``).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from player.channel.keys import public_key_text
from player.hub.programmes_schema import approver_keys, passphrase_attempts

log = logging.getLogger(__name__)

MIN_PASSPHRASE = 12
MAX_PASSPHRASE = 1024
_UNLOCKING = threading.Lock()


@dataclass(frozen=True)
class KdfParameters:
    """argon2id's cost: 64 MiB and 3 passes by default (about a quarter second here)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 2


@dataclass(frozen=True)
class AttemptPolicy:
    window: float = 15 * 60.0
    max_failures: int = 5


class PassphraseError(Exception):
    """A refused passphrase; ``key`` names the message for the page."""

    def __init__(self, key: str, wait: float = 0.0):
        super().__init__(key)
        self.key, self.wait = key, wait


@dataclass(frozen=True)
class ApproverKey:
    user_name: str
    public_key: str
    created: float


def _derive(passphrase: str, salt: bytes, kdf: KdfParameters) -> bytes:
    return hash_secret_raw(passphrase.encode("utf-8"), salt, time_cost=kdf.time_cost,
                           memory_cost=kdf.memory_kib, parallelism=kdf.parallelism,
                           hash_len=32, type=Type.ID)


def seal(key: Ed25519PrivateKey, passphrase: str, user_name: str,
         kdf: KdfParameters = KdfParameters()) -> str:
    """The JSON text stored for ``key``: KDF parameters, salt, nonce and AES-GCM ciphertext."""
    salt, nonce = os.urandom(16), os.urandom(12)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    aad = f"{user_name}\n{public_key_text(key)}".encode()
    ciphertext = AESGCM(_derive(passphrase, salt, kdf)).encrypt(nonce, raw, aad)
    b64 = lambda data: base64.b64encode(data).decode("ascii")  # noqa: E731
    return json.dumps({"format": 1, "kdf": "argon2id", "t": kdf.time_cost, "m": kdf.memory_kib,
                       "p": kdf.parallelism, "salt": b64(salt), "nonce": b64(nonce),
                       "aead": "aes-256-gcm", "ciphertext": b64(ciphertext)})


def open_sealed(sealed: str, passphrase: str, user_name: str, public_key: str) -> Ed25519PrivateKey:
    """The private key, or PassphraseError("wrong_passphrase") when the passphrase (or any byte
    of what is stored) is wrong."""
    try:
        data = json.loads(sealed)
        kdf = KdfParameters(int(data["t"]), int(data["m"]), int(data["p"]))
        salt, nonce, ciphertext = (base64.b64decode(data[k]) for k in ("salt", "nonce",
                                                                       "ciphertext"))
    except (ValueError, KeyError, TypeError):
        raise PassphraseError("key_damaged") from None
    aad = f"{user_name}\n{public_key}".encode()
    try:
        raw = AESGCM(_derive(passphrase, salt, kdf)).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise PassphraseError("wrong_passphrase") from None
    key = Ed25519PrivateKey.from_private_bytes(raw)
    if public_key_text(key) != public_key:
        raise PassphraseError("key_damaged")
    return key


class ApproverKeys:
    """The ``approver_keys`` and ``passphrase_attempts`` tables."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], float] = time.time,
                 kdf: KdfParameters = KdfParameters(),
                 policy: AttemptPolicy = AttemptPolicy()):
        self.engine, self.clock, self.kdf, self.policy = engine, clock, kdf, policy

    def create(self, user_name: str, passphrase: str) -> ApproverKey:
        """A new key for ``user_name`` sealed with ``passphrase`` (replaces an older one)."""
        if not MIN_PASSPHRASE <= len(passphrase) <= MAX_PASSPHRASE:
            raise PassphraseError("passphrase_short")
        key = Ed25519PrivateKey.generate()
        public = public_key_text(key)
        sealed = seal(key, passphrase, user_name, self.kdf)
        now = self.clock()
        with self.engine.begin() as db:
            db.execute(approver_keys.delete().where(approver_keys.c.user_name == user_name))
            db.execute(approver_keys.insert().values(user_name=user_name, public_key=public,
                                                     sealed=sealed, created=now))
        log.info("approver %s has a new signing key %s", user_name, public)
        return ApproverKey(user_name, public, now)

    def get(self, user_name: str) -> ApproverKey | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(approver_keys).where(
                approver_keys.c.user_name == user_name)).first()
        return ApproverKey(row.user_name, row.public_key, row.created) if row else None

    def all(self) -> list[ApproverKey]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(approver_keys).order_by(approver_keys.c.user_name)).all()
        return [ApproverKey(r.user_name, r.public_key, r.created) for r in rows]

    def public_keys(self) -> tuple[str, ...]:
        return tuple(k.public_key for k in self.all())

    def unlock(self, user_name: str, passphrase: str) -> Ed25519PrivateKey:
        """The user's private key for one signature; raises PassphraseError (``no_key``,
        ``passphrase_wait`` with ``wait`` seconds, ``wrong_passphrase``: counted)."""
        # one guess at a time: twenty sent at once would all pass the check before the first
        # failure is counted (one hub process; approvals are rare, the wait is a KDF run)
        with _UNLOCKING:
            self._check_limit(user_name)
            with self.engine.connect() as db:
                row = db.execute(sa.select(approver_keys).where(
                    approver_keys.c.user_name == user_name)).first()
            if row is None:
                raise PassphraseError("no_key")
            try:
                key = open_sealed(row.sealed, passphrase[:MAX_PASSPHRASE], user_name,
                                  row.public_key)
            except PassphraseError:
                self._record_failure(user_name)
                raise
        with self.engine.begin() as db:  # a success forgives the earlier slips
            db.execute(passphrase_attempts.delete().where(
                passphrase_attempts.c.user_name == user_name))
        return key

    def failures(self, user_name: str) -> int:
        a = passphrase_attempts.c
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).where(
                a.user_name == user_name,
                a.at >= self.clock() - self.policy.window)).scalar() or 0)

    def _check_limit(self, user_name: str) -> None:
        a = passphrase_attempts.c
        now = self.clock()
        with self.engine.connect() as db:
            times = db.execute(sa.select(a.at).where(
                a.user_name == user_name, a.at >= now - self.policy.window)
                .order_by(a.at.desc()).limit(self.policy.max_failures)).scalars().all()
        if len(times) >= self.policy.max_failures:
            raise PassphraseError("passphrase_wait", max(1.0, times[-1] + self.policy.window - now))

    def _record_failure(self, user_name: str) -> None:
        now = self.clock()
        with self.engine.begin() as db:
            db.execute(passphrase_attempts.insert().values(user_name=user_name, at=now))
            db.execute(passphrase_attempts.delete().where(
                passphrase_attempts.c.at < now - 2 * self.policy.window))


__all__ = ["ApproverKeys", "ApproverKey", "KdfParameters", "AttemptPolicy", "PassphraseError",
           "seal", "open_sealed", "MIN_PASSPHRASE"]
