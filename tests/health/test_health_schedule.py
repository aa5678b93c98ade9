"""Heartbeats carry the power schedule, so a receiver can tell off-hours from dark hours while
no heartbeat came (the hub's availability report, docs/hub-foresight.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from player.core.config import PowerConfig
from player.health.board import StatusBoard
from player.health.worker import HealthWorker
from tests.health.fakesys import make_tree
from tests.health.test_health_worker import config


def test_the_heartbeat_names_the_off_hours(tmp_path):
    base = config(tmp_path)
    scheduled = replace(base, power=PowerConfig(off_hours=((time(23, 0), time(5, 30)),
                                                           (time(12, 0), time(13, 15)))))
    worker = HealthWorker(scheduled, StatusBoard(), make_tree(tmp_path / "sys"))
    assert worker._player()["off_hours"] == ["23:00-05:30", "12:00-13:15"]
    plain = HealthWorker(base, StatusBoard(), make_tree(tmp_path / "sys2"))
    assert plain._player()["off_hours"] == []
