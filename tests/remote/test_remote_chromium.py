"""The remote-command buttons pressed in headless Chromium, against the real hub and a real
headless player: each result appears on the page without a reload (the panel's script), the
log can be searched, a command the box does not allow shows the box's reason. Desktop and phone
widths; the PNGs land in HUB_SCREENSHOTS (or a temporary folder) to be looked at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hub.test_hub_chromium import CHROMIUM, DRIVER, browser, log_in, no_sideways_scroll, save
from tests.hub.webtools import PASSWORD
from tests.remote.test_remote_hub import CLUSTER, Box, Site

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = [pytest.mark.timeout(300), pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()),
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver")]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("hub"))
    box = Box(tmp_path_factory.mktemp("box"), site.url)
    box.start()
    try:
        box.wait_log("remote commands: asking", deadline=120)
        yield site, box
    finally:
        box.stop()
        site.close()


def test_pressing_the_buttons_in_chromium(setup, tmp_path):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site, box = setup
    shots = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {shots}")
    driver = browser(1366, 900, tmp_path / "profile")
    try:
        wait = WebDriverWait(driver, 90, ignored_exceptions=(NoSuchElementException,
                                                             StaleElementReferenceException))
        # the cluster's first heartbeat is in: its card shows how it is, the panel below it
        site.wait_reported()
        log_in(driver, site.url + f"/login?next=/clusters/{CLUSTER}", "duyet", PASSWORD)
        wait.until(lambda d: d.find_elements(By.ID, "remote"))

        def press(kind: str) -> None:
            # the page after the form is a new window object, without the mark set on this one;
            # asked while the old document goes, chromedriver may answer with any error
            mark = driver.execute_script("return window.__mark = String(Math.random())")
            driver.find_element(By.CSS_SELECTOR, f'#remote button[data-kind="{kind}"]').click()
            wait.until(lambda d: page_mark(d) not in (mark, None))
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#remote ul.cmds li"))

        def page_mark(d) -> str | None:
            try:
                return d.execute_script("return window.__mark || ''")
            except WebDriverException:
                return None

        def newest() -> tuple[str, str]:
            # read in one script: the panel may be swapped between two WebDriver calls
            found = driver.execute_script(
                "const li = document.querySelector('#remote ul.cmds li');"
                "return li ? [li.dataset.id, li.dataset.state] : ['', ''];")
            return found[0], found[1]

        press("screenshot")
        shot_id = newest()[0]
        # the script swaps the panel in when the picture is there: no reload
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#remote img[src$="{shot_id}/file"]'))
        # the picture is a request of its own: wait for it to load (and the panel may be swapped)
        wait.until(lambda d: d.execute_script(
            "const i = document.querySelector('#remote img.shot');"
            "return i ? i.naturalWidth : 0;") == 640)

        logs = driver.find_element(By.CSS_SELECTOR, '#remote input[name="minutes"]')
        logs.clear()
        logs.send_keys("10")
        press("logs")
        log_id = newest()[0]
        wait.until(lambda d: newest() == (log_id, "done"))
        press("reboot")
        wait.until(lambda d: newest()[1] == "failed")
        reason = driver.find_element(By.CSS_SELECTOR, "#remote ul.cmds li .why").text
        assert "remote.allowed" in reason and "reboot" in reason
        assert "Thất bại" in driver.find_element(By.ID, "remote").text
        driver.execute_script("window.scrollTo(0, 0)")  # the cluster's card, then the panel
        save(driver, shots / "remote-commands-desktop.png")

        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        driver.get(site.url + f"/clusters/{CLUSTER}#remote")
        wait.until(lambda d: d.find_elements(By.ID, "remote"))
        assert no_sideways_scroll(driver)
        driver.execute_script("document.getElementById('remote').scrollIntoView()")
        save(driver, shots / "remote-commands-phone.png")

        driver.find_element(By.LINK_TEXT, "Xem nhật ký").click()
        search = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type=search]"))
        assert no_sideways_scroll(driver)
        search.send_keys("screenshot")  # filtered as one types, by the script
        wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#log span')].some(s => s.hidden)"))
        shown = driver.execute_script(
            "return [...document.querySelectorAll('#log span')].filter(s => !s.hidden)"
            ".map(s => s.textContent)")
        assert shown and all("screenshot" in line.lower() for line in shown)
        save(driver, shots / "remote-log-phone.png")
    finally:
        driver.quit()
