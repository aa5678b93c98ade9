"""The forecast pages in Debian's headless Chromium, served by a real uvicorn: the fleet warning,
the cluster page's forecasts, the monthly report on a desktop and at A4 print size, and the
maintenance form filled in on a phone. PNGs as in test_hub_chromium.py (HUB_SCREENSHOTS keeps
them)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.pages import LOCAL
from tests.hub import foresightdata
from tests.hub.foresightdata import FAILING
from tests.hub.hubtools import hub_config_data
from tests.hub.test_hub_chromium import CHROMIUM, DRIVER, browser, log_in, no_sideways_scroll, save
from tests.hub.webtools import PASSWORD, UvicornThread, make_web_hub

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()),
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver")
A4 = (794, 1123)  # CSS pixels of an A4 page at 96 dpi


@pytest.fixture
def served(tmp_path):
    tmp = tmp_path / "hub-root"
    tmp.mkdir()
    hub = make_web_hub(tmp, hub_config_data(Ed25519PrivateKey.generate()))
    foresightdata.fill(hub.store, hub.clock, hub.clock.now)
    hub.people.accounts.add_user("ky-thuat", PASSWORD, "editor")
    try:
        with UvicornThread(hub.app) as server:
            yield hub, server
    finally:
        hub.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


def resize(driver, width: int, height: int, media: str = "") -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})


@pytest.mark.timeout(300)
def test_forecast_pages_in_chromium(served, shots, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    hub, server = served
    driver = browser(1366, 900, tmp_path / "profile")
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(server.url + "/login")
        log_in(driver, driver.current_url, "ky-thuat", PASSWORD)
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".cards")))
        card = driver.find_element(By.ID, f"cluster-{FAILING}").text
        assert "nguy cơ đọng sương" in card and "mở quạt / kiểm tra gioăng tủ" in card
        assert "Ổ đĩa sẽ đầy sau khoảng" in card
        save(driver, shots / "hub-foresight-fleet-desktop-vi.png")

        driver.get(server.url + f"/clusters/{FAILING}")
        section = wait.until(expected_conditions.presence_of_element_located(
            (By.ID, "foresight")))
        driver.execute_script("arguments[0].scrollIntoView()", section)
        assert len(section.find_elements(By.CSS_SELECTOR, "polyline.forecast")) >= 3
        save(driver, shots / "hub-foresight-cluster-desktop-vi.png", full=True)
        resize(driver, 1366, 900)

        month = datetime.fromtimestamp(hub.clock.now - 10 * 86400, LOCAL).strftime("%Y-%m")
        driver.get(server.url + f"/clusters/{FAILING}/availability?month={month}&lang=en")
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg.bars")))
        assert no_sideways_scroll(driver)
        save(driver, shots / "hub-availability-desktop-en.png", full=True)
        resize(driver, *A4, media="print")
        assert not driver.find_element(By.CSS_SELECTOR, ".month-nav").is_displayed()
        assert no_sideways_scroll(driver)  # the table fits the A4 width
        save(driver, shots / "hub-availability-a4-en.png")

        resize(driver, 1366, 900)
        driver.get(server.url + f"/availability?month={month}")
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg.bars")))
        assert "Toàn huyện" in driver.find_element(By.CSS_SELECTOR, "section.report h2").text
        assert len(driver.find_elements(By.CSS_SELECTOR, "table.availability tbody tr")) == 3
        save(driver, shots / "hub-availability-district-desktop-vi.png")

        resize(driver, 390, 844)
        driver.get(server.url + f"/availability?month={month}")
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg.bars")))
        assert no_sideways_scroll(driver)  # the wide table scrolls inside its own box
        save(driver, shots / "hub-availability-district-phone-vi.png", full=True)
        resize(driver, 390, 844)
        driver.get(server.url + f"/clusters/{FAILING}/maintenance")
        found = wait.until(expected_conditions.presence_of_element_located((By.NAME, "found")))
        found.send_keys("Quạt kêu to, gioăng cửa tủ bị hở")
        driver.find_element(By.CSS_SELECTOR, "input[value=fan]").click()
        driver.find_element(By.NAME, "note").send_keys("Đã thay quạt 80 mm")
        assert no_sideways_scroll(driver)
        save(driver, shots / "hub-maintenance-phone-vi.png", full=True)
        resize(driver, 390, 844)
        driver.find_element(By.CSS_SELECTOR, "form.visit-form button[type=submit]").click()
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".saved")))
        assert "Quạt kêu to, gioăng cửa tủ bị hở" in driver.find_element(
            By.CSS_SELECTOR, "ul.visits").text
        assert no_sideways_scroll(driver)
        driver.get(server.url + f"/clusters/{FAILING}")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "maintenance")))
        assert no_sideways_scroll(driver)
        save(driver, shots / "hub-foresight-cluster-phone-vi.png", full=True)
    finally:
        driver.quit()
    keep = os.environ.get("HUB_SCREENSHOTS")
    if keep and Path(keep) != shots:
        shutil.copytree(shots, keep, dirs_exist_ok=True)
