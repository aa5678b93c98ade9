"""The replay: synthetic sysfs trees evolve over simulated weeks and feed the real health worker
(its sampler, spool and uploader) with an accelerated clock, into a real hub over HTTP on
127.0.0.1 whose clock is the same simulated one. Each failure is forecast on the fleet at least
seven simulated days before it happens; a clean sixty days raise no warning at all.

A sample every two simulated hours (the forecasts bucket by the hour, so a 60 s interval gives
the same lines with more points); the fleet is read once a simulated day.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import player.health.reports
from player.core.config import Config, HealthConfig, SensorConfig
from player.health.board import StatusBoard
from player.health.forewarn import Forewarnings
from player.health.readings import Sampler
from player.health.storage import SmartReader
from player.health.worker import HealthWorker
from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from tests.health.fakesys import overwrite, write
from tests.hub.hubtools import CLUSTER_TOKEN, hub_config_data

STEP = 2 * 3600.0
DAY = 86400.0
START = datetime(2026, 6, 1, tzinfo=UTC)  # the rainy season at Bản Giốc
HUMIDITY = "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input"
AIR = "/sys/bus/iio/devices/iio:device0/in_temp_input"
GLASS = "/sys/devices/platform/w1/28-0000/hwmon/hwmon9/temp1_input"
FAN = "/sys/class/hwmon/hwmon3/fan1_input"
CPU = "/sys/class/thermal/thermal_zone0/temp"
EMMC = "/sys/block/mmcblk0/device/life_time"
SENSORS = (SensorConfig("cabinet_rh", HUMIDITY, "humidity", 0.001),
           SensorConfig("cabinet_air", AIR, "temperature", 0.001),
           SensorConfig("front_glass", GLASS, "temperature", 0.001))
GB = 1e9


class SimulatedClock:
    """Seconds since START; the datetime the player's reports are stamped with."""

    def __init__(self) -> None:
        self.t = 0.0
        self.synced = True
        self.offset = 0.0  # seconds the box's clock is off (a box without an RTC after a boot)

    def unix(self) -> float:
        return START.timestamp() + self.t

    def datetime_class(self) -> type:
        clock = self

        class Now(datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[override]
                moment = START + timedelta(seconds=clock.t + clock.offset)
                return moment if tz is not None else moment.replace(tzinfo=None)

        return Now


class Box:
    """A cluster: its sysfs tree, its disk and the real health worker, sending to `url`."""

    def __init__(self, tmp_path: Path, url: str, clock: SimulatedClock) -> None:
        self.clock = clock
        self.root = tmp_path / "root"
        self.free = 6 * GB
        write(self.root, "/proc/sys/kernel/random/boot_id", "boot-1\n")
        write(self.root, "/proc/uptime", "100.0 100.0\n")
        write(self.root, "/sys/class/drm/card0-HDMI-A-1/status", "connected\n")
        write(self.root, "/sys/class/hwmon/hwmon3/name", "pwmfan\n")
        write(self.root, "/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n")
        write(self.root, "/sys/block/mmcblk0/device/pre_eol_info", "0x01\n")
        health = HealthConfig(sensors=SENSORS, interval=STEP, min_disk_free=0,
                              report_url=url + "api/v1/heartbeats", token=CLUSTER_TOKEN)
        config = Config(cluster="bangioc-1", state_dir=tmp_path / "state", health=health)
        self.worker = HealthWorker(config, StatusBoard(), self.root, statvfs=self.statvfs,
                                   clock_synced=lambda: clock.synced,
                                   monotonic=lambda: clock.t)
        assert self.worker._set_up()
        # the worker's own sampler, with the simulated clock where it keeps time itself
        smart = SmartReader(self.root, str(tmp_path / "no-smartctl"), monotonic=lambda: clock.t)
        forewarn = Forewarnings(health, config.state_dir, self.root, smart=smart,
                                monotonic=lambda: clock.t,
                                now=lambda: (START + timedelta(seconds=clock.t)).replace(
                                    tzinfo=None))
        self.worker.sampler = Sampler(health, config.state_dir, self.root, self.statvfs,
                                      clock_synced=lambda: clock.synced, forewarn=forewarn)

    def statvfs(self, path: str):
        free = max(0, int(self.free // 4096))
        return type("st", (), {"f_bavail": free, "f_frsize": 4096, "f_blocks": 8 * 10**6,
                               "f_flag": 0})()

    def set(self, path: str, value: float | str) -> None:
        text = value if isinstance(value, str) else str(round(value * 1000))
        overwrite(self.root, path, f"{text}\n")

    def close(self) -> None:
        self.worker._close()


@pytest.fixture
def replay(tmp_path, monkeypatch):
    """(box, run): `run(days, state, failed)` samples every STEP, uploads and reads the fleet
    once a simulated day; returns {forecast kind: first day warned} and the failure's day."""
    clock = SimulatedClock()
    monkeypatch.setattr(player.health.reports, "datetime", clock.datetime_class())
    data = hub_config_data(Ed25519PrivateKey.generate())
    data["public_fleet"] = True
    config = hub_config_from_data(data, "hub.yaml", tmp_path)
    server = HubServer(("127.0.0.1", 0), tmp_path / "hub", config, clock=clock.unix)
    server.start()
    box = Box(tmp_path / "box", server.url, clock)
    session = requests.Session()

    def run(days: float, state: Callable[[float], None],
            failed: Callable[[float], bool] = lambda t: False) -> tuple[dict[str, float],
                                                                         float | None]:
        warned: dict[str, float] = {}
        failure = None
        next_check = clock.t + DAY
        end = clock.t + days * DAY
        while clock.t < end:
            state(clock.t)
            if state is not skip:
                box.worker.tick()
                if failure is None and failed(clock.t):
                    failure = clock.t / DAY
            clock.t += STEP
            if clock.t >= next_check:
                next_check += DAY
                box.worker._spool_pending()
                box.worker._upload()
                fleet = session.get(server.url + "api/v1/fleet", timeout=30).json()
                cluster = next(c for c in fleet["clusters"] if c["id"] == "bangioc-1")
                for found in cluster["forecasts"]:
                    warned.setdefault(found["kind"], clock.t / DAY)
        return warned, failure

    run.hub = server.hub  # type: ignore[attr-defined]
    try:
        yield box, run
    finally:
        session.close()
        box.close()
        server.stop()


def skip(t: float) -> None:
    """The box is off: no sample."""


def daily(t: float, low: float, high: float, peak_hour: float = 14.0) -> float:
    phase = 2 * math.pi * (t / 3600 - 7 - peak_hour) / 24  # local time, UTC+7
    return low + (high - low) * (1 + math.cos(phase)) / 2


def weather(box: Box, rng: random.Random, wetting: float = 0.0, heating: float = 0.0) -> None:
    """Dry-season days, the humidity raised by `wetting` % and the CPU by `heating` °C."""
    t = box.clock.t
    air = daily(t, 19.0, 27.0) + rng.uniform(-0.3, 0.3)
    rh = min(99.0, daily(t, 50.0, 66.0, peak_hour=5.0) + wetting + rng.uniform(-1.0, 1.0))
    box.set(AIR, air)
    box.set(HUMIDITY, rh)
    box.set(GLASS, air - daily(t, 0.0, 1.5, peak_hour=3.0))
    box.set(CPU, 50.0 + air / 3 + heating + rng.uniform(-0.5, 0.5))


def margin_of(box: Box) -> float:
    return box.worker.last_sample.readings.get("signage_dew_point_margin_celsius", 99.0)


def test_humidity_rising_into_the_dew_point_is_forecast_a_week_ahead(replay):
    box, run = replay
    rng = random.Random(1)
    box.set(FAN, "2400")
    box.set(EMMC, "0x02 0x02")

    def state(t: float) -> None:
        weather(box, rng, wetting=max(0.0, t / DAY - 5) * 1.45)  # +1.45 % RH a day from day 5

    warned, wet = run(40, state, failed=lambda t: margin_of(box) <= 0.0)
    assert wet is not None, "the replay never reached the dew point"
    assert "condensation" in warned, f"no condensation forecast before the dew on day {wet:.1f}"
    print(f"condensation forecast on day {warned['condensation']:.0f}, dew on day {wet:.1f}")
    assert wet - warned["condensation"] >= 7, (warned, wet)
    assert set(warned) == {"condensation"}


def test_a_fan_slowing_to_zero_while_the_board_heats_is_forecast_a_week_ahead(replay):
    box, run = replay
    rng = random.Random(2)
    box.set(EMMC, "0x02 0x02")

    def state(t: float) -> None:
        worn = min(1.0, max(0.0, (t / DAY - 10) / 20))  # the bearing dies from day 10 to 30
        weather(box, rng, heating=18.0 * worn)
        box.set(FAN, str(round(2400 * (1 - worn) + rng.uniform(-30, 30) * (worn < 1))))

    def stopped(t: float) -> bool:
        return box.worker.last_sample.readings['signage_fan_rpm{chip="pwmfan",sensor="fan1"}'] <= 0

    warned, stop = run(34, state, failed=stopped)
    assert stop is not None and "fan" in warned, (warned, stop)
    print(f"fan forecast on day {warned['fan']:.0f}, stopped on day {stop:.1f}")
    assert stop - warned["fan"] >= 7, (warned, stop)


def test_emmc_wear_stepping_up_is_forecast_a_week_ahead(replay):
    box, run = replay
    rng = random.Random(3)
    box.set(FAN, "2400")

    def state(t: float) -> None:
        weather(box, rng)
        step = 5 + int(t // (5 * DAY))  # 50 % used, then a 10 % step every five days
        box.set(EMMC, f"0x{step:02x} 0x{step:02x}")

    def worn(t: float) -> bool:
        return box.worker.last_sample.readings[
            'signage_emmc_life_used_percent{device="mmcblk0",type="A"}'] >= 100

    warned, end = run(28, state, failed=worn)
    assert end is not None and "wear" in warned, (warned, end)
    print(f"wear forecast on day {warned['wear']:.0f}, worn out on day {end:.1f}")
    assert end - warned["wear"] >= 7, (warned, end)


def test_a_disk_filling_is_forecast_a_week_ahead(replay):
    box, run = replay
    rng = random.Random(4)
    box.set(FAN, "2400")
    box.set(EMMC, "0x02 0x02")

    def state(t: float) -> None:
        weather(box, rng)
        box.free = 6 * GB - t / DAY * 0.2 * GB + rng.uniform(-0.02, 0.02) * GB  # 200 MB a day

    warned, full = run(32, state, failed=lambda t: box.free <= 0)
    assert full is not None and "disk_full" in warned, (warned, full)
    print(f"disk forecast on day {warned['disk_full']:.0f}, full on day {full:.1f}")
    assert full - warned["disk_full"] >= 7, (warned, full)


def test_a_clean_sixty_days_with_odd_values_raise_no_warning(replay):
    """Sixty days of dry-season weather with a steady fan, disk and eMMC; a humidity over 100 %,
    a garbage fan reading, an unsynchronised clock stamping 2001 for a day, and two weeks with
    the box switched off: no forecast warns, ever."""
    box, run = replay
    rng = random.Random(60)
    box.set(EMMC, "0x03 0x03")
    count = 0

    def state(t: float) -> None:
        nonlocal count
        count += 1
        weather(box, rng)
        box.set(FAN, str(2400 + rng.randint(-60, 60)))
        box.free = 5 * GB + rng.uniform(-0.05, 0.05) * GB
        box.clock.synced = not 20 * DAY <= t < 21 * DAY
        box.clock.offset = 0.0 if box.clock.synced else -25 * 365 * DAY  # back in 2001
        if count % 97 == 0:
            box.set(HUMIDITY, 131.5)
        if count % 89 == 0:
            box.set(FAN, "0")
        if count % 83 == 0:
            box.set(CPU, "-nan")

    warned, _ = run(30, state)
    run(14, skip)
    more, _ = run(16, state)
    assert warned == {} and more == {}
    # not for want of data: every forecast had enough to say "no risk"
    found = run.hub.view.foresight.cluster("bangioc-1")
    states = {f.kind: f.state for f in found.forecasts}
    assert states == {"disk_full": "ok", "wear": "insufficient", "fan": "ok", "restarts": "ok",
                      "heat": "ok", "condensation": "ok"}, states
    assert run.hub.store.count("samples") == 46 * 12
