"""Alarm rules and `status.json` (atomic, rewritten only on change); the technician's reading of
it is player/health/summary.py."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

from player.core.config import HealthConfig
from player.health.board import SHOWING
from player.health.readings import Sample
from player.storage import durable

STATUS_FORMAT = 1
REFRESH = 600.0  # status.json is rewritten at least this often, else only when it changes
HYSTERESIS = 5.0  # degrees / percent under the threshold before an alarm clears
DISK_FULL_BELOW = 256 * 1024  # bytes: the state filesystem is full, not merely low
DISK_FULL_CLEARS = 8 * 1024**2  # ... and no longer full (room for the reserve again)
FALLBACK_LIMIT = 60.0  # seconds of the fallback slide alone before the cluster is unhealthy
CONFIG_EVENTS = ("config_invalid", "config_bad")
SEVERITY = {"display_disconnected": "error", "filesystem_readonly": "error", "disk_low": "error",
            "disk_full": "error", "fallback_only": "error", "temperature_high": "warning",
            "humidity_high": "warning", "under_voltage": "warning", "filesystem_errors": "warning"}
UNHEALTHY = ("display_disconnected", "filesystem_readonly", "disk_low", "disk_full",
             "temperature_high", "fallback_only")
CLEARED = {"display_disconnected": "display_reconnected"}


def alarms(sample: Sample, config: HealthConfig, active: dict[str, str]) -> dict[str, str]:
    """The alarms raised by a sample (name -> message); `active` gives the hysteresis."""
    s = sample.summary
    found: dict[str, str] = {}
    temp = s.get("temperature_celsius")
    limit = config.max_temperature - (HYSTERESIS if "temperature_high" in active else 0)
    if temp is not None and temp >= limit:
        found["temperature_high"] = f"CPU at {temp:.1f} °C (limit {config.max_temperature:g} °C)"
    humidity = s.get("humidity_percent")
    limit = config.max_humidity - (HYSTERESIS if "humidity_high" in active else 0)
    if humidity is not None and humidity >= limit:
        found["humidity_high"] = (f"humidity at {humidity:.0f} % "
                                  f"(limit {config.max_humidity:g} %)")
    free = s.get("disk_free_bytes")
    limit = DISK_FULL_CLEARS if "disk_full" in active else DISK_FULL_BELOW
    if s.get("disk_full") or (free is not None and free < limit):
        found["disk_full"] = (f"the state filesystem is full ({human_size(free)} free): reports and "
                              "new content cannot be written")
    elif free is not None and free < config.min_disk_free:
        found["disk_low"] = (f"{human_size(free)} free on the state filesystem "
                             f"(minimum {human_size(config.min_disk_free)})")
    if sample.read_only:
        found["filesystem_readonly"] = "the state filesystem is read-only (the card may be failing)"
    if s.get("display_connected") is False:
        names = ", ".join(sorted(sample.connectors)) or "none"
        found["display_disconnected"] = f"no display connected (connectors: {names})"
    if sample.under_voltage:
        found["under_voltage"] = "the power supply is too weak (under-voltage)"
    if sample.ext4_errors:
        found["filesystem_errors"] = f"the filesystem recorded {sample.ext4_errors} errors"
    found.update(sample.forewarnings)  # held and cleared by their own rules (forewarn.py)
    return found


def player_alarms(player: dict) -> dict[str, str]:
    """Alarms from what the render loop reported: the fallback slide alone for too long."""
    fallback = player.get("fallback_seconds")
    if isinstance(fallback, int | float) and fallback > FALLBACK_LIMIT:
        return {"fallback_only": "only the fallback slide is showing: no playable content"}
    return {}


def alarm_events(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    """(severity, event, message) for each alarm raised or cleared between two samples."""
    events = [(SEVERITY.get(name, "warning"), name, message)
              for name, message in after.items() if name not in before]
    events += [("info", CLEARED.get(name, f"{name}_cleared"), f"cleared: {message}")
               for name, message in before.items() if name not in after]
    return events


def stale_after(interval: float) -> float:
    return 2 * max(REFRESH, interval) + 60


class StatusFile:
    """Writes `status.json` atomically, and only when something a person cares about changed."""

    def __init__(self, path: Path, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._monotonic = monotonic
        self._last_key: str | None = None
        self._last_write: float | None = None
        self.writes = 0

    def update(self, status: dict) -> bool:
        key = json.dumps(change_key(status), sort_keys=True)
        now = self._monotonic()
        due = self._last_write is None or now - self._last_write >= REFRESH
        if key == self._last_key and not due:
            return False
        write_atomic(self.path, json.dumps(status, indent=2, ensure_ascii=False) + "\n")
        self._last_key, self._last_write = key, now
        self.writes += 1
        return True


def change_key(status: dict) -> dict:
    """What must trigger a rewrite: alarms, content, audio/display, sync and upload results,
    and readings coarsened so that noise does not (1 °C, 1 %, 100 MB)."""
    s = status.get("summary", {})
    player = status.get("player", {})
    spool = status.get("spool") or {}
    upload = status.get("upload") or {}
    waiting = (spool.get("reports") or 0) + (spool.get("in_memory") or 0)
    fallback = player.get("fallback_seconds")
    return {
        "state": status.get("state"),
        "alarms": sorted(status.get("alarms", {})),
        "errors": [e.get("time") for e in status.get("errors_recent", [])],
        "playing": [player.get("playlist"), player.get("release"), player.get("item"),
                    player.get("audio"), player.get("screen"), player.get("screen_detail")],
        "fallback_long": fallback is not None and fallback > FALLBACK_LIMIT,
        "display": player.get("display"),
        "config": (status.get("config") or {}).get("problems"),
        "sync": (player.get("last_sync") or {}).get("result"),
        "upload": [upload.get("error"), upload.get("last_ok")],
        "waiting": waiting if waiting < 10 else 10 + int(waiting).bit_length(),  # exact when few
        "in_memory": bool(spool.get("in_memory")),
        "temperature": _coarse(s.get("temperature_celsius"), 1),
        "humidity": _coarse(s.get("humidity_percent"), 1),
        "disk": _coarse(s.get("disk_free_bytes"), 10**8),
    }


def write_atomic(path: Path, text: str) -> None:
    """Write `text` durably (player.storage.durable), making the folder first if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    durable.write_atomic(path, text)


def read_status(path: Path) -> dict | None:
    """status.json, or None when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def one_line(status: dict) -> str:
    """A short summary for systemd's STATUS= (shown by `systemctl status`)."""
    p = status.get("player") or {}
    if (p.get("screen") or "playing") not in SHOWING:
        parts = [f"{p['screen']}" + (f" ({p['screen_detail']})" if p.get("screen_detail") else "")]
    else:
        parts = [f"playing {p.get('playlist') or 'nothing'}"
                 + (f" release {p['release']}" if p.get("release") is not None else "")]
    alarms = status.get("alarms") or {}
    if alarms:
        parts.append("alarms: " + ", ".join(sorted(alarms)))
    waiting = (status.get("spool") or {}).get("reports") or 0
    if waiting > 100:  # a few waiting between uploads is normal; many means the hub is away
        parts.append(f"{waiting} reports waiting")
    return "; ".join(parts)


def human_size(value: float | None) -> str:
    """Bytes as a person reads them: 1.2 GB."""
    if value is None:
        return "?"
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{int(value)} B"


def _coarse(value: float | None, step: float) -> int | None:
    return None if value is None or not math.isfinite(value) else int(value // step)
