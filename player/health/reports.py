"""Builders for the four report kinds of the heartbeat format (docs/heartbeat.md)."""

from __future__ import annotations

from datetime import UTC, datetime

FORMAT = 1
SEVERITIES = ("error", "warning", "info")
MAX_MESSAGE = 1000  # characters; the hub refuses longer texts


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`; naive datetimes are taken as UTC."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_report(severity: str, event: str, message: str, details: dict | None = None,
                 time: datetime | None = None) -> dict:
    if severity not in SEVERITIES:
        severity = "error"  # an unknown severity is treated as the one never thinned nor missed
    report: dict[str, object] = {"kind": "event", "time": iso(time), "severity": severity, "event": event[:100],
              "message": message[:MAX_MESSAGE]}
    if details:
        report["details"] = details
    return report


def play_report(item: str, release: int | None, start: datetime, end: datetime) -> dict:
    return {"kind": "play", "time": iso(end), "item": item, "release": release,
            "start": iso(start), "end": iso(end)}


def screenshot_report(jpeg_base64: str, width: int, height: int,
                      time: datetime | None = None) -> dict:
    return {"kind": "screenshot", "time": iso(time), "jpeg_base64": jpeg_base64,
            "width": width, "height": height}


def heartbeat_report(summary: dict, readings: dict, player: dict,
                     time: datetime | None = None) -> dict:
    return {"kind": "heartbeat", "time": iso(time), "summary": summary, "readings": readings,
            "player": player}


class Stamp:
    """Adds the keys every report carries (cluster, boot_id, uptime, clock_synced)."""

    def __init__(self, cluster: str, boot_id: str) -> None:
        self.cluster = cluster
        self.boot_id = boot_id
        self.uptime = 0.0
        self.clock_synced = False

    def update(self, uptime: float, clock_synced: bool) -> None:
        self.uptime = uptime
        self.clock_synced = clock_synced

    def __call__(self, report: dict) -> dict:
        return {"cluster": self.cluster, "boot_id": self.boot_id, "uptime": round(self.uptime, 3),
                "clock_synced": self.clock_synced, **report}
