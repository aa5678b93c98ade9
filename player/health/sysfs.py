"""Readings from sysfs and procfs under a root folder (`/` on a device, a temp tree in tests).

Every reader returns what it could read and skips what is missing or unreadable: boards differ
and a sensor may vanish (a loose cable); a missing reading is never an error here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from player.core.config import SensorConfig

log = logging.getLogger(__name__)

# Raspberry Pi firmware's get_throttled bits (under-voltage now, and since boot)
THROTTLED_UNDERVOLT_NOW = 0x1
THROTTLED_UNDERVOLT_SEEN = 0x10000


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:  # missing, permission, or EIO from a sensor that went away
        return None


def read_number(path: Path, scale: float = 1.0) -> float | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        value = float(text.split()[0]) * scale
    except (ValueError, IndexError):
        return None
    # A sensor helper that failed may write "nan" or "inf": no reading, not a poisoned report.
    return round(value, 6) if math.isfinite(value) else None  # 61300 * 0.001 is 61.300000000000004


def under(root: Path, absolute: str) -> Path:
    """`/sys/class/x` under `root`."""
    return root / absolute.lstrip("/")


@dataclass(frozen=True)
class Temperature:
    source: str  # "thermal_zone" or "hwmon"
    chip: str  # thermal zone type, or hwmon `name`
    sensor: str  # "zone0", "temp1"...
    label: str  # hwmon tempN_label when present
    celsius: float


def thermal_zones(root: Path) -> list[Temperature]:
    """`/sys/class/thermal/thermal_zone*/{type,temp}` (millidegrees)."""
    found = []
    for zone in sorted(under(root, "/sys/class/thermal").glob("thermal_zone*")):
        celsius = read_number(zone / "temp", 0.001)
        if celsius is not None:
            kind = read_text(zone / "type") or zone.name
            found.append(Temperature("thermal_zone", kind, zone.name.replace("thermal_", ""),
                                     "", celsius))
    return found


def hwmon_chips(root: Path) -> dict[str, Path]:
    """hwmon folders by their `name` (hwmonN numbers move between boots); duplicates get #2..."""
    chips: dict[str, Path] = {}
    for folder in sorted(under(root, "/sys/class/hwmon").glob("hwmon*")):
        name = read_text(folder / "name") or folder.name
        key, n = name, 2
        while key in chips:
            key, n = f"{name}#{n}", n + 1
        chips[key] = folder
    return chips


def hwmon_temperatures(root: Path) -> list[Temperature]:
    found = []
    for chip, folder in hwmon_chips(root).items():
        for temp in sorted(folder.glob("temp*_input")):
            celsius = read_number(temp, 0.001)
            if celsius is not None:
                sensor = temp.name.removesuffix("_input")
                label = read_text(folder / f"{sensor}_label") or ""
                found.append(Temperature("hwmon", chip, sensor, label, celsius))
    return found


CPU_HINTS = ("cpu", "soc", "coretemp", "k10temp", "package", "x86_pkg", "tctl", "zenpower")


def cpu_temperature(temperatures: list[Temperature]) -> float | None:
    """The hottest sensor that looks like the CPU/SoC; else the hottest of all."""
    if not temperatures:
        return None
    cpu = [t for t in temperatures
           if any(h in f"{t.chip} {t.label}".lower() for h in CPU_HINTS)]
    return max(t.celsius for t in (cpu or temperatures))


def drm_connectors(root: Path) -> dict[str, str]:
    """Connector name (`HDMI-A-1`) -> `connected`, `disconnected` or `unknown`."""
    found = {}
    for status in sorted(under(root, "/sys/class/drm").glob("card*-*/status")):
        name = status.parent.name.split("-", 1)[1]
        state = read_text(status)
        if state:
            found[name] = state
    return found


def display_connected(connectors: dict[str, str]) -> bool | None:
    """True when any connector reports `connected`; None when the board shows no connector."""
    if not connectors:
        return None
    return any(state == "connected" for state in connectors.values())


def under_voltage(root: Path) -> dict[str, bool]:
    """`now` / `since_boot` flags where the board exposes them (Raspberry Pi), else {}."""
    flags: dict[str, bool] = {}
    for chip, folder in hwmon_chips(root).items():
        if chip.startswith("rpi_volt"):
            alarm = read_number(folder / "in0_lcrit_alarm")
            if alarm is not None:
                flags["now"] = alarm > 0
    text = read_text(under(root, "/sys/devices/platform/soc/soc:firmware/get_throttled"))
    if text:
        try:
            bits = int(text, 16)
        except ValueError:
            bits = None
        if bits is not None:
            flags["now"] = flags.get("now", False) or bool(bits & THROTTLED_UNDERVOLT_NOW)
            flags["since_boot"] = bool(bits & THROTTLED_UNDERVOLT_SEEN)
    return flags


@dataclass(frozen=True)
class Mount:
    device: str
    mountpoint: str
    fstype: str
    options: tuple[str, ...]

    @property
    def read_only(self) -> bool:
        return "ro" in self.options


def mount_of(root: Path, path: Path) -> Mount | None:
    """The mount (from `/proc/self/mounts`) holding `path`: the longest matching mount point."""
    text = read_text(under(root, "/proc/self/mounts")) or ""
    best: Mount | None = None
    target = str(path)
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > len(best.mountpoint)):
            best = Mount(fields[0], point, fields[2], tuple(fields[3].split(",")))
    return best


def ext4_errors(root: Path, device: str) -> int | None:
    """`/sys/fs/ext4/<dev>/errors_count` for a device like `/dev/mmcblk0p2`; None if absent."""
    name = device.rsplit("/", 1)[-1]
    value = read_number(under(root, f"/sys/fs/ext4/{name}/errors_count"))
    return None if value is None else int(value)


def network(root: Path) -> dict[str, dict[str, float]]:
    """Per interface (not `lo`): up (1/0), receive and transmit byte counters."""
    found = {}
    for folder in sorted(under(root, "/sys/class/net").glob("*")):
        if folder.name == "lo":
            continue
        state = read_text(folder / "operstate")
        found[folder.name] = {
            "up": 1.0 if state == "up" else 0.0,
            "receive_bytes": read_number(folder / "statistics/rx_bytes") or 0.0,
            "transmit_bytes": read_number(folder / "statistics/tx_bytes") or 0.0,
        }
    return found


def uptime(root: Path) -> float | None:
    """Seconds since boot from `/proc/uptime` (immune to wall-clock jumps)."""
    return read_number(under(root, "/proc/uptime"))


def boot_id(root: Path) -> str:
    return read_text(under(root, "/proc/sys/kernel/random/boot_id")) or "unknown"


def meminfo(root: Path) -> dict[str, int]:
    """`/proc/meminfo` in bytes (MemTotal, MemAvailable...)."""
    found = {}
    for line in (read_text(under(root, "/proc/meminfo")) or "").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            found[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return found


def load1(root: Path) -> float | None:
    return read_number(under(root, "/proc/loadavg"))


def sensor(root: Path, config: SensorConfig) -> float | None:
    """An ambient sensor named in the config: an IIO or hwmon file, times its scale."""
    path = Path(config.path)
    return read_number(under(root, str(path)) if path.is_absolute() else root / path, config.scale)


def clock_synchronised_file(root: Path) -> bool:
    """systemd-timesyncd's flag file (the kernel's own flag is read in readings.py)."""
    return under(root, "/run/systemd/timesync/synchronized").exists()


@dataclass(frozen=True)
class Fan:
    chip: str  # hwmon `name`
    sensor: str  # "fan1"...
    label: str  # hwmon fanN_label when present
    rpm: float


MAX_FAN_RPM = 30000.0  # above any cabinet or CPU fan: a chip reporting 65535 has no fan there


def hwmon_fans(root: Path) -> list[Fan]:
    """`fan*_input` of every hwmon chip, by chip name (hwmonN numbers move between boots)."""
    found = []
    for chip, folder in hwmon_chips(root).items():
        for fan in sorted(folder.glob("fan*_input")):
            rpm = read_number(fan)
            if rpm is not None and 0 <= rpm <= MAX_FAN_RPM:
                sensor = fan.name.removesuffix("_input")
                label = read_text(folder / f"{sensor}_label") or ""
                found.append(Fan(chip, sensor, label, rpm))
    return found


def read_hex(path: Path) -> int | None:
    """A number the kernel prints as `0x0a` (or plain decimal); None when missing or garbage."""
    text = read_text(path)
    if not text:
        return None
    try:
        return int(text.split()[0], 0)
    except ValueError:
        return None


@dataclass(frozen=True)
class EmmcWear:
    """JEDEC eMMC 5.0 health: life time used in 10 % steps (1 = 0-10 %, 10 = 90-100 %,
    11 = beyond its rated life) for the SLC (type A) and MLC (type B) areas, and the
    pre-EOL state of the reserved blocks (1 normal, 2 warning: 80 % used, 3 urgent: 90 %)."""

    device: str
    life_time_a: int | None
    life_time_b: int | None
    pre_eol: int | None


def emmc_wear(root: Path) -> list[EmmcWear]:
    """`/sys/block/mmcblk*/device/{life_time,pre_eol_info}`; cards (SD) without them are left out.

    0x00 means "not defined" in the standard, so it is no reading, as is anything past the range.
    """
    found = []
    for block in sorted(under(root, "/sys/block").glob("mmcblk*")):
        if "boot" in block.name or "rpmb" in block.name:  # the same chip's hardware partitions
            continue
        values = (read_text(block / "device/life_time") or "").split()
        life = [_in_range(_hex(v), 1, 11) for v in values[:2]] if len(values) >= 2 else [None] * 2
        pre_eol = _in_range(read_hex(block / "device/pre_eol_info"), 1, 3)
        if life != [None, None] or pre_eol is not None:
            found.append(EmmcWear(block.name, life[0], life[1], pre_eol))
    return found


def block_io_errors(root: Path) -> dict[str, int]:
    """Failed commands per SCSI/SATA/USB disk (`/sys/block/*/device/ioerr_cnt`, kept by the
    SCSI midlayer since the disk was attached). `stat` counts I/O, not errors; mmc and NVMe keep
    no such counter (eMMC wear and SMART's media errors stand in for them)."""
    found = {}
    for counter in sorted(under(root, "/sys/block").glob("*/device/ioerr_cnt")):
        value = read_hex(counter)
        if value is not None and value >= 0:
            found[counter.parent.parent.name] = value
    return found


def smart_disks(root: Path) -> list[str]:
    """Fixed NVMe and SATA/SCSI disks (`nvme0n1`, `sda`) that smartctl can ask; a removable
    USB stick or card reader is left out."""
    names = []
    for block in sorted(under(root, "/sys/block").glob("*")):
        name = block.name
        if not (name.startswith("sd") or (name.startswith("nvme") and "n" in name[4:])):
            continue
        if read_number(block / "removable") == 1 or read_number(block / "hidden") == 1:
            continue  # a USB stick, or an NVMe multipath path (nvme0c0n1) of a listed disk
        names.append(name)
    return names


def _hex(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None


def _in_range(value: int | None, low: int, high: int) -> int | None:
    return value if value is not None and low <= value <= high else None
