"""The `sync` section of the device config: sources and keys checked where they are written."""

from __future__ import annotations

import pytest

from player.channel import keys
from player.core.config_reader import config_from_data, load_config
from player.core.problems import LoadError

KEY = keys.public_key_text(keys.generate_key())


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "player.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_the_documented_example_loads(tmp_path):
    path = tmp_path / "player.yaml"
    path.write_text(f"""cluster: ban-gioc-1
sync:
  sources: ["https://hub.example.vn/channels/ban-gioc/", "/media/usb"]
  public_keys: ["{KEY}"]
  interval: 5m
  hours: ["22:00-06:00"]
  bandwidth_limit: 50kB/s
  min_free: 1GB
""")
    sync = load_config(path).sync
    assert sync.sources == ("https://hub.example.vn/channels/ban-gioc/", "/media/usb")
    assert sync.public_keys == (KEY,) and sync.interval == 300
    assert sync.bandwidth_limit == 50_000 and sync.min_free == 1_000_000_000
    assert len(sync.hours) == 1


def test_bad_sources_and_keys_are_located(tmp_path):
    found = problems(tmp_path, f"""sync:
  sources:
    - hub.example.vn/channels/x
    - /media/usb
  public_keys:
    - "{KEY[:20]}"
    - "rsa:AAAA"
  interval: 2s
""")
    text = "\n".join(found)
    assert ":3: sync.sources[0]: expected an https:// address" in text
    assert ":6: sync.public_keys[0]: an Ed25519 public key has" in text
    assert ':7: sync.public_keys[1]: expected a key like "ed25519:' in text
    assert ":8: sync.interval: expected at least 10s" in text
    assert len(found) == 4


def test_sources_without_keys_is_an_error():
    with pytest.raises(LoadError, match="public_keys is needed"):
        config_from_data({"sync": {"sources": ["/media/usb"]}}, "player.yaml")


def test_a_single_source_may_be_written_as_text():
    config = config_from_data({"sync": {"sources": "/media/usb", "public_keys": KEY}}, "p.yaml")
    assert config.sync.sources == ("/media/usb",) and config.sync.public_keys == (KEY,)
