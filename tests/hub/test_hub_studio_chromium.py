"""End to end in Debian's headless Chromium against the real hub (HubServer, long-poll) and a real
headless player: an editor uploads a camera photo (EXIF-rotated) and a rotated phone video, writes
a trilingual slide with Chinese left empty and sees it flagged; an approver fills the Chinese and
approves with the passphrase; the player shows the photo (checked on the screenshot it sends the
hub); the approver puts last month's programme back and the player returns to it.

HUB_SCREENSHOTS=/folder keeps the page PNGs (desktop 1366x900 and phone 390x844)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from tests.hub.hubtools import CLUSTER_TOKEN, OTHER_TOKEN, hub_config_data
from tests.hub.mediatools import BLUE, camera_jpeg, phone_clip
from tests.hub.programmetools import PASSPHRASE, PagesClient, fast_keys, headless_player, wait_until
from tests.hub.test_hub_chromium import CHROMIUM, DRIVER, SIZES, browser, log_in, no_sideways_scroll, save
from tests.hub.webtools import PASSWORD

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = [pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                                 reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
              pytest.mark.timeout(600)]

LAST_MONTH = """name: Bản Giốc
languages: [vi, en, zh]
items:
  - id: thang-truoc
    text: {vi: Chương trình tháng trước, en: Last month's programme, zh: 上个月的节目}
    duration: 2s
    style: {background: "#961414"}
"""


LAST_MONTH_RED = (150, 20, 20)


def resize(driver, size: str) -> None:
    width, height = SIZES[size]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def both_widths(driver, shots: Path, name: str) -> None:
    """The page at phone and desktop width: no sideways scroll; PNGs kept."""
    for size in ("phone", "desktop"):
        resize(driver, size)
        assert no_sideways_scroll(driver), (name, size)
        save(driver, shots / f"{name}-{size}-vi.png", full=True)
    resize(driver, "desktop")


def screenshot(url: str, session: requests.Session) -> Image.Image | None:
    answer = session.get(url + "/clusters/bangioc-1/screenshot.jpg", timeout=30)
    if answer.status_code != 200:
        return None
    return Image.open(io.BytesIO(answer.content)).convert("RGB")


def share_near(image: Image.Image | None, color: tuple[int, int, int]) -> float:
    """How much of the screen is about ``color``."""
    if image is None:
        return 0.0
    import numpy as np

    pixels = np.asarray(image.resize((64, 36)), dtype=np.int16).reshape(-1, 3)
    near = np.all(np.abs(pixels - np.array(color, dtype=np.int16)) <= 60, axis=1)
    return float(near.mean())


def shows_photo(image: Image.Image | None) -> bool:
    """The uploaded photo's blue fills a good part of the screen."""
    return share_near(image, BLUE) > 0.15


def shows_last_month(image: Image.Image | None) -> bool:
    """Last month's slide: its dark red background fills most of the screen."""
    return share_near(image, LAST_MONTH_RED) > 0.5


@pytest.fixture
def served(tmp_path):
    data = {**hub_config_data(Ed25519PrivateKey.generate()),
            "media": {"screen": "640x360", "max_image_bytes": "5MB", "max_video_bytes": "30MB"},
            # the approver fills in the Chinese, so the last version is theirs: a small centre
            "programmes": {"self_approval": True}}
    data["clusters"] = {  # names as the centre writes them (the pages' screenshots are in docs)
        "bangioc-1": {"token": CLUSTER_TOKEN, "name": "Bản Giốc – cổng chính",
                      "channel": "ban-gioc"},
        "popeo-2": {"token": OTHER_TOKEN, "name": "Cửa khẩu Pò Peo", "channel": "ban-gioc"}}
    config = hub_config_from_data(data, "hub.yaml", tmp_path)
    server = HubServer(("127.0.0.1", 0), tmp_path / "hub", config)
    server.start()
    desk = server.app.state.programmes
    desk.keys = fast_keys(desk.engine, desk.clock)
    desk.publisher.extra_keys = desk.keys.public_keys
    accounts = server.app.state.people.accounts
    accounts.add_user("hoa", PASSWORD, "editor")
    accounts.add_user("lan", PASSWORD, "approver")
    try:
        yield server
    finally:
        server.stop()


def test_compose_translate_approve_see_it_on_screen_and_put_last_month_back(served, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    url = served.url.rstrip("/")
    shots = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {shots}")
    files = tmp_path / "files"
    files.mkdir()
    (files / "IMG_2041.jpg").write_bytes(camera_jpeg((600, 800)))  # sideways, EXIF 6
    phone_clip(files / "IMG_2042.MOV", (640, 360), seconds=2.0, rotate=90)

    # last month's programme, approved and on the screen before anyone opens a browser
    lan_http = PagesClient(url, "lan", PASSWORD)
    public = lan_http.make_key(PASSPHRASE)
    pid = lan_http.create("Bản Giốc")
    last_month = lan_http.save_text(pid, LAST_MONTH)
    assert lan_http.approve(pid, last_month, PASSPHRASE).status_code == 303
    library = served.app.state.media.library

    with headless_player(tmp_path / "player", url, public, CLUSTER_TOKEN) as status:
        assert wait_until(lambda: status().get("item") == "thang-truoc", 120), status()
        owner = requests.Session()
        owner.cookies.update(lan_http.http.cookies)
        assert wait_until(lambda: shows_last_month(screenshot(url, owner)), 120)
        driver = browser(*SIZES["desktop"], tmp_path / "profile")
        wait = WebDriverWait(driver, 120)

        def click(css: str) -> None:
            driver.find_element(By.CSS_SELECTOR, css).click()

        try:
            # the editor uploads the photo and the phone video
            log_in(driver, url + "/login?next=/media", "hoa", PASSWORD)
            for name in ("IMG_2041.jpg", "IMG_2042.MOV"):
                wait.until(ec.presence_of_element_located((By.ID, "upload-form")))
                driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(
                    str(files / name))
                click("#upload-form button[type=submit]")
                wait.until(ec.url_contains("uploaded="))
            assert wait_until(lambda: len(library.list_ready()) == 2, 180), library.list_all()
            photo = next(m for m in library.list_ready() if m.kind == "image")
            video = next(m for m in library.list_ready() if m.kind == "video")
            assert photo.height > photo.width and video.height > video.width  # upright
            driver.get(url + "/media")
            both_widths(driver, shots, "media-library")

            # a trilingual slide, the photo and the video; Chinese left empty
            driver.get(url + f"/programmes/{pid}/edit")
            click("button[value=add-text]")
            wait.until(ec.presence_of_element_located((By.NAME, "item-1-text-vi")))
            click("button[value=add-image]")
            wait.until(ec.presence_of_element_located((By.NAME, "item-2-media")))
            click("button[value=add-video]")
            wait.until(ec.presence_of_element_located((By.NAME, "item-3-media")))
            click(f"input[name=item-2-media][value='{photo.playlist_path}']")
            click(f"input[name=item-3-media][value='{video.playlist_path}']")
            driver.find_element(By.NAME, "item-1-text-vi").send_keys(
                "Thác Bản Giốc mùa nước đẹp nhất năm")
            driver.find_element(By.NAME, "item-1-text-en").send_keys(
                "Ban Gioc waterfall at its finest")
            for n in (1, 2):
                driver.find_element(By.NAME, f"item-{n}-duration").send_keys("3s")
            driver.find_element(By.NAME, "item-2-caption-vi").send_keys("Thác Bản Giốc")
            driver.find_element(By.NAME, "item-2-caption-en").send_keys("Ban Gioc falls")
            driver.find_element(By.NAME, "item-2-caption-zh").send_keys("板约瀑布")
            click("button[value='remove-0']")  # last month's slide goes
            wait.until(ec.presence_of_element_located((By.NAME, "item-2-media")))
            click(".savebar button.primary")
            wait.until(ec.url_contains("saved="))
            both_widths(driver, shots, "programme-editor")
            driver.get(url + f"/programmes/{pid}")
            both_widths(driver, shots, "programme-overview")
            missing = driver.find_elements(By.CSS_SELECTOR, "td.tr-missing")
            assert any("thiếu" in c.text for c in missing)  # the empty Chinese is flagged

            # the approver fills the Chinese and approves with the passphrase
            driver.delete_all_cookies()
            log_in(driver, url + f"/login?next=/programmes/{pid}/edit", "lan", PASSWORD)
            wait.until(ec.presence_of_element_located((By.NAME, "item-0-text-zh")))
            driver.find_element(By.NAME, "item-0-text-zh").send_keys("板约瀑布最美的季节")
            click(".savebar button.primary")
            wait.until(ec.url_contains("saved="))
            driver.get(url + f"/programmes/{pid}")
            assert not driver.find_elements(By.CSS_SELECTOR, "td.tr-missing")
            driver.get(url + f"/programmes/{pid}/approve")
            wait.until(ec.presence_of_element_located((By.NAME, "passphrase")))
            both_widths(driver, shots, "programme-approve")
            driver.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
            click("form[action$='/approve'] button")
            wait.until(ec.url_contains("approved="))

            # the screen shows the photo: seen on the player's own screenshot at the hub
            http = requests.Session()
            http.cookies.update({c["name"]: c["value"] for c in driver.get_cookies()})
            assert wait_until(lambda: shows_photo(screenshot(url, http)), 180), status()
            shot = screenshot(url, http)
            assert shot is not None
            shot.save(shots / "player-screen-new-programme.png")

            # last month's programme back, in one action on the programme page
            driver.get(url + f"/programmes/{pid}")
            both_widths(driver, shots, "programme-page")
            row = driver.find_element(By.XPATH, f"//tr[td[1][starts-with(normalize-space(),"
                                                f" '{last_month}')]]")
            row.find_element(By.TAG_NAME, "summary").click()
            row.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
            save(driver, shots / "programme-rollback-desktop-vi.png")
            row.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait.until(ec.url_contains("rolled_back="))
            assert wait_until(lambda: status().get("item") == "thang-truoc"
                              and (status().get("release") or 0) >= 3, 120), status()
            # the player's screenshot shows last month's slide again
            assert wait_until(lambda: shows_last_month(screenshot(url, http)), 120), status()
            back = screenshot(url, http)
            back.save(shots / "player-screen-rolled-back.png")
        finally:
            driver.quit()
