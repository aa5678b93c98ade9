"""Several hub processes on one PostgreSQL: a publish through one wakes the long-polls held by
the others (LISTEN/NOTIFY), and reports sent to any of them land in the one database."""

from __future__ import annotations

import signal
import threading
import time

import requests
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.hub.hubtools import CLUSTER_TOKEN, batch, hub_config_data, report, write_channel
from tests.hub.test_hub_publish import free_port, start_hub_process, upload_version


def test_a_publish_through_one_process_wakes_a_long_poll_held_by_another(tmp_path,
                                                                          postgres_server):
    key = Ed25519PrivateKey.generate()
    root = tmp_path / "hub"
    write_channel(root / "channels" / "ban-gioc", "ban-gioc", 3,
                  {"playlist.yaml": b"items: []\n"}, key)
    data = hub_config_data(key)
    data["database"] = postgres_server.new_database()
    # Looking at the files would also find the new version; make NOTIFY the only way here.
    data["limits"] = {"manifest_check_seconds": 3600}
    config = tmp_path / "hub.yaml"
    config.write_text(yaml.safe_dump(data))
    ports = [free_port(), free_port()]
    processes = [start_hub_process(root, config, port) for port in ports]
    try:
        first, second = (f"http://127.0.0.1:{port}/" for port in ports)
        url = second + "channels/ban-gioc/manifest.json"
        etag = requests.get(url, timeout=30).headers["ETag"]
        answers: list = []

        def poll() -> None:
            started = time.monotonic()
            answer = requests.get(url, headers={"If-None-Match": etag, "Prefer": "wait=60"},
                                  timeout=120)
            answers.append((answer, time.monotonic() - started))

        poller = threading.Thread(target=poll)
        poller.start()
        poller.join(1.0)  # still unanswered a second later: the other process is holding it
        assert poller.is_alive() and not answers
        upload_version(first, tmp_path / "out", key, 4)
        published = time.monotonic()
        poller.join(90)
        answer, _held = answers[0]
        print(f"the other process answered its held long-poll "
              f"{time.monotonic() - published:.3f} s after the publish returned")
        assert answer.status_code == 200 and b'"version": 4' in answer.content
        # Reports posted to either process end up in the shared database.
        for base in (first, second):
            posted = requests.post(base + "api/v1/heartbeats", json=batch(report()),
                                   headers={"Authorization": f"Bearer {CLUSTER_TOKEN}"},
                                   timeout=30)
            assert posted.status_code == 200
        fleet = requests.get(first + "api/v1/fleet", timeout=30).json()
        assert [c for c in fleet["clusters"] if c["id"] == "bangioc-1"][0]["last_seen"]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
