"""The player on a real X server (Xvfb): full screen, demo content visible, exits cleanly."""

import os
import shutil
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from tests.xserver import XServer

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not all(shutil.which(p) for p in ("Xvfb", "import")),
                                reason="needs Xvfb and ImageMagick's import (apt install xvfb imagemagick)")


@pytest.fixture
def xdisplay():
    server = XServer()  # a display number no other test run on this machine can take
    server.start()
    yield server.name
    server.close()


def screenshot(display: str) -> Image.Image:
    png = subprocess.run(["import", "-display", display, "-window", "root", "png:-"], capture_output=True,
                         check=True, timeout=30).stdout
    return Image.open(BytesIO(png)).convert("RGB")


@pytest.mark.timeout(90)
def test_demo_plays_full_screen_under_x(tmp_path, xdisplay):
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
    env.update(DISPLAY=xdisplay, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    config = tmp_path / "player.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config), "--exit-after", "20"],
                               env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        for line in process.stderr:
            if "display: driver" in line:
                assert "driver x11, 1280x720" in line
                break
        # the first slide may take a while on a loaded machine: look until it is there
        deadline = time.monotonic() + 60
        while True:
            shot = screenshot(xdisplay)
            colours = shot.resize((64, 36)).getcolors(64 * 36)
            if colours is None or len(colours) > 10 or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        shot.save(tmp_path / "x11.png")
        assert colours is None or len(colours) > 10, "the screen is blank"
        ticker = shot.crop((0, 680, 1280, 720)).getcolors(1280 * 40)
        assert ticker is None or any(c[1][0] > 120 and c[1][1] < 60 for c in ticker)  # the red ticker band
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
