import math
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from player.core.config import Config, HealthConfig, SensorConfig
from player.core.config_reader import config_from_data
from player.core.problems import LoadError
from player.health.board import StatusBoard
from player.health.climate import ADVICE_EN, ADVICE_VI, CondensationWatch, dew_point
from player.health.forewarn import CONDENSATION, Forewarnings
from player.health.status import alarm_events
from player.health.worker import HealthWorker
from tests.health.fakesys import make_tree, write

HUMIDITY = "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input"
AIR = "/sys/bus/iio/devices/iio:device0/in_temp_input"
WALL = "/sys/class/hwmon/hwmon7/temp1_input"  # a probe on the inside of the front glass


@pytest.mark.parametrize("celsius, rh, expected", [
    (20.0, 50.0, 9.26),  # tables (Sonntag constants): 9.26 °C
    (25.0, 80.0, 21.31),
    (30.0, 95.0, 29.11),
    (0.0, 60.0, -6.85),
    (12.5, 100.0, 12.5),  # saturated: the dew point is the air temperature
])
def test_dew_point_magnus_sonntag(celsius, rh, expected):
    assert dew_point(celsius, rh) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("celsius, rh", [
    (20.0, 100.5), (20.0, 250.0), (20.0, -3.0), (20.0, 0.0),  # humidity out of 0-100 %
    (61.0, 50.0), (-46.0, 50.0),  # out of the formula's range of validity
    (math.nan, 50.0), (20.0, math.inf),
])
def test_no_dew_point_for_values_out_of_range(celsius, rh):
    assert dew_point(celsius, rh) is None


@given(st.floats(-45, 60), st.floats(1, 100), st.floats(1, 100))
def test_dew_point_is_under_the_air_temperature_and_grows_with_humidity(celsius, rh1, rh2):
    low, high = sorted((rh1, rh2))
    assert dew_point(celsius, low) <= dew_point(celsius, high) <= celsius + 1e-9


def test_one_odd_value_never_raises_the_alarm():
    watch = CondensationWatch(limit=3.0, hold=1800.0)
    for minute in range(0, 600, 10):
        # one sample in the hour reads 99 %: margin near 0 for that sample only
        rh = 99.0 if minute % 60 == 30 else 60.0
        assert watch.update(minute * 60.0, 25.0, rh, 25.0).alarm is None
    assert not watch.raised


def test_alarm_after_the_hold_and_cleared_only_when_dry_for_as_long():
    watch = CondensationWatch(limit=3.0, hold=1800.0)
    t = 0.0
    readings = []
    for _ in range(4):  # 97 % at 24 °C: dew point 23.5 °C, margin 0.5 °C
        readings.append(watch.update(t, 24.0, 97.0, 24.0))
        t += 600
    assert [r.alarm is not None for r in readings] == [False, False, False, True]
    message = readings[-1].alarm
    assert message.startswith(ADVICE_VI) and ADVICE_EN in message
    assert "0.5 °C apart (alarm under 3 °C for 30 min)" in message
    # 3.5 °C is over the limit but within the 1 °C hysteresis: it stays raised
    assert watch.update(t, 24.0, 81.0, 24.0).margin == pytest.approx(3.46, abs=0.01)
    t += 600
    assert watch.raised
    for _ in range(3):  # 60 %: margin 8 °C, for half an hour
        assert watch.update(t, 24.0, 60.0, 24.0).alarm is not None
        t += 600
    assert watch.update(t, 24.0, 60.0, 24.0).alarm is None


def test_a_sensor_gone_neither_raises_nor_clears_and_a_long_hole_starts_again():
    watch = CondensationWatch(limit=3.0, hold=1800.0)
    assert watch.update(0, 24.0, 97.0, 24.0).margin is not None
    assert watch.update(600, None, None, 24.0).margin is None
    assert watch.update(1200, 24.0, 130.0, 24.0).dew_point is None  # over 100 %: garbage
    assert not watch.raised
    # four hours without readings: the hold begins again at the next good one
    assert watch.update(1200 + 4 * 3600, 24.0, 97.0, 24.0).alarm is None
    assert watch.update(1200 + 4 * 3600 + 1800, 24.0, 97.0, 24.0).alarm is not None
    # the clock going back is a hole too, not a negative hold
    assert watch.update(10.0, 24.0, 60.0, 24.0).alarm is not None


class Clocks:
    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime(2026, 7, 1, 6, 0) + timedelta(seconds=self.t)


def climate_box(root: Path, air: float, rh: float, wall: float) -> None:
    write(root, AIR, f"{int(air * 1000)}\n")
    write(root, HUMIDITY, f"{int(rh * 1000)}\n")
    write(root, WALL, f"{int(wall * 1000)}\n")


def forewarnings(tmp_path: Path, clocks: Clocks, **config) -> Forewarnings:
    sensors = (SensorConfig("cabinet_rh", HUMIDITY, "humidity", 0.001),
               SensorConfig("glass", WALL, "temperature", 0.001),
               SensorConfig("cabinet_air", AIR, "temperature", 0.001))
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    return Forewarnings(HealthConfig(sensors=sensors, interval=600, **config), state,
                        tmp_path / "root", monotonic=clocks.monotonic, now=clocks.now, pid=1)


def test_coldest_surface_against_the_dew_point_of_the_air(tmp_path):
    clocks = Clocks()
    fw = forewarnings(tmp_path, clocks, dew_point_margin=2.0, dew_point_hold=1200.0)
    # 28 °C air at 75 %: dew point 23.2 °C; the glass at 22 °C is already under it
    climate_box(tmp_path / "root", 28.0, 75.0, 22.0)
    events, active = [], {}
    for _ in range(4):
        readings: dict[str, float] = {}
        found = fw.sample(readings, "boot-1", {}, {}, None)
        events += alarm_events(active, found)
        active = found
        clocks.t += 600
    assert readings["signage_dew_point_celsius"] == pytest.approx(23.15, abs=0.01)
    assert readings["signage_dew_point_margin_celsius"] == pytest.approx(-1.15, abs=0.01)
    assert readings["signage_condensation_alarm"] == 1.0
    assert [(s, e) for s, e, _ in events] == [("warning", CONDENSATION)]
    assert "coldest 22.0 °C, dew point 23.2 °C" in events[0][2]


def test_garbage_sensors_give_no_reading_and_no_alarm(tmp_path):
    clocks = Clocks()
    fw = forewarnings(tmp_path, clocks, dew_point_hold=600.0)
    root = tmp_path / "root"
    for air, rh, wall in [("25000", "104000", "24000"), ("nan", "95000", "24000"),
                          ("25000", "-5", "24000"), ("", "", ""), ("25000", "nonsense", "24000")]:
        write(root, AIR, air + "\n")
        write(root, HUMIDITY, rh + "\n")
        write(root, WALL, wall + "\n")
        readings: dict[str, float] = {}
        assert fw.sample(readings, "boot-1", {}, {}, None) == {}
        assert "signage_dew_point_margin_celsius" not in readings
        clocks.t += 600
    write(root, HUMIDITY, "95000\n")
    write(root, WALL, "900000\n")  # a probe reading 900 °C is left out of the coldest
    readings = {}
    fw.sample(readings, "boot-1", {}, {}, None)
    assert readings["signage_dew_point_margin_celsius"] == pytest.approx(0.86, abs=0.01)
    clocks.t += 600
    (root / HUMIDITY.lstrip("/")).unlink()  # the sensor unplugged
    readings = {}
    assert fw.sample(readings, "boot-1", {}, {}, None) == {}
    assert readings["signage_condensation_alarm"] == 0.0


def test_hours_above_85_percent_are_counted_per_day(tmp_path):
    clocks = Clocks()
    fw = forewarnings(tmp_path, clocks)
    climate_box(tmp_path / "root", 26.0, 90.0, 26.0)
    for _ in range(7):  # an hour at 90 %
        readings: dict[str, float] = {}
        fw.sample(readings, "boot-1", {}, {}, None)
        clocks.t += 600
    assert readings["signage_humid_today_seconds"] == 3600.0
    clocks.t += 86400  # a day without samples (player stopped): the gap counts nothing
    readings = {}
    fw.sample(readings, "boot-1", {}, {}, None)
    assert readings["signage_humid_today_seconds"] == 0.0


def test_config_keys_for_the_condensation_alarm():
    config = config_from_data({"health": {"dew_point_margin": 2.5, "dew_point_hold": "45m",
                                          "smart_interval": "12h"}}, "player.yaml")
    assert (config.health.dew_point_margin, config.health.dew_point_hold,
            config.health.smart_interval) == (2.5, 2700.0, 43200.0)
    assert HealthConfig().dew_point_margin == 3.0 and HealthConfig().dew_point_hold == 1800.0
    with pytest.raises(LoadError, match="health.dew_point_margin: expected a number"):
        config_from_data({"health": {"dew_point_margin": "three"}}, "player.yaml")


def test_the_health_worker_sends_the_alarm_with_the_technicians_words(tmp_path, receiver):
    """The real worker, a real receiver on loopback: the event reaches the hub's side once."""
    root = make_tree(tmp_path / "root")
    climate_box(root, 24.0, 97.0, 23.0)
    sensors = (SensorConfig("cabinet_rh", HUMIDITY, "humidity", 0.001),
               SensorConfig("cabinet_air", AIR, "temperature", 0.001),
               SensorConfig("glass", WALL, "temperature", 0.001))
    config = Config(cluster="ban-gioc-1", state_dir=tmp_path / "state", health=HealthConfig(
        report_url=receiver.url, token="secret", interval=0.05, upload_interval=0.05,
        min_disk_free=0, write_interval=0, sensors=sensors, dew_point_hold=0.2))
    worker = HealthWorker(config, StatusBoard(), root)
    worker.start()
    try:
        deadline = time.monotonic() + 60  # a hang guard only
        while not [r for r in receiver.reports if r.get("event") == CONDENSATION]:
            assert time.monotonic() < deadline, "no condensation_risk event"
            time.sleep(0.02)
    finally:
        worker.stop()
        worker.join(30)
    events = [r for r in receiver.reports if r.get("event") == CONDENSATION]
    assert len(events) == 1 and events[0]["severity"] == "warning"
    assert events[0]["message"].startswith("nguy cơ đọng sương: mở quạt / kiểm tra gioăng tủ")
    beats = [r for r in receiver.reports if r["kind"] == "heartbeat"]
    assert beats[-1]["readings"]["signage_condensation_alarm"] == 1.0
