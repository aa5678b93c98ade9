"""Keys: private key file mode, the public key text, signatures by this key and no other."""

from __future__ import annotations

import base64
import stat

import pytest

from player.channel import keys


def test_private_key_is_owner_only_and_never_overwritten_silently(tmp_path):
    path = tmp_path / "centre.key"
    key = keys.generate_key()
    keys.write_private_key(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        keys.write_private_key(keys.generate_key(), path)
    loaded = keys.load_private_key(path)
    assert keys.public_key_text(loaded) == keys.public_key_text(key)


def test_public_key_text_round_trips():
    key = keys.generate_key()
    text = keys.public_key_text(key)
    assert text.startswith("ed25519:") and len(base64.b64decode(text[8:])) == 32
    assert keys.public_key_text(keys.parse_public_key(text)) == text


@pytest.mark.parametrize("text", ["", "ed25519:", "rsa:AAAA", "ed25519:!!!!",
                                  "ed25519:" + base64.b64encode(b"x" * 31).decode()])
def test_bad_public_keys_are_explained(text):
    with pytest.raises(keys.KeyFileError):
        keys.parse_public_key(text)


def test_not_a_key_file(tmp_path):
    path = tmp_path / "k"
    path.write_text("hello")
    with pytest.raises(keys.KeyFileError, match="PEM"):
        keys.load_private_key(path)
    with pytest.raises(keys.KeyFileError, match="cannot read"):
        keys.load_private_key(tmp_path / "missing")


def test_signature_checks_exact_bytes_and_the_pinned_key():
    key, other = keys.generate_key(), keys.generate_key()
    data = b'{"version": 2}'
    signature = keys.sign(key, data)
    assert keys.verify([key.public_key()], data, signature)
    assert keys.verify([other.public_key(), key.public_key()], data, signature)
    assert not keys.verify([other.public_key()], data, signature)
    assert not keys.verify([key.public_key()], data + b" ", signature)
    assert not keys.verify([key.public_key()], data, b"not base64 at all")
    assert not keys.verify([key.public_key()], data, base64.b64encode(b"x" * 64))
    assert not keys.verify([key.public_key()], data, b"A" * 5000)
    assert not keys.verify([], data, signature)
