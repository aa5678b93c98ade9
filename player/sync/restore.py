"""Putting `current` back when it is lost: the newest complete release on disk whose signature
verifies with a pinned key and whose playlist loads."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from player.core import signing as keys
from player.core.manifest import MANIFEST_NAME, SIGNATURE_NAME
from player.sync.store import Release, Store

log = logging.getLogger(__name__)


def restore_newest(store: Store, public_keys: Sequence[Ed25519PublicKey],
                   check_playlist: Callable[[Path], None]) -> Release | None:
    """Make the newest usable release current (under the store's lock) and return it; None
    when another process holds the lock, `current` came back meanwhile, or none is usable."""
    with store.locked() as mine:
        if not mine or store.current() is not None:
            return None
        for release in store.complete_releases():
            if usable(release, public_keys, check_playlist):
                store.make_current(release.path)
                return release
    return None


def usable(release: Release, public_keys: Sequence[Ed25519PublicKey],
           check_playlist: Callable[[Path], None]) -> bool:
    try:
        raw = (release.path / MANIFEST_NAME).read_bytes()
        signature = (release.path / SIGNATURE_NAME).read_bytes()
    except OSError:
        return False
    if not keys.verify(public_keys, raw, signature):
        log.warning("release %s on disk is not signed by a pinned key; not used",
                    release.path.name)
        return False
    try:
        check_playlist(release.playlist)
    except Exception as exc:  # LoadError or worse: either way it would not play
        log.warning("release %s on disk does not load (%s); not used", release.path.name, exc)
        return False
    return True
