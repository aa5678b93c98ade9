"""A published channel served by Debian's nginx on a loopback port, with its own Range and ETag."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.sync.kit import make_syncer, publish_files

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not os.access(NGINX, os.X_OK),
                       reason="nginx is not installed (apt install nginx)"),
]

CONFIG = """
daemon off;
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    log_format short '$request_uri $status $body_bytes_sent "$http_range"';
    access_log {tmp}/access.log short;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx(tmp_path: Path):
    root, tmp = tmp_path / "www", tmp_path / "nginx"
    root.mkdir()
    tmp.mkdir()
    port = free_port()
    # As root nginx drops its workers to "nobody", who cannot read pytest's private tmp folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(CONFIG.format(user=user, tmp=tmp, port=port, root=root))
    process = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(conf)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    log = (tmp / "error.log").read_text() if (tmp / "error.log").exists() else ""
                    pytest.skip(f"nginx did not start: {err or log}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/channels/ban-gioc/", root / "channels" / "ban-gioc", tmp
    finally:
        process.terminate()
        process.wait(10)


def access_log(tmp: Path) -> list[str]:
    return (tmp / "access.log").read_text().splitlines()


def test_sync_from_nginx_with_etag_and_range(tmp_path, key, nginx):
    url, channel, tmp = nginx
    big = bytes(range(256)) * 4000
    publish_files(tmp_path / "src", channel, key, {"media/a.jpg": b"a" * 100,
                                                   "media/clip.mp4": big})
    big_sha = hashlib.sha256(big).hexdigest()
    state = tmp_path / "state"
    syncer = make_syncer(state, key, url)
    syncer.store.prepare()
    # A download cut at half by an earlier power cut: nginx must resume it with a 206.
    syncer.store.partial_path(big_sha).write_bytes(big[:len(big) // 2])
    result = syncer.run_once()
    assert result.result == "updated", result
    assert result.bytes == result.release.manifest.total_size - len(big) // 2
    ranged = [line for line in access_log(tmp) if big_sha in line]
    assert ranged == [f'/channels/ban-gioc/objects/{big_sha} 206 {len(big) // 2} '
                      f'"bytes={len(big) // 2}-{len(big) - 1}"']
    assert (result.release.content / "media" / "clip.mp4").read_bytes() == big

    before = len(access_log(tmp))
    assert syncer.run_once().result == "unchanged"
    assert access_log(tmp)[before:] == ['/channels/ban-gioc/manifest.json 304 0 "-"']

    publish_files(tmp_path / "src", channel, key, {"media/a.jpg": b"b" * 100,
                                                   "media/clip.mp4": big})
    before = len(access_log(tmp))
    result = syncer.run_once()
    assert result.result == "updated" and result.version == 2 and result.bytes < 200
    objects = [line for line in access_log(tmp)[before:] if "/objects/" in line]
    assert len(objects) == 1 and hashlib.sha256(b"b" * 100).hexdigest() in objects[0]
