import os
from pathlib import Path

from player.core.config import HealthConfig, SensorConfig
from player.health import sysfs
from player.health.readings import Sampler, labels
from tests.health.fakesys import make_tree, write


def test_thermal_zones_and_hwmon_by_name(tmp_path):
    root = make_tree(tmp_path)
    zones = sysfs.thermal_zones(root)
    assert [(t.chip, t.sensor, t.celsius) for t in zones] == [
        ("cpu-thermal", "zone0", 61.3), ("gpu-thermal", "zone1", 55.0)]
    assert set(sysfs.hwmon_chips(root)) == {"sht3x", "rpi_volt"}
    assert sysfs.cpu_temperature(zones + sysfs.hwmon_temperatures(root)) == 61.3


def test_hwmon_with_a_cpu_label_and_duplicate_names(tmp_path):
    write(tmp_path, "/sys/class/hwmon/hwmon3/name", "coretemp\n")
    write(tmp_path, "/sys/class/hwmon/hwmon3/temp1_input", "48000\n")
    write(tmp_path, "/sys/class/hwmon/hwmon3/temp1_label", "Package id 0\n")
    write(tmp_path, "/sys/class/hwmon/hwmon1/name", "nvme\n")
    write(tmp_path, "/sys/class/hwmon/hwmon1/temp1_input", "70000\n")
    write(tmp_path, "/sys/class/hwmon/hwmon2/name", "nvme\n")
    temps = sysfs.hwmon_temperatures(tmp_path)
    assert {t.chip for t in temps} == {"coretemp", "nvme"}
    assert set(sysfs.hwmon_chips(tmp_path)) == {"coretemp", "nvme", "nvme#2"}
    assert sysfs.cpu_temperature(temps) == 48.0  # the CPU, not the hotter disk


def test_display_connectors_and_undervoltage(tmp_path):
    root = make_tree(tmp_path)
    assert sysfs.drm_connectors(root) == {"HDMI-A-1": "connected", "HDMI-A-2": "disconnected"}
    assert sysfs.display_connected(sysfs.drm_connectors(root)) is True
    write(root, "/sys/class/drm/card0-HDMI-A-1/status", "disconnected\n")
    assert sysfs.display_connected(sysfs.drm_connectors(root)) is False
    assert sysfs.display_connected({}) is None
    assert sysfs.under_voltage(root) == {"now": False, "since_boot": True}
    write(root, "/sys/class/hwmon/hwmon1/in0_lcrit_alarm", "1\n")
    assert sysfs.under_voltage(root)["now"] is True
    assert sysfs.under_voltage(tmp_path / "nothing") == {}


def test_mounts_ext4_errors_network_and_proc(tmp_path):
    root = make_tree(tmp_path)
    mount = sysfs.mount_of(root, Path("/var/lib/signage-player"))
    assert (mount.device, mount.mountpoint, mount.read_only) == ("/dev/mmcblk0p2", "/", False)
    usb = sysfs.mount_of(root, Path("/media/usb stick/x"))
    assert usb.mountpoint == "/media/usb stick" and usb.read_only
    assert sysfs.ext4_errors(root, "/dev/mmcblk0p2") == 3
    assert sysfs.ext4_errors(root, "/dev/sda1") is None
    assert sysfs.network(root) == {"eth0": {"up": 1.0, "receive_bytes": 123456.0,
                                            "transmit_bytes": 7890.0}}
    assert sysfs.uptime(root) == 86400.52
    assert sysfs.boot_id(root) == "0f2c3d4e-1111-2222-3333-444455556666"
    assert sysfs.meminfo(root)["MemAvailable"] == 2000000 * 1024


def test_garbage_and_missing_files_are_skipped(tmp_path):
    write(tmp_path, "/sys/class/thermal/thermal_zone0/temp", "not a number\n")
    write(tmp_path, "/sys/class/thermal/thermal_zone1/temp", "")
    write(tmp_path, "/sys/devices/platform/soc/soc:firmware/get_throttled", "zz\n")
    assert sysfs.thermal_zones(tmp_path) == []
    assert sysfs.under_voltage(tmp_path) == {}
    assert sysfs.uptime(tmp_path) is None and sysfs.boot_id(tmp_path) == "unknown"
    assert sysfs.mount_of(tmp_path, Path("/x")) is None


class FakeStatvfs:
    def __init__(self, free: int, total: int, read_only: bool = False):
        self.f_bavail, self.f_blocks, self.f_frsize = free // 4096, total // 4096, 4096
        self.f_flag = os.ST_RDONLY if read_only else 0

    def __call__(self, path: str):
        return self


def test_sampler_summary_and_readings(tmp_path):
    root = make_tree(tmp_path)
    config = HealthConfig(sensors=(
        SensorConfig("cabinet", "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input",
                     "humidity", 0.001),
        SensorConfig("cabinet_air", "/sys/class/hwmon/hwmon0/temp1_input", "temperature", 0.001),
        SensorConfig("gone", "/sys/bus/iio/devices/iio:device9/in_temp_input")))
    sampler = Sampler(config, Path("/var/lib/signage-player"), root,
                      statvfs=FakeStatvfs(2 * 10**9, 16 * 10**9), clock_synced=lambda: True)
    sample = sampler.sample()
    assert sample.summary == {
        "temperature_celsius": 61.3, "humidity_percent": 91.2, "disk_free_bytes": 2 * 10**9
        - 2 * 10**9 % 4096, "disk_total_bytes": 16 * 10**9 - 16 * 10**9 % 4096,
        "memory_available_bytes": 2000000 * 1024, "load1": 0.42, "display_connected": True}
    assert sample.uptime == 86400.52 and sample.clock_synced and sample.ext4_errors == 3
    r = sample.readings
    assert r['node_thermal_zone_temp{type="cpu-thermal",zone="zone0"}'] == 61.3
    assert r['node_hwmon_temp_celsius{chip="sht3x",sensor="temp1"}'] == 31.25
    assert r['signage_sensor_value{kind="temperature",name="cabinet_air"}'] == 31.25
    assert r['signage_display_connected{connector="HDMI-A-2"}'] == 0.0
    assert r['node_network_receive_bytes_total{device="eth0"}'] == 123456.0
    assert r['signage_under_voltage{when="since_boot"}'] == 1.0
    assert r["process_resident_memory_bytes"] > 0
    assert not any("gone" in name for name in r)


def test_sampler_sees_a_read_only_filesystem(tmp_path):
    root = make_tree(tmp_path)
    sampler = Sampler(HealthConfig(), Path("/var/lib/signage-player"), root,
                      statvfs=FakeStatvfs(10**9, 10**10, read_only=True), clock_synced=lambda: None)
    sample = sampler.sample()
    assert sample.read_only and sample.clock_synced is False


def test_labels_escape_quotes():
    assert labels("x", a='say "hi"\\') == 'x{a="say \\"hi\\"\\\\"}'
