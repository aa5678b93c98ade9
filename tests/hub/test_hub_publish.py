"""Publishing under stress: a reader always sees a manifest beside its own signature, a kill -9
of an uploading hub leaves a consistent channel, and what a killed upload left is cleaned."""

from __future__ import annotations

import base64
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel import keys
from player.hub.client import upload_channel
from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from player.sync.sources import HttpSource
from tests.hub.hubtools import UPLOAD_TOKEN, hub_config_data, write_channel

ROOT = Path(__file__).resolve().parents[2]


def upload_version(hub_url: str, out: Path, key: Ed25519PrivateKey, version: int,
                   session: requests.Session | None = None) -> None:
    write_channel(out, "ban-gioc", version, {"playlist.yaml": b"items: []\n",
                                             "media/a.jpg": b"v%d" % version}, key)
    upload_channel(out, hub_url, UPLOAD_TOKEN, session=session)


def pair_verifies(folder: Path, key: Ed25519PrivateKey) -> bool:
    return keys.verify([key.public_key()], (folder / "manifest.json").read_bytes(),
                       (folder / "manifest.json.sig").read_bytes())


# A quarter second between versions: hundreds of times the gap between a reader's manifest and
# signature requests (about a millisecond), so a second look never straddles another publish,
# and four times as many publishes to race with per second of test as one a second.
PUBLISH_GAP = 0.25
VERSIONS = 12


def test_a_sync_never_fails_while_a_version_is_published_every_quarter_second(hub, tmp_path):
    stop = threading.Event()
    published = []

    def publisher() -> None:
        version = 4
        with requests.Session() as session:
            while not stop.wait(PUBLISH_GAP):
                upload_version(hub.url, tmp_path / f"out{version}", hub.key, version, session)
                published.append(version)
                version += 1

    thread = threading.Thread(target=publisher)
    thread.start()
    source = HttpSource(hub.url + "channels/ban-gioc/")
    fetches = first_try_mismatches = failures = 0
    try:
        deadline = time.monotonic() + 120  # a stuck publisher: fail, do not hang
        while len(published) < VERSIONS:
            fetched = source.fetch_manifest()
            fetches += 1
            if not keys.verify([hub.key.public_key()], fetched.raw, fetched.signature):
                # What the player does (syncer._ask): ask once more before calling it an attack.
                first_try_mismatches += 1
                fetched = source.fetch_manifest()
                if not keys.verify([hub.key.public_key()], fetched.raw, fetched.signature):
                    failures += 1
            assert time.monotonic() < deadline, f"only {len(published)} versions published"
    finally:
        stop.set()
        thread.join()
        source.close()
    print(f"{fetches} manifest+signature fetches while {len(published)} versions were published: "
          f"{first_try_mismatches} needed the player's second look, {failures} failed")
    # A first-look mismatch needs a publish to land between the manifest and the signature
    # requests (about a millisecond apart); the player's second look then sees a stable pair.
    assert failures == 0
    assert json.loads(requests.get(hub.url + "channels/ban-gioc/manifest.json",
                                   timeout=30).content)["version"] == published[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_hub_process(root: Path, config: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "hub", "--root", str(root), "--config", str(config),
         "--listen", f"127.0.0.1:{port}"], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return process
        except requests.ConnectionError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)


def start_hub_anywhere(root: Path, config: Path) -> tuple[subprocess.Popen, int]:
    """A hub process on a port the kernel picks (`--listen 127.0.0.1:0`) and the port it
    printed: no window between finding a free port and binding it for another program to
    take. Waits for the line, which comes once the hub serves."""
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "hub", "--root", str(root), "--config", str(config),
         "--listen", "127.0.0.1:0"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:  # the hub prints this one line; then the pipe stays quiet
        found = re.search(r" at http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return process, int(found.group(1))
    raise AssertionError(f"the hub exited ({process.wait()}) without serving")


def test_kill_9_while_uploading_always_leaves_a_manifest_beside_its_own_signature(tmp_path):
    key = Ed25519PrivateKey.generate()
    root = tmp_path / "hub"
    channel = root / "channels" / "ban-gioc"
    write_channel(channel, "ban-gioc", 1, {"playlist.yaml": b"items: []\n"}, key)
    config = tmp_path / "hub.yaml"
    config.write_text(yaml.safe_dump(hub_config_data(key)))
    rng = random.Random(20261203)
    version = [2]

    def uploader(port: int, stop: threading.Event) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    upload_version(f"http://127.0.0.1:{port}/", tmp_path / "out", key,
                                   version[0], session)
                except Exception:  # the hub was killed under us: expected
                    return
                version[0] += 1

    for _round in range(6):
        process, port = start_hub_anywhere(root, config)
        stop = threading.Event()
        thread = threading.Thread(target=uploader, args=(port, stop))
        thread.start()
        time.sleep(rng.uniform(0.2, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        stop.set()
        thread.join(60)
        assert pair_verifies(channel, key), f"round {_round}: manifest and signature differ"
        version[0] += 1  # the killed upload may or may not have become current
    # The next start cleans what the killed uploads left and serves a verified pair.
    process, port = start_hub_anywhere(root, config)
    try:
        leftovers = [p for p in channel.rglob(".*") if p.name != ".lock"]
        assert leftovers == []
        source = HttpSource(f"http://127.0.0.1:{port}/channels/ban-gioc/")
        fetched = source.fetch_manifest()
        source.close()
        assert keys.verify([key.public_key()], fetched.raw, fetched.signature)
        assert json.loads(fetched.raw)["version"] > 2
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_what_a_killed_upload_left_is_cleaned_at_start(tmp_path):
    key = Ed25519PrivateKey.generate()
    root = tmp_path / "hub"
    channel = root / "channels" / "ban-gioc"
    write_channel(channel, "ban-gioc", 1, {"playlist.yaml": b"items: []\n"}, key)
    config = hub_config_from_data(hub_config_data(key), "hub.yaml", tmp_path)
    server = HubServer(("127.0.0.1", 0), root, config)  # converts the folder on first publish
    server.start()
    try:
        upload_version(server.url, tmp_path / "out", key, 2)
    finally:
        server.stop()
    pid = dead_pid()
    leftovers = [channel / "objects" / f".upload-{'0' * 64}-{pid}-1",
                 channel / "versions" / f".tmp-3-{pid}-2", channel / f".current.link-{pid}-3",
                 channel / "versions" / "3"]  # written whole, never made current
    leftovers[0].write_bytes(b"half an object")
    leftovers[1].mkdir()
    (leftovers[1] / "manifest.json").write_bytes(b"{")
    os.symlink("versions/3", leftovers[2])
    leftovers[3].mkdir()
    server = HubServer(("127.0.0.1", 0), root, config)
    server.stop()
    assert not [p for p in leftovers if os.path.lexists(p)]
    assert pair_verifies(channel, key)
    assert json.loads((channel / "manifest.json").read_bytes())["version"] == 2


def test_uploads_follow_the_players_rules(hub, tmp_path):
    def put_manifest(data: dict) -> requests.Response:
        raw = json.dumps(data).encode()
        body = {"manifest": base64.b64encode(raw).decode(),
                "signature": base64.b64encode(hub.key.sign(raw)).decode()}
        return requests.put(hub.url + "api/v1/channels/ban-gioc/manifest", json=body,
                            headers={"Authorization": f"Bearer {UPLOAD_TOKEN}"}, timeout=30)

    good = json.loads((hub.root / "channels/ban-gioc/manifest.json").read_bytes())
    cases = {
        "version 0": {**good, "version": 0},
        "absurd version": {**good, "version": 10**15},
        "no expiry": {k: v for k, v in good.items() if k != "expires"},
        "expired": {**good, "version": 9, "issued": "2020-01-01T00:00:00Z",
                    "expires": "2020-02-01T00:00:00Z"},
        "path leaving the folder": {**good, "version": 9,
                                    "files": [{**good["files"][0], "path": "../etc/passwd"}]},
        "playlist not a file": {**good, "version": 9, "playlist": "missing.yaml"},
    }
    for name, data in cases.items():
        answer = put_manifest(data)
        assert answer.status_code == 422, (name, answer.status_code, answer.text)
    assert put_manifest({**good, "version": 9}).status_code == 200
