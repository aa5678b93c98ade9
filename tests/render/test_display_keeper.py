"""DisplayKeeper: a screen missing at start or gone later is waited for, looked for at most every
RETRY_INTERVAL seconds, and the stand-in stays drawable meanwhile."""

from pathlib import Path

import pytest
from render_kit import Clock, close_display

from player.core.config import DisplayConfig
from player.render.display import RETRY_INTERVAL, DisplayKeeper, drm_connectors


@pytest.fixture(autouse=True)
def offscreen_afterwards(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")  # the keeper sets the configured driver
    yield
    close_display()


def connectors(root: Path, **status: str) -> Path:
    for name, value in status.items():
        folder = root / f"card0-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "status").write_text(value + "\n", encoding="ascii")
    return root


def test_drm_connectors_read_from_sysfs(tmp_path):
    root = connectors(tmp_path, **{"HDMI-A-1": "disconnected", "DP-1": "connected"})
    (tmp_path / "card0").mkdir()  # the card itself is no connector
    assert drm_connectors(root) == {"card0-DP-1": "connected", "card0-HDMI-A-1": "disconnected"}
    assert drm_connectors(tmp_path / "missing") == {}


def test_no_x_server_is_waited_for_and_looked_for_every_interval(tmp_path):
    clock, looks = Clock(), []

    def reachable() -> bool:
        looks.append(clock.t)
        return False

    keeper = DisplayKeeper(DisplayConfig(driver="x11", size=(320, 180)), monotonic=clock.mono,
                           x_server_reachable=reachable)
    display = keeper.open()
    assert not display.available and display.driver == "offscreen" and display.size == (320, 180)
    display.canvas.fill((255, 0, 0))
    display.present()  # drawing goes on, off screen
    for _ in range(100):  # ten seconds of a loop turning every 0.1 s
        clock.advance(0.1)
        assert keeper.check() == "same"
    assert 4 <= len(looks) <= 10 / RETRY_INTERVAL  # a look every 2 s, never a busy loop
    assert all(b - a >= RETRY_INTERVAL - 1e-9 for a, b in zip(looks, looks[1:], strict=False))


def test_kmsdrm_screen_unplugged_then_plugged_in(tmp_path):
    root = connectors(tmp_path, **{"HDMI-A-1": "connected"})
    clock = Clock()
    keeper = DisplayKeeper(DisplayConfig(driver="kmsdrm", size=(320, 180)), monotonic=clock.mono,
                           drm_root=root)
    display = keeper.open()  # no DRM device on a test machine: a stand-in
    assert not display.available
    display.away, display.driver = None, "kmsdrm"  # as if kmsdrm had opened
    clock.advance(RETRY_INTERVAL)
    assert keeper.check() == "same"  # still connected
    connectors(root, **{"HDMI-A-1": "disconnected"})
    clock.advance(RETRY_INTERVAL)
    assert keeper.check() == "changed"
    assert display.away == "no screen connected (card0-HDMI-A-1: disconnected)"
    assert display.driver == "offscreen" and display.size == (320, 180)
    clock.advance(RETRY_INTERVAL)
    assert keeper.check() == "same"  # unplugged: not even an attempt
    connectors(root, **{"HDMI-A-1": "connected"})
    clock.advance(RETRY_INTERVAL)
    assert keeper.check() == "changed"  # plugged in: kmsdrm tried (and here it fails again)
    assert not display.available and display.canvas.get_size() == (320, 180)


def test_headless_never_waits():
    keeper = DisplayKeeper(DisplayConfig(size=(320, 180)), headless=True)
    display = keeper.open()
    assert display.available and display.driver == "offscreen"
    assert keeper.check() == "same"


def test_a_driver_with_no_cheap_look_is_tried_less_and_less_often(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    clock = Clock()
    keeper = DisplayKeeper(DisplayConfig(driver="wayland", size=(320, 180)), monotonic=clock.mono)
    display = keeper.open()
    assert not display.available
    tries = 0
    for _ in range(1200):  # two minutes of a loop turning every 0.1 s
        clock.advance(0.1)
        tries += keeper.check() == "changed"
    assert 3 <= tries <= 7  # 2, 4, 8, 16, 32 s apart, then every minute
    assert not display.available and display.canvas.get_size() == (320, 180)
