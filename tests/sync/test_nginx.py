"""A published channel served by Debian's nginx on a loopback port, with its own Range and ETag."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.sync.kit import NGINX, NginxError, NginxServer, make_syncer, publish_files

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not os.access(NGINX, os.X_OK),
                       reason="nginx is not installed (apt install nginx)"),
]


@pytest.fixture
def nginx(tmp_path: Path):
    root = tmp_path / "www"
    try:
        with NginxServer(root, tmp_path / "nginx") as server:
            yield (server.url + "channels/ban-gioc/", root / "channels" / "ban-gioc",
                   server.tmp)
    except NginxError as exc:
        pytest.skip(str(exc))


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
