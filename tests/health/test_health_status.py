import json
from datetime import UTC, datetime, timedelta

import pytest

from player.cli import main as cli
from player.core.config import HealthConfig
from player.health.board import StatusBoard
from player.health.readings import Sample
from player.health.status import StatusFile, alarm_events, alarms, read_status, write_atomic
from player.health.summary import summary_text, unhealthy

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def sample(**summary) -> Sample:
    base = {"temperature_celsius": 50.0, "humidity_percent": 60.0, "disk_free_bytes": 10**10,
            "disk_total_bytes": 3 * 10**10, "memory_available_bytes": 10**9, "load1": 0.5,
            "display_connected": True}
    base.update(summary)
    return Sample("boot", 100.0, True, base, {}, connectors={"HDMI-A-1": "connected"})


def status(**changes) -> dict:
    base = {"format": 1, "cluster": "bangioc-1", "time": "2026-05-01T07:59:30.000Z",
            "stale_after": 1260, "pid": 42, "uptime": 3600, "clock_synced": True,
            "summary": sample().summary, "alarms": {}, "errors_recent": [],
            "player": {"playlist": "p.yaml", "release": 7, "item": "intro", "frames": 10,
                       "late_frames": 0, "audio": True, "display": {"driver": "kmsdrm",
                                                                     "size": [1920, 1080]},
                       "last_sync": {"result": "ok"}},
            "spool": {"reports": 3, "oldest": "2026-05-01T07:58:00.000Z"},
            "upload": {"enabled": True, "last_ok": "2026-05-01T07:59:00.000Z", "error": None}}
    base.update(changes)
    return base


def test_alarm_rules_with_hysteresis():
    config = HealthConfig(max_temperature=80, max_humidity=85, min_disk_free=500 * 10**6)
    assert alarms(sample(), config, {}) == {}
    hot = alarms(sample(temperature_celsius=81.0, display_connected=False,
                        disk_free_bytes=10**8, humidity_percent=90.0), config, {})
    assert set(hot) == {"temperature_high", "display_disconnected", "disk_low", "humidity_high"}
    assert "81.0 °C" in hot["temperature_high"]
    assert "temperature_high" in alarms(sample(temperature_celsius=77.0), config, hot)
    assert "temperature_high" not in alarms(sample(temperature_celsius=74.0), config, hot)
    events = alarm_events(hot, {})
    assert ("info", "display_reconnected") in [(s, e) for s, e, _ in events]
    assert ("error", "disk_low") in [(s, e) for s, e, _ in alarm_events({}, hot)]


def test_unhealthy_reasons():
    assert unhealthy(status(), NOW) == []
    assert "stale" in unhealthy(status(time="2026-05-01T07:00:00Z"), NOW)[0]
    assert unhealthy(None, NOW)[0].startswith("no status.json")
    reasons = unhealthy(status(alarms={"disk_low": "1 MB free", "under_voltage": "weak"}), NOW)
    assert reasons == ["disk_low: 1 MB free"]  # under-voltage is a warning, not unhealthy
    recent = [{"time": "2026-05-01T07:50:00Z", "event": "decode_failed", "message": "x.mp4"}]
    assert unhealthy(status(errors_recent=recent), NOW) == ["error decode_failed: x.mp4"]
    old = [{"time": "2026-05-01T05:00:00Z", "event": "decode_failed", "message": "x.mp4"}]
    assert unhealthy(status(errors_recent=old), NOW) == []
    raised = [{"time": "2026-05-01T07:50:00Z", "event": "disk_low", "message": "1 MB free"}]
    assert unhealthy(status(errors_recent=raised, alarms={"disk_low": "1 MB free"}), NOW) == [
        "disk_low: 1 MB free"]  # said once, not again as an error event


def test_summary_text_reads_well():
    text = summary_text(status(alarms={"display_disconnected": "no display connected"}),
                        {"current_version": 7, "last_attempt": "2026-05-01T07:55:00Z",
                         "last_result": "unchanged", "last_error": None, "bytes_pending": 0},
                        NOW)
    assert text.startswith("Cluster bangioc-1: UNHEALTHY\n")
    assert 'p.yaml release 7, item "intro"' in text
    assert "CPU 50.0 °C" in text and "disk 10.0 GB free of 30.0 GB" in text
    assert "content  release 7; last sync 2026-05-01T07:55:00Z unchanged\n" in text
    assert "content" not in summary_text(status(), {"current_version": None, "bytes_pending": 0},
                                         NOW)
    assert "healthy" in summary_text(status(), None, NOW).splitlines()[0]


def test_status_file_atomic_and_only_on_change(tmp_path):
    clock = [0.0]
    out = StatusFile(tmp_path / "status.json", monotonic=lambda: clock[0])
    assert out.update(status())
    assert not out.update(status(time="2026-05-01T07:59:40.000Z"))
    assert out.update(status(alarms={"disk_low": "x"}))
    clock[0] = 601.0
    assert out.update(status(alarms={"disk_low": "x"}, time="2026-05-01T08:10:00.000Z"))
    assert read_status(tmp_path / "status.json")["time"] == "2026-05-01T08:10:00.000Z"
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temp files left
    (tmp_path / "bad.json").write_text("{half")
    assert read_status(tmp_path / "bad.json") is None


def test_board_screenshots_due_on_interval_and_after_errors():
    board = StatusBoard(screenshot_interval=900)
    wall = 1_780_000_000.0  # the render loop passes time.time()
    assert board.wants_screenshot(wall)
    board.screenshot(b"\xff\xd8jpeg", 480, 270)
    assert not board.wants_screenshot(wall + 1)
    assert not board.wants_screenshot(wall + 899)
    assert board.wants_screenshot(wall + 900)
    assert not board.wants_screenshot(wall + 901)
    board.event("warning", "humidity_high", "wet")
    assert not board.wants_screenshot(wall + 902) and not board.wake.is_set()
    board.event("error", "decode_failed", "bad clip")
    assert board.wake.is_set()
    assert board.wants_screenshot(wall + 903)
    assert not board.wants_screenshot(wall + 904)  # one shot per error, not one per frame
    assert board.wants_screenshot(wall - 3600)  # the clock was set back: start over
    board.screenshot(b"\xff\xd8jpeg", 480, 270)
    reports, errors = board.drain()
    assert errors == 1 and [r["kind"] for r in reports].count("screenshot") == 1
    shot = next(r for r in reports if r["kind"] == "screenshot")
    assert shot["jpeg_base64"] == "/9hqcGVn" and shot["width"] == 480


def test_board_frame_counters_are_totals():
    board = StatusBoard()
    board.count_frames(100, 1)
    board.count_frames(160, 2)
    snapshot = board.snapshot()
    assert (snapshot["frames"], snapshot["late_frames"]) == (160, 2)


def test_screenshots_only_after_errors_at_interval_zero():
    board = StatusBoard(screenshot_interval=0)
    assert not board.wants_screenshot(5.0)
    board.event("error", "file_bad", "x")
    assert board.wants_screenshot(6.0) and not board.wants_screenshot(7.0)


def write_config(tmp_path, state_dir) -> str:
    path = tmp_path / "player.yaml"
    path.write_text(f"cluster: bangioc-1\nstate_dir: {state_dir}\n")
    return str(path)


def test_status_command_exit_codes_and_json(tmp_path, capsys):
    state = tmp_path / "state"
    config = write_config(tmp_path, state)
    assert cli(["status", "--config", config]) == 1
    assert "no status.json" in capsys.readouterr().out
    now = datetime.now(UTC)
    fresh = status(time=now.isoformat(), errors_recent=[])
    write_atomic(state / "status.json", json.dumps(fresh))
    assert cli(["status", "--config", config]) == 0
    assert "healthy" in capsys.readouterr().out
    hot = status(time=now.isoformat(), alarms={"temperature_high": "CPU at 85.0 °C"})
    write_atomic(state / "status.json", json.dumps(hot))
    assert cli(["status", "--config", config, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["healthy"] is False and out["reasons"] == ["temperature_high: CPU at 85.0 °C"]
    stale = status(time=(now - timedelta(hours=2)).isoformat())
    write_atomic(state / "status.json", json.dumps(stale))
    assert cli(["status", "--config", config]) == 1


def test_status_command_with_a_broken_config_still_reports(tmp_path, capsys):
    path = tmp_path / "player.yaml"
    path.write_text(f"state_dir: {tmp_path / 'state'}\nhelth: {{}}\n")
    now = datetime.now(UTC)
    write_atomic(tmp_path / "state" / "status.json",
                 json.dumps(status(time=now.isoformat(), errors_recent=[])))
    assert cli(["status", "--config", str(path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["healthy"] is False and out["status"]["cluster"] == "bangioc-1"
    assert 'did you mean "health"' in out["config"]["problems"][0]
    assert out["reasons"][0].startswith("config: ") and "helth" in out["reasons"][0]
    assert cli(["status", "--config", str(path)]) == 1
    text = capsys.readouterr().out
    assert text.startswith("Cluster bangioc-1: UNHEALTHY") and "! config: " in text
    assert "helth" in text


def test_status_json_with_an_unparseable_or_missing_config(tmp_path, capsys):
    path = tmp_path / "player.yaml"
    path.write_text("cluster: [unclosed\n")
    assert cli(["status", "--config", str(path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["problems"] and not out["healthy"]  # status: the default folder's
    assert cli(["status", "--config", str(tmp_path / "missing.yaml"), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "no such file" in out["config"]["problems"][0]


@pytest.mark.parametrize("value", [None, 0, 59.5])
def test_summary_survives_odd_values(value):
    text = summary_text(status(uptime=value, summary={"temperature_celsius": value}), None, NOW)
    assert text.startswith("Cluster")


def test_status_sees_a_read_only_state_folder_itself(tmp_path, capsys):
    from tests.health.mounts import tmpfs

    with tmpfs(tmp_path / "state") as mount:
        config = write_config(tmp_path, mount.path)
        write_atomic(mount.path / "status.json",
                     json.dumps(status(time=datetime.now(UTC).isoformat(), errors_recent=[])))
        mount.read_only(True)
        assert cli(["status", "--config", config, "--json"]) == 1
        reasons = json.loads(capsys.readouterr().out)["reasons"]
        assert reasons == [f"the state folder {mount.path} is read-only: nothing can be saved "
                           "(the card may be failing)"]
        assert cli(["status", "--config", config]) == 1
        assert "is read-only" in capsys.readouterr().out
