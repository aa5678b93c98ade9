"""The people's pages in Debian's headless Chromium (Selenium + chromium-driver), served by a
real uvicorn: login, then the fleet and a cluster page, at desktop (1366x900) and phone
(390x844) width, in Vietnamese and English.

The PNGs land in a folder the test prints (HUB_SCREENSHOTS=/some/folder keeps them there);
look at them after a change to what is drawn.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from tests.hub.fleetdata import config_data, fill_fleet
from tests.hub.hubtools import public_key_text, write_channel
from tests.hub.webtools import PASSWORD, UvicornThread, make_web_hub

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()),
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium "
           "chromium-driver)")
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture
def served(tmp_path):
    key = Ed25519PrivateKey.generate()
    write_channel(tmp_path / "hub" / "channels" / "ban-gioc", "ban-gioc", 3,
                  {"playlist.yaml": b"items: []\n"}, key)
    hub = make_web_hub(tmp_path, config_data(public_key_text(key)))
    fill_fleet(hub.store, hub.clock, hub.clock.now)
    hub.people.accounts.add_user("lan", PASSWORD, "admin")
    try:
        with UvicornThread(hub.app) as server:
            yield hub, server
    finally:
        hub.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


def browser(width: int, height: int, profile: Path):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=vi",
                 f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.set_page_load_timeout(60)
    # the viewport, not the window, at exactly the size asked (a phone is also "mobile")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return driver


def save(driver, path: Path, full: bool = False) -> Image.Image:
    if full:  # the whole page, for the phone where it scrolls
        height = driver.execute_script("return document.documentElement.scrollHeight")
        width = driver.execute_script("return window.innerWidth")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": min(height, 6000), "deviceScaleFactor": 1,
            "mobile": width < 600})
    driver.save_screenshot(str(path))
    return Image.open(path).convert("RGB")


def log_in(driver, url: str, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()


def no_sideways_scroll(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.timeout(240)
@pytest.mark.parametrize("size", SIZES)
def test_login_and_fleet_in_chromium(served, shots, tmp_path, size):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    hub, server = served
    width, height = SIZES[size]
    driver = browser(width, height, tmp_path / "profile")
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(server.url + "/")
        wait.until(expected_conditions.url_contains("/login"))  # the fleet needs a login
        save(driver, shots / f"hub-login-{size}-vi.png")
        log_in(driver, driver.current_url, "lan", PASSWORD)
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".cards")))
        cards = driver.find_elements(By.CSS_SELECTOR, "article.card")
        levels = [c.get_attribute("class").split()[-1] for c in cards]
        assert levels[:2] == ["lv-dark", "lv-dark"] and levels[-1] == "lv-ok"
        first = cards[0].text
        assert "Mất tín hiệu màn hình" in first and "kiểm tra cáp HDMI" in first
        # a cluster named with HTML is shown as that text, and nothing of it runs
        assert any('<script>alert("x")</script> Cửa khẩu & <b>bold</b>' in c.text for c in cards)
        assert not driver.find_elements(By.CSS_SELECTOR, "main script, h2 b, main img[src=x]")
        with pytest.raises(NoAlertPresentException):
            _ = driver.switch_to.alert.text
        assert no_sideways_scroll(driver)
        save(driver, shots / f"hub-fleet-{size}-vi.png", full=size == "phone")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        driver.find_element(By.LINK_TEXT, "English").click()
        wait.until(expected_conditions.url_contains("lang=en"))
        assert "Display signal lost" in driver.find_elements(By.CSS_SELECTOR, "article.card")[0].text
        save(driver, shots / f"hub-fleet-{size}-en.png", full=size == "phone")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        driver.get(server.url + "/clusters/bangioc-1?lang=en")
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg.plot")))
        assert len(driver.find_elements(By.CSS_SELECTOR, "svg.plot polyline.series")) >= 3
        history = "section:not(#foresight) svg.plot line.limit"  # forecasts have their own
        assert len(driver.find_elements(By.CSS_SELECTOR, history)) == 3
        assert no_sideways_scroll(driver)
        cluster = save(driver, shots / f"hub-cluster-{size}-en.png", full=True)
        # the screenshot the cluster sent is on the page: its blue
        small = cluster.resize((cluster.width // 4, cluster.height // 4))
        pixels = getattr(small, "get_flattened_data", None) or small.getdata
        assert any(abs(r - 20) < 14 and abs(g - 90) < 14 and abs(b - 160) < 14
                   for r, g, b in pixels())
        if size == "desktop":  # the admin's pages, where people and changes are listed
            driver.get(server.url + "/admin/users")
            wait.until(expected_conditions.presence_of_element_located((By.NAME, "password")))
            assert "quản trị" in driver.find_element(By.CSS_SELECTOR, "table").text
            save(driver, shots / "hub-users-desktop-vi.png")
            driver.get(server.url + "/admin/audit?lang=en")
            rows = driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")
            assert any("login" in row.text and "127.0.0.1" in row.text for row in rows)
            save(driver, shots / "hub-audit-desktop-en.png")
    finally:
        driver.quit()
    keep = os.environ.get("HUB_SCREENSHOTS")
    if keep and Path(keep) != shots:
        shutil.copytree(shots, keep, dirs_exist_ok=True)
