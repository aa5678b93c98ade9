"""`run` as systemd runs it: hot reload of the config, restarts, clean exit records."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from player.core.config_reader import load_config
from player.runtime import RunOptions, Runtime

ROOT = Path(__file__).resolve().parents[1]


class FakePlayer:
    def __init__(self):
        self.reconfigured = []
        self.power = None
        self.release = None
        self.loaded = []

    def reconfigure(self, config, power):
        self.reconfigured.append(config)

    def load_new_playlist(self, path, release):
        self.loaded.append(path)


def test_apply_config_in_place_refuse_or_restart(tmp_path):
    path = tmp_path / "player.yaml"
    path.write_text(f"state_dir: {tmp_path}\n", encoding="utf-8")
    runtime = Runtime(load_config(path), RunOptions(config_path=path))
    runtime.player = FakePlayer()
    path.write_text(f"state_dir: {tmp_path}\nfallback: {{vi: Mới, en: New}}\n", encoding="utf-8")
    assert runtime.apply_config(path) is None
    assert runtime.player.reconfigured[-1].fallback == {"vi": "Mới", "en": "New"}
    path.write_text(f"state_dir: {tmp_path}\ndisplay: {{rotation: 45}}\n", encoding="utf-8")
    assert runtime.apply_config(path) is None  # refused, the running config stays
    assert runtime.config.fallback["en"] == "New"
    reports, _errors = runtime.board.drain()
    assert any(r.get("event") == "config_invalid" for r in reports)
    path.write_text(f"state_dir: {tmp_path}\ndisplay: {{rotation: 90}}\n", encoding="utf-8")
    assert runtime.apply_config(path) == "restart"


@pytest.mark.timeout(90)
def test_config_edits_while_running(tmp_path):
    """A valid edit applies without a restart; a display change ends the process cleanly."""
    config = tmp_path / "player.yaml"
    state = tmp_path / "state"
    config.write_text(f"state_dir: {state}\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    process = subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config), "--headless",
                                "--size", "320x180", "--exit-after", "60"], stderr=subprocess.PIPE, text=True,
                               env=env, cwd=ROOT)
    lines = []
    try:
        def wait_for(text: str) -> None:
            for line in process.stderr:
                lines.append(line)
                if text in line:
                    return
            raise AssertionError(f"{text!r} never logged:\n{''.join(lines)}")

        wait_for("display: driver offscreen")
        time.sleep(1.5)
        config.write_text(f"state_dir: {state}\nlog_level: debug\nfallback: {{vi: Xin chào, en: Hello}}\n",
                          encoding="utf-8")
        wait_for("config change applied")
        config.write_text(f"state_dir: {state}\ndisplay: [broken\n", encoding="utf-8")
        time.sleep(2.5)
        assert process.poll() is None  # a broken edit is refused; still playing
        config.write_text(f"state_dir: {state}\ndisplay: {{rotation: 90}}\n", encoding="utf-8")
        wait_for("needs a restart")
        # started again in the same process (systemd sees no stop, no start), with the new config
        wait_for("starting again in place (configuration change needs a restart)")
        wait_for("display: driver offscreen, 320x180, rotation 90")
        assert process.poll() is None
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
    assert sum("Traceback" in line for line in lines) == 0, "".join(lines)
    exit_record = json.loads((state / "exit.json").read_text())
    assert exit_record["state"] == "stopped" and exit_record["reason"] == "signal SIGTERM"
