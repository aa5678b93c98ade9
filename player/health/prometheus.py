"""Prometheus text-file output, for sites whose node_exporter reads a textfile folder.

The file holds only the player's own metrics, all named `signage_*`, each with `# HELP` and
`# TYPE`. The heartbeat's readings named like node_exporter's (`node_memory_*`, `node_load1`,
`node_network_*`, thermal and hwmon temperatures...) are left out: node_exporter's own
collectors export them, and the same name from a text file makes node_exporter refuse the
whole scrape ("error gathering metrics"). The heartbeat's `process_*` readings and the state
folder's `node_filesystem_*` readings are renamed, since they are about the player itself.
docs/prometheus.md lists every metric.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import NamedTuple

from player.health.status import write_atomic

log = logging.getLogger(__name__)


class Metric(NamedTuple):
    name: str
    kind: str  # gauge | counter
    help: str


def _g(name: str, text: str) -> Metric:
    return Metric(name, "gauge", text)


def _c(name: str, text: str) -> Metric:
    return Metric(name, "counter", text)


# heartbeat reading (without labels) -> the metric written, or None: node_exporter exports it
METRICS: dict[str, Metric | None] = {
    "node_thermal_zone_temp": None,
    "node_hwmon_temp_celsius": None,
    "node_memory_MemAvailable_bytes": None,
    "node_memory_MemTotal_bytes": None,
    "node_load1": None,
    "node_network_up": None,
    "node_network_receive_bytes_total": None,
    "node_network_transmit_bytes_total": None,
    "node_boot_uptime_seconds": None,
    "node_timex_sync_status": None,
    "node_filesystem_avail_bytes": _g(
        "signage_state_filesystem_avail_bytes",
        "Bytes free for the player on the filesystem of its state folder."),
    "node_filesystem_size_bytes": _g(
        "signage_state_filesystem_size_bytes", "Size of the filesystem of the state folder."),
    "node_filesystem_readonly": _g(
        "signage_state_filesystem_readonly", "1 when the state folder's filesystem is read-only."),
    "node_filesystem_errors_total": _c(
        "signage_filesystem_errors_total", "Errors ext4 recorded on the state filesystem."),
    "process_cpu_percent": _g(
        "signage_process_cpu_percent", "CPU used by the player process, percent of one core."),
    "process_resident_memory_bytes": _g(
        "signage_process_resident_memory_bytes", "Resident memory of the player process."),
    "process_open_fds": _g("signage_process_open_fds", "Open file descriptors of the player."),
    "process_threads": _g("signage_process_threads", "Threads of the player process."),
    "signage_sensor_value": _g(
        "signage_sensor_value", "Each ambient sensor of health.sensors, scaled (°C or %RH)."),
    "signage_display_connected": _g(
        "signage_display_connected", "1 when the DRM connector reports a connected display."),
    "signage_under_voltage": _g(
        "signage_under_voltage", "1 when the board reports under-voltage now or since boot."),
    "signage_frames_total": _c("signage_frames_total", "Frames the render loop drew."),
    "signage_late_frames_total": _c(
        "signage_late_frames_total", "Frames drawn later than due."),
    "signage_audio_present": _g("signage_audio_present", "1 when a sound device is open."),
    "signage_spool_reports": _g(
        "signage_spool_reports", "Reports waiting in the spool for upload."),
    "signage_spool_bytes": _g("signage_spool_bytes", "Bytes of reports in the spool."),
    "signage_spool_thinned_total": _c(
        "signage_spool_thinned_total", "Reports summarised away because the spool was full."),
    "signage_reports_uploaded_total": _c(
        "signage_reports_uploaded_total", "Reports the hub acknowledged."),
    "signage_cpu_temperature_celsius": _g(
        "signage_cpu_temperature_celsius", "The hottest CPU/SoC temperature sensor."),
    "signage_fan_rpm": _g("signage_fan_rpm", "Fan speed of each hwmon fan input."),
    "signage_emmc_life_used_percent": _g(
        "signage_emmc_life_used_percent",
        "eMMC life time used, upper bound of its 10 % step (110: past its rated life)."),
    "signage_emmc_pre_eol": _g(
        "signage_emmc_pre_eol", "eMMC reserved blocks: 1 normal, 2 warning, 3 urgent."),
    "signage_block_io_errors_total": _c(
        "signage_block_io_errors_total", "Failed I/O commands of a SCSI/SATA/USB disk."),
    "signage_disk_used_percent": _g(
        "signage_disk_used_percent", "SMART percentage of the disk's rated endurance used."),
    "signage_disk_media_errors_total": _c(
        "signage_disk_media_errors_total", "SMART media errors (NVMe)."),
    "signage_disk_reallocated_sectors_total": _c(
        "signage_disk_reallocated_sectors_total", "SMART reallocated sectors (ATA attribute 5)."),
    "signage_disk_power_on_seconds_total": _c(
        "signage_disk_power_on_seconds_total", "SMART power-on time of the disk."),
    "signage_disk_smart_passed": _g(
        "signage_disk_smart_passed", "1 when smartctl's overall health assessment passed."),
    "signage_dew_point_celsius": _g(
        "signage_dew_point_celsius", "Dew point of the cabinet air (Magnus, Sonntag 1990)."),
    "signage_dew_point_margin_celsius": _g(
        "signage_dew_point_margin_celsius",
        "Coldest measured cabinet temperature minus the dew point; condensation near 0."),
    "signage_condensation_alarm": _g(
        "signage_condensation_alarm", "1 while the player's condensation alarm is raised."),
    "signage_humid_today_seconds": _g(
        "signage_humid_today_seconds", "Time today with the cabinet humidity over 85 %RH."),
    "signage_events_today": _g(
        "signage_events_today", "Restarts, reboots, under-voltage events and display "
        "disconnects counted today (local date)."),
    "signage_events_total": _c(
        "signage_events_total", "The same events counted since the state folder was made."),
}


_unknown: set[str] = set()


def render(readings: dict[str, float]) -> str:
    """The exposition format, grouped by metric, each with its HELP and TYPE lines."""
    groups: dict[Metric, list[str]] = {}
    for reading in sorted(readings):
        value = readings[reading]
        if value is None or not math.isfinite(value):
            continue
        base, brace, labels = reading.partition("{")
        if base not in METRICS:
            if base not in _unknown:  # once: a reading added without a place in METRICS
                _unknown.add(base)
                log.warning("reading %s has no Prometheus metric; left out of the text file",
                            base)
            continue
        metric = METRICS[base]
        if metric is not None:
            groups.setdefault(metric, []).append(f"{metric.name}{brace}{labels} {_number(value)}")
    lines: list[str] = []
    for metric in sorted(groups):
        help_text = metric.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines += [f"# HELP {metric.name} {help_text}", f"# TYPE {metric.name} {metric.kind}"]
        lines += groups[metric]
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """Shortest exact text: `300` for counts, `61.3` (not 61.299999999999997) for readings."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


class TextFile:
    """Writes the file (atomically, since node_exporter may read it at any moment) on change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = ""

    def update(self, readings: dict[str, float]) -> bool:
        text = render(readings)
        if text == self._last:
            return False
        write_atomic(self.path, text)
        self._last = text
        return True
