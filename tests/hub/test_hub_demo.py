"""The demo's pieces, and the real player (headless) syncing from and reporting to a real hub."""

from __future__ import annotations

import time

import pytest
import requests

from player.hub.client import upload_channel
from player.hub.config import load_hub_config
from player.hub.server import HubServer

demo = pytest.importorskip("player.commands.demo")


@pytest.fixture
def setup(tmp_path):
    try:
        content = demo.bundled_content()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    return demo.prepare_demo(tmp_path / "demo", content)


def test_prepare_publishes_a_signed_channel_and_a_hub_config(setup):
    from player.channel import keys

    manifest = (setup.publish_dir / "manifest.json").read_bytes()
    signature = (setup.publish_dir / "manifest.json.sig").read_bytes()
    assert keys.verify([keys.parse_public_key(setup.public_key)], manifest, signature)
    config = load_hub_config(setup.hub_config)
    assert config.channels[demo.CHANNEL].public_keys == (setup.public_key,)
    assert config.clusters[demo.CLUSTER].token == setup.cluster_token
    assert (setup.key_file.stat().st_mode & 0o777) == 0o600


def test_hub_serves_the_uploaded_demo_and_the_player_config_is_valid(setup):
    from player.core.config_reader import load_config

    hub = HubServer(("127.0.0.1", 0), setup.hub_root, load_hub_config(setup.hub_config))
    hub.start()
    try:
        upload_channel(setup.publish_dir, hub.url, setup.upload_token)
        path = demo.write_player_config(setup, hub.url)
        config = load_config(path, must_exist=True)
        assert config.cluster == demo.CLUSTER
        source = config.sync.sources[0]
        manifest = requests.get(source + "manifest.json", timeout=10)
        assert manifest.status_code == 200
        assert manifest.content == (setup.publish_dir / "manifest.json").read_bytes()
        assert config.health.report_url == hub.url + "api/v1/heartbeats"
    finally:
        hub.stop()


@pytest.mark.timeout(150)
def test_real_player_syncs_from_and_reports_to_the_hub(setup):
    pytest.importorskip("player.app")
    hub = HubServer(("127.0.0.1", 0), setup.hub_root, load_hub_config(setup.hub_config))
    hub.start()
    player = None
    try:
        upload_channel(setup.publish_dir, hub.url, setup.upload_token)
        config = demo.write_player_config(setup, hub.url, report_every="2s")
        player = demo.start_player(config, headless=True, log_file=setup.out / "player.log")
        status = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and player.poll() is None:
            status = hub.view.fleet().clusters[0]
            if status.release == 1 and status.screenshot_time is not None:
                break
            time.sleep(0.5)
        log = (setup.out / "player.log").read_text(errors="replace")
        assert status is not None and status.release == 1, log
        assert status.state == "online" and status.latest_release == 1
        assert status.screenshot_time is not None, log
        assert not [a for a in status.alerts if a.code == "outdated"]
        saved = demo.ScreenshotSaver(hub.view, demo.CLUSTER, setup.out / "shots").save_new()
        assert saved is not None and saved.read_bytes()[:2] == b"\xff\xd8"
    finally:
        hub.stop()
        if player is not None:
            code = demo.stop_player(player)
            assert code is not None
