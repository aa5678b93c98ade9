"""A fake sysfs/procfs tree in a temp folder, shaped like a Raspberry Pi 4 or a small x86 box."""

from __future__ import annotations

from pathlib import Path


def write(root: Path, path: str, text: str) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


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
