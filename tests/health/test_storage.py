import json
import logging
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from player.health import sysfs
from player.health.storage import SmartHealth, SmartReader, parse_smartctl
from tests.health.fakesys import NVME_JSON, SATA_JSON, add_fans, add_storage, fake_smartctl, write


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_emmc_wear_leaves_out_boot_partitions_and_undefined_values(tmp_path):
    root = add_storage(tmp_path)
    assert sysfs.emmc_wear(root) == [sysfs.EmmcWear("mmcblk0", 2, 3, 1)]
    write(root, "/sys/block/mmcblk1/device/life_time", "0x00 0x0c\n")  # undefined, past range
    write(root, "/sys/block/mmcblk1/device/pre_eol_info", "0x03\n")
    write(root, "/sys/block/mmcblk2/device/life_time", "garbage\n")  # an SD card: no reading
    assert sysfs.emmc_wear(root)[1] == sysfs.EmmcWear("mmcblk1", None, None, 3)
    assert len(sysfs.emmc_wear(root)) == 2
    assert sysfs.emmc_wear(tmp_path / "nothing") == []


def test_io_errors_and_the_disks_smartctl_is_asked_about(tmp_path):
    root = add_storage(tmp_path)
    write(root, "/sys/block/nvme0c0n1/hidden", "1\n")
    assert sysfs.block_io_errors(root) == {"sda": 31, "sdb": 0}
    assert sysfs.smart_disks(root) == ["nvme0n1", "sda"]  # not the eMMC, not the USB stick


def test_fans_by_chip_name_with_garbage_left_out(tmp_path):
    root = add_fans(tmp_path, cpu_rpm=0)
    write(root, "/sys/class/hwmon/hwmon2/fan3_input", "65535\n")  # no fan on that header
    write(root, "/sys/class/hwmon/hwmon2/fan4_input", "spinning\n")
    fans = sysfs.hwmon_fans(root)
    assert [(f.chip, f.sensor, f.label, f.rpm) for f in fans] == [
        ("nct6775", "fan2", "cabinet", 1100.0), ("pwmfan", "fan1", "", 0.0)]


def test_parse_nvme_and_sata_answers():
    assert parse_smartctl("nvme0n1", NVME_JSON) == SmartHealth(
        "nvme0n1", percentage_used=7.0, media_errors=2.0, power_on_hours=8123.0, passed=True)
    assert parse_smartctl("sda", SATA_JSON) == SmartHealth(
        "sda", percentage_used=23.0, reallocated_sectors=12.0, power_on_hours=20457.0,
        passed=True)
    # a USB bridge that passes nothing through: no reading at all
    assert parse_smartctl("sdc", '{"smartctl": {"exit_status": 2}}') is None
    with pytest.raises(ValueError):
        parse_smartctl("sda", "smartctl 6.2: unknown option --json")
    with pytest.raises(ValueError):
        parse_smartctl("sda", "[1, 2]")


def test_odd_values_in_the_json_are_no_reading():
    odd = json.loads(NVME_JSON)
    odd["nvme_smart_health_information_log"].update(percentage_used="7", media_errors=-1)
    odd["smart_status"]["passed"] = "yes"
    assert parse_smartctl("nvme0n1", json.dumps(odd)) == SmartHealth(
        "nvme0n1", power_on_hours=8123.0)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_parse_never_fails_on_any_json(value):
    text = json.dumps(value)
    try:
        health = parse_smartctl("sda", text)
    except ValueError:  # anything but an object
        assert not isinstance(value, dict)
        return
    assert health is None or health.readings()


def test_smartctl_runs_once_per_interval_and_answers_from_its_cache(tmp_path):
    root = add_storage(tmp_path / "root")
    script = fake_smartctl(tmp_path / "bin")
    clock = Clock()
    reader = SmartReader(root, str(script), interval=6 * 3600, monotonic=clock)
    first = reader.read()
    assert [d.device for d in first] == ["nvme0n1", "sda"]
    assert reader.read() == first and reader.runs == 2
    clock.now += 3 * 3600
    reader.read()
    assert reader.runs == 2
    clock.now += 3 * 3600
    assert reader.read() == first and reader.runs == 4
    runs = (tmp_path / "bin" / "runs").read_text().splitlines()
    assert runs[:2] == ["--json -a /dev/nvme0n1", "--json -a /dev/sda"]


def test_missing_smartctl_warns_once_and_gives_no_reading(tmp_path, caplog):
    root = add_storage(tmp_path)
    clock = Clock()
    reader = SmartReader(root, str(tmp_path / "no-such-smartctl"), interval=60, monotonic=clock)
    with caplog.at_level(logging.WARNING):
        assert reader.read() == []
        clock.now += 120
        assert reader.read() == []
    warnings = [r.getMessage() for r in caplog.records if "smartctl" in r.getMessage()]
    assert len(warnings) == 1 and "install smartmontools" in warnings[0]


def test_garbage_from_smartctl_is_no_reading_with_one_warning(tmp_path, caplog):
    root = add_storage(tmp_path / "root")
    script = fake_smartctl(tmp_path / "bin", body='echo "Segmentation fault"; exit 139')
    clock = Clock()
    reader = SmartReader(root, str(script), interval=60, monotonic=clock)
    with caplog.at_level(logging.WARNING):
        assert reader.read() == []
        clock.now += 120
        assert reader.read() == []
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2  # one per disk, not one per read
    assert all("not the JSON expected" in w for w in warnings)


def test_a_hanging_smartctl_is_killed_after_the_timeout(tmp_path, caplog):
    root = add_storage(tmp_path / "root")
    pids = tmp_path / "pids"
    # exec: the hanging process is the one smartctl's runner started, as a real smartctl is
    script = fake_smartctl(tmp_path / "bin", body=f'echo $$ >> "{pids}"; exec sleep 600')
    reader = SmartReader(root, str(script), timeout=0.5, monotonic=Clock())
    with caplog.at_level(logging.WARNING):
        assert reader.read() == []
    assert sum("was stopped" in r.getMessage() for r in caplog.records) == 2
    for pid in pids.read_text().split():
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
            assert time.monotonic() < deadline, f"smartctl {pid} still running"
            time.sleep(0.05)


def _state(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


@pytest.mark.skipif(not shutil.which("smartctl"), reason="smartctl not installed "
                    "(Debian package smartmontools)")
def test_the_real_smartctl_on_a_disk_it_cannot_open_gives_no_reading_and_no_warning(
        tmp_path, caplog):
    write(tmp_path, "/sys/block/sdz/removable", "0\n")  # /dev/sdz exists on no test machine
    reader = SmartReader(tmp_path, shutil.which("smartctl"), timeout=60)
    with caplog.at_level(logging.WARNING):
        assert reader.read() == []
    assert reader.runs == 1 and caplog.records == []
