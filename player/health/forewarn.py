"""Readings that show a failure coming: storage wear, fans, condensation, and daily counts of
restarts, under-voltage events and display disconnects.

The sampler calls `Forewarnings.sample` once a sample; it adds its readings (each absent when
the box has no such sensor) and returns the alarms it raises (only the condensation alarm).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from player.core.config import HealthConfig, SensorConfig
from player.health import sysfs
from player.health.climate import HUMID_RH, VALID_CELSIUS, CondensationWatch
from player.health.counters import COUNTERS_FILE, DailyCounters
from player.health.storage import SmartReader

log = logging.getLogger(__name__)

CONDENSATION = "condensation_risk"
EVENTS = ("restart", "reboot", "under_voltage", "display_disconnect")


def _labels(metric: str, **values: str) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(values.items()))
    return f"{metric}{{{inner}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Forewarnings:
    """Keeps what spans samples: the condensation hold, the last display and power states, the
    SMART cache and the daily counters. Clocks and smartctl are parameters for tests."""

    def __init__(self, config: HealthConfig, state_dir: Path, root: Path = Path("/"), *,
                 smart: SmartReader | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = datetime.now, pid: int | None = None) -> None:
        self.config = config
        self.root = root
        self.smart = smart or SmartReader(root, interval=config.smart_interval,
                                          monotonic=monotonic)
        self._monotonic = monotonic
        self.counters = DailyCounters(state_dir / COUNTERS_FILE, now)
        self.watch = CondensationWatch(config.dew_point_margin, config.dew_point_hold)
        self._pid = str(os.getpid() if pid is None else pid)
        self._display: bool | None = None
        self._volts: dict[str, bool] = {}
        self._last_sample: float | None = None
        self._started = False

    def sample(self, readings: dict[str, float], boot_id: str, connectors: dict[str, str],
               volts: dict[str, bool], cpu_celsius: float | None) -> dict[str, str]:
        """Adds this sample's readings to `readings`; returns the alarms raised (name -> text)."""
        self._count_events(boot_id, connectors, volts)
        if cpu_celsius is not None:
            readings["signage_cpu_temperature_celsius"] = round(cpu_celsius, 2)
        self._storage(readings)
        for fan in sysfs.hwmon_fans(self.root):
            readings[_labels("signage_fan_rpm", chip=fan.chip, sensor=fan.sensor)] = fan.rpm
        alarms = self._climate(readings)
        for event in EVENTS:
            readings[_labels("signage_events_today", event=event)] = self.counters.today(event)
            readings[_labels("signage_events_total", event=event)] = self.counters.total(event)
        readings["signage_humid_today_seconds"] = float(round(self.counters.today("humid_seconds")))
        return alarms

    def _count_events(self, boot_id: str, connectors: dict[str, str],
                      volts: dict[str, bool]) -> None:
        if not self._started:
            self._started = True
            if self.counters.marks.get("boot_id") not in (None, boot_id):
                self.counters.add("reboot")
            if (self.counters.marks.get("boot_id"), self.counters.marks.get("pid")) != (
                    boot_id, self._pid):
                self.counters.mark("boot_id", boot_id)
                self.counters.mark("pid", self._pid)
                self.counters.add("restart")
        display = sysfs.display_connected(connectors)
        if self._display is True and display is False:
            self.counters.add("display_disconnect")
        if display is not None:
            self._display = display
        # a dip shorter than the interval is seen only in the sticky since-boot flag
        rose = {key for key, flag in volts.items() if flag and self._volts.get(key) is False}
        if rose:
            self.counters.add("under_voltage")
        self._volts = {**self._volts, **volts}

    def _storage(self, readings: dict[str, float]) -> None:
        for wear in sysfs.emmc_wear(self.root):
            for kind, step in (("A", wear.life_time_a), ("B", wear.life_time_b)):
                if step is not None:
                    readings[_labels("signage_emmc_life_used_percent", device=wear.device,
                                     type=kind)] = float(step * 10)
            if wear.pre_eol is not None:
                readings[_labels("signage_emmc_pre_eol", device=wear.device)] = float(
                    wear.pre_eol)
        for device, count in sysfs.block_io_errors(self.root).items():
            readings[_labels("signage_block_io_errors_total", device=device)] = float(count)
        for disk in self.smart.read():
            values = disk.readings()
            for key, name in (("percentage_used", "signage_disk_used_percent"),
                              ("media_errors", "signage_disk_media_errors_total"),
                              ("reallocated_sectors", "signage_disk_reallocated_sectors_total"),
                              ("passed", "signage_disk_smart_passed")):
                if key in values:
                    readings[_labels(name, device=disk.device)] = values[key]
            if "power_on_hours" in values:
                readings[_labels("signage_disk_power_on_seconds_total", device=disk.device)] = (
                    values["power_on_hours"] * 3600.0)

    def _climate(self, readings: dict[str, float]) -> dict[str, str]:
        now = self._monotonic()
        humidity_sensor, humidity = self._humidity()
        temperatures = self._temperatures()
        air = _air_temperature(humidity_sensor, temperatures)
        coldest = min((v for v in temperatures.values() if v is not None), default=None)
        result = self.watch.update(now, air, humidity, coldest)
        if result.dew_point is not None:
            readings["signage_dew_point_celsius"] = round(result.dew_point, 2)
        if result.margin is not None:
            readings["signage_dew_point_margin_celsius"] = round(result.margin, 2)
        readings["signage_condensation_alarm"] = float(self.watch.raised)
        self._humid_time(now, humidity)
        return {CONDENSATION: result.alarm} if result.alarm else {}

    def _humid_time(self, now: float, humidity: float | None) -> None:
        if self._last_sample is not None and humidity is not None and humidity > HUMID_RH:
            # a long gap (suspend, a stopped player) or a clock going back counts nothing
            elapsed = now - self._last_sample
            if 0 < elapsed <= 3 * self.config.interval:
                self.counters.add("humid_seconds", elapsed, slow=True)
        self._last_sample = now

    def _humidity(self) -> tuple[SensorConfig | None, float | None]:
        """The highest plausible `humidity` sensor (0-100 %); a value over 100 % is garbage."""
        best: tuple[SensorConfig | None, float | None] = (None, None)
        for sensor in self.config.sensors:
            if sensor.kind != "humidity":
                continue
            value = sysfs.sensor(self.root, sensor)
            if value is not None and 0 <= value <= 100 and (best[1] is None or value > best[1]):
                best = (sensor, value)
        return best

    def _temperatures(self) -> dict[SensorConfig, float | None]:
        """Every `temperature` sensor: its value, or None when absent or out of range."""
        found: dict[SensorConfig, float | None] = {}
        for sensor in self.config.sensors:
            if sensor.kind == "temperature":
                value = sysfs.sensor(self.root, sensor)
                valid = value is not None and VALID_CELSIUS[0] <= value <= VALID_CELSIUS[1]
                found[sensor] = value if valid else None
        return found


def _air_temperature(humidity: SensorConfig | None,
                     temperatures: dict[SensorConfig, float | None]) -> float | None:
    """The air temperature the humidity is relative to: the `temperature` sensor of the same
    chip (the same sysfs folder, as SHT3x, HTU21 or BME280 expose them), else the first one.
    When that sensor has no reading, there is none: another sensor's would be the wrong air."""
    if humidity is None or not temperatures:
        return None
    folder = Path(humidity.path).parent
    for sensor, value in temperatures.items():
        if Path(sensor.path).parent == folder:
            return value
    return next(iter(temperatures.values()))
