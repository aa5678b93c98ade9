"""Remote commands end to end: the real hub (uvicorn on 127.0.0.1) and a real headless player
(`signage-player run --headless` in its own process, its log in a real file). Commands are sent
as people send them, through the cluster page's form with its CSRF token; the results are read
back from the page."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.accounts import Accounts
from player.hub.app import create_app, open_hub
from player.hub.config import hub_config_from_data
from tests.hub.accounttools import FAST_HASHER
from tests.hub.hubtools import CLUSTER_TOKEN, hub_config_data, public_key_text, write_channel
from tests.hub.webtools import PASSWORD, UvicornThread, csrf_token

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)
CLUSTER = "bangioc-1"


class Site:
    """The hub served for real, its people logged in through httpx."""

    def __init__(self, tmp: Path) -> None:
        self.key = Ed25519PrivateKey.generate()
        write_channel(tmp / "hub" / "channels" / "ban-gioc", "ban-gioc", 1, {
            "playlist.yaml": "items:\n  - text: {vi: \"Thác Bản Giốc chào đón quý khách\", "
                             "en: Welcome}\n    duration: 10s\n".encode()}, self.key)
        data = hub_config_data(self.key)
        data["public_fleet"] = False
        config = hub_config_from_data(data, "hub.yaml", tmp)
        self.hub = open_hub(config, tmp / "hub")  # the real clock
        self.app = create_app(config, tmp / "hub", hub=self.hub)
        self.hub.commands.rate_limit = 100  # these tests send many; the limit has its own test
        accounts = self.app.state.people.accounts
        self.app.state.people.accounts = Accounts(accounts.engine, FAST_HASHER)
        for name, role in (("bien-tap", "editor"), ("duyet", "approver")):
            self.app.state.people.accounts.add_user(name, PASSWORD, role)
        self.server = UvicornThread(self.app).__enter__()
        # what the app's lifespan (off here) does: held manifest long-polls wake on the server's
        # loop, at a publish and at close
        self.hub.changes.bind(self.server.server.servers[0].get_loop())
        self.url = self.server.url
        self.people = {name: self.log_in(name) for name in ("bien-tap", "duyet")}

    def log_in(self, name: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        page = client.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
        answer = client.post("/login", data={"name": name, "password": PASSWORD,
                                             "login_token": token})
        assert answer.status_code == 303, answer.text
        return client

    def send(self, who: str, kind: str, **fields: str) -> str:
        """Press a button on the cluster page; the id of the command it queued."""
        client = self.people[who]
        page = client.get(f"/clusters/{CLUSTER}")
        pattern = r'<form[^>]*>(?:(?!</form>).)*name="kind" value="' + kind + '".*?</form>'
        form_html = re.search(pattern, page.text, re.S).group(0)
        command_id = re.search(r'name="command_id" value="([^"]+)"', form_html).group(1)
        answer = client.post(f"/clusters/{CLUSTER}/commands", data={
            "csrf_token": csrf_token(page.text), "kind": kind, "command_id": command_id,
            **fields})
        assert answer.status_code == 303, answer.text
        return command_id

    def command(self, command_id: str):
        return self.hub.commands.get(CLUSTER, command_id)

    def wait_finished(self, command_id: str, deadline: float = 90):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            command = self.command(command_id)
            if command.state in ("done", "failed", "expired"):
                return command
            time.sleep(0.05)
        raise AssertionError(f"command {command_id} still {self.command(command_id).state}")

    def wait_reported(self, deadline: float = 90) -> None:
        end = time.monotonic() + deadline
        while self.hub.view.cluster(CLUSTER, 1).status.last_seen is None:
            assert time.monotonic() < end, "the box never reported"
            time.sleep(0.1)

    def page(self, lang: str = "vi") -> str:
        return self.people["bien-tap"].get(f"/clusters/{CLUSTER}",
                                           params={"lang": lang}).text

    def close(self) -> None:
        for client in self.people.values():
            client.close()
        self.hub.changes.stop()  # as HubServer.stop does: held manifest long-polls end now
        # the stopped box's held command poll would end at the hub's next look (RECHECK): woken
        # now, it sees its player gone
        self.hub.commands.bell.ring(CLUSTER)
        self.server.__exit__(None, None, None)
        self.hub.close()


class Box:
    """A headless player process reporting to the hub; its log goes to a real file."""

    def __init__(self, folder: Path, hub_url: str, extra: str = "", poll_wait: str = "20s",
                 upload_interval: str = "2s", key: Ed25519PrivateKey | None = None) -> None:
        self.folder = folder
        self.log = folder / "player.log"
        self.config = folder / "player.yaml"
        (folder / "playlist.yaml").write_text(
            "items:\n  - text: {vi: \"Thác Bản Giốc chào đón quý khách\", en: Welcome}\n"
            "    duration: 10s\n", encoding="utf-8")
        sync = (f"sync:\n  sources: [{hub_url}/channels/ban-gioc/]\n  interval: 10s\n"
                f"  public_keys: [\"{public_key_text(key)}\"]\n" if key else "")
        self.config.write_text(
            f"cluster: {CLUSTER}\nstate_dir: {folder / 'state'}\nplaylist: playlist.yaml\n"
            f"health:\n  report_url: {hub_url}/api/v1/heartbeats\n  token: {CLUSTER_TOKEN}\n"
            f"  interval: 2s\n  upload_interval: {upload_interval}\n  write_interval: 2s\n{sync}"
            f"remote:\n  log_file: {self.log}\n  poll_wait: {poll_wait}\n{extra}",
            encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy", LANG="C.UTF-8")
        handle = open(self.log, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "player", "run", "--config", str(self.config), "--headless",
             "--size", "640x360"], stdout=handle, stderr=handle, env=env, cwd=ROOT)
        handle.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, needle: str, count: int = 1, deadline: float = 90) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.text().count(needle) >= count:
                return
            assert self.process is None or self.process.poll() is None, self.text()[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not logged {count}x:\n{self.text()[-3000:]}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("hub"))
    yield site
    site.close()


@pytest.fixture(scope="module")
def box(site, tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("box"), site.url,  # everything but reboot
              "  allowed: [screenshot, logs, sync_now, restart_player, identify, screen_on, "
              "screen_off]\n", key=site.key)
    box.start()
    box.wait_log("remote commands: asking", deadline=120)
    yield box
    box.stop()


def test_a_screenshot_from_the_page_comes_back_as_a_picture(site, box):
    command_id = site.send("bien-tap", "screenshot")
    command = site.wait_finished(command_id)
    assert command.state == "done", command.reason
    picture = site.people["bien-tap"].get(f"/clusters/{CLUSTER}/commands/{command_id}/file")
    assert picture.content[:3] == b"\xff\xd8\xff" and command.result["width"] == 640
    assert f"/commands/{command_id}/file" in site.page()
    assert "Xong" in site.page()


def test_logs_identify_and_the_screen(site, box):
    logs = site.send("bien-tap", "logs", minutes="5")
    identify = site.send("bien-tap", "identify", minutes="1")
    off = site.send("duyet", "screen", on="off")
    on = site.send("duyet", "screen", on="on")
    for command_id in (logs, identify, off, on):
        command = site.wait_finished(command_id)
        assert command.state == "done", (command.kind, command.reason)
    log_page = site.people["bien-tap"].get(f"/clusters/{CLUSTER}/commands/{logs}/log",
                                           params={"q": "remote command"})
    assert log_page.status_code == 200 and "remote command" in log_page.text
    assert site.command(logs).result["source"] == "file"
    lines = site.command(identify).result["lines"]
    assert lines[0] == f"Cụm / Cluster: {CLUSTER}" and lines[1].startswith("IP: ")
    box.wait_log("screen_off")


def test_a_command_the_box_does_not_allow_is_refused_with_its_reason(site, box):
    command = site.wait_finished(site.send("duyet", "reboot"))
    assert command.state == "failed"
    assert "remote.allowed" in command.reason and "reboot" in command.reason
    assert "remote.allowed" in site.page()


def test_sync_now_reports_the_outcome(site, box):
    box.wait_log("release 1")  # the first sync, at start
    sync = site.wait_finished(site.send("bien-tap", "sync_now"))
    assert sync.state == "done" and sync.result["outcome"].startswith(("unchanged", "updated"))
    assert "Kết quả đồng bộ: " + sync.result["outcome"] in site.page()


def test_queued_while_offline_then_delivered_and_never_run_twice_after_a_restart(site, box):
    box.stop()
    command_id = site.send("bien-tap", "screenshot")
    time.sleep(1)
    assert site.command(command_id).state == "queued"
    assert "Đang chờ gửi" in site.page()
    box.start()
    assert site.wait_finished(command_id).state == "done"
    restart = site.send("duyet", "restart_player")
    assert site.wait_finished(restart).state == "done"
    box.wait_log("starting again in place")
    box.wait_log(f"remote command {restart}: restart_player", count=1)
    # the restarted player asks again; the hub has the result: nothing runs a second time
    again = site.wait_finished(site.send("bien-tap", "identify", minutes="1"))
    assert again.state == "done"
    assert box.text().count(f"remote command {restart}: restart_player") == 1
    assert box.text().count(f"remote command {command_id}: screenshot") == 1


def test_status_shows_the_last_remote_commands(site, box):
    site.wait_finished(site.send("bien-tap", "screenshot"))
    done = subprocess.run([sys.executable, "-m", "player", "status", "--config", str(box.config)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), LANG="C.UTF-8"))
    assert "Remote commands from the hub" in done.stdout, done.stdout + done.stderr
    assert "screenshot: done" in done.stdout and "reboot: failed" in done.stdout
