"""Hostile and broken input: the hub answers with a 4xx or shows it safely, never a 500, and
keeps answering the players."""

from __future__ import annotations

import base64
import os
import socket
import time
from datetime import UTC, datetime

import requests

from tests.hub.hubtools import CLUSTER_TOKEN, batch, report


def connect(hub) -> socket.socket:
    sock = socket.create_connection(hub.server.server_address, timeout=30)
    return sock


def read_until_closed(sock: socket.socket, timeout: float = 30) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data


def read_answer_head(sock: socket.socket, timeout: float = 30) -> bytes:
    """Everything up to the end of the first answer's headers (or what came before a close)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data


def test_500_idle_connections_do_not_stop_heartbeats(hub):
    idle = []
    try:
        for index in range(500):
            sock = connect(hub)
            if index % 2:  # half never say a word, half stop in the middle of their headers
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            idle.append(sock)
        answer = hub.post(batch(report()))
        assert answer.status_code == 200 and len(answer.json()["ack"]) == 1
        assert requests.get(hub.url + "channels/ban-gioc/manifest.json", timeout=30).status_code == 200
    finally:
        for sock in idle:
            sock.close()


def test_the_token_is_checked_before_the_body_is_read(hub):
    with connect(hub) as sock:
        # A 2 MiB body announced, not one byte of it sent: the answer must come anyway.
        sock.sendall(b"POST /api/v1/heartbeats HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer wrong-token-0123456789\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n")
        head = read_answer_head(sock)
    assert head.startswith(b"HTTP/1.1 401"), head


def test_a_body_over_the_limit_is_refused_before_it_is_read(hub):
    with connect(hub) as sock:
        sock.sendall(b"POST /api/v1/heartbeats HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + CLUSTER_TOKEN.encode() + b"\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
        head = read_answer_head(sock)
    assert head.startswith(b"HTTP/1.1 413"), head


def test_a_chunked_body_is_cut_at_the_limit(hub):
    limit = hub.server.config.limits.max_batch_bytes
    chunk = b"[" * 65536
    sent = 0
    with connect(hub) as sock:
        sock.sendall(b"POST /api/v1/heartbeats HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + CLUSTER_TOKEN.encode() + b"\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < limit * 4:
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the hub stopped reading: what this test wants
        head = read_answer_head(sock)
    assert head.startswith(b"HTTP/1.1 413") or head == b"", head
    assert sent < limit * 4 or head.startswith(b"HTTP/1.1 413")


def test_a_get_body_never_becomes_a_second_request(hub):
    smuggled = b"GET /api/v1/fleet HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(hub) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                     % len(smuggled) + smuggled
                     + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_until_closed(sock)
    assert data.count(b"HTTP/1.1 ") == 2, data
    assert b'"clusters"' not in data  # the fleet JSON was never answered


def test_huge_numbers_and_deep_json_are_4xx_or_set_aside(hub):
    headers = {"Authorization": f"Bearer {CLUSTER_TOKEN}", "Content-Type": "application/json"}
    url = hub.url + "api/v1/heartbeats"
    digits = ('{"format": 1, "cluster": "bangioc-1", "reports": [], "x": ' + "9" * 5000 + "}")
    deep = '{"format": 1, "cluster": "bangioc-1", "reports": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for body in (digits, deep, "1e999999", '{"format": 1e400}'):
        answer = requests.post(url, data=body.encode(), headers=headers, timeout=30)
        assert 400 <= answer.status_code < 500, (body[:40], answer.status_code)
    big = report(seq=2**70, summary={"temperature_celsius": 10**30})
    answer = hub.post(batch(big))
    assert answer.status_code == 200 and answer.json()["rejected"][0]["id"] == big["id"]
    assert hub.post(batch(report())).status_code == 200


def test_far_future_and_far_past_device_times_are_shown_safely(hub):
    for when in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z"):
        reports = [report(seq=1, time=when), report("event", seq=2, time=when),
                   report("play", seq=3, time=when, start=when, end=when)]
        assert hub.post(batch(*reports)).status_code == 200
        for page in ("", "?lang=en", "clusters/bangioc-1", "clusters/bangioc-1?days=90",
                     "api/v1/fleet", "api/v1/clusters/bangioc-1"):
            answer = requests.get(hub.url + page, timeout=30)
            assert answer.status_code == 200, (when, page, answer.text[:300])


def test_screenshots_are_ordered_by_arrival_not_by_the_device_clock(hub):
    def shot(data: bytes, when: str) -> dict:
        return report("screenshot", time=when, jpeg_base64=base64.b64encode(data).decode(),
                      width=480, height=270)

    assert hub.post(batch(shot(b"\xff\xd8from-2099\xff\xd9", "2099-01-01T00:00:00Z"))).ok
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    assert hub.post(batch(shot(b"\xff\xd8newer\xff\xd9", now))).ok
    answer = requests.get(hub.url + "clusters/bangioc-1/screenshot.jpg", timeout=30)
    assert answer.content == b"\xff\xd8newer\xff\xd9"


def test_a_symlink_loop_in_a_channel_is_404(hub):
    channel = hub.root / "channels" / "ban-gioc"
    os.symlink("loop-b", channel / "loop-a")
    os.symlink("loop-a", channel / "loop-b")
    os.symlink("self", channel / "self")
    for path in ("loop-a", "loop-b", "self", "self/manifest.json"):
        answer = requests.get(hub.url + "channels/ban-gioc/" + path, timeout=30)
        assert answer.status_code == 404, path
    assert requests.get(hub.url + "channels/ban-gioc/manifest.json", timeout=30).status_code == 200


def test_absurd_ranges_and_headers_are_not_500(hub):
    url = hub.url + "channels/ban-gioc/manifest.json"
    size = len((hub.root / "channels/ban-gioc/manifest.json").read_bytes())
    for header in ("bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000,
                   "bytes=" + "1" * 19 + "-" + "2" * 19, "bytes=5-1", "furlongs=0-1"):
        answer = requests.get(url, headers={"Range": header}, timeout=30)
        assert answer.status_code in (200, 206, 416), (header[:30], answer.status_code)
        if answer.status_code == 200:
            assert len(answer.content) == size
    etag = requests.get(url, timeout=30).headers["ETag"]
    held = requests.get(url, headers={"If-None-Match": etag, "Prefer": "wait=" + "9" * 5000},
                        timeout=30)
    assert held.status_code == 304
    with connect(hub) as sock:
        sock.sendall(b"POST /api/v1/heartbeats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     + CLUSTER_TOKEN.encode() + b"\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n")
        head = read_answer_head(sock)
    assert head[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 413"), head[:80]


def test_a_header_flood_is_refused(hub):
    with connect(hub) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            for index in range(20_000):
                sock.sendall(b"X-Filler-%d: %s\r\n" % (index, b"a" * 100))
        except (BrokenPipeError, ConnectionResetError):
            pass
        head = read_answer_head(sock)
    assert head == b"" or head.startswith(b"HTTP/1.1 4"), head[:80]
    assert time.monotonic() - start >= 0  # the hub is still up:
    assert requests.get(hub.url + "healthz", timeout=30).text == "ok\n"


def test_headers_past_the_limit_are_refused_at_once(hub):
    # 70 KiB of one header, never finished: past limits.max_header_bytes (64 KiB) the hub must
    # answer 400 or close now, not hold the bytes until the keep-alive time (30 s) runs out.
    with connect(hub) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70 * 1024)
        sock.settimeout(25)
        try:
            head = sock.recv(65536)
        except ConnectionResetError:
            head = b""
        except TimeoutError:
            raise AssertionError("the hub kept a request with 70 KiB of headers open") from None
    assert head == b"" or head.startswith(b"HTTP/1.1 400"), head[:80]
    assert requests.get(hub.url + "healthz", timeout=30).text == "ok\n"


def test_connections_that_never_finish_their_headers_are_closed(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from player.hub.config import hub_config_from_data
    from player.hub.server import HubServer
    from tests.hub.hubtools import hub_config_data

    data = hub_config_data(Ed25519PrivateKey.generate())
    data["limits"] = {"keep_alive_seconds": 1}
    server = HubServer(("127.0.0.1", 0), tmp_path / "hub",
                       hub_config_from_data(data, "hub.yaml", tmp_path))
    server.start()
    try:
        silent = socket.create_connection(server.server_address, timeout=60)
        slow = socket.create_connection(server.server_address, timeout=60)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        served = socket.create_connection(server.server_address, timeout=60)
        served.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_answer_head(served).startswith(b"HTTP/1.1 200")
        served.sendall(b"GET /healthz HTTP/1.1\r\n")  # a second request that stalls
        for sock in (silent, slow, served):
            sock.settimeout(60)
            rest = b""
            while chunk := sock.recv(65536):  # the hub closes it: recv ends with b""
                rest += chunk
            assert b"healthz" not in rest
            sock.close()
        assert requests.get(server.url + "healthz", timeout=30).text == "ok\n"
    finally:
        server.stop()
