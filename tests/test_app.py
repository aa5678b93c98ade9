"""`run` as systemd runs it: hot reload of the config, restarts, clean exit records."""

import json
import os
import subprocess
import sys
import threading
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


class Log:
    """A child's stderr read by a thread, so a test can wait for a line with a deadline."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.position = 0  # waits look only after the line the previous wait found
        self.reader = threading.Thread(target=self._read, args=(process.stderr,), name="stderr")
        self.reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, text: str, deadline: float = 60.0) -> bool:
        end = time.monotonic() + deadline
        while True:
            for index in range(self.position, len(self.lines)):
                if text in self.lines[index]:
                    self.position = index + 1
                    return True
            if time.monotonic() > end or not self.reader.is_alive():
                return False
            time.sleep(0.02)

    def __str__(self) -> str:
        return "".join(self.lines)


@pytest.mark.timeout(180)
def test_config_edits_while_running(tmp_path):
    """A valid edit applies without a restart; a broken one is refused and the player plays
    on; a display change restarts it in place; SIGTERM ends it cleanly."""
    config = tmp_path / "player.yaml"
    state = tmp_path / "state"
    config.write_text(f"state_dir: {state}\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    process = subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config), "--headless",
                                "--size", "320x180", "--exit-after", "150"], stderr=subprocess.PIPE, text=True,
                               env=env, cwd=ROOT)
    log = Log(process)
    try:
        assert log.wait_for("display: driver offscreen"), log
        # The file watcher starts after the display, and logs nothing when it does: edit until
        # one edit is seen (each with new bytes: the watcher ignores a rewrite of the same ones).
        for edit in range(30):
            config.write_text(f"state_dir: {state}\nlog_level: debug\n"
                              f"fallback: {{vi: Xin chào, en: Hello}}\n# edit {edit}\n", encoding="utf-8")
            if log.wait_for("config change applied", deadline=2.0):
                break
        else:
            raise AssertionError(f"no edit was applied:\n{log}")
        config.write_text(f"state_dir: {state}\ndisplay: [broken\n", encoding="utf-8")
        assert log.wait_for("is refused, the old one stays"), log
        assert process.poll() is None  # a broken edit is refused; still playing
        config.write_text(f"state_dir: {state}\ndisplay: {{rotation: 90}}\n", encoding="utf-8")
        assert log.wait_for("needs a restart"), log
        # started again in the same process (systemd sees no stop, no start), with the new config
        assert log.wait_for("starting again in place (configuration change needs a restart)"), log
        assert log.wait_for("display: driver offscreen, 320x180, rotation 90"), log
        assert process.poll() is None
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
        log.reader.join()
        process.stderr.close()
    lines = log.lines
    assert sum("Traceback" in line for line in lines) == 0, "".join(lines)
    exit_record = json.loads((state / "exit.json").read_text())
    assert exit_record["state"] == "stopped" and exit_record["reason"] == "signal SIGTERM"
