"""`signage-player sync --once` as a technician runs it, against a real server."""

from __future__ import annotations

import json

import pytest

from player.channel import keys
from player.cli import main as cli
from player.sync.state import read_sync_state
from tests.sync.kit import publish_files

pytestmark = pytest.mark.timeout(60)


def write_config(path, state_dir, source, key, **extra) -> None:
    sync = {"sources": [source], "public_keys": [keys.public_key_text(key)], "min_free": 0,
            "timeout": "5s", **extra}
    path.write_text(json.dumps({"cluster": "test", "state_dir": str(state_dir), "sync": sync}))


def test_sync_once_shows_progress_then_the_result(tmp_path, key, server, capsys):
    publish_files(tmp_path / "src", server.root, key, {"media/a.jpg": b"A" * 300_000})
    config = tmp_path / "player.yaml"
    write_config(config, tmp_path / "state", server.url, key)
    assert cli(["sync", "--once", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "updated: version 1 is current" in out
    assert "100%" in err and "of 300.0 kB" in err and "ETA" in err
    assert cli(["sync", "--once", "--config", str(config)]) == 0
    assert "up to date: version 1 is current" in capsys.readouterr().out
    assert read_sync_state(tmp_path / "state")["current_version"] == 1


def test_sync_once_reports_a_failure_with_exit_1(tmp_path, key, server, capsys):
    publish_files(tmp_path / "src", server.root, key, {})
    server.fault("manifest.json", "status", status=404)
    config = tmp_path / "player.yaml"
    write_config(config, tmp_path / "state", server.url, key)
    assert cli(["sync", "--once", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "failed:" in out and "HTTP 404" in out


def test_sync_once_with_a_bad_config_names_the_key(tmp_path, key, capsys):
    config = tmp_path / "player.yaml"
    write_config(config, tmp_path / "state", "/media/usb", key, intervall="5m")
    assert cli(["sync", "--once", "--config", str(config)]) == 1
    assert 'sync.intervall: unknown key (did you mean "interval"?)' in capsys.readouterr().out
    write_config(config, tmp_path / "state", "/media/usb", key)
    config.write_text(config.read_text().replace('"sources": ["/media/usb"], ', '"sources": [], '))
    assert cli(["sync", "--once", "--config", str(config)]) == 1
    assert "sync.sources is empty" in capsys.readouterr().out


def test_sync_once_waits_for_the_players_own_pass(tmp_path, key, server, capsys):
    import threading

    from player.sync.store import Store

    publish_files(tmp_path / "src", server.root, key, {"media/a.jpg": b"A" * 1000})
    config = tmp_path / "player.yaml"
    write_config(config, tmp_path / "state", server.url, key)
    store = Store(tmp_path / "state")
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:  # stands in for the running player in the middle of a pass
        with store.locked() as mine:
            assert mine
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    holding.wait(10)
    threading.Timer(0.5, release.set).start()
    try:
        assert cli(["sync", "--once", "--config", str(config)]) == 0
    finally:
        release.set()
        holder.join()
    out = capsys.readouterr().out
    assert "waits for it to finish" in out and "updated: version 1" in out
