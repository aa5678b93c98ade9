"""The health worker against the real hub: every report kind is accepted, none rejected."""

from datetime import UTC, datetime, timedelta

import pytest

from player.hub.config import ClusterEntry, HubConfig
from player.hub.server import HubServer
from tests.health.fakesys import make_tree
from tests.health.test_health_worker import config, wait_for

pytestmark = pytest.mark.timeout(60)
TOKEN = "token-of-bangioc-1-0123456789"


def test_the_hub_accepts_every_report_the_player_sends(tmp_path):
    from player.health.board import StatusBoard
    from player.health.worker import HealthWorker

    hub = HubServer(("127.0.0.1", 0), tmp_path / "hub", HubConfig(
        clusters={"bangioc-1": ClusterEntry("bangioc-1", TOKEN, "Bản Giốc")}))
    hub.start()
    board = StatusBoard()
    worker = HealthWorker(config(tmp_path, hub.url + "api/v1/heartbeats", token=TOKEN),
                          board, make_tree(tmp_path / "sys", connector="disconnected"))
    start = datetime.now(UTC) - timedelta(seconds=10)
    board.set_playing("programme.yaml", 3, "thac-ban-gioc")
    board.play("thac-ban-gioc", 3, start, start + timedelta(seconds=10))
    board.event("error", "decode_failed", "media/clip.mp4: invalid data", {"file": "clip.mp4"})
    board.screenshot(b"\xff\xd8\xff\xe0fake-jpeg", 480, 270)
    worker.start()
    try:
        wait_for(lambda: worker.ticks >= 3 and worker.handoff.spool.stats().reports == 0
                 and worker.uploads.state["last_ok"], "the spool to drain into the hub")
    finally:
        worker.stop()
        worker.join(10)
        hub.stop()
    assert worker.uploads.state["error"] is None
    stored = _counts(tmp_path / "hub" / "hub.sqlite")
    assert stored["rejected"] == 0, stored
    assert stored["plays"] == 1 and stored["screenshots"] == 1 and stored["events"] >= 3


def _counts(database):
    import sqlite3

    db = sqlite3.connect(database)
    try:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("reports", "events", "plays", "screenshots", "rejected")}
    finally:
        db.close()
