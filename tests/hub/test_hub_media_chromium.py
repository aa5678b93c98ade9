"""The media library in Debian's headless Chromium, served by a real uvicorn with the job queue
running: an editor uploads a photo (the progress bar stands part-way while the server holds the
upload, then the upload goes through), the hub
prepares it, the list shows it ready; a picture over the limit is refused before it is sent.
Desktop (1366x900) and phone (390x844) width, one browser for the module.

The PNGs land in a folder the test prints (HUB_SCREENSHOTS=/some/folder keeps them there).
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from tests.hub.fleetdata import config_data
from tests.hub.hubtools import public_key_text
from tests.hub.test_hub_chromium import (
    CHROMIUM,
    DRIVER,
    browser,
    log_in,
    no_sideways_scroll,
    save,
)
from tests.hub.webtools import PASSWORD, UvicornThread, make_web_hub

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()),
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium "
           "chromium-driver)")
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
ROOT = Path(__file__).resolve().parents[2]


class HeldUploads:
    """The hub's app with a gate before it: a request body that comes in several parts stops
    after its first part until `go` is set. With the server's small receive buffer the browser
    cannot send far ahead, so its upload stands part-way, as on a slow link, for as long as the
    test looks; then it goes through at full speed. (Chromium's own network throttling of uploads
    now and then hangs or drops the request when it is lifted.) It counts the page's polls."""

    def __init__(self, app):
        self.app = app
        self.go = threading.Event()
        self.holding = threading.Event()
        self.polls = 0

    async def __call__(self, scope, receive, send):
        async def held() -> dict:
            message = await receive()
            if message["type"] == "http.request" and message.get("more_body"):
                while not self.go.is_set():
                    self.holding.set()
                    await asyncio.sleep(0.02)
            return message

        if scope["type"] == "http" and scope["path"] == "/api/v1/media":
            self.polls += 1
        await self.app(scope, held if scope["type"] == "http" else receive, send)


def send_buffer_limit() -> int:
    """The most a TCP socket's send buffer grows to here (Linux's tcp_wmem, 4 MB by default):
    what the browser can hand to the kernel, and count as sent, without the server reading."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 4 * 1024 * 1024


def large_photo(path: Path) -> None:
    """The waterfall at 4000x2250 with grain: about 7 MB, well over what the sockets between the
    browser and the held server can take in."""
    picture = Image.open(ROOT / "playlists" / "ban-gioc" / "media" / "ban-gioc-waterfall.jpg")
    pixels = np.asarray(picture.convert("RGB").resize((4000, 2250))).astype(np.int16)
    pixels += np.random.default_rng(3).integers(-48, 48, pixels.shape, dtype=np.int16)
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(path, "JPEG", quality=95)


@pytest.fixture
def served(tmp_path):
    tmp = tmp_path
    data = {**config_data(public_key_text(Ed25519PrivateKey.generate())),
            "media": {"max_image_bytes": "12MB", "screen": "1920x1080"}}
    hub = make_web_hub(tmp, data)
    hub.people.accounts.add_user("lan", PASSWORD, "editor")
    service = hub.app.state.media
    media = ROOT / "playlists" / "ban-gioc" / "media"
    service.library.add_file(media / "ban-gioc-falls.mp4", "Tiếng thác đổ – Bản Giốc.mp4", "lan")
    service.library.add_file(media / "geopark.jpg", "Công viên địa chất Non nước.jpg", "lan")
    # the test starts the preparation once the page shows these two preparing
    gate = HeldUploads(hub.app)
    try:
        with UvicornThread(gate, receive_buffer=16 * 1024) as server:
            yield hub, server, tmp, gate
    finally:
        service.stop()
        hub.close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    chrome = browser(*SIZES["desktop"], tmp_path_factory.mktemp("profile"))
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


def viewport(driver, size: str) -> None:
    width, height = SIZES[size]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.mark.timeout(300)
@pytest.mark.parametrize("size", SIZES)
def test_upload_with_progress_in_chromium(served, driver, shots, size):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    hub, server, tmp, gate = served
    wait = WebDriverWait(driver, 120)
    viewport(driver, size)
    driver.delete_all_cookies()
    driver.get(server.url + "/media")
    wait.until(expected_conditions.url_contains("/login"))
    log_in(driver, driver.current_url, "lan", PASSWORD)
    wait.until(expected_conditions.presence_of_element_located((By.ID, "upload-form")))
    assert "Thư viện ảnh và video" in driver.page_source
    assert driver.find_elements(By.CSS_SELECTOR, 'li.media-item[data-state="preparing"]')
    # a 7 MB photo held by the server after its first part: the bar stands part-way
    photo = tmp / f"Thác Bản Giốc mùa nước lớn ({size}).jpg"
    large_photo(photo)
    assert send_buffer_limit() + 2_000_000 < photo.stat().st_size < 12_000_000, \
        "the photo must be larger than the kernel's send buffer for the bar to stand part-way"
    driver.execute_script("window.sameVisit = true;")
    hub.app.state.media.start()
    driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(photo))
    driver.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    try:
        # the bar and the words read in one breath: the browser may still be filling the
        # sockets for a moment after the server stopped reading
        percent, status = wait.until(lambda d: gate.holding.is_set() and d.execute_script(
            "var b = document.getElementById('upload-progress');"
            "var s = document.getElementById('upload-status');"
            "return b && !b.hidden && b.value > 0 ? [b.value, s.textContent] : null;"))
        assert 0 < percent < 100
        assert status == f"Đang tải lên… {percent}%", status
        save(driver, shots / f"media-uploading-{size}-vi.png")
        # the two files finish preparing meanwhile: the page sees it in its polls, and does
        # not reload (which would cut the upload off)
        wait.until(lambda d: len(hub.app.state.media.library.list_ready()) == 2)
        polls = gate.polls
        wait.until(lambda d: gate.polls >= polls + 2)
        assert driver.execute_script("return window.sameVisit === true && "
                                     "!document.getElementById('upload-progress').hidden")
    finally:
        gate.go.set()
    wait.until(expected_conditions.url_contains("uploaded="))
    # the page follows the preparation and shows the file ready, with its thumbnail
    item = 'li.media-item[data-state="ready"] .media-name'
    wait.until(lambda d: any(photo.name in e.text
                             for e in d.find_elements(By.CSS_SELECTOR, item)))
    assert "Đã tải lên «" in driver.find_element(By.CSS_SELECTOR, "p.ok").text
    # thumbnails are separate requests: wait for them rather than look once
    wait.until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('li.media-item img')].every("
        "i => i.complete && i.naturalWidth > 0)"))
    assert no_sideways_scroll(driver)
    save(driver, shots / f"media-library-{size}-vi.png", full=size == "phone")
    viewport(driver, size)
    # too large for a picture: said at once, nothing sent
    big = tmp / "ảnh quá lớn.png"
    Image.fromarray(np.random.default_rng(8).integers(0, 255, (2000, 2400, 3),
                                                      dtype=np.uint8)).save(big, "PNG")
    count = len(hub.app.state.media.library.list_all())
    driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(big))
    driver.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    wait.until(lambda d: "quá lớn" in d.find_element(By.ID, "upload-status").text)
    assert "tối đa 12 MB" in driver.find_element(By.ID, "upload-status").text
    assert len(hub.app.state.media.library.list_all()) == count
    # a video's preview: a strip of frames drawn by the player's renderer
    video = next(i for i in hub.app.state.media.library.list_ready() if i.kind == "video")
    driver.get(server.url + f"/media/{video.id}" + ("?lang=en" if size == "desktop" else ""))
    wait.until(lambda d: d.execute_script(
        "var i = document.querySelector('figure.preview img');"
        "return i && i.complete && i.naturalWidth > 0"))
    assert ("Preview:" if size == "desktop" else "Xem trước:") in driver.page_source
    assert no_sideways_scroll(driver)
    save(driver, shots / f"media-preview-{size}-{'en' if size == 'desktop' else 'vi'}.png")
