"""The X server going away, or not there at start, is waited for: never a crash, never a restart
by systemd. Run on real Xvfb servers that are really killed and started again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.xserver import XServer, colours

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(not all(shutil.which(p) for p in ("Xvfb", "import")),
                                 reason="needs Xvfb and ImageMagick's import")]


class Run:
    """`signage-player run` on display `name`, its log read as it comes."""

    def __init__(self, tmp_path: Path, name: str):
        self.state = tmp_path / "state"
        config = tmp_path / "player.yaml"
        config.write_text(f"state_dir: {self.state}\nhealth: {{interval: 1s}}\n", encoding="utf-8")
        # What systemd would hear (Type=notify): READY, STATUS, WATCHDOG and never STOPPING.
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(tmp_path / "notify"))
        self.notify.settimeout(0.05)
        self.heard: list[str] = []
        env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
        env.update(DISPLAY=name, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy",
                   NOTIFY_SOCKET=str(tmp_path / "notify"))
        self.process = subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config)],
                                        env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, name="player-log")
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def listen(self) -> list[str]:
        while self.notify.fileno() != -1:
            try:
                self.heard += self.notify.recv(4096).decode().splitlines()
            except (TimeoutError, BlockingIOError):
                break
        return self.heard

    def wait_for(self, what, timeout: float = 90.0, message: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not what():
            self.listen()
            assert self.process.poll() is None, f"the player ended (rc {self.process.returncode}):\n{self.log}"
            assert time.monotonic() < deadline, f"{message} never happened:\n{self.log}"
            time.sleep(0.2)

    def logged(self, text: str, timeout: float = 90.0) -> None:
        self.wait_for(lambda: text in self.log, timeout, repr(text))

    def screen(self) -> dict:
        try:
            return json.loads((self.state / "status.json").read_text(encoding="utf-8"))["player"]
        except (OSError, ValueError, KeyError):
            return {}

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.process.kill()
            self.reader.join(timeout=30)
            self.listen()
            self.notify.close()


@pytest.fixture
def xserver():
    server = XServer()
    yield server
    server.close()


def shows_content(server: XServer, path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        shot = server.screenshot()
        shot.save(path)
        if colours(shot) > 10:
            return
        assert time.monotonic() < deadline, f"the screen stayed blank ({path})"
        time.sleep(1)


def test_the_x_server_killed_and_started_again(tmp_path, xserver):
    xserver.start()
    run = Run(tmp_path, xserver.name)
    try:
        run.logged("display: driver x11, 1280x720")
        shows_content(xserver, tmp_path / "1-before.png")
        pid = run.process.pid

        xserver.kill()
        run.wait_for(lambda: run.screen().get("screen") == "display_unavailable", message="display_unavailable")
        pings = run.listen().count("WATCHDOG=1")
        run.wait_for(lambda: run.listen().count("WATCHDOG=1") > pings + 2, message="watchdog pings while away")
        assert "STOPPING=1" not in run.heard  # systemd never sees a stop
        assert run.process.poll() is None and run.process.pid == pid
        time.sleep(3)  # a while without a screen: still running, and not restarting over and over
        assert run.process.poll() is None
        assert run.log.count("starting again in place") == 1

        xserver.start()
        run.logged("display back: driver x11, 1280x720")
        shows_content(xserver, tmp_path / "2-after.png")
        run.wait_for(lambda: run.screen().get("screen") == "playing", message="playing again")
        assert run.stop() == 0
    finally:
        run.stop()
    assert "Traceback" not in run.log, run.log
    assert "X connection" not in run.log and "XIO" not in run.log  # Xlib's own exit path never ran


def test_no_x_server_at_start_is_waited_for(tmp_path, xserver):
    run = Run(tmp_path, xserver.name)  # nothing listens on this display yet
    try:
        run.logged("display unavailable: no X server answers on DISPLAY=" + xserver.name)
        run.wait_for(lambda: run.screen().get("screen") == "display_unavailable", message="display_unavailable")
        run.wait_for(lambda: "READY=1" in run.listen(), message="READY=1")  # started, as systemd sees it
        assert "STATUS=display unavailable: no X server answers on DISPLAY=" + xserver.name in run.heard
        time.sleep(3)
        assert run.process.poll() is None  # waiting, not exit 3
        xserver.start()
        run.logged("display back: driver x11, 1280x720")
        shows_content(xserver, tmp_path / "3-late.png")
        run.wait_for(lambda: run.screen().get("screen") == "playing", message="playing")
        assert run.stop() == 0
    finally:
        run.stop()
    assert "Traceback" not in run.log, run.log
