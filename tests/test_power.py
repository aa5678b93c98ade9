import sys
import time
from datetime import datetime
from datetime import time as clock_time

import pytest

from player.core.config import PowerConfig
from player.core.config_reader import config_from_data
from player.power import PowerSchedule, in_window

pytestmark = pytest.mark.timeout(60)


def at(hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, 5, 1, hour, minute)


def test_off_hours_including_a_window_past_midnight():
    config = config_from_data({"power": {"off_hours": ["23:00-05:30", "12:00-12:30"]}}, "t.yaml")
    schedule = PowerSchedule(config.power)
    assert [schedule.screen_off(at(t)) for t in ("22:59", "23:00", "02:00", "05:29", "05:30",
                                                 "12:15", "12:30")] == [
        False, True, True, True, False, True, False]
    assert not PowerSchedule(PowerConfig()).screen_off(at("03:00"))
    assert in_window(clock_time(23, 59), clock_time(22, 0), clock_time(23, 59, 59, 999999))


def script(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"import sys, time\n{body}\n")
    return f"{sys.executable} {path}"


def wait_until_done(schedule: PowerSchedule) -> None:
    deadline = time.monotonic() + 30
    while schedule._process is not None and time.monotonic() < deadline:
        schedule.apply(schedule.off)  # what the render loop does every frame
        time.sleep(0.02)


def test_commands_run_once_per_change_with_arguments_and_no_shell(tmp_path):
    log = tmp_path / "log.txt"
    record = script(tmp_path, "record.py",
                    f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')")
    schedule = PowerSchedule(PowerConfig(off_command=f"{record} display_power 0 '$(reboot)'",
                                         on_command=f"{record} display_power 1"))
    assert schedule.apply(True)
    wait_until_done(schedule)
    assert not schedule.apply(True)
    assert schedule.apply(False)
    wait_until_done(schedule)
    schedule.close()
    assert log.read_text().splitlines() == ["display_power 0 $(reboot)", "display_power 1"]


def test_a_failing_hanging_or_missing_command_never_raises(tmp_path, caplog):
    fail = script(tmp_path, "fail.py", "sys.stderr.write('no HDMI'); sys.exit(3)")
    hang = script(tmp_path, "hang.py", "time.sleep(60)")
    schedule = PowerSchedule(PowerConfig(off_command=fail, on_command=hang), timeout=0.5)
    schedule.apply(True)
    wait_until_done(schedule)
    assert "exit 3" in caplog.text and "no HDMI" in caplog.text
    schedule.apply(False)
    wait_until_done(schedule)
    assert "took over" in caplog.text
    missing = PowerSchedule(PowerConfig(off_command="/nonexistent/vcgencmd display_power 0"))
    assert missing.apply(True)
    assert "cannot run" in caplog.text
    bad_quotes = PowerSchedule(PowerConfig(off_command="xset 'dpms"))
    assert bad_quotes.apply(True)
    schedule.close()
