"""The whole player, offline with its `current` link lost: it plays the release it has, and
status tells the truth while it runs and after it stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from player.channel import keys
from player.health.status import read_status
from player.health.summary import unhealthy
from tests.sync.kit import make_syncer, publish_files
from tests.sync.test_recovery import dead_url

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]


def text_playlist(word: str) -> bytes:
    return (f"name: Offline\nitems:\n  - id: {word}\n    text: {{vi: Xin chào {word}, "
            f"en: Hello {word}}}\n    duration: 2s\n").encode()


def test_the_player_plays_the_newest_release_on_disk_when_current_is_lost(tmp_path, key,
                                                                        server):
    state = tmp_path / "state"
    syncer = make_syncer(state, key, server.url)
    for word in ("one", "two"):
        publish_files(tmp_path / "src", server.root, key, {"playlist.yaml": text_playlist(word)})
        assert syncer.run_once().result == "updated"
    syncer.close()
    for link in ("current", "previous"):
        (state / link).unlink()
    config = tmp_path / "player.yaml"
    config.write_text(
        f"cluster: bangioc-1\nstate_dir: {state}\n"
        f"sync:\n  sources: [{dead_url()}]\n  public_keys: [{keys.public_key_text(key)}]\n"
        "health:\n  interval: 1s\n  write_interval: 1s\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "run", "--config", str(config), "--headless",
         "--size", "320x180", "--exit-after", "100"], stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 90
        status: dict = {}
        while time.monotonic() < deadline:
            status = read_status(state / "status.json") or {}
            if (status.get("player") or {}).get("item") == "two":
                break
            time.sleep(0.1)
        player = status.get("player") or {}
        assert (player.get("playlist"), player.get("release"), player.get("item")) == \
            ("Offline", 2, "two"), status
        assert player.get("fallback_seconds") is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
    stopped = read_status(state / "status.json")
    assert stopped["state"] == "stopped" and stopped["stopped"]["reason"] == "signal SIGTERM"
    assert unhealthy(stopped)[0].startswith("the player stopped at ")
    out = subprocess.run([sys.executable, "-m", "player", "status", "--config", str(config),
                          "--json"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 1
    assert json.loads(out.stdout)["reasons"][0].startswith("the player stopped at ")
