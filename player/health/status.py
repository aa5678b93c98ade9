"""Alarm rules, `status.json` (atomic, rewritten only on change) and the technician's summary."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from player.core.config import HealthConfig
from player.core.units import format_duration
from player.health.board import SHOWING
from player.health.readings import Sample
from player.i18n import _
from player.storage import durable

STATUS_FORMAT = 1
REFRESH = 600.0  # status.json is rewritten at least this often, else only when it changes
ERROR_WINDOW = 3600.0  # an error event this recent makes the cluster unhealthy
HYSTERESIS = 5.0  # degrees / percent under the threshold before an alarm clears
DISK_FULL_BELOW = 256 * 1024  # bytes: the state filesystem is full, not merely low
DISK_FULL_CLEARS = 8 * 1024**2  # ... and no longer full (room for the reserve again)
FALLBACK_LIMIT = 60.0  # seconds of the fallback slide alone before the cluster is unhealthy
CONFIG_EVENTS = ("config_invalid", "config_bad")
UPLOAD_REFUSED = (401, 403, 404, 405)  # answers that no waiting cures: the config is wrong
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
        found["disk_full"] = (f"the state filesystem is full ({_size(free)} free): reports and "
                              "new content cannot be written")
    elif free is not None and free < config.min_disk_free:
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


def unhealthy(status: dict | None, now: datetime | None = None,
              running: Callable[[int], bool] | None = None) -> list[str]:
    """Why the cluster is unhealthy (empty when it is fine). `running(pid)` says whether the
    player's process still exists (given by `status` on the player's own machine)."""
    if status is None:
        return [_("no status.json: the player is not running or has never run")]
    now = now or datetime.now(UTC)
    if status.get("state") == "stopped":
        stopped = status.get("stopped") or {}
        return [_("the player stopped at {time} ({reason})").format(
            time=stopped.get("time", "?"), reason=stopped.get("reason", "?"))]
    reasons = []
    written = _parse_time(status.get("time"))
    limit = float(status.get("stale_after") or stale_after(60))
    pid = status.get("pid")
    if running is not None and isinstance(pid, int) and not running(pid):
        reasons.append(_("the player (pid {pid}) is not running: it ended without a clean stop")
                       .format(pid=pid))
    elif written is None or (now - written).total_seconds() > limit:
        age = "?" if written is None else format_duration((now - written).total_seconds())
        reasons.append(_("status is stale (written {age} ago): the player may be stopped or hung")
                       .format(age=age))
    config = status.get("config")
    for problem in ((config or {}).get("problems") or [])[:3]:
        reasons.append(_("config: {problem}").format(problem=problem))
    alarms = status.get("alarms") or {}
    for name, message in alarms.items():
        if name in UNHEALTHY:
            reasons.append(f"{name}: {message}")
    player = status.get("player") or {}
    fallback = player.get("fallback_seconds")
    if isinstance(fallback, int | float) and fallback > FALLBACK_LIMIT \
            and "fallback_only" not in alarms:  # between samples: the alarm comes at the next
        reasons.append(_("only the fallback slide is showing (for {age}): no playable content")
                       .format(age=format_duration(fallback)))
    upload = status.get("upload") or {}
    if upload.get("error") and upload.get("status") in UPLOAD_REFUSED:
        reasons.append(_("heartbeat uploads fail: {error} (check health.report_url and "
                         "health.token)").format(error=upload["error"]))
    for error in status.get("errors_recent") or []:
        when = _parse_time(error.get("time"))
        if error.get("event") in alarms or error.get("event") in SEVERITY:
            continue  # an alarm counts while it is up (said above), not once it cleared
        if (config or {}).get("time") and error.get("event") in CONFIG_EVENTS:
            continue  # the config in force says whether it is still wrong
        if when and (now - when).total_seconds() <= ERROR_WINDOW:
            reasons.append(_("error {event}: {message}").format(
                event=error.get("event"), message=error.get("message")))
    return reasons


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


def summary_text(status: dict | None, sync_state: dict | None = None,
                 now: datetime | None = None, running: Callable[[int], bool] | None = None,
                 extra: list[str] | None = None) -> str:
    """The readable summary `signage-player status` prints; `extra`: reasons the caller found
    (the config's problems, the state folder's), listed first."""
    now = now or datetime.now(UTC)
    reasons = unhealthy(status, now, running)
    problems = list(extra or [])  # found by the caller: the config, the state folder
    if status is None:
        return "\n".join([_("UNHEALTHY")] + [f"  ! {r}" for r in problems + reasons]) + "\n"
    reasons = problems + [r for r in reasons if r not in problems]
    s = status.get("summary") or {}
    p = status.get("player") or {}
    verdict = _("UNHEALTHY") if reasons else _("healthy")
    lines = [_("Cluster {cluster}: {verdict}").format(cluster=status.get("cluster", "?"),
                                                      verdict=verdict)]
    lines += [f"  ! {reason}" for reason in reasons]
    written = _parse_time(status.get("time"))
    age = format_duration((now - written).total_seconds()) if written else "?"
    lines.append("  " + _("status   written {time} ({age} ago), player pid {pid}").format(
        time=status.get("time"), age=age, pid=status.get("pid")))
    lines.append("  " + _("uptime   player {process}, machine {machine}").format(
        process=_duration(status.get("process_uptime")),
        machine=_duration(status.get("machine_uptime", status.get("uptime")))))
    lines.append("  " + _playing(status, p))
    audio = _("on") if p.get("audio") else _("off ({reason})").format(
        reason=p.get("audio_reason") or _("no device"))
    display = p.get("display") or {}
    size = "x".join(str(v) for v in display.get("size") or []) or "?"
    connected = {True: _("connected"), False: _("DISCONNECTED"), None: _("connector unknown")}[
        s.get("display_connected")]
    lines.append("  " + _("display  {driver} {size}, {connected}; audio {audio}").format(
        driver=display.get("driver") or "?", size=size, connected=connected, audio=audio))
    lines.append("  " + _("machine  {readings}").format(readings=", ".join(_machine(s))))
    clock = _("synchronised") if status.get("clock_synced") else _("NOT synchronised")
    lines.append("  " + _("clock    {state}").format(state=clock))
    lines.append("  " + _("reports  {state}").format(state=_reports(status)))
    sync = p.get("last_sync") or {}
    if sync:
        lines.append("  " + _("sync     {state}").format(
            state=", ".join(f"{k} {v}" for k, v in sync.items() if v is not None)))
    if sync_state and (sync_state.get("current_version") is not None
                       or sync_state.get("last_attempt")):
        lines.append("  " + _("content  {state}").format(state=_content(sync_state)))
    for name, message in (status.get("alarms") or {}).items():
        if name not in UNHEALTHY:
            lines.append("  " + _("warning  {name}: {message}").format(name=name,
                                                                      message=message))
    return "\n".join(lines) + "\n"


def _playing(status: dict, p: dict) -> str:
    if status.get("state") == "stopped":
        stopped = status.get("stopped") or {}
        return _("playing  nothing: stopped at {time} ({reason})").format(
            time=stopped.get("time", "?"), reason=stopped.get("reason", "?"))
    screen = p.get("screen") or "playing"
    if screen not in SHOWING:
        detail = f" ({p['screen_detail']})" if p.get("screen_detail") else ""
        labels = {"screen_off": _("the screen is off by its schedule"),
                  "display_unavailable": _("no display: the player waits for it")}
        label = labels.get(screen, screen)
        return _("playing  nothing: {state}{detail}").format(state=label, detail=detail)
    if isinstance(p.get("fallback_seconds"), int | float):
        return _("playing  only the fallback slide, for {age}: no playable content").format(
            age=format_duration(p["fallback_seconds"]))
    release = p.get("release")
    text = _("playing  {playlist}").format(playlist=p.get("playlist") or _("(nothing)"))
    if release is not None:
        text += " " + _("release {version}").format(version=release)
    if p.get("item"):
        text += ", " + _('item "{item}"').format(item=p["item"])
        if p.get("item_seconds") is not None:
            text += " " + _("(on screen {age} before the status was written)").format(
                age=format_duration(p["item_seconds"]))
    return text + "; " + _("{frames} frames, {late} late").format(
        frames=p.get("frames", 0), late=p.get("late_frames", 0))


def _reports(status: dict) -> str:
    spool, upload = status.get("spool") or {}, status.get("upload") or {}
    text = _("{count} reports waiting").format(count=spool.get("reports", 0))
    if spool.get("in_memory"):
        text += " " + _("(+{count} in memory)").format(count=spool["in_memory"])
    if spool.get("oldest"):
        text += " " + _("(oldest {time})").format(time=spool["oldest"])
    if spool.get("thinned_total"):
        text += ", " + _("{count} thinned").format(count=spool["thinned_total"])
    if not upload.get("enabled"):
        text += "; " + _("uploads off (no health.report_url)")
        return text
    if upload.get("error"):
        text += "; " + _("uploads failing since {time}: {error}").format(
            time=upload.get("failing_since") or "?", error=upload["error"])
    if upload.get("last_ok"):
        text += "; " + _("last upload {time}").format(time=upload["last_ok"])
    elif not upload.get("error"):
        text += "; " + _("nothing uploaded yet")
    return text


def _duration(value: object) -> str:
    return format_duration(value) if isinstance(value, int | float) else "?"


def _content(state: dict) -> str:
    """The sync worker's state file in a line."""
    version = state.get("current_version")
    parts = [_("release {version}").format(version=version) if version is not None
             else _("no release yet")]
    if state.get("last_attempt"):
        parts.append(_("last sync {time} {result}").format(
            time=state["last_attempt"], result=state.get("last_result") or "").strip())
    if state.get("last_success") and state.get("last_success") != state.get("last_attempt"):
        parts.append(_("last success {time}").format(time=state["last_success"]))
    if state.get("bytes_pending"):
        parts.append(_("{size} still to download").format(size=_size(state["bytes_pending"])))
    if state.get("last_error"):
        parts.append(_("error: {error}").format(error=state["last_error"]))
    return "; ".join(parts)


def _machine(s: dict) -> list[str]:
    parts = []
    if s.get("temperature_celsius") is not None:
        parts.append(_("CPU {value} °C").format(value=f"{s['temperature_celsius']:.1f}"))
    if s.get("humidity_percent") is not None:
        parts.append(_("humidity {value} %").format(value=f"{s['humidity_percent']:.0f}"))
    if s.get("disk_free_bytes") is not None:
        parts.append(_("disk {free} free of {total}").format(
            free=_size(s["disk_free_bytes"]), total=_size(s.get("disk_total_bytes"))))
    if s.get("memory_available_bytes") is not None:
        parts.append(_("memory {free} free").format(free=_size(s["memory_available_bytes"])))
    if s.get("load1") is not None:
        parts.append(_("load {value}").format(value=s["load1"]))
    return parts or [_("no readings")]


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


