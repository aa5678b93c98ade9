"""Xvfb servers for tests, on display numbers no other test run on this machine can take.

A number is ours while we hold an flock on its lock file (so two test runs never share one, and
ours stays ours between killing the server and starting it again); numbers start high, far from
the ones desktops and `Xvfb -displayfd` (which counts up from 0) use.
"""

from __future__ import annotations

import fcntl
import subprocess
import time
from io import BytesIO
from pathlib import Path

from PIL import Image

from player.render.x11 import server_reachable

FIRST, COUNT = 400, 400
LOCKS = Path("/tmp")


class XServer:
    """One Xvfb on a display number reserved for this test; it can be killed and started again."""

    def __init__(self, size: str = "1280x720x24"):
        self.size = size
        self.number, self._lock = _reserve()
        self.name = f":{self.number}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.process = subprocess.Popen(
            ["Xvfb", self.name, "-screen", "0", self.size, "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb {self.name} did not start (rc {self.process.poll()})")
            time.sleep(0.1)

    def answers(self) -> bool:
        return server_reachable(self.name)  # the player's own look: a real X connection

    def kill(self) -> None:
        """Kill the server outright (SIGKILL), as a crash or a pulled plug would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None
        # A killed server leaves its lock and socket behind; the next start needs them gone.
        Path(f"/tmp/.X{self.number}-lock").unlink(missing_ok=True)
        Path(f"/tmp/.X11-unix/X{self.number}").unlink(missing_ok=True)

    def screenshot(self) -> Image.Image:
        png = subprocess.run(["import", "-display", self.name, "-window", "root", "png:-"],
                             capture_output=True, check=True, timeout=60).stdout
        return Image.open(BytesIO(png)).convert("RGB")

    def close(self) -> None:
        self.kill()
        self._lock.close()


def _reserve():
    LOCKS.mkdir(exist_ok=True)
    for number in range(FIRST, FIRST + COUNT):
        handle = open(LOCKS / f".signage-test-X{number}.lock", "w")  # noqa: SIM115 (held until close)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
            handle.close()  # some other program's server
            continue
        return number, handle
    raise RuntimeError("no free X display number")


def colours(image: Image.Image) -> int:
    """How many distinct colours a 64x36 thumbnail has: 1 for a blank screen, dozens for content."""
    found = image.resize((64, 36)).getcolors(64 * 36)
    return len(found) if found is not None else 64 * 36
