"""The fleet page loaded in Debian's headless Chromium, at desktop and at phone width.

The screenshots land in the test's temporary folder; set HUB_SCREENSHOTS=/some/folder to keep
copies for a person to look at.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.hub.hubtools import batch, report
from tests.hub.test_hub_pages import fill

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is absent (apt-get install chromium)")


def screenshot(url: str, out: Path, size: str, profile: Path) -> Image.Image:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               f"--screenshot={out}", f"--window-size={size}", url]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    keep = os.environ.get("HUB_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)
    return Image.open(out).convert("RGB")


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    small = image.resize((image.width // 4, image.height // 4))
    pixels = getattr(small, "get_flattened_data", None) or small.getdata
    return set(pixels())


@pytest.mark.timeout(120)
def test_fleet_page_renders_in_chromium(hub, tmp_path):
    fill(hub)
    jpeg = io.BytesIO()
    Image.new("RGB", (480, 270), (20, 90, 160)).save(jpeg, "JPEG")
    shot = report("screenshot", seq=50, jpeg_base64=base64.b64encode(jpeg.getvalue()).decode(),
                  width=480, height=270)
    assert hub.post(batch(shot)).status_code == 200
    desktop = screenshot(hub.url, tmp_path / "fleet-desktop.png", "1280,900",
                         tmp_path / "profile")
    phone = screenshot(hub.url + "clusters/bangioc-1?lang=en", tmp_path / "cluster-phone.png",
                       "390,1400", tmp_path / "profile")
    assert desktop.size == (1280, 900) and phone.size == (390, 1400)
    for image in (desktop, phone):
        seen = colours(image)
        # the header's dark green, and more than a blank page's handful of colours
        assert any(r < 40 and 60 < g < 110 and b < 70 for r, g, b in seen)
        assert len(seen) > 50
    # the screenshot the cluster sent is shown: its blue is on the phone page
    assert any(abs(r - 20) < 12 and abs(g - 90) < 12 and abs(b - 160) < 12
               for r, g, b in colours(phone))
