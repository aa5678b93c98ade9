"""The programme editor and the approval page in Debian's headless Chromium, served by a real
uvicorn: an editor types a trilingual slide (Chinese left empty, flagged), adds a picture and
saves; an approver makes a key, sees the changes and approves with the passphrase. Pages at
desktop (1366x900) and phone (390x844) width; HUB_SCREENSHOTS=/folder keeps the PNGs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.hub.hubtools import hub_config_data
from tests.hub.programmetools import PASSPHRASE, fast_keys, make_media
from tests.hub.test_hub_chromium import CHROMIUM, DRIVER, SIZES, browser, log_in, no_sideways_scroll, save
from tests.hub.webtools import PASSWORD, UvicornThread, make_web_hub

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                                reason="needs /usr/bin/chromium and /usr/bin/chromedriver")


@pytest.fixture
def served(tmp_path):
    hub = make_web_hub(tmp_path, hub_config_data(Ed25519PrivateKey.generate()))
    desk = hub.app.state.programmes
    desk.media = make_media(tmp_path / "media")
    desk.keys = fast_keys(hub.store.engine, hub.clock)
    desk.publisher.extra_keys = desk.keys.public_keys
    hub.people.accounts.add_user("hoa", PASSWORD, "editor")
    hub.people.accounts.add_user("lan", PASSWORD, "approver")
    try:
        with UvicornThread(hub.app) as server:
            yield hub, server, tmp_path
    finally:
        hub.close()


def resize(driver, size: str) -> None:
    width, height = SIZES[size]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.mark.timeout(300)
def test_editor_and_approval_in_chromium(served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    hub, server, tmp_path = served
    shots = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {shots}")
    driver = browser(*SIZES["desktop"], tmp_path / "profile")
    wait = WebDriverWait(driver, 60)
    click = lambda css: driver.find_element(By.CSS_SELECTOR, css).click()  # noqa: E731
    try:
        log_in(driver, server.url + "/login?next=/programmes", "hoa", PASSWORD)
        wait.until(ec.presence_of_element_located((By.NAME, "name")))
        driver.find_element(By.CSS_SELECTOR, "form[action='/programmes'] input[name=name]"
                            ).send_keys("Bản Giốc – tháng 12")
        click("form[action='/programmes'] button")
        wait.until(ec.url_contains("/edit"))
        click("button[value=add-text]")
        wait.until(ec.presence_of_element_located((By.NAME, "item-0-text-vi")))
        click("button[value=add-image]")
        wait.until(ec.presence_of_element_located((By.NAME, "item-1-media")))
        driver.find_element(By.NAME, "item-0-text-vi").send_keys(
            "Chào mừng quý khách đến thác Bản Giốc <b>đẹp</b>")
        driver.find_element(By.NAME, "item-0-text-en").send_keys("Welcome to Ban Gioc waterfall")
        driver.find_element(By.NAME, "item-0-duration").send_keys("8s")
        driver.find_element(By.NAME, "item-1-caption-vi").send_keys("Thác Bản Giốc mùa nước")
        driver.find_element(By.NAME, "item-1-caption-en").send_keys("Ban Gioc in flood season")
        driver.find_element(By.NAME, "item-1-caption-zh").send_keys("板约瀑布")
        driver.find_element(By.NAME, "item-1-hours").send_keys("07:00-18:00")
        click("input[name=item-1-days][value=sat]")
        click("input[name=item-1-days][value=sun]")
        click(".savebar button.primary")
        wait.until(ec.url_contains("saved=2"))
        assert "Đã lưu bản 2" in driver.page_source
        assert not driver.find_elements(By.CSS_SELECTOR, "main textarea b")
        for size in SIZES:
            resize(driver, size)
            assert no_sideways_scroll(driver), size
            save(driver, shots / f"programme-editor-{size}-vi.png", full=True)
        resize(driver, "desktop")
        driver.get(server.url + "/programmes/1")
        cells = driver.find_elements(By.CSS_SELECTOR, "td.tr-missing")
        assert any("thiếu" in c.text for c in cells)  # Chinese left empty: flagged
        save(driver, shots / "programme-overview-desktop-vi.png", full=True)

        driver.delete_all_cookies()
        log_in(driver, server.url + "/login?next=/programmes/keys", "lan", PASSWORD)
        wait.until(ec.presence_of_element_located((By.NAME, "passphrase_again")))
        driver.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
        driver.find_element(By.NAME, "passphrase_again").send_keys(PASSPHRASE)
        click("form.stack button")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "code.key")))
        save(driver, shots / "programme-keys-desktop-vi.png", full=True)
        driver.get(server.url + "/programmes/1/edit")  # the approver fills the Chinese
        driver.find_element(By.NAME, "item-0-text-zh").send_keys("欢迎来到板约瀑布")
        click(".savebar button.primary")
        wait.until(ec.url_contains("saved=3"))
        hub.app.state.programmes.config = __import__("dataclasses").replace(
            hub.app.state.programmes.config,
            programmes=__import__("player.hub.config", fromlist=["x"]).ProgrammeSettings(
                self_approval=True))  # the approver saved the last version: a small centre
        driver.get(server.url + "/programmes/1/approve")
        assert "thêm mới" in driver.page_source
        for size in SIZES:
            resize(driver, size)
            assert no_sideways_scroll(driver), size
            save(driver, shots / f"programme-approve-{size}-vi.png", full=True)
        resize(driver, "desktop")
        driver.get(server.url + "/programmes/1/approve")
        driver.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
        click("form[action$='/approve'] button")
        wait.until(ec.url_contains("approved=3"))
        assert "Đã ký duyệt bản 3" in driver.page_source
        assert (tmp_path / "hub" / "channels" / "ban-gioc" / "manifest.json").exists()
        driver.get(server.url + "/programmes?lang=en")
        assert "Programmes" in driver.page_source and "approved" in driver.page_source
        for size in SIZES:
            resize(driver, size)
            assert no_sideways_scroll(driver), size
            save(driver, shots / f"programme-list-{size}-en.png", full=True)
        driver.get(server.url + "/programmes/emergency")
        for size in SIZES:
            resize(driver, size)
            assert no_sideways_scroll(driver), size
            save(driver, shots / f"programme-emergency-{size}-vi.png", full=True)
    finally:
        driver.quit()
