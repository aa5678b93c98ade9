"""A fake sysfs/procfs tree in a temp folder, shaped like a Raspberry Pi 4 or a small x86 box."""

from __future__ import annotations

import os
from pathlib import Path


def write(root: Path, path: str, text: str) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def overwrite(root: Path, path: str, text: str) -> None:
    """`write` for replays that set thousands of values one after another: the bytes written
    over the old ones, then the file cut to length. ext4 writes a file truncated to zero out at
    close (auto_da_alloc), a third of a millisecond each; sysfs is not truncated either. A
    reader in another thread could see the old tail for a moment: single-threaded use only."""
    target = root / path.lstrip("/")
    data = text.encode()
    try:
        fd = os.open(target, os.O_WRONLY)
    except FileNotFoundError:
        write(root, path, text)
        return
    try:
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def make_tree(root: Path, connector: str = "connected") -> Path:
    write(root, "/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n")
    write(root, "/sys/class/thermal/thermal_zone0/temp", "61300\n")
    write(root, "/sys/class/thermal/thermal_zone1/type", "gpu-thermal\n")
    write(root, "/sys/class/thermal/thermal_zone1/temp", "55000\n")
    # hwmon numbers are deliberately not in name order: readers go by `name`
    write(root, "/sys/class/hwmon/hwmon0/name", "sht3x\n")
    write(root, "/sys/class/hwmon/hwmon0/temp1_input", "31250\n")
    write(root, "/sys/class/hwmon/hwmon0/humidity1_input", "88500\n")
    write(root, "/sys/class/hwmon/hwmon1/name", "rpi_volt\n")
    write(root, "/sys/class/hwmon/hwmon1/in0_lcrit_alarm", "0\n")
    write(root, "/sys/devices/platform/soc/soc:firmware/get_throttled", "0x50000\n")
    write(root, "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input", "91200\n")
    write(root, "/sys/class/drm/card0-HDMI-A-1/status", f"{connector}\n")
    write(root, "/sys/class/drm/card0-HDMI-A-2/status", "disconnected\n")
    write(root, "/sys/fs/ext4/mmcblk0p2/errors_count", "3\n")
    write(root, "/sys/class/net/eth0/operstate", "up\n")
    write(root, "/sys/class/net/eth0/statistics/rx_bytes", "123456\n")
    write(root, "/sys/class/net/eth0/statistics/tx_bytes", "7890\n")
    write(root, "/sys/class/net/lo/operstate", "unknown\n")
    write(root, "/proc/uptime", "86400.52 170000.10\n")
    write(root, "/proc/loadavg", "0.42 0.30 0.25 1/200 1234\n")
    write(root, "/proc/meminfo", "MemTotal:        3884400 kB\nMemAvailable:    2000000 kB\n")
    write(root, "/proc/sys/kernel/random/boot_id", "0f2c3d4e-1111-2222-3333-444455556666\n")
    write(root, "/proc/self/mounts",
          "/dev/mmcblk0p2 / ext4 rw,noatime 0 0\n"
          "/dev/mmcblk0p1 /boot/firmware vfat rw 0 0\n"
          "/dev/sda1 /media/usb\\040stick vfat ro,nosuid 0 0\n")
    return root


def add_storage(root: Path, life_time: str = "0x02 0x03", pre_eol: str = "0x01") -> Path:
    """An eMMC (with its boot partitions), a SATA disk with an I/O error count, an NVMe drive
    and a removable USB stick, as /sys/block shows them."""
    write(root, "/sys/block/mmcblk0/device/life_time", f"{life_time}\n")
    write(root, "/sys/block/mmcblk0/device/pre_eol_info", f"{pre_eol}\n")
    write(root, "/sys/block/mmcblk0boot0/device/life_time", "0x0b 0x0b\n")
    write(root, "/sys/block/sda/removable", "0\n")
    write(root, "/sys/block/sda/device/ioerr_cnt", "0x1f\n")
    write(root, "/sys/block/nvme0n1/removable", "0\n")
    write(root, "/sys/block/sdb/removable", "1\n")
    write(root, "/sys/block/sdb/device/ioerr_cnt", "0x0\n")
    return root


def add_fans(root: Path, cpu_rpm: int = 2400, case_rpm: int = 1100) -> Path:
    """A PWM fan on the Pi's cooling hwmon and a cabinet fan on an nct6775 chip."""
    write(root, "/sys/class/hwmon/hwmon4/name", "pwmfan\n")
    write(root, "/sys/class/hwmon/hwmon4/fan1_input", f"{cpu_rpm}\n")
    write(root, "/sys/class/hwmon/hwmon2/name", "nct6775\n")
    write(root, "/sys/class/hwmon/hwmon2/fan2_input", f"{case_rpm}\n")
    write(root, "/sys/class/hwmon/hwmon2/fan2_label", "cabinet\n")
    return root


NVME_JSON = """{
  "json_format_version": [1, 0],
  "smartctl": {"version": [7, 3], "exit_status": 0},
  "device": {"name": "/dev/nvme0n1", "type": "nvme", "protocol": "NVMe"},
  "smart_status": {"passed": true, "nvme": {"value": 0}},
  "nvme_smart_health_information_log": {
    "critical_warning": 0, "temperature": 41, "available_spare": 100,
    "available_spare_threshold": 10, "percentage_used": 7, "data_units_read": 1234567,
    "power_on_hours": 8123, "unsafe_shutdowns": 41, "media_errors": 2,
    "num_err_log_entries": 5},
  "temperature": {"current": 41},
  "power_on_time": {"hours": 8123}
}"""

SATA_JSON = """{
  "json_format_version": [1, 0],
  "smartctl": {"version": [7, 3], "exit_status": 4},
  "device": {"name": "/dev/sda", "type": "sat", "protocol": "ATA"},
  "smart_status": {"passed": true},
  "ata_smart_attributes": {"revision": 16, "table": [
    {"id": 5, "name": "Reallocated_Sector_Ct", "value": 100, "worst": 100, "thresh": 10,
     "raw": {"value": 12, "string": "12"}},
    {"id": 9, "name": "Power_On_Hours", "raw": {"value": 20457, "string": "20457"}}]},
  "ata_device_statistics": {"pages": [{"number": 7, "name": "Solid State Device Statistics",
    "table": [{"offset": 8, "name": "Percentage Used Endurance Indicator", "size": 1,
               "value": 23}]}]},
  "power_on_time": {"hours": 20457}
}"""


def fake_smartctl(folder: Path, body: str = "") -> Path:
    """An executable that answers like `smartctl --json -a /dev/X` for sda and nvme0n1, or runs
    `body` (a shell snippet) instead; each run is logged to `<folder>/runs`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nvme0n1.json").write_text(NVME_JSON)
    (folder / "sda.json").write_text(SATA_JSON)
    script = folder / "smartctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{folder}/runs"\n'
        f"{body}\n"
        'disk=$(basename "$3")\n'
        f'[ -f "{folder}/$disk.json" ] && exec cat "{folder}/$disk.json"\n'
        'echo \'{"smartctl": {"exit_status": 2}}\'; exit 2\n')
    script.chmod(0o755)
    return script
