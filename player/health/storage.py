"""Storage health: SMART of NVMe and SATA disks through smartctl, cached for hours.

smartctl wakes a sleeping disk and takes a second or more, so it runs at most every
`interval` (6 h by default), with a timeout after which it is killed. A missing smartctl, a
disk that answers nothing useful, or output that is not the JSON expected: the reading is
simply absent, with one warning (not one a sample).
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from player.health import sysfs

log = logging.getLogger(__name__)

SMART_INTERVAL = 6 * 3600.0
SMART_TIMEOUT = 30.0
REALLOCATED_SECTORS = 5  # ATA attribute id: Reallocated_Sector_Ct
ENDURANCE_USED = "Percentage Used Endurance Indicator"  # ATA device statistics, page 7


class SmartctlMissing(Exception):
    """smartmontools is not installed."""


def run_command(command: Sequence[str], timeout: float) -> str:
    """The command's stdout; subprocess.run kills it (SIGKILL) when the timeout passes.

    smartctl's exit status is a bit mask that is non-zero for mere warnings (an old error in
    the log), so the status is ignored: the JSON says what it could read.
    """
    try:
        done = subprocess.run(list(command), capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError as exc:
        raise SmartctlMissing(str(exc)) from exc
    return done.stdout.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class SmartHealth:
    """What SMART says about one disk; each value None when the disk does not report it."""

    device: str
    percentage_used: float | None = None  # NVMe, or the SSD's endurance indicator
    media_errors: float | None = None  # NVMe: unrecovered data integrity errors
    reallocated_sectors: float | None = None  # ATA attribute 5
    power_on_hours: float | None = None
    passed: bool | None = None  # smartctl's overall assessment

    def readings(self) -> dict[str, float]:
        values = {"percentage_used": self.percentage_used, "media_errors": self.media_errors,
                  "reallocated_sectors": self.reallocated_sectors,
                  "power_on_hours": self.power_on_hours,
                  "passed": None if self.passed is None else float(self.passed)}
        return {k: v for k, v in values.items() if v is not None}


def parse_smartctl(device: str, text: str) -> SmartHealth | None:
    """`smartctl --json -a` output -> SmartHealth; None when it holds no reading at all.

    Raises ValueError when the text is not a JSON object (a broken or very old smartctl).
    """
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    nvme = _dict(data.get("nvme_smart_health_information_log"))
    used = _number(nvme.get("percentage_used"))
    if used is None:
        used = _number(data.get("scsi_percentage_used_endurance_indicator"))
    if used is None:
        used = _ata_statistic(data, ENDURANCE_USED)
    hours = _number(_dict(data.get("power_on_time")).get("hours"))
    if hours is None:
        hours = _number(nvme.get("power_on_hours"))
    passed = _dict(data.get("smart_status")).get("passed")
    health = SmartHealth(
        device=device, percentage_used=used, media_errors=_number(nvme.get("media_errors")),
        reallocated_sectors=_ata_attribute(data, REALLOCATED_SECTORS), power_on_hours=hours,
        passed=passed if isinstance(passed, bool) else None)
    return health if health.readings() else None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 1e15 else None  # negative or absurd: garbage


def _ata_attribute(data: dict, ident: int) -> float | None:
    table = _dict(data.get("ata_smart_attributes")).get("table")
    for row in table if isinstance(table, list) else []:
        if isinstance(row, dict) and row.get("id") == ident:
            # the low 16 bits: some vendors pack other counters into the upper raw bytes
            raw = _number(_dict(row.get("raw")).get("value"))
            return None if raw is None else float(int(raw) & 0xFFFF)
    return None


def _ata_statistic(data: dict, name: str) -> float | None:
    pages = _dict(data.get("ata_device_statistics")).get("pages")
    for page in pages if isinstance(pages, list) else []:
        table = _dict(page).get("table")
        for row in table if isinstance(table, list) else []:
            if isinstance(row, dict) and row.get("name") == name:
                return _number(row.get("value"))
    return None


class SmartReader:
    """SMART health of the fixed disks under `root`, refreshed every `interval` seconds.

    `run` and `monotonic` are parameters so tests can hand in a fake smartctl and clock.
    """

    def __init__(self, root: Path = Path("/"), smartctl: str = "smartctl",
                 interval: float = SMART_INTERVAL, timeout: float = SMART_TIMEOUT,
                 run: Callable[[Sequence[str], float], str] = run_command,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.root = root
        self.smartctl = smartctl
        self.interval = interval
        self.timeout = timeout
        self._run = run
        self._monotonic = monotonic
        self._cache: list[SmartHealth] = []
        self._read_at: float | None = None
        self._warned: set[str] = set()
        self.runs = 0  # smartctl invocations, for the benchmark and tests

    def read(self) -> list[SmartHealth]:
        now = self._monotonic()
        if self._read_at is not None and 0 <= now - self._read_at < self.interval:
            return self._cache
        self._read_at = now
        disks = sysfs.smart_disks(self.root)
        self._cache = []
        for disk in disks:
            try:
                health = self._ask(disk)
            except SmartctlMissing:
                self._warn("missing", "smartctl not found (install smartmontools for disk "
                           "health readings); no SMART readings")
                break
            if health is not None:
                self._cache.append(health)
        return self._cache

    def _ask(self, disk: str) -> SmartHealth | None:
        command = [self.smartctl, "--json", "-a", f"/dev/{disk}"]
        self.runs += 1
        try:
            text = self._run(command, self.timeout)
        except subprocess.TimeoutExpired:
            self._warn(f"timeout {disk}", f"smartctl on /dev/{disk} gave no answer within "
                       f"{self.timeout:g} s and was stopped; no SMART readings for it")
            return None
        except OSError as exc:
            self._warn(f"oserror {disk}", f"cannot run smartctl on /dev/{disk}: {exc}")
            return None
        try:
            return parse_smartctl(disk, text)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            self._warn(f"garbage {disk}", f"smartctl on /dev/{disk} printed something that is "
                       f"not the JSON expected ({exc}); no SMART readings for it")
            return None

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s", message)
