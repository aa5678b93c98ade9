"""The media library in Debian's headless Chromium, served by a real uvicorn with the job queue
running: an editor uploads a photo (the progress bar moves on a throttled link), the hub
prepares it, the list shows it ready; a picture over the limit is refused before it is sent.
Desktop (1366x900) and phone (390x844) width, one browser for the module.

The PNGs land in a folder the test prints (HUB_SCREENSHOTS=/some/folder keeps them there).
"""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture
def served(tmp_path):
    tmp = tmp_path
    data = {**config_data(public_key_text(Ed25519PrivateKey.generate())),
            "media": {"max_image_bytes": "2MB", "screen": "1920x1080"}}
    hub = make_web_hub(tmp, data)
    hub.people.accounts.add_user("lan", PASSWORD, "editor")
    service = hub.app.state.media
    media = ROOT / "playlists" / "ban-gioc" / "media"
    service.library.add_file(media / "ban-gioc-falls.mp4", "Tiếng thác đổ – Bản Giốc.mp4", "lan")
    service.library.add_file(media / "geopark.jpg", "Công viên địa chất Non nước.jpg", "lan")
    service.start()
    try:
        with UvicornThread(hub.app) as server:
            yield hub, server, tmp
    finally:
        service.stop()
        hub.close()


def upload_ended(driver, seconds: float) -> bool:
    """True once the page moved on after the upload (or said it failed) within `seconds`."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, seconds).until(lambda d: "uploaded=" in d.current_url or d.execute_script(
            "return document.getElementById('upload-status').className === 'notice';"))
    except TimeoutException:
        return False
    return "uploaded=" in driver.current_url


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

    hub, server, tmp = served
    wait = WebDriverWait(driver, 120)
    viewport(driver, size)
    driver.delete_all_cookies()
    driver.get(server.url + "/media")
    wait.until(expected_conditions.url_contains("/login"))
    log_in(driver, driver.current_url, "lan", PASSWORD)
    wait.until(expected_conditions.presence_of_element_located((By.ID, "upload-form")))
    assert "Thư viện ảnh và video" in driver.page_source
    # a 157 kB photo sent over a link throttled to 32 kB/s: the bar moves for a few seconds
    photo = tmp / f"Thác Bản Giốc mùa nước lớn ({size}).jpg"
    shutil.copyfile(ROOT / "playlists" / "ban-gioc" / "media" / "ban-gioc-waterfall.jpg", photo)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": 32 * 1024})
    try:
        driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(photo))
        driver.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
        # Read in the same breath as the bar: on a loaded machine the upload may end, and the
        # page move on, between two separate looks.
        status = wait.until(lambda d: d.execute_script(
            "var b = document.getElementById('upload-progress');"
            "var s = document.getElementById('upload-status');"
            "return b && s && !b.hidden && b.value > 0 && b.value < 100 ? s.textContent : null;"))
        assert "Đang tải lên" in status
        save(driver, shots / f"media-uploading-{size}-vi.png")
    finally:
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    if not upload_ended(driver, 30):
        # Chromium's network emulation never lets a throttled upload finish, and lifting the
        # throttle mid-request now and then leaves the request hanging or drops it (seen on a
        # loaded machine): what the emulation did is not the page's doing, so send it again.
        driver.get(server.url + "/media")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "upload-form")))
        driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(photo))
        driver.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
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
    Image.fromarray(np.random.default_rng(8).integers(0, 255, (1000, 1200, 3),
                                                      dtype=np.uint8)).save(big, "PNG")
    count = len(hub.app.state.media.library.list_all())
    driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(big))
    driver.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    wait.until(lambda d: "quá lớn" in d.find_element(By.ID, "upload-status").text)
    assert "tối đa 2 MB" in driver.find_element(By.ID, "upload-status").text
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
