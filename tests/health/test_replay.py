"""Replays: a synthetic sysfs tree evolves over simulated weeks and feeds the real sampler and
alarm rules with a fake clock (a 15-minute interval, so two months take seconds)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from player.core.config import HealthConfig, SensorConfig
from player.health.climate import dew_point
from player.health.forewarn import CONDENSATION, Forewarnings
from player.health.readings import Sample, Sampler
from player.health.status import alarm_events, alarms
from player.health.storage import SmartReader
from tests.health.fakesys import add_storage, fake_smartctl, overwrite, write

STEP = 900.0  # seconds between samples
DAY = 86400.0
START = datetime(2026, 6, 1, 0, 0)  # the rainy season at Bản Giốc
HUMIDITY = "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input"
AIR = "/sys/bus/iio/devices/iio:device0/in_temp_input"
GLASS = "/sys/devices/platform/w1/28-0000/hwmon/hwmon9/temp1_input"
SENSORS = (SensorConfig("cabinet_rh", HUMIDITY, "humidity", 0.001),
           SensorConfig("cabinet_air", AIR, "temperature", 0.001),
           SensorConfig("front_glass", GLASS, "temperature", 0.001))


class Statvfs:
    def __call__(self, path):
        return type("st", (), {"f_bavail": 10**6, "f_frsize": 4096, "f_blocks": 4 * 10**6,
                               "f_flag": 0})()


class Box:
    """A cluster's sysfs tree and clock; `state(t)` says what the sensors read at time t."""

    def __init__(self, tmp_path: Path, **config) -> None:
        self.root = add_storage(tmp_path / "root", life_time="0x01 0x01")
        self.state = tmp_path / "state"
        self.state.mkdir()
        self.t = 0.0
        write(self.root, "/proc/sys/kernel/random/boot_id", "boot-1\n")
        write(self.root, "/proc/uptime", "100.0 100.0\n")
        write(self.root, "/sys/class/drm/card0-HDMI-A-1/status", "connected\n")
        write(self.root, "/sys/class/hwmon/hwmon3/name", "pwmfan\n")
        write(self.root, "/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n")
        self.smartctl = fake_smartctl(tmp_path / "bin")
        self.config = HealthConfig(sensors=SENSORS, interval=STEP, min_disk_free=0, **config)
        self.sampler = self.new_sampler()
        self.active: dict[str, str] = {}
        self.events: list[tuple[float, str, str]] = []

    def new_sampler(self, pid: int = 1000) -> Sampler:
        """A player start: the sampler and its state, as the health worker makes them."""
        smart = SmartReader(self.root, str(self.smartctl), monotonic=lambda: self.t)
        forewarn = Forewarnings(self.config, self.state, self.root, smart=smart,
                                monotonic=lambda: self.t,
                                now=lambda: START + timedelta(seconds=self.t), pid=pid)
        return Sampler(self.config, self.state, self.root, Statvfs(), clock_synced=lambda: True,
                       forewarn=forewarn)

    def set(self, path: str, value: float | str) -> None:
        text = value if isinstance(value, str) else str(round(value * 1000))
        overwrite(self.root, path, f"{text}\n")

    def climate(self, air: float, rh: float | str, glass: float) -> None:
        self.set(AIR, air)
        self.set(HUMIDITY, rh)
        self.set(GLASS, glass)

    def run(self, days: float, state: Callable[[float], None]) -> list[Sample]:
        samples = []
        end = self.t + days * DAY
        while self.t < end:
            state(self.t)
            sample = self.sampler.sample()
            found = alarms(sample, self.config, self.active)
            self.events += [(self.t, event, message)
                            for _, event, message in alarm_events(self.active, found)]
            self.active = found
            samples.append(sample)
            self.t += STEP
        return samples


def daily(t: float, low: float, high: float, peak_hour: float = 14.0) -> float:
    """A daily cycle between low and high, highest at peak_hour."""
    phase = 2 * math.pi * (t / 3600 - peak_hour) / 24
    return low + (high - low) * (1 + math.cos(phase)) / 2


def clean_weather(t: float, box: Box, rng: random.Random) -> None:
    """A dry season's days: 19-29 °C, 45-68 % RH (most humid at dawn), the glass 1.5 °C
    cooler than the air at night, fans turning, the CPU warm."""
    air = daily(t, 19.0, 29.0) + rng.uniform(-0.3, 0.3)
    rh = daily(t, 45.0, 68.0, peak_hour=5.0) + rng.uniform(-1.0, 1.0)
    glass = air - daily(t, 0.0, 1.5, peak_hour=3.0)
    box.climate(air, rh, glass)
    box.set("/sys/class/thermal/thermal_zone0/temp", 48.0 + air / 2)
    box.set("/sys/class/hwmon/hwmon3/fan1_input", str(2400 + rng.randint(-60, 60)))


def test_a_clean_sixty_days_raise_no_warning_at_all(tmp_path):
    box = Box(tmp_path)
    rng = random.Random(14)
    samples = box.run(60, lambda t: clean_weather(t, box, rng))
    assert len(samples) == 60 * 96
    assert box.events == []
    margins = [s.readings["signage_dew_point_margin_celsius"] for s in samples]
    assert min(margins) > 3.0  # the weather really came no closer than the limit
    last = samples[-1].readings
    assert last['signage_events_total{event="restart"}'] == 1.0
    assert last["signage_humid_today_seconds"] == 0.0


def test_odd_sensor_values_never_raise_the_alarm(tmp_path):
    """Spikes to 99 %, a humidity over 100 %, garbage, a sensor gone for hours, a glass probe
    reading -40 °C once: no condensation alarm, no crash, the readings absent meanwhile."""
    box = Box(tmp_path)
    rng = random.Random(7)

    def weather(t: float) -> None:
        clean_weather(t, box, rng)
        n = int(t // STEP)
        if n % 97 == 50:
            box.set(HUMIDITY, 99.0)
        elif n % 89 == 20:
            box.set(HUMIDITY, 131.5)
        elif n % 83 == 10:
            box.set(HUMIDITY, "-nan")
        elif n % 79 == 5:
            box.set(GLASS, -40.0)
        elif 1000 <= n < 1016:
            (box.root / HUMIDITY.lstrip("/")).unlink(missing_ok=True)

    samples = box.run(30, weather)
    assert not [e for e in box.events if e[1].startswith(CONDENSATION)]
    gone = samples[1005].readings
    assert "signage_dew_point_celsius" not in gone and gone["signage_condensation_alarm"] == 0


def rising_humidity(t: float, box: Box) -> None:
    """Three weeks into the wet season: humidity climbs from 60 % to 98 % and the nights cool
    the glass, until the margin closes."""
    weeks = t / (21 * DAY)
    air = daily(t, 21.0, 27.0)
    rh = min(98.0, 60.0 + 38.0 * weeks + daily(t, -4.0, 4.0, peak_hour=5.0))
    glass = air - daily(t, 0.0, 2.0, peak_hour=3.0)
    box.climate(air, rh, glass)


def expected_margin(t: float) -> float:
    weeks = t / (21 * DAY)
    air = daily(t, 21.0, 27.0)
    rh = min(98.0, 60.0 + 38.0 * weeks + daily(t, -4.0, 4.0, peak_hour=5.0))
    glass = air - daily(t, 0.0, 2.0, peak_hour=3.0)
    return glass - dew_point(round(air, 3), round(rh, 3))


def test_the_alarm_fires_when_the_margin_is_held_under_the_limit(tmp_path):
    box = Box(tmp_path, dew_point_margin=3.0, dew_point_hold=1800.0)
    box.run(21, lambda t: rising_humidity(t, box))
    raised = [(t, message) for t, event, message in box.events if event == CONDENSATION]
    assert raised, "no condensation alarm"
    # by hand: the first sample whose margin and the two before it (30 min) were under 3 °C
    times = [n * STEP for n in range(int(21 * DAY / STEP))]
    under = [expected_margin(t) < 3.0 for t in times]
    first = next(times[n] for n in range(2, len(times)) if all(under[n - 2:n + 1]))
    assert raised[0][0] == first
    wet = next(t for t in times if expected_margin(t) <= 0.0)
    assert wet - raised[0][0] >= 7 * DAY  # a week before water forms on the glass (day 6 / 14)
    assert raised[0][1].startswith("nguy cơ đọng sương: mở quạt / kiểm tra gioăng tủ")


def test_a_fan_slowing_to_a_stop_and_the_board_heating_are_reported(tmp_path):
    box = Box(tmp_path)
    rng = random.Random(3)

    def failing_fan(t: float) -> None:
        clean_weather(t, box, rng)
        worn = min(1.0, t / (14 * DAY))  # the bearing dies over two weeks
        rpm = 0 if worn >= 0.8 else round(2400 * (1 - worn / 0.8))
        box.set("/sys/class/hwmon/hwmon3/fan1_input", str(rpm))
        box.set("/sys/class/thermal/thermal_zone0/temp", 55.0 + 25.0 * worn)

    samples = box.run(14, failing_fan)
    fan = [s.readings['signage_fan_rpm{chip="pwmfan",sensor="fan1"}'] for s in samples]
    cpu = [s.readings["signage_cpu_temperature_celsius"] for s in samples]
    assert fan[0] == 2400 and fan[-1] == 0 and fan == sorted(fan, reverse=True)
    assert cpu[-1] > 79 and cpu == sorted(cpu)
    assert [e for e in box.events if e[1] == "temperature_high"]  # the CPU alarm at 80 °C


def test_emmc_wear_steps_and_restarts_and_disconnects_are_counted(tmp_path):
    box = Box(tmp_path)
    rng = random.Random(5)

    def wearing(t: float) -> None:
        clean_weather(t, box, rng)
        step = 1 + int(t // (3 * DAY))  # one 10 % step every three days
        box.set("/sys/block/mmcblk0/device/life_time", f"0x{step:02x} 0x{step:02x}")
        box.set("/sys/block/mmcblk0/device/pre_eol_info", "0x02" if step >= 8 else "0x01")
        plugged = not (10 * DAY <= t < 10 * DAY + 3600)  # the screen unplugged for an hour
        box.set("/sys/class/drm/card0-HDMI-A-1/status",
                "connected" if plugged else "disconnected")

    samples = box.run(12, wearing)
    box.sampler = box.new_sampler(pid=2000)  # the player restarts on day 12
    samples += box.run(18, wearing)
    wear = [s.readings['signage_emmc_life_used_percent{device="mmcblk0",type="B"}']
            for s in samples]
    assert wear[0] == 10 and wear[-1] == 100 and wear == sorted(wear)
    assert sorted(set(wear)) == [10.0 * n for n in range(1, 11)]
    eol = [s.readings['signage_emmc_pre_eol{device="mmcblk0"}'] for s in samples]
    assert eol.index(2.0) == wear.index(80.0)
    day10 = samples[int(10 * DAY / STEP) + 20].readings
    assert day10['signage_events_today{event="display_disconnect"}'] == 1.0
    last = samples[-1].readings
    assert last['signage_events_total{event="restart"}'] == 2.0
    assert last['signage_events_today{event="display_disconnect"}'] == 0.0
    assert [e[1] for e in box.events] == ["display_disconnected", "display_reconnected"]
    # smartctl ran every six hours, not at each of the 2,880 samples
    assert last['signage_disk_used_percent{device="nvme0n1"}'] == 7.0
    runs = (tmp_path / "bin" / "runs").read_text().splitlines()
    assert len(runs) == 2 * 30 * 4  # two disks, four times a day (the restart fell on a 6 h mark)
