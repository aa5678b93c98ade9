"""Alarm rules, `status.json` (atomic, rewritten only on change) and the technician's summary."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from player.core.config import HealthConfig
from player.core.units import format_duration
from player.health.readings import Sample

STATUS_FORMAT = 1
REFRESH = 600.0  # status.json is rewritten at least this often, else only when it changes
ERROR_WINDOW = 3600.0  # an error event this recent makes the cluster unhealthy
HYSTERESIS = 5.0  # degrees / percent under the threshold before an alarm clears
SEVERITY = {"display_disconnected": "error", "filesystem_readonly": "error", "disk_low": "error",
            "temperature_high": "warning", "humidity_high": "warning", "under_voltage": "warning",
            "filesystem_errors": "warning"}
UNHEALTHY = ("display_disconnected", "filesystem_readonly", "disk_low", "temperature_high")
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
    if free is not None and free < config.min_disk_free:
        found["disk_low"] = (f"{_size(free)} free on the state filesystem "
                             f"(minimum {_size(config.min_disk_free)})")
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
    return {
        "alarms": sorted(status.get("alarms", {})),
        "errors": [e.get("time") for e in status.get("errors_recent", [])],
        "playing": [player.get("playlist"), player.get("release"), player.get("audio")],
        "display": player.get("display"),
        "sync": (player.get("last_sync") or {}).get("result"),
        "upload": (status.get("upload") or {}).get("error"),
        "temperature": _coarse(s.get("temperature_celsius"), 1),
        "humidity": _coarse(s.get("humidity_percent"), 1),
        "disk": _coarse(s.get("disk_free_bytes"), 10**8),
    }


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same folder, fsync, rename, fsync the folder: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def read_status(path: Path) -> dict | None:
    """status.json, or None when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def unhealthy(status: dict | None, now: datetime | None = None) -> list[str]:
    """Why the cluster is unhealthy (empty when it is fine)."""
    if status is None:
        return ["no status.json: the player is not running or has never run"]
    now = now or datetime.now(UTC)
    reasons = []
    written = _parse_time(status.get("time"))
    limit = float(status.get("stale_after") or stale_after(60))
    if written is None or (now - written).total_seconds() > limit:
        age = "unknown" if written is None else format_duration((now - written).total_seconds())
        reasons.append(f"status is stale (written {age} ago): the player may be stopped or hung")
    for name, message in (status.get("alarms") or {}).items():
        if name in UNHEALTHY:
            reasons.append(f"{name}: {message}")
    alarms = status.get("alarms") or {}
    for error in status.get("errors_recent") or []:
        when = _parse_time(error.get("time"))
        if error.get("event") in alarms:
            continue  # the alarm line above says it already
        if when and (now - when).total_seconds() <= ERROR_WINDOW:
            reasons.append(f"error {error.get('event')}: {error.get('message')}")
    return reasons


def one_line(status: dict) -> str:
    """A short summary for systemd's STATUS= (shown by `systemctl status`)."""
    p = status.get("player") or {}
    parts = [f"playing {p.get('playlist') or 'nothing'}"
             + (f" release {p['release']}" if p.get("release") is not None else "")]
    alarms = status.get("alarms") or {}
    if alarms:
        parts.append("alarms: " + ", ".join(sorted(alarms)))
    waiting = (status.get("spool") or {}).get("reports") or 0
    if waiting > 100:  # a few waiting between uploads is normal; many means the hub is away
        parts.append(f"{waiting} reports waiting")
    return "; ".join(parts)


def summary_text(status: dict | None, sync_state: dict | None = None,
                 now: datetime | None = None) -> str:
    """The readable summary `signage-player status` prints."""
    now = now or datetime.now(UTC)
    reasons = unhealthy(status, now)
    if status is None:
        return "UNHEALTHY\n  " + reasons[0] + "\n"
    s = status.get("summary") or {}
    p = status.get("player") or {}
    lines = [f"Cluster {status.get('cluster', '?')}: "
             + ("UNHEALTHY" if reasons else "healthy")]
    lines += [f"  ! {reason}" for reason in reasons]
    written = _parse_time(status.get("time"))
    age = format_duration((now - written).total_seconds()) if written else "?"
    lines.append(f"  status   written {status.get('time')} ({age} ago), player pid "
                 f"{status.get('pid')}, up {format_duration(status.get('uptime') or 0)}")
    release = p.get("release")
    lines.append(f"  playing  {p.get('playlist') or '(nothing)'}"
                 + (f" release {release}" if release is not None else "")
                 + (f', item "{p["item"]}"' if p.get("item") else "")
                 + f"; {p.get('frames', 0)} frames, {p.get('late_frames', 0)} late")
    audio = "on" if p.get("audio") else f"off ({p.get('audio_reason') or 'no device'})"
    display = p.get("display") or {}
    size = "x".join(str(v) for v in display.get("size") or []) or "?"
    connected = {True: "connected", False: "DISCONNECTED", None: "connector unknown"}[
        s.get("display_connected")]
    lines.append(f"  display  {display.get('driver') or '?'} {size}, {connected}; audio {audio}")
    lines.append("  machine  " + ", ".join(_machine(s)))
    clock = "synchronised" if status.get("clock_synced") else "NOT synchronised"
    lines.append(f"  clock    {clock}")
    spool, upload = status.get("spool") or {}, status.get("upload") or {}
    waiting = f"{spool.get('reports', 0)} reports waiting"
    if spool.get("oldest"):
        waiting += f" (oldest {spool['oldest']})"
    if spool.get("thinned_total"):
        waiting += f", {spool['thinned_total']} thinned"
    if not upload.get("enabled"):
        waiting += "; uploads off (no health.report_url)"
    elif upload.get("error"):
        waiting += f"; last upload failed: {upload['error']}"
    elif upload.get("last_ok"):
        waiting += f"; last upload {upload['last_ok']}"
    lines.append(f"  reports  {waiting}")
    sync = p.get("last_sync") or {}
    if sync:
        lines.append("  sync     " + ", ".join(f"{k} {v}" for k, v in sync.items()
                                               if v is not None))
    if sync_state and (sync_state.get("current_version") is not None
                       or sync_state.get("last_attempt")):
        lines.append("  content  " + _content(sync_state))
    for name, message in (status.get("alarms") or {}).items():
        if name not in UNHEALTHY:
            lines.append(f"  warning  {name}: {message}")
    return "\n".join(lines) + "\n"


def _content(state: dict) -> str:
    """The sync worker's state file in a line."""
    version = state.get("current_version")
    parts = [f"release {version}" if version is not None else "no release yet"]
    if state.get("last_attempt"):
        parts.append(f"last sync {state['last_attempt']} {state.get('last_result') or ''}".strip())
    if state.get("last_success") and state.get("last_success") != state.get("last_attempt"):
        parts.append(f"last success {state['last_success']}")
    if state.get("bytes_pending"):
        parts.append(f"{_size(state['bytes_pending'])} still to download")
    if state.get("last_error"):
        parts.append(f"error: {state['last_error']}")
    return "; ".join(parts)


def _machine(s: dict) -> list[str]:
    parts = []
    if s.get("temperature_celsius") is not None:
        parts.append(f"CPU {s['temperature_celsius']:.1f} °C")
    if s.get("humidity_percent") is not None:
        parts.append(f"humidity {s['humidity_percent']:.0f} %")
    if s.get("disk_free_bytes") is not None:
        total = _size(s.get("disk_total_bytes"))
        parts.append(f"disk {_size(s['disk_free_bytes'])} free of {total}")
    if s.get("memory_available_bytes") is not None:
        parts.append(f"memory {_size(s['memory_available_bytes'])} free")
    if s.get("load1") is not None:
        parts.append(f"load {s['load1']}")
    return parts or ["no readings"]


def _size(value: float | None) -> str:
    if value is None:
        return "?"
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{int(value)} B"


def _coarse(value: float | None, step: float) -> int | None:
    return None if value is None or not math.isfinite(value) else int(value // step)


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


