"""Whether a cluster is healthy, and the technician's summary `signage-player status` prints,
both read from status.json."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from player.core.units import format_duration
from player.health.board import SHOWING
from player.health.status import (
    CONFIG_EVENTS,
    FALLBACK_LIMIT,
    SEVERITY,
    UNHEALTHY,
    human_size,
    stale_after,
)
from player.i18n import _

ERROR_WINDOW = 3600.0  # an error event this recent makes the cluster unhealthy
UPLOAD_REFUSED = (401, 403, 404, 405)  # answers that no waiting cures: the config is wrong


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
    reasons = _not_running(status, now, running)
    for problem in ((status.get("config") or {}).get("problems") or [])[:3]:
        reasons.append(_("config: {problem}").format(problem=problem))
    alarms = status.get("alarms") or {}
    reasons += [f"{name}: {message}" for name, message in alarms.items() if name in UNHEALTHY]
    reasons += _not_playing_or_reporting(status, alarms)
    return reasons + _recent_errors(status, alarms, now)


def _not_running(status: dict, now: datetime, running: Callable[[int], bool] | None) -> list[str]:
    """The process gone, or the status not rewritten for too long."""
    written = _parse_time(status.get("time"))
    limit = float(status.get("stale_after") or stale_after(60))
    pid = status.get("pid")
    if running is not None and isinstance(pid, int) and not running(pid):
        return [_("the player (pid {pid}) is not running: it ended without a clean stop")
                .format(pid=pid)]
    if written is None or (now - written).total_seconds() > limit:
        age = "?" if written is None else format_duration((now - written).total_seconds())
        return [_("status is stale (written {age} ago): the player may be stopped or hung")
                .format(age=age)]
    return []


def _not_playing_or_reporting(status: dict, alarms: dict) -> list[str]:
    """The fallback slide alone for long, or a hub that refuses the reports."""
    reasons = []
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
    return reasons


def _recent_errors(status: dict, alarms: dict, now: datetime) -> list[str]:
    """Error events of the last ERROR_WINDOW that no alarm or config state speaks for."""
    reasons = []
    config = status.get("config")
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
    verdict = _("UNHEALTHY") if reasons else _("healthy")
    lines = [_("Cluster {cluster}: {verdict}").format(cluster=status.get("cluster", "?"),
                                                      verdict=verdict)]
    lines += [f"  ! {reason}" for reason in reasons]
    lines += ["  " + line for line in _machine_lines(status, now)]
    lines += ["  " + line for line in _progress_lines(status, sync_state)]
    return "\n".join(lines) + "\n"


def _machine_lines(status: dict, now: datetime) -> list[str]:
    """The status file, uptimes, what plays, the display and audio, readings, the clock."""
    s = status.get("summary") or {}
    p = status.get("player") or {}
    written = _parse_time(status.get("time"))
    age = format_duration((now - written).total_seconds()) if written else "?"
    lines = [_("status   written {time} ({age} ago), player pid {pid}").format(
        time=status.get("time"), age=age, pid=status.get("pid"))]
    lines.append(_("uptime   player {process}, machine {machine}").format(
        process=_duration(status.get("process_uptime")),
        machine=_duration(status.get("machine_uptime", status.get("uptime")))))
    lines.append(_playing(status, p))
    audio = _("on") if p.get("audio") else _("off ({reason})").format(
        reason=p.get("audio_reason") or _("no device"))
    display = p.get("display") or {}
    size = "x".join(str(v) for v in display.get("size") or []) or "?"
    connected = {True: _("connected"), False: _("DISCONNECTED"), None: _("connector unknown")}[
        s.get("display_connected")]
    lines.append(_("display  {driver} {size}, {connected}; audio {audio}").format(
        driver=display.get("driver") or "?", size=size, connected=connected, audio=audio))
    lines.append(_("machine  {readings}").format(readings=", ".join(_machine(s))))
    clock = _("synchronised") if status.get("clock_synced") else _("NOT synchronised")
    lines.append(_("clock    {state}").format(state=clock))
    return lines


def _progress_lines(status: dict, sync_state: dict | None) -> list[str]:
    """Reports and uploads, sync and content, and the alarms that are only warnings."""
    lines = [_("reports  {state}").format(state=_reports(status))]
    sync = (status.get("player") or {}).get("last_sync") or {}
    if sync:
        lines.append(_("sync     {state}").format(
            state=", ".join(f"{k} {v}" for k, v in sync.items() if v is not None)))
    if sync_state and (sync_state.get("current_version") is not None
                       or sync_state.get("last_attempt")):
        lines.append(_("content  {state}").format(state=_content(sync_state)))
    for name, message in (status.get("alarms") or {}).items():
        if name not in UNHEALTHY:
            lines.append(_("warning  {name}: {message}").format(name=name, message=message))
    return lines


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
        parts.append(_("{size} still to download").format(size=human_size(state["bytes_pending"])))
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
            free=human_size(s["disk_free_bytes"]), total=human_size(s.get("disk_total_bytes"))))
    if s.get("memory_available_bytes") is not None:
        parts.append(_("memory {free} free").format(free=human_size(s["memory_available_bytes"])))
    if s.get("load1") is not None:
        parts.append(_("load {value}").format(value=s["load1"]))
    return parts or [_("no readings")]


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
