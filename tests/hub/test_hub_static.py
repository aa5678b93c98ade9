"""Channel files served by the real hub: ETag, 304, Range, 416, path escapes, long-poll."""

from __future__ import annotations

import hashlib
import http.client
import threading
from urllib.parse import urlsplit

import pytest
import requests

from tests.hub.hubtools import write_channel


def raw_get(hub, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """Send `path` exactly as written (no client-side normalisation of `..`)."""
    address = urlsplit(hub.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_manifest_has_strong_etag_and_answers_304(hub):
    url = hub.url + "channels/ban-gioc/manifest.json"
    first = requests.get(url, timeout=10)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.content == (hub.root / "channels/ban-gioc/manifest.json").read_bytes()
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    other = requests.get(url, headers={"If-None-Match": '"something-else"'}, timeout=10)
    assert other.status_code == 200


def test_object_etag_is_its_hash_and_immutable(hub):
    data = bytes(range(256)) * 40
    sha = hashlib.sha256(data).hexdigest()
    answer = requests.get(f"{hub.url}channels/ban-gioc/objects/{sha}", timeout=10)
    assert answer.content == data
    assert answer.headers["ETag"] == f'"{sha}"'
    assert "immutable" in answer.headers["Cache-Control"]
    head = requests.head(f"{hub.url}channels/ban-gioc/objects/{sha}", timeout=10)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))


@pytest.mark.parametrize("header,expected", [
    ("bytes=0-9", (0, 9)), ("bytes=100-", (100, 10239)), ("bytes=-24", (10216, 10239)),
    ("bytes=10000-99999", (10000, 10239)),
])
def test_single_range_gives_206(hub, header, expected):
    data = bytes(range(256)) * 40
    sha = hashlib.sha256(data).hexdigest()
    answer = requests.get(f"{hub.url}channels/ban-gioc/objects/{sha}",
                          headers={"Range": header, "Accept-Encoding": "identity"}, timeout=10)
    start, end = expected
    assert answer.status_code == 206
    assert answer.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert answer.content == data[start:end + 1]


def test_range_past_the_end_gives_416_and_multi_range_the_whole_file(hub):
    data = bytes(range(256)) * 40
    url = f"{hub.url}channels/ban-gioc/objects/{hashlib.sha256(data).hexdigest()}"
    answer = requests.get(url, headers={"Range": f"bytes={len(data)}-"}, timeout=10)
    assert answer.status_code == 416
    assert answer.headers["Content-Range"] == f"bytes */{len(data)}"
    several = requests.get(url, headers={"Range": "bytes=0-1,5-6"}, timeout=10)
    assert several.status_code == 200 and several.content == data
    stale = requests.get(url, headers={"Range": "bytes=0-1", "If-Range": '"old"'}, timeout=10)
    assert stale.status_code == 200 and stale.content == data


@pytest.mark.parametrize("path", [
    "/channels/../hub.sqlite", "/channels/ban-gioc/../../hub.sqlite",
    "/channels/%2e%2e/hub.sqlite", "/channels/ban-gioc/%2E%2E/%2e%2e/hub.sqlite",
    "/channels/ban-gioc%2f..%2f..%2fhub.sqlite", "/channels//etc/passwd",
    "/channels/ban-gioc/objects/..%5c..%5chub.sqlite", "/channels/%00",
    "/channels/ban-gioc/.manifest.json.tmp", "/channels/ban-gioc/objects/",
    "/channels/%ff%fe",
])
def test_paths_escaping_the_root_are_refused(hub, path):
    (hub.root / "channels/ban-gioc/.manifest.json.tmp").write_text("half written")
    status, _headers, body = raw_get(hub, path)
    assert status == 404
    assert b"SQLite" not in body and b"root:" not in body and b"half" not in body
    status, _, _ = raw_get(hub, "/channels/ban-gioc/manifest.json")
    assert status == 200  # and the hub keeps serving


def test_symlink_pointing_out_is_refused(hub, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    (hub.root / "channels/ban-gioc/leak.txt").symlink_to(secret)
    status, _, body = raw_get(hub, "/channels/ban-gioc/leak.txt")
    assert status == 404 and b"do not serve" not in body


@pytest.mark.timeout(30)
def test_long_poll_returns_when_a_new_manifest_lands(hub):
    url = hub.url + "channels/ban-gioc/manifest.json"
    etag = requests.get(url, timeout=10).headers["ETag"]
    answers = []
    started = threading.Event()

    def poll():
        started.set()
        answers.append(requests.get(url, headers={"If-None-Match": etag, "Prefer": "wait=25"},
                                    timeout=40))

    poller = threading.Thread(target=poll)
    poller.start()
    started.wait()
    # The poll is held (not answered 304 at once) until the manifest changes on disk.
    poller.join(timeout=1.0)
    assert poller.is_alive()
    write_channel(hub.root / "channels/ban-gioc", "ban-gioc", 4,
                  {"playlist.yaml": b"items: [1]\n"}, hub.key)
    poller.join(timeout=20)
    assert not poller.is_alive()
    answer = answers[0]
    assert answer.status_code == 200
    assert answer.headers["Preference-Applied"] == "wait=25"
    assert b'"version": 4' in answer.content
    assert answer.headers["ETag"] != etag


@pytest.mark.timeout(30)
def test_long_poll_times_out_with_304_and_plain_requests_are_not_held(hub):
    url = hub.url + "channels/ban-gioc/manifest.json"
    etag = requests.get(url, timeout=10).headers["ETag"]
    held = requests.get(url, headers={"If-None-Match": etag, "Prefer": "wait=1"}, timeout=10)
    assert held.status_code == 304 and held.headers["Preference-Applied"] == "wait=1"
    plain = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert plain.status_code == 304 and "Preference-Applied" not in plain.headers


@pytest.mark.timeout(30)
def test_stop_ends_a_held_long_poll(tmp_path, hub):
    url = hub.url + "channels/ban-gioc/manifest.json"
    etag = requests.get(url, timeout=10).headers["ETag"]
    answers = []

    def poll():
        try:
            answers.append(requests.get(url, headers={"If-None-Match": etag,
                                                      "Prefer": "wait=60"}, timeout=30))
        except requests.RequestException as exc:
            answers.append(exc)

    poller = threading.Thread(target=poll)
    poller.start()
    poller.join(timeout=0.5)
    hub.server.stop()  # the fixture's stop afterwards is harmless
    poller.join(timeout=10)
    assert not poller.is_alive() and answers
