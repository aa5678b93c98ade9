"""Publishing to the real hub over HTTP: objects first, signed manifest last, all verified."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.client import UploadError, upload_channel
from tests.hub.hubtools import UPLOAD_TOKEN, write_channel

MEDIA = {"playlist.yaml": b"items:\n  - image: media/b.jpg\n", "media/b.jpg": b"\xff\xd8" * 5000}


def served_manifest(hub) -> dict:
    return requests.get(hub.url + "channels/ban-gioc/manifest.json", timeout=10).json()


def test_upload_publishes_a_new_version(hub, tmp_path):
    out = tmp_path / "out"
    manifest = write_channel(out, "ban-gioc", 4, MEDIA, hub.key)
    upload_channel(out, hub.url, UPLOAD_TOKEN)
    assert (hub.root / "channels/ban-gioc/manifest.json").read_bytes() == manifest
    assert served_manifest(hub)["version"] == 4
    signature = requests.get(hub.url + "channels/ban-gioc/manifest.json.sig", timeout=10)
    assert signature.text == (out / "manifest.json.sig").read_text()
    for data in MEDIA.values():
        sha = hashlib.sha256(data).hexdigest()
        answer = requests.get(f"{hub.url}channels/ban-gioc/objects/{sha}", timeout=10)
        assert answer.content == data
    upload_channel(out, hub.url.rstrip("/"), UPLOAD_TOKEN)  # again: harmless
    assert served_manifest(hub)["version"] == 4


@pytest.mark.timeout(30)
def test_upload_wakes_a_waiting_long_poll(hub, tmp_path):
    url = hub.url + "channels/ban-gioc/manifest.json"
    etag = requests.get(url, timeout=10).headers["ETag"]
    answers = []
    poller = threading.Thread(target=lambda: answers.append(requests.get(
        url, headers={"If-None-Match": etag, "Prefer": "wait=20"}, timeout=30)))
    poller.start()
    write_channel(tmp_path / "out", "ban-gioc", 5, MEDIA, hub.key)
    upload_channel(tmp_path / "out", hub.url, UPLOAD_TOKEN)
    poller.join(timeout=20)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["version"] == 5


def test_wrong_token_is_refused(hub, tmp_path):
    write_channel(tmp_path / "out", "ban-gioc", 4, MEDIA, hub.key)
    with pytest.raises(UploadError, match="401"):
        upload_channel(tmp_path / "out", hub.url, "not-the-upload-token")
    assert served_manifest(hub)["version"] == 3


def test_manifest_signed_by_another_key_is_refused(hub, tmp_path):
    write_channel(tmp_path / "out", "ban-gioc", 4, MEDIA, Ed25519PrivateKey.generate())
    with pytest.raises(UploadError, match="signature does not match"):
        upload_channel(tmp_path / "out", hub.url, UPLOAD_TOKEN)
    assert served_manifest(hub)["version"] == 3


def test_version_must_grow(hub, tmp_path):
    write_channel(tmp_path / "out", "ban-gioc", 3, MEDIA, hub.key)
    with pytest.raises(UploadError, match="409.*not newer than the published version 3"):
        upload_channel(tmp_path / "out", hub.url, UPLOAD_TOKEN)


def test_channel_must_be_configured(hub, tmp_path):
    write_channel(tmp_path / "out", "pac-bo", 1, MEDIA, hub.key)
    with pytest.raises(UploadError, match='404.*"pac-bo" is not in the hub config'):
        upload_channel(tmp_path / "out", hub.url, UPLOAD_TOKEN)
    assert not (hub.root / "channels/pac-bo").exists()


def test_unreachable_hub_is_a_clear_error(tmp_path):
    write_channel(tmp_path / "out", "ban-gioc", 1, MEDIA, Ed25519PrivateKey.generate())
    with pytest.raises(UploadError, match="cannot reach the hub"):
        upload_channel(tmp_path / "out", "http://127.0.0.1:9/", UPLOAD_TOKEN)


def put(hub, path: str, data: bytes, token: str = UPLOAD_TOKEN) -> requests.Response:
    return requests.put(hub.url + path, data=data, timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def test_object_whose_bytes_do_not_match_its_name_is_refused(hub):
    name = hashlib.sha256(b"the real bytes").hexdigest()
    answer = put(hub, f"api/v1/channels/ban-gioc/objects/{name}", b"other bytes")
    assert answer.status_code == 422 and "hash to" in answer.json()["error"]
    objects = hub.root / "channels/ban-gioc/objects"
    assert not (objects / name).exists()
    assert not [p for p in objects.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("path", [
    "api/v1/channels/ban-gioc/objects/..%2f..%2fhub.sqlite",
    "api/v1/channels/ban-gioc/objects/not-a-hash",
    "api/v1/channels/..%2f/objects/" + "0" * 64,
])
def test_object_names_must_be_hashes(hub, path):
    answer = put(hub, path, b"x")
    assert answer.status_code in (400, 404)
    if hub.server.hub.database_url.startswith("sqlite"):  # the database file was not overwritten
        assert (hub.root / "hub.sqlite").stat().st_size > 0


def test_manifest_listing_missing_objects_is_refused(hub, tmp_path):
    import base64
    manifest = write_channel(tmp_path / "out", "ban-gioc", 4, MEDIA, hub.key)
    body = {"manifest": base64.b64encode(manifest).decode(),
            "signature": (tmp_path / "out/manifest.json.sig").read_text()}
    answer = put(hub, "api/v1/channels/ban-gioc/manifest", json.dumps(body).encode())
    assert answer.status_code == 422 and "upload these objects first" in answer.json()["error"]
    assert served_manifest(hub)["version"] == 3


def test_garbage_manifest_upload_is_400(hub):
    answer = put(hub, "api/v1/channels/ban-gioc/manifest", b"{nope")
    assert answer.status_code == 400
