"""Debian's nginx runs the site configuration from docs/deploy.md in front of a real hub.

Only the ports, the hub's root and the certificate paths are replaced; the configuration is
wrapped in a minimal main file with everything (pid, logs, temp folders) in the test's folder.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from player.hub.client import upload_channel
from tests.hub.hubtools import UPLOAD_TOKEN, batch, report, write_channel

NGINX = Path("/usr/sbin/nginx")
DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
pytestmark = pytest.mark.skipif(not NGINX.exists(), reason="/usr/sbin/nginx is absent")


def site_config() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1, "docs/deploy.md must hold exactly one nginx block"
    return blocks[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.example.vn")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("hub.example.vn"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def nginx(hub, tmp_path):
    folder = tmp_path / "nginx"
    folder.mkdir()
    cert, key = self_signed(folder)
    http_port, https_port = free_port(), free_port()
    hub_port = hub.server.server_address[1]
    site = (site_config()
            .replace("127.0.0.1:8080", f"127.0.0.1:{hub_port}")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
            .replace("/etc/letsencrypt/live/hub.example.vn/fullchain.pem", str(cert))
            .replace("/etc/letsencrypt/live/hub.example.vn/privkey.pem", str(key))
            .replace("/var/www/letsencrypt", str(folder))
            .replace("/srv/signage-hub", str(hub.root)))
    (folder / "site.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {folder}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # the test's folders are private to us
    (folder / "nginx.conf").write_text(
        f"daemon off;\n{user}pid {folder}/nginx.pid;\nerror_log {folder}/error.log info;\n"
        f"worker_processes 1;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n include /etc/nginx/mime.types;\n default_type application/octet-stream;\n"
        f" access_log {folder}/access.log;\n{temp} include {folder}/site.conf;\n}}\n")
    process = subprocess.Popen([str(NGINX), "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                "-e", str(folder / "error.log")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    errors = folder / "error.log"
                    log = errors.read_text() if errors.exists() else ""
                    pytest.fail(f"nginx did not start: {output}\n{log}")
                time.sleep(0.05)
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
        session.verify = str(cert)
        yield f"https://127.0.0.1:{https_port}/", f"http://127.0.0.1:{http_port}/", session
        session.close()
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stdout:
            process.stdout.close()


@pytest.mark.timeout(60)
def test_nginx_serves_channels_with_the_documented_config(hub, nginx):
    https, http, session = nginx
    redirect = requests.get(http + "channels/ban-gioc/manifest.json", allow_redirects=False,
                            timeout=10)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")

    manifest = session.get(https + "channels/ban-gioc/manifest.json", timeout=10)
    assert manifest.status_code == 200 and manifest.json()["version"] == 3
    etag = manifest.headers["ETag"]
    again = session.get(https + "channels/ban-gioc/manifest.json",
                        headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304
    held = session.get(https + "channels/ban-gioc/manifest.json",
                       headers={"If-None-Match": etag, "Prefer": "wait=1"}, timeout=10)
    assert held.status_code == 304 and held.headers["Preference-Applied"] == "wait=1"

    data = bytes(range(256)) * 40
    sha = hashlib.sha256(data).hexdigest()
    whole = session.get(f"{https}channels/ban-gioc/objects/{sha}", timeout=10)
    assert whole.content == data
    assert whole.headers["ETag"] != f'"{sha}"'  # nginx's own ETag: served from disk, not proxied
    assert "immutable" in whole.headers["Cache-Control"]
    part = session.get(f"{https}channels/ban-gioc/objects/{sha}",
                       headers={"Range": "bytes=100-199", "Accept-Encoding": "identity"},
                       timeout=10)
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    past = session.get(f"{https}channels/ban-gioc/objects/{sha}",
                       headers={"Range": f"bytes={len(data)}-"}, timeout=10)
    assert past.status_code == 416

    for path in ("channels/../hub.sqlite", "channels/%2e%2e/hub.sqlite", "hub.yaml",
                 "channels/ban-gioc/objects/../../../hub.sqlite"):
        escaped = session.get(https + path, timeout=10)
        assert escaped.status_code in (400, 404) and b"SQLite" not in escaped.content


@pytest.mark.timeout(60)
def test_heartbeats_uploads_and_the_fleet_page_through_nginx(hub, nginx, tmp_path):
    https, _http, session = nginx
    answer = session.post(https + "api/v1/heartbeats", json=batch(report()),
                          headers={"Authorization": "Bearer token-of-bangioc-1-0123456789"},
                          timeout=10)
    assert answer.status_code == 200 and len(answer.json()["ack"]) == 1
    denied = session.post(https + "api/v1/heartbeats", json=batch(report()), timeout=10)
    assert denied.status_code == 401

    media = {"playlist.yaml": b"items: []\n", "media/big.mp4": os.urandom(3_000_000)}
    write_channel(tmp_path / "out", "ban-gioc", 7, media, hub.key)
    upload_channel(tmp_path / "out", https, UPLOAD_TOKEN, session=session)
    assert session.get(https + "channels/ban-gioc/manifest.json", timeout=10).json()[
        "version"] == 7

    page = session.get(https, timeout=10)
    assert page.status_code == 200 and "Bản Giốc – cổng chính" in page.text
    assert "Nội dung cũ: bản 3, bản mới nhất là 7" in page.text  # its content predates v7
