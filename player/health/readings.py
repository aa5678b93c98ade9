"""The sampler: one `Sample` of the machine's health, from sysfs/procfs, statvfs and psutil."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from player.core.config import HealthConfig
from player.health import sysfs
from player.health.forewarn import Forewarnings

log = logging.getLogger(__name__)

TIME_ERROR = 5  # adjtimex(2): the kernel clock is not synchronised


@dataclass(frozen=True)
class Sample:
    """One round of readings: the summary the fleet page shows, and every reading by name."""

    boot_id: str
    uptime: float
    clock_synced: bool
    summary: dict
    readings: dict[str, float]
    read_only: bool = False
    ext4_errors: int | None = None
    under_voltage: bool = False
    connectors: dict[str, str] = field(default_factory=dict)
    forewarnings: dict[str, str] = field(default_factory=dict)  # alarms from forewarn.py


def labels(metric: str, /, **values: str) -> str:
    """node_exporter style `name{a="x",b="y"}`, escaping quotes and backslashes."""
    if not values:
        return metric
    inner = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(values.items()))
    return f"{metric}{{{inner}}}"


def kernel_clock_synchronised() -> bool | None:
    """adjtimex(2) with no changes: False when the kernel says TIME_ERROR; None if unavailable."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        buffer = ctypes.create_string_buffer(512)  # struct timex, zeroed: modes = 0, read only
        state = libc.adjtimex(buffer)
    except (OSError, AttributeError):
        return None
    if state < 0:  # refused (a seccomp filter without adjtimex): ask systemd-timesyncd instead
        return None
    return state != TIME_ERROR


class Sampler:
    """Takes samples; the root folder, statvfs and the process are parameters for tests."""

    def __init__(self, config: HealthConfig, state_dir: Path, root: Path = Path("/"),
                 statvfs: Callable[[str], os.statvfs_result] = os.statvfs,
                 process: psutil.Process | None = None,
                 clock_synced: Callable[[], bool | None] = kernel_clock_synchronised,
                 forewarn: Forewarnings | None = None):
        self.config = config
        self.state_dir = state_dir
        self.root = root
        self.statvfs = statvfs
        self.process = process or psutil.Process()
        self.clock_synced = clock_synced
        self.process.cpu_percent(None)  # the first call only starts the measurement
        self.forewarn = forewarn or Forewarnings(config, state_dir, root)

    def sample(self) -> Sample:
        readings: dict[str, float] = {}  # the forewarnings see what is read before them
        temperature = self._temperatures(readings)
        connectors = self._connectors(readings)
        disk_free, disk_total, read_only, ext4 = self._filesystem(readings)
        volts = self._under_voltage(readings)
        humidity = self._sensors(readings)
        available, load1 = self._memory_and_load(readings)
        self._network(readings)
        self._process(readings)
        boot = sysfs.boot_id(self.root)
        forewarnings = self.forewarn.sample(readings, boot, connectors, volts, temperature)
        uptime, synced = self._clock(readings)
        summary = {
            "temperature_celsius": _round(temperature, 1),
            "humidity_percent": _round(humidity, 1),
            "disk_free_bytes": disk_free,
            "disk_total_bytes": disk_total,
            "memory_available_bytes": available,
            "load1": _round(load1, 2),
            "display_connected": sysfs.display_connected(connectors),
        }
        return Sample(boot_id=boot, uptime=uptime, clock_synced=synced,
                      summary=summary, readings=readings, read_only=read_only, ext4_errors=ext4,
                      under_voltage=volts.get("now", False), connectors=connectors,
                      forewarnings=forewarnings)

    def _connectors(self, readings: dict[str, float]) -> dict[str, str]:
        connectors = sysfs.drm_connectors(self.root)
        for name, state in connectors.items():
            readings[labels("signage_display_connected", connector=name)] = float(
                state == "connected")
        return connectors

    def _filesystem(self, readings: dict[str, float]) -> tuple[int | None, int | None, bool, int | None]:
        """Free and total bytes of the state filesystem, whether it is read-only, its ext4 errors."""
        disk_free, disk_total, read_only = self._disk(readings)
        mount = sysfs.mount_of(self.root, self.state_dir)
        ext4 = sysfs.ext4_errors(self.root, mount.device) if mount else None
        if mount and ext4 is not None:
            readings[labels("node_filesystem_errors_total", device=mount.device)] = float(ext4)
        return disk_free, disk_total, read_only or bool(mount and mount.read_only), ext4

    def _under_voltage(self, readings: dict[str, float]) -> dict[str, bool]:
        volts = sysfs.under_voltage(self.root)
        for key, flag in volts.items():
            readings[labels("signage_under_voltage", when=key)] = float(flag)
        return volts

    def _memory_and_load(self, readings: dict[str, float]) -> tuple[int | None, float | None]:
        memory = sysfs.meminfo(self.root)
        available = memory.get("MemAvailable")
        if available is not None:
            readings["node_memory_MemAvailable_bytes"] = float(available)
            readings["node_memory_MemTotal_bytes"] = float(memory.get("MemTotal", 0))
        load1 = sysfs.load1(self.root)
        if load1 is not None:
            readings["node_load1"] = load1
        return available, load1

    def _network(self, readings: dict[str, float]) -> None:
        for device, values in sysfs.network(self.root).items():
            readings[labels("node_network_up", device=device)] = values["up"]
            readings[labels("node_network_receive_bytes_total", device=device)] = values[
                "receive_bytes"]
            readings[labels("node_network_transmit_bytes_total", device=device)] = values[
                "transmit_bytes"]

    def _clock(self, readings: dict[str, float]) -> tuple[float, bool]:
        """The machine's uptime, and whether its clock is synchronised."""
        uptime = sysfs.uptime(self.root) or 0.0
        readings["node_boot_uptime_seconds"] = uptime
        synced = self.clock_synced()
        if synced is None:
            synced = sysfs.clock_synchronised_file(self.root)
        readings["node_timex_sync_status"] = float(synced)
        return uptime, synced

    def _temperatures(self, readings: dict[str, float]) -> float | None:
        temps = sysfs.thermal_zones(self.root) + sysfs.hwmon_temperatures(self.root)
        for t in temps:
            if t.source == "thermal_zone":
                name = labels("node_thermal_zone_temp", type=t.chip, zone=t.sensor)
            else:
                name = labels("node_hwmon_temp_celsius", chip=t.chip, sensor=t.sensor)
            readings[name] = round(t.celsius, 2)
        return sysfs.cpu_temperature(temps)

    def _disk(self, readings: dict[str, float]) -> tuple[int | None, int | None, bool]:
        try:
            st = self.statvfs(str(self.state_dir))
        except OSError as exc:
            log.warning("cannot read the state filesystem at %s: %s", self.state_dir, exc)
            return None, None, False
        free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
        read_only = bool(st.f_flag & os.ST_RDONLY)
        mount = str(self.state_dir)
        readings[labels("node_filesystem_avail_bytes", mountpoint=mount)] = float(free)
        readings[labels("node_filesystem_size_bytes", mountpoint=mount)] = float(total)
        readings[labels("node_filesystem_readonly", mountpoint=mount)] = float(read_only)
        return free, total, read_only

    def _sensors(self, readings: dict[str, float]) -> float | None:
        humidity = None
        for sensor in self.config.sensors:
            value = sysfs.sensor(self.root, sensor)
            if value is None:
                continue
            readings[labels("signage_sensor_value", name=sensor.name, kind=sensor.kind)] = value
            if sensor.kind == "humidity":
                humidity = value if humidity is None else max(humidity, value)
        return humidity

    def _process(self, readings: dict[str, float]) -> None:
        try:
            with self.process.oneshot():
                readings["process_cpu_percent"] = self.process.cpu_percent(None)
                readings["process_resident_memory_bytes"] = float(self.process.memory_info().rss)
                readings["process_open_fds"] = float(self.process.num_fds())
                readings["process_threads"] = float(self.process.num_threads())
        except psutil.Error as exc:
            log.debug("process readings unavailable: %s", exc)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
