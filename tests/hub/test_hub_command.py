"""`signage-player hub` as a process: serves, stops cleanly on SIGTERM, refuses a bad config."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.hub.hubtools import migrations_head

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.timeout(60)
def test_hub_command_serves_and_stops_on_sigterm(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "hub", "--root", str(tmp_path / "root"),
         "--listen", f"127.0.0.1:{port}"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr
                time.sleep(0.1)
        assert answer.text == "ok\n"
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)  # the fleet needs a login
        assert page.url.endswith("/login?next=%2F") and 'name="password"' in page.text
        assert "user add NAME --role admin" in page.text  # how to make the first account
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert f"127.0.0.1:{port}" in out
    assert "hub.yaml does not exist" in err
    assert (tmp_path / "root" / "hub.sqlite").exists()


def test_bad_config_exits_1_naming_the_line(tmp_path):
    config = tmp_path / "hub.yaml"
    config.write_text("clusters:\n  a: {token: x}\n")
    result = subprocess.run(
        [sys.executable, "-m", "player", "hub", "--root", str(tmp_path), "--config", str(config)],
        cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "hub.yaml:2: clusters.a.token" in result.stderr


def test_bad_listen_is_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "player", "hub", "--root", str(tmp_path), "--listen", "nowhere"],
        cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "HOST:PORT" in result.stderr


def test_hub_serve_subcommand_takes_the_same_options(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "player", "hub", "serve", "--root", str(tmp_path), "--listen",
         "nowhere"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "HOST:PORT" in result.stderr
    result = subprocess.run([sys.executable, "-m", "player", "hub", "--root", str(tmp_path),
                             "migrate"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and f"revision {migrations_head()}" in result.stdout, (
        result.stderr)
