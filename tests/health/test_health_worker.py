import json
import os
import queue
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from player.core.config import Config, HealthConfig
from player.core.messages import StopRequested
from player.health.board import StatusBoard
from player.health.lifecycle import mark_clean_exit
from player.health.spool import Spool
from player.health.status import read_status, write_atomic
from player.health.summary import unhealthy
from player.health.worker import HealthWorker
from tests.health.fakesys import make_tree, write
from tests.health.receiver import Receiver

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, what: str, limit: float = 30.0) -> None:
    """Poll until true; the limit is only a hang guard, never a speed assertion."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def config(tmp_path: Path, url: str = "", **health) -> Config:
    defaults = dict(report_url=url, token="secret", interval=0.05, upload_interval=0.05,
                    min_disk_free=0, write_interval=0)
    defaults.update(health)
    return Config(cluster="bangioc-1", state_dir=tmp_path / "state",
                  health=HealthConfig(**defaults))


class FakeNotifier:
    """The Notifier interface, recording STATUS lines (the real one is tested on a socket)."""

    def __init__(self):
        self.lines = []

    def status(self, text: str) -> None:
        self.lines.append(text)


def kinds(receiver, kind, event=None):
    return [r for r in receiver.reports
            if r["kind"] == kind and (event is None or r.get("event") == event)]


def test_worker_reports_plays_events_alarms_and_writes_status(tmp_path, receiver):
    root = make_tree(tmp_path / "sys", connector="disconnected")
    board = StatusBoard()
    outbox = queue.Queue()
    notifier = FakeNotifier()
    worker = HealthWorker(config(tmp_path, receiver.url,
                                 prometheus_textfile=str(tmp_path / "prom" / "player.prom")),
                          board, root, outbox=outbox, notifier=notifier)
    board.set_playing("programme.yaml", 42, "intro")
    board.set_display("kmsdrm", (1920, 1080))
    board.set_audio(True)
    board.count_frames(300, 2)
    start = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    board.play("intro", 42, start, start + timedelta(seconds=10))
    board.event("error", "file_bad", "media/x.jpg is not an image", {"file": "media/x.jpg"})
    board.event("error", "file_bad", "media/x.jpg is not an image", {"file": "media/x.jpg"})
    board.set_sync(time=start, result="ok", bytes=1234, error=None)
    worker.start()
    try:
        wait_for(lambda: kinds(receiver, "event", "display_disconnected"), "the display alarm")
        write(root, "/sys/class/drm/card0-HDMI-A-1/status", "connected\n")
        wait_for(lambda: kinds(receiver, "event", "display_reconnected"), "the reconnection")
        wait_for(lambda: (tmp_path / "prom" / "player.prom").exists(), "the prometheus file")
    finally:
        worker.stop()
        worker.join(10)
    assert not worker.is_alive()
    # the fake card also reports ext4 errors: filesystem_errors stays raised throughout
    assert notifier.lines == [
        "playing programme.yaml release 42; alarms: display_disconnected, filesystem_errors",
        "playing programme.yaml release 42; alarms: filesystem_errors"]
    assert outbox.get_nowait() == StopRequested(
        "display reconnected: restarting to set it up again", restart=True)
    restarted = kinds(receiver, "event", "restarted")[0]
    assert restarted["severity"] == "info" and "first start" in restarted["message"]
    bad = kinds(receiver, "event", "file_bad")
    assert len(bad) == 1 and bad[0]["details"]["repeated"] == 2
    play = kinds(receiver, "play")[0]
    assert (play["item"], play["release"]) == ("intro", 42)
    assert play["start"] == "2026-05-01T08:00:00.000Z"
    beat = kinds(receiver, "heartbeat")[0]
    assert beat["player"]["playlist"] == "programme.yaml" and beat["player"]["frames"] == 300
    assert beat["player"]["last_sync"]["result"] == "ok"
    assert beat["summary"]["display_connected"] is False
    assert beat["boot_id"] == "0f2c3d4e-1111-2222-3333-444455556666"
    assert beat["cluster"] == "bangioc-1" and beat["uptime"] == 86400.52
    seqs = [r["seq"] for r in receiver.reports]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    status = read_status(tmp_path / "state" / "status.json")
    assert status["cluster"] == "bangioc-1" and status["player"]["release"] == 42
    assert any("file_bad" in reason for reason in unhealthy(status))
    prom = (tmp_path / "prom" / "player.prom").read_text()
    assert "# TYPE signage_cpu_temperature_celsius gauge" in prom and "signage_frames_total 300" in prom


def test_restart_after_a_clean_stop_and_after_a_crash(tmp_path):
    root = make_tree(tmp_path / "sys")
    cfg = config(tmp_path)
    for expected in ("first start", "stopped cleanly: config changed", "without a clean stop"):
        board = StatusBoard()
        worker = HealthWorker(cfg, board, root)
        worker.start()
        wait_for(lambda w=worker: w.ticks >= 1, "a tick")
        worker.stop()
        worker.join(10)
        spool = Spool(cfg.state_dir / "reports.sqlite")
        restarted = [r for r in spool.batch(5000) if r.get("event") == "restarted"]
        spool.close()
        assert expected in restarted[-1]["message"]
        if expected == "first start":
            mark_clean_exit(cfg.state_dir, "config changed")
        else:  # what another process left running when it was killed
            record = json.loads((cfg.state_dir / "exit.json").read_text())
            write_atomic(cfg.state_dir / "exit.json",
                         json.dumps({**record, "pid": os.getpid() + 100000}))


def test_a_worker_restarted_in_the_same_process_records_no_crash(tmp_path):
    """A live change of the `health:` section restarts the worker, not the player."""
    root = make_tree(tmp_path / "sys")
    cfg = config(tmp_path)
    for _ in range(2):
        worker = HealthWorker(cfg, StatusBoard(), root)
        worker.start()
        wait_for(lambda w=worker: w.ticks >= 1, "a tick")
        worker.stop()
        worker.join(10)
    spool = Spool(cfg.state_dir / "reports.sqlite")
    restarted = [r for r in spool.batch(5000) if r.get("event") == "restarted"]
    spool.close()
    assert [r["severity"] for r in restarted] == ["info"]
    assert "first start" in restarted[0]["message"]
    assert unhealthy(read_status(cfg.state_dir / "status.json")) == []
    first = json.loads((cfg.state_dir / "exit.json").read_text())
    assert first["state"] == "running" and first["pid"] == os.getpid()


CHILD = """
import sys, time
from pathlib import Path
from datetime import datetime, UTC
from player.core.config import Config, HealthConfig
from player.core.messages import StopRequested
from player.health.board import StatusBoard
from player.health.handoff import SpoolHandoff
from player.health.worker import HealthWorker

class Loud(SpoolHandoff):
    def _spool(self, reports, errors):
        stored = super()._spool(reports, errors)
        for r in stored:
            print(r["id"], flush=True)
        return stored

state, root, url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
board = StatusBoard()
cfg = Config(cluster="c1", state_dir=state, health=HealthConfig(
    report_url=url, token="secret", interval=0.05, upload_interval=0.05, min_disk_free=0,
    write_interval=0))
worker = HealthWorker(cfg, board, root)
worker.handoff = Loud(board, worker.reserve, cfg.health.write_interval, time.monotonic)
worker.start()
n = 0
while True:
    now = datetime.now(UTC)
    board.play(f"item-{n}", 3, now, now)
    if n % 5 == 0:
        board.event("error", "decode_failed", f"clip {n} does not decode")
    n += 1
    time.sleep(0.005)
"""


def test_kill_9_between_spool_and_upload_loses_nothing(tmp_path):
    root = make_tree(tmp_path / "sys")
    receiver = Receiver()
    receiver.start()
    receiver.stop()  # a port where nobody answers: reports stay in the spool
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "state"), str(root), receiver.url],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    spooled = []
    try:
        for line in child.stdout:
            spooled.append(line.strip())
            if len(spooled) >= 400:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
    receiver.start()
    board = StatusBoard()
    worker = HealthWorker(config(tmp_path, receiver.url), board, root)
    worker.start()
    try:
        wait_for(lambda: set(spooled) <= receiver.ids, "every spooled report at the receiver")
        wait_for(lambda: kinds(receiver, "event", "restarted")[1:], "the second restart event")
    finally:
        worker.stop()
        worker.join(10)
        receiver.stop()
    arrived = [r["id"] for r in receiver.reports]
    assert [i for i in arrived if i in set(spooled)] == spooled  # once each, in order
    restarted = kinds(receiver, "event", "restarted")[-1]
    assert restarted["severity"] == "error" and "without a clean stop" in restarted["message"]
    assert restarted["details"]["previous"]["state"] == "running"


def test_status_file_is_rewritten_only_when_it_changes(tmp_path):
    root = make_tree(tmp_path / "sys")
    board = StatusBoard()
    worker = HealthWorker(config(tmp_path), board, root)
    worker.start()
    try:
        wait_for(lambda: worker.ticks >= 40, "forty ticks")
        # the spool grows by a heartbeat a tick: rewritten while few wait, then at each
        # doubling; readings noise never causes a rewrite
        assert worker.status_writer.file.writes <= 16
        board.set_playing("other.yaml", 43, "x")
        wait_for(lambda: read_status(tmp_path / "state" / "status.json")["player"]["release"] == 43,
                 "the status to follow the new release")
    finally:
        worker.stop()
        worker.join(10)
    assert json.loads((tmp_path / "state" / "exit.json").read_text())["state"] == "running"


def test_routine_reports_are_written_in_batches_errors_at_once_and_all_at_stop(tmp_path):
    root = make_tree(tmp_path / "sys")
    board = StatusBoard()
    worker = HealthWorker(config(tmp_path, write_interval=3600), board, root)
    worker.start()
    try:
        wait_for(lambda: worker.ticks >= 5, "five ticks")
        assert worker.handoff.spool.stats().reports == 0  # restarted (info) and heartbeats wait
        board.event("error", "file_bad", "media/x.jpg is not an image")
        wait_for(lambda: worker.handoff.spool.stats().reports >= 7, "the error to be written at once")
        written = worker.handoff.spool.stats().reports
        ticked = worker.ticks
        start = datetime.now(UTC)
        board.play("intro", 1, start, start)
        # counted from now, not from the start: on a loaded machine ticks run on meanwhile
        wait_for(lambda: worker.ticks >= ticked + 5, "five more ticks")
        assert worker.handoff.spool.stats().reports == written
    finally:
        worker.stop()
        worker.join(10)
    spool = Spool(tmp_path / "state" / "reports.sqlite")
    stored = spool.batch(5000)
    spool.close()
    assert len(stored) >= written + 6 and [r for r in stored if r["kind"] == "play"]
    uptimes = [r["uptime"] for r in stored if r["kind"] == "heartbeat"]
    assert all(u == 86400.52 for u in uptimes)
    seqs = [r["seq"] for r in stored]
    assert seqs == sorted(seqs)


def test_a_failing_sample_is_logged_and_the_worker_goes_on(tmp_path, caplog):
    root = make_tree(tmp_path / "sys")
    calls = []

    def flaky_statvfs(path):
        calls.append(path)
        if len(calls) <= 2:
            raise RuntimeError("sensor bus hiccup")
        return os.statvfs(path)

    board = StatusBoard()
    worker = HealthWorker(config(tmp_path), board, root, statvfs=flaky_statvfs)
    worker.start()
    try:
        wait_for(lambda: worker.ticks >= 2, "ticks after the failures")
    finally:
        worker.stop()
        worker.join(10)
    assert caplog.text.count("health sample failed") == 1


def test_an_unusable_state_folder_is_waited_for(tmp_path, caplog):
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    board = StatusBoard()
    worker = HealthWorker(config(tmp_path), board, make_tree(tmp_path / "sys"),
                          setup_retry=(0.05, 0.2))
    worker.start()
    try:
        wait_for(lambda: worker.waiting_for_state, "the worker to find the folder unusable")
        board.event("error", "file_bad", "media/x.jpg is not an image")  # kept in memory
        blocker.unlink()
        wait_for(lambda: worker.ticks >= 1, "the worker to use the folder once it is there")
    finally:
        worker.stop()
        worker.join(10)
    assert caplog.text.count("health reports wait") == 1
    assert "health reports work again" in caplog.text
    spool = Spool(tmp_path / "state" / "reports.sqlite")
    events = [r.get("event") for r in spool.batch(5000)]
    spool.close()
    assert {"file_bad", "restarted", "state_folder_usable"} <= set(events)


def test_last_sync_saved_by_an_earlier_run_shows_before_the_first_pass(tmp_path):
    """The app puts sync's saved outcome on the board at start; health only reads the board."""
    from player.runtime import make_board

    state = tmp_path / "state"
    state.mkdir()
    (state / "sync-state.json").write_text(json.dumps({
        "last_attempt": "2026-05-01T07:55:00Z", "last_result": "unchanged", "last_bytes": 0,
        "last_error": None}))
    board = make_board(config(tmp_path))
    worker = HealthWorker(config(tmp_path), board, make_tree(tmp_path / "sys"))
    worker.start()
    try:
        wait_for(lambda: worker.ticks >= 1, "a tick")
    finally:
        worker.stop()
        worker.join(10)
    sync = read_status(state / "status.json")["player"]["last_sync"]
    assert sync == {"time": "2026-05-01T07:55:00Z", "result": "unchanged", "bytes": 0,
                    "error": None}


def test_stop_writes_pending_reports_even_while_an_upload_hangs(tmp_path):
    import socket

    silent = socket.socket()  # accepts connections (backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/heartbeat"
    board = StatusBoard()
    worker = HealthWorker(config(tmp_path, url, write_interval=3600, interval=3600), board,
                          make_tree(tmp_path / "sys"))
    board.event("error", "file_bad", "x.jpg is not an image")  # written and sent at once
    worker.start()
    try:
        silent.settimeout(20)
        connection, _ = silent.accept()  # the worker is now waiting for an answer
        start = datetime.now(UTC)
        board.play("intro", 1, start, start)
        worker.stop()  # returns at once, whatever the upload does
        assert worker.is_alive()  # still waiting for the silent hub
        kinds_now = [r["kind"] for r in worker.handoff.spool.batch(100)]
        assert "play" in kinds_now  # on disk now
        connection.close()  # the hub goes away: the upload fails and the thread ends
    finally:
        silent.close()
        worker.join(30)
    assert not worker.is_alive()
    spool = Spool(tmp_path / "state" / "reports.sqlite")
    kinds_stored = [r["kind"] for r in spool.batch(5000)]
    spool.close()
    assert "play" in kinds_stored and "heartbeat" in kinds_stored


def test_an_unwritable_prometheus_file_is_logged_once(tmp_path, caplog):
    (tmp_path / "blocker").write_text("a file, not a folder")
    board = StatusBoard()
    worker = HealthWorker(config(tmp_path, prometheus_textfile=str(tmp_path / "blocker" / "p.prom")),
                          board, make_tree(tmp_path / "sys"))
    worker.start()
    try:
        wait_for(lambda: worker.ticks >= 5, "five ticks")
    finally:
        worker.stop()
        worker.join(10)
    assert caplog.text.count("cannot write the status files") == 1
    assert read_status(tmp_path / "state" / "status.json") is not None
