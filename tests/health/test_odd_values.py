"""Odd values and answers that must not stop reporting: NaN from a sensor, a captive portal."""

import json
import math
import socket
import threading

import pytest

from player.health.spool import Spool
from player.health.sysfs import read_number
from player.health.uploader import Uploader, UploadError


def test_a_sensor_writing_nan_gives_no_reading(tmp_path):
    for text in ("nan\n", "inf\n", "-inf"):
        (tmp_path / "humidity").write_text(text)
        assert read_number(tmp_path / "humidity") is None
    (tmp_path / "humidity").write_text("61.5\n")
    assert read_number(tmp_path / "humidity") == 61.5


def test_non_finite_numbers_are_spooled_as_null(tmp_path):
    spool = Spool(tmp_path / "reports.sqlite")
    try:
        spool.add([{"kind": "heartbeat", "time": "2026-11-26T10:00:00Z",
                    "summary": {"humidity_percent": math.nan, "temperature_celsius": 41.0},
                    "readings": {"x": [math.inf, 1.0]}}])
        (report,) = spool.batch()
        assert report["summary"] == {"humidity_percent": None, "temperature_celsius": 41.0}
        assert report["readings"]["x"] == [None, 1.0]
        json.dumps(report, allow_nan=False)  # what requests will send
    finally:
        spool.close()


def test_a_captive_portal_is_an_upload_error(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)

    def serve():
        try:
            client, _ = server.accept()
        except OSError:
            return
        with client:
            client.recv(65536)
            client.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve)
    thread.start()
    uploader = Uploader(f"http://127.0.0.1:{server.getsockname()[1]}/api/v1/heartbeats", "t" * 16, "c1",
                        timeout=5)
    try:
        with pytest.raises(UploadError):
            uploader._post([{"id": "x", "seq": 1}])
    finally:
        server.close()
        thread.join(5)
        uploader.session.close()


def test_seq_keeps_growing_after_a_corrupt_spool_is_replaced(tmp_path):
    path = tmp_path / "reports.sqlite"
    spool = Spool(path)
    try:
        before = spool.add([{"kind": "event", "time": "2026-11-26T10:00:00Z"}] * 3)[-1]["seq"]
    finally:
        spool.close()
    path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"reports.sqlite{suffix}").unlink(missing_ok=True)
    spool = Spool(path)
    try:
        after = spool.add([{"kind": "event", "time": "2026-11-26T10:01:00Z"}])[0]["seq"]
    finally:
        spool.close()
    assert after > before
    assert (tmp_path / "reports.sqlite.corrupt").exists()
