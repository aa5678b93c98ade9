"""The tables of the forecasts, the availability report and the maintenance log, sharing the
hub's `player.hub.schema.metadata` (migration 0004 creates them).

`health_history` keeps, for every heartbeat, the few numbers the forecasts and the availability
report need (the full report is kept only for the newest heartbeat, in `latest`). Its times
are the device's, with `clock_synced` saying whether to believe them, and the hub's `received`.
"""

from __future__ import annotations

import math

import sqlalchemy as sa

from player.hub.schema import Time, metadata

health_history = sa.Table(
    "health_history", metadata,
    sa.Column("cluster", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("time", Time),
    sa.Column("received", Time),
    sa.Column("clock_synced", sa.Integer),
    sa.Column("boot_id", sa.Text),
    sa.Column("cpu_celsius", sa.Float),
    sa.Column("fan_rpm", sa.Float),  # the slowest fan
    sa.Column("wear_percent", sa.Float),  # the most worn storage: eMMC life used, SMART % used
    sa.Column("pre_eol", sa.Float),
    sa.Column("dew_margin", sa.Float),
    sa.Column("disk_free", sa.Float),
    sa.Column("screen", sa.Text),  # playing | starting | screen_off | display_unavailable ...
    sa.Column("display", sa.Integer),
    sa.Column("off_hours", sa.Text),  # the power schedule, "22:00-06:00,12:00-13:00"
)

maintenance_visits = sa.Table(
    "maintenance_visits", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cluster", sa.Text, nullable=False),
    sa.Column("visited", Time, nullable=False),  # the visit's date (unix time, local midnight)
    sa.Column("found", sa.Text, nullable=False, server_default=""),
    sa.Column("replaced", sa.Text, nullable=False, server_default=""),  # "storage,fan"
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("user_name", sa.Text, nullable=False, server_default=""),
    sa.Column("created", Time, nullable=False),
)


def _family(readings: dict, name: str) -> list[float]:
    """Every finite number of a reading family: `name` and `name{labels}`."""
    found = []
    for key, value in readings.items():
        if (key == name or (isinstance(key, str) and key.startswith(name + "{"))) and isinstance(
                value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            found.append(float(value))
    return found


def _mapping(body: dict, key: str) -> dict:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def history_row(cluster: str, report_id: str, time: float, received: float, clock_synced: bool,
                boot_id: str, body: dict) -> dict:
    """The `health_history` row of one heartbeat: a reading the box lacks (or sent as garbage)
    is NULL, never an error (the device's word is not trusted)."""
    readings, summary, player = (_mapping(body, key) for key in ("readings", "summary", "player"))
    fans = _family(readings, "signage_fan_rpm")
    wear = (_family(readings, "signage_emmc_life_used_percent")
            + _family(readings, "signage_disk_used_percent"))
    eol = _family(readings, "signage_emmc_pre_eol")
    margin = _family(readings, "signage_dew_point_margin_celsius")
    cpu = _family(readings, "signage_cpu_temperature_celsius")
    display = summary.get("display_connected")
    screen = player.get("screen")
    off_hours = player.get("off_hours")
    return {
        "cluster": cluster, "id": report_id, "time": time, "received": received,
        "clock_synced": int(bool(clock_synced)), "boot_id": str(boot_id)[:100],
        "cpu_celsius": cpu[0] if cpu else _number(summary.get("temperature_celsius")),
        "fan_rpm": min(fans) if fans else None,
        "wear_percent": max(wear) if wear else None,
        "pre_eol": max(eol) if eol else None,
        "dew_margin": min(margin) if margin else None,
        "disk_free": _number(summary.get("disk_free_bytes")),
        "screen": screen[:40] if isinstance(screen, str) else None,
        "display": display if display is None else int(bool(display)),
        "off_hours": (",".join(str(w)[:20] for w in off_hours[:12])
                      if isinstance(off_hours, list) else None),
    }
