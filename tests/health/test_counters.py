import json
from datetime import datetime, timedelta
from pathlib import Path

from player.core.config import HealthConfig
from player.health.counters import KEEP_DAYS, DailyCounters
from player.health.forewarn import Forewarnings


class Wall:
    def __init__(self) -> None:
        self.time = datetime(2026, 5, 1, 23, 50)

    def __call__(self) -> datetime:
        return self.time


def test_counts_per_day_survive_a_restart(tmp_path):
    wall = Wall()
    counters = DailyCounters(tmp_path / "counters.json", wall)
    counters.add("restart")
    counters.add("restart")
    wall.time += timedelta(minutes=20)  # past midnight: a new day
    counters.add("restart")
    again = DailyCounters(tmp_path / "counters.json", wall)
    assert again.days() == {"2026-05-01": {"restart": 2.0}, "2026-05-02": {"restart": 1.0}}
    assert again.today("restart") == 1.0 and again.total("restart") == 3.0


def test_slow_amounts_are_written_at_most_every_quarter_hour(tmp_path):
    wall = Wall()
    path = tmp_path / "counters.json"
    counters = DailyCounters(path, wall)
    counters.add("humid_seconds", 60, slow=True)
    first = path.stat().st_mtime_ns
    for _ in range(5):
        wall.time += timedelta(minutes=1)
        counters.add("humid_seconds", 60, slow=True)
    assert path.stat().st_mtime_ns == first
    assert json.loads(path.read_text())["totals"]["humid_seconds"] == 60
    wall.time += timedelta(minutes=15)
    counters.add("humid_seconds", 60, slow=True)
    assert json.loads(path.read_text())["totals"]["humid_seconds"] == 420


def test_old_days_are_dropped_and_a_broken_file_starts_again(tmp_path, caplog):
    wall = Wall()
    path = tmp_path / "counters.json"
    counters = DailyCounters(path, wall)
    for _ in range(KEEP_DAYS + 10):
        counters.add("reboot")
        wall.time += timedelta(days=1)
    assert len(DailyCounters(path, wall).days()) == KEEP_DAYS
    path.write_text('{"days": {"2026-05-01": {"restart": "many"}}, "totals": {}}')
    assert DailyCounters(path, wall).days() == {}
    assert "unreadable" in caplog.text and (tmp_path / "counters.json.bad").exists()


def test_no_state_folder_keeps_counts_in_memory(tmp_path):
    counters = DailyCounters(tmp_path / "missing" / "counters.json", Wall())
    counters.add("restart")
    assert counters.today("restart") == 1.0 and not (tmp_path / "missing").exists()


def forewarnings(state: Path, root: Path, pid: int, wall: Wall) -> Forewarnings:
    return Forewarnings(HealthConfig(), state, root, now=wall, pid=pid)


def test_restarts_reboots_disconnects_and_under_voltage_are_counted(tmp_path):
    wall = Wall()
    state, root = tmp_path / "state", tmp_path / "root"
    state.mkdir()
    fw = forewarnings(state, root, 100, wall)
    readings: dict[str, float] = {}
    seen = {"HDMI-A-1": "connected"}
    gone = {"HDMI-A-1": "disconnected"}
    calm = {"now": False, "since_boot": False}
    for connectors, volts in [(seen, calm), (gone, calm), (gone, calm), (seen, calm),
                              (gone, {"now": False, "since_boot": True}),  # a short dip
                              (seen, {"now": True, "since_boot": True}),
                              (seen, {"now": True, "since_boot": True})]:
        fw.sample(readings, "boot-1", connectors, volts, None)
    assert readings['signage_events_today{event="display_disconnect"}'] == 2.0
    assert readings['signage_events_today{event="under_voltage"}'] == 2.0
    assert readings['signage_events_today{event="restart"}'] == 1.0
    # a new Forewarnings in the same process (a config reload) is no restart
    forewarnings(state, root, 100, wall).sample(readings, "boot-1", {}, {}, None)
    assert readings['signage_events_today{event="restart"}'] == 1.0
    forewarnings(state, root, 200, wall).sample(readings, "boot-1", {}, {}, None)
    forewarnings(state, root, 200, wall).sample(readings, "boot-2", {}, {}, None)
    assert readings['signage_events_total{event="restart"}'] == 3.0
    assert readings['signage_events_total{event="reboot"}'] == 1.0
    assert readings['signage_events_total{event="display_disconnect"}'] == 2.0
