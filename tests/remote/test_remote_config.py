"""The `remote:` section of player.yaml: defaults, typos and bad values named by line and key."""

from __future__ import annotations

import pytest

from player.core.config import REMOTE_KINDS
from player.core.config_reader import config_from_data, load_config
from player.core.problems import LoadError


def test_defaults_leave_reboot_and_screen_off_out():
    remote = config_from_data({}, "player.yaml").remote
    assert remote.enabled and remote.poll_wait == 55
    assert "reboot" not in remote.allowed and "screen_off" not in remote.allowed
    assert set(remote.allowed) < set(REMOTE_KINDS)


def test_one_key_turns_it_off(tmp_path):
    path = tmp_path / "player.yaml"
    path.write_text("remote:\n  enabled: false\n", encoding="utf-8")
    assert load_config(path).remote.enabled is False


def test_mistakes_are_named_by_line_and_key(tmp_path):
    path = tmp_path / "player.yaml"
    path.write_text("cluster: ban-gioc-1\nremote:\n  allowed: [screenshot, rebot]\n"
                    "  poll_wait: 10m\n  max_per_hour: 0\n  enabeld: true\n", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_config(path)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert 'player.yaml:3: remote.allowed: unknown remote command "rebot"' in text
    assert "player.yaml:4: remote.poll_wait: expected from 0s to 5m" in text
    assert "remote.max_per_hour" in text
    assert 'remote.enabeld: unknown key (did you mean "enabled"?)' in text
