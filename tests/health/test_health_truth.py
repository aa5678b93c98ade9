"""status.json, `status` and the heartbeat say what is true now, never an old or a hoped state."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.health.board import StatusBoard
from player.health.lifecycle import mark_clean_exit
from player.health.spool import Spool
from player.health.status import read_status
from player.health.summary import summary_text, unhealthy
from player.health.worker import HealthWorker
from tests.health.fakesys import make_tree
from tests.health.mounts import tmpfs
from tests.health.test_health_worker import config, kinds, wait_for

pytestmark = pytest.mark.timeout(90)


def status_of(tmp_path: Path) -> dict:
    return read_status(tmp_path / "state" / "status.json") or {}


def run_worker(tmp_path, board, url="", **health) -> HealthWorker:
    worker = HealthWorker(config(tmp_path, url, **health), board, make_tree(tmp_path / "sys"))
    worker.start()
    wait_for(lambda: worker.ticks >= 1 and status_of(tmp_path), "the first status")
    return worker


def stop(worker: HealthWorker) -> None:
    worker.stop()
    worker.join(10)


@pytest.fixture
def short_wake_gap(monkeypatch):
    """Early status writes (a new item, a fixed config) at most every 0.3 s instead of 5 s:
    the same rule, and each change still lands between two samples (an hour apart here)."""
    import player.health.worker

    monkeypatch.setattr(player.health.worker, "WAKE_GAP", 0.3)


def test_the_item_on_screen_and_the_screen_state_follow_between_samples(tmp_path, short_wake_gap):
    board = StatusBoard()
    board.set_playing("p.yaml", 7, "intro")
    worker = run_worker(tmp_path, board, interval=3600)  # no new sample during the test
    try:
        board.set_playing("p.yaml", 7, "waterfall")
        wait_for(lambda: status_of(tmp_path)["player"]["item"] == "waterfall", "the new item")
        board.set_screen("screen_off", "off hours until 06:00")
        wait_for(lambda: status_of(tmp_path)["player"]["screen"] == "screen_off", "screen off")
    finally:
        stop(worker)
    status = status_of(tmp_path)
    assert status["player"]["item"] is None and unhealthy(status) == []
    text = summary_text(status)
    assert "playing  nothing: the screen is off by its schedule (off hours until 06:00)" in text
    assert "waterfall" not in text


def test_uptimes_of_the_player_and_of_the_machine_are_both_reported(tmp_path):
    worker = run_worker(tmp_path, StatusBoard())
    stop(worker)
    status = status_of(tmp_path)
    assert status["machine_uptime"] == 86400.52  # the fake /proc/uptime
    assert 0 <= status["process_uptime"] < status["machine_uptime"]
    assert status["player"]["process_uptime"] is not None
    assert "uptime   player " in summary_text(status)


def test_the_fallback_slide_alone_for_over_a_minute_is_unhealthy():
    clock = [1000.0]
    board = StatusBoard(monotonic=lambda: clock[0])
    board.set_playing("(none)", None, "fallback")
    clock[0] += 30
    status = {"time": None, "player": board.snapshot()}
    assert not [r for r in unhealthy(status) if "fallback" in r]
    clock[0] += 31
    status = {"player": board.snapshot()}
    assert [r for r in unhealthy(status) if "only the fallback slide" in r]
    assert "playing  only the fallback slide, for 1m1s" in summary_text(status)
    board.set_playing("release.yaml", 3, "intro")
    assert board.snapshot()["fallback_seconds"] is None


def test_the_fallback_alone_raises_an_alarm_the_hub_sees_and_real_content_clears_it(
        tmp_path, receiver):
    clock = [1000.0]
    board = StatusBoard(monotonic=lambda: clock[0])
    board.set_playing("(none)", None, "fallback")
    worker = run_worker(tmp_path, board, receiver.url)
    try:
        clock[0] += 61
        wait_for(lambda: kinds(receiver, "event", "fallback_only"), "the alarm at the hub")
        assert "fallback_only" in status_of(tmp_path)["alarms"]
        assert [r for r in unhealthy(status_of(tmp_path)) if r.startswith("fallback_only")]
        board.set_playing("release.yaml", 4, "intro")
        wait_for(lambda: kinds(receiver, "event", "fallback_only_cleared"), "the all-clear")
        wait_for(lambda: unhealthy(status_of(tmp_path)) == [], "healthy again")
    finally:
        stop(worker)


def test_a_clean_stop_shows_as_stopped_not_as_the_last_state(tmp_path):
    board = StatusBoard()
    board.set_playing("p.yaml", 7, "intro")
    worker = run_worker(tmp_path, board, write_interval=3600)
    wait_for(lambda: status_of(tmp_path)["spool"]["in_memory"] > 0, "reports kept in memory")
    stop(worker)
    status = status_of(tmp_path)
    assert status["spool"]["in_memory"] == 0 and status["spool"]["reports"] > 0  # written
    mark_clean_exit(tmp_path / "state", "signal SIGTERM")
    status = status_of(tmp_path)
    assert status["state"] == "stopped" and status["player"]["item"] is None
    reasons = unhealthy(status)
    assert len(reasons) == 1 and reasons[0].startswith("the player stopped at ")
    assert "(signal SIGTERM)" in reasons[0]
    assert "playing  nothing: stopped at" in summary_text(status)


def test_a_dead_pid_is_not_shown_as_running(tmp_path):
    worker = run_worker(tmp_path, StatusBoard())
    stop(worker)  # no clean stop recorded: as after kill -9
    status = status_of(tmp_path)
    reasons = unhealthy(status, running=lambda pid: False)
    assert reasons[0] == (f"the player (pid {status['pid']}) is not running: it ended without "
                          "a clean stop")


def test_a_fixed_config_clears_config_invalid_at_once(tmp_path, short_wake_gap):
    board = StatusBoard()
    worker = run_worker(tmp_path, board, interval=3600)
    try:
        board.event("error", "config_invalid", "player.yaml refused: health.interval: bad")
        board.set_config(["player.yaml refused, the previous config runs: health.interval"])
        wait_for(lambda: any("config" in r for r in unhealthy(status_of(tmp_path))),
                 "the config problem in the status")
        board.set_config([], "player.yaml")
        wait_for(lambda: unhealthy(status_of(tmp_path)) == [], "healthy again")
    finally:
        stop(worker)
    assert not [e for e in status_of(tmp_path)["errors_recent"] if e["event"] == "config_invalid"]


def test_no_upload_is_shown_before_one_happened(tmp_path, receiver):
    worker = run_worker(tmp_path, StatusBoard(), receiver.url, write_interval=3600)
    try:
        wait_for(lambda: worker.ticks >= 5, "a few ticks with nothing in the spool")
        assert worker.uploads.state["last_ok"] is None and receiver.posts == 0
    finally:
        stop(worker)
    assert "nothing uploaded yet" in summary_text(status_of(tmp_path))


def test_a_report_url_with_a_trailing_slash_still_uploads(tmp_path, receiver):
    worker = run_worker(tmp_path, StatusBoard(), receiver.url + "/")
    try:
        wait_for(lambda: kinds(receiver, "heartbeat"), "a heartbeat at the receiver")
        wait_for(lambda: status_of(tmp_path)["upload"]["last_ok"], "the upload in the status")
        wait_for(lambda: status_of(tmp_path)["spool"]["reports"]
                 == worker.handoff.spool.stats().reports, "the spool count as it is")
    finally:
        stop(worker)
    assert status_of(tmp_path)["upload"]["url"] == receiver.url


def test_uploads_refused_by_the_hub_make_the_cluster_unhealthy(tmp_path, receiver):
    worker = run_worker(tmp_path, StatusBoard(), receiver.url + "/wrong")
    try:
        wait_for(lambda: (status_of(tmp_path).get("upload") or {}).get("status") == 404,
                 "the refusal in the status")
    finally:
        stop(worker)
    status = status_of(tmp_path)
    assert status["upload"]["last_ok"] is None
    assert [r for r in unhealthy(status) if r.startswith("heartbeat uploads fail: hub answered 404")]
    assert "uploads failing since" in summary_text(status)


def test_a_read_only_state_folder_at_start_is_waited_for_and_nothing_is_lost(tmp_path):
    with tmpfs(tmp_path / "state") as mount:
        spool = Spool(mount.path / "reports.sqlite")
        spool.add([{"kind": "event", "time": "2026-05-01T08:00:00.000Z", "event": "earlier"}])
        spool.close()
        mount.read_only(True)
        board = StatusBoard()
        worker = HealthWorker(config(tmp_path), board, make_tree(tmp_path / "sys"),
                              setup_retry=(0.05, 0.2))
        worker.start()
        try:
            wait_for(lambda: worker.waiting_for_state, "the worker to wait for the folder")
            board.event("error", "file_bad", "media/x.jpg is not an image")
            mount.read_only(False)
            wait_for(lambda: "file_bad" in events_in(worker), "the kept event on disk")
        finally:
            stop(worker)
        assert sorted(p.name for p in mount.path.iterdir() if "corrupt" in p.name) == []
        spool = Spool(mount.path / "reports.sqlite")
        names = [r.get("event") for r in spool.batch(5000)]
        spool.close()
        assert {"earlier", "file_bad", "restarted", "state_folder_usable"} <= set(names)


def events_in(worker: HealthWorker) -> list:
    spool = worker.handoff.spool
    return [r.get("event") for r in spool.batch(5000)] if spool is not None else []


def test_a_full_disk_is_an_alarm_with_fresh_readings_locally_and_at_the_hub(tmp_path, receiver):
    with tmpfs(tmp_path / "state", size="24m") as mount:
        board = StatusBoard()
        worker = run_worker(tmp_path, board, receiver.url)
        try:
            wait_for(lambda: worker.reserve.held(), "the reserve to be set aside")
            filler = mount.path / "filler"
            fill(filler)
            wait_for(lambda: "disk_full" in status_of(tmp_path).get("alarms", {}),
                     "the disk_full alarm in status.json")
            wait_for(lambda: kinds(receiver, "event", "disk_full"), "the alarm at the hub")
            wait_for(lambda: [h for h in kinds(receiver, "heartbeat")
                              if h["summary"]["disk_free_bytes"] < 4 * 1024**2],
                     "a heartbeat with the fresh free-space figure")
            fill(mount.path / "filler-2")  # the reserve is spent: now the spool cannot write
            board.event("error", "decode_failed", "clip.mp4 does not decode")
            wait_for(lambda: kinds(receiver, "event", "decode_failed"),
                     "the event sent straight from memory")
            assert worker.handoff.failing
            filler.unlink()
            (mount.path / "filler-2").unlink()
            wait_for(lambda: "disk_full" not in status_of(tmp_path).get("alarms", {}),
                     "the alarm to clear once there is room")
            wait_for(lambda: kinds(receiver, "event", "disk_full_cleared"), "the all-clear")
        finally:
            stop(worker)
    seqs = [r["seq"] for r in receiver.reports]
    assert len(set(seqs)) == len(seqs)  # never a seq twice, from the spool or from memory
    cleared = kinds(receiver, "event", "disk_full_cleared")[0]["seq"]
    assert cleared > kinds(receiver, "event", "decode_failed")[0]["seq"]


def fill(path: Path) -> None:
    """Write until the filesystem is full (what filled the card: logs, a stray copy)."""
    # unbuffered: a buffered tail would fail again (ENOSPC) when the file is closed
    with open(path, "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError:
            pass
