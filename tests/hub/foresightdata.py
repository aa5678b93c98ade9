"""Three weeks of history for two clusters, stored through the real HeartbeatStore: one whose disk
fills, fan slows and cabinet grows damp, one that is fine. Used by the forecast page tests, the
Chromium screenshots and docs/images/hub-foresight-*.png."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from player.hub.heartbeat_store import HeartbeatStore
from player.hub.ingest import check_batch
from player.hub.pages import LOCAL
from tests.hub.hubtools import report

STEP = timedelta(minutes=20)
DAYS = 21
FAILING, FINE = "bangioc-1", "cuakhau-2"


def readings(day: float, failing: bool) -> tuple[dict, dict]:
    """(summary changes, readings) at `day` days into the history."""
    daily = math.cos(2 * math.pi * (day - 7 / 24) + math.pi)  # warmest at 14:00 UTC+7-ish
    if failing:
        free = 24e9 - day * 0.8e9  # full about nine days after the end
        rpm = max(0.0, 2600 - day * 100)  # stops about five days after the end
        cpu = 54 + day * 0.55 + 3 * daily
        margin = 9.0 - day * 0.33 + 1.5 * daily
        wear = 50.0 + 10 * int((day + 3) / 7)
    else:
        free, rpm, cpu, margin, wear = 18e9, 2400.0, 50 + 3 * daily, 9 + 1.5 * daily, 20.0
    summary = {"disk_free_bytes": free, "temperature_celsius": round(cpu, 1),
               "humidity_percent": 70.0}
    values = {'signage_fan_rpm{chip="pwmfan",sensor="fan1"}': rpm,
              "signage_cpu_temperature_celsius": round(cpu, 2),
              "signage_dew_point_margin_celsius": round(margin, 2),
              'signage_emmc_life_used_percent{device="mmcblk0",type="A"}': wear}
    return summary, values


def dark(moment: datetime, start: datetime, failing: bool) -> str:
    """What keeps the failing cluster's screen dark at `day`: a power cut from 9 to 11 every
    fifth day, the display lost from 15 to 16 every fourth day, an outage of the link (no
    reports) from 13 to 16 on day 17; "" while it plays."""
    if not failing:
        return ""
    local = moment.astimezone(LOCAL)
    hour = local.hour + local.minute / 60
    whole = (local.date() - start.astimezone(LOCAL).date()).days
    if whole % 5 == 2 and 9 <= hour < 11:
        return "power_cut"
    if whole == 17 and 13 <= hour < 16:
        return "offline"
    if whole % 4 == 1 and 15 <= hour < 16:
        return "display"
    return ""


def fill(store: HeartbeatStore, clock, now: float) -> None:
    """Store the history ending at `now`; `clock` (the store's) follows the arrivals."""
    end = datetime.fromtimestamp(now, UTC)
    start = end - timedelta(days=DAYS)
    for cluster, failing in ((FAILING, True), (FINE, False)):
        pending: list[dict] = []
        moment, seq, boot, cut = start, 0, 1, False
        while moment <= end - timedelta(minutes=5):
            day = (moment - start).total_seconds() / 86400
            why = dark(moment, start, failing)
            moment += STEP
            if why in ("power_cut", "offline"):
                cut = cut or why == "power_cut"
                continue
            at = moment - STEP
            if cut:  # the box boots again: the player says why it restarted
                boot, cut, seq = boot + 1, False, seq + 1
                pending.append(report("event", cluster=cluster, seq=seq, when=at,
                                      boot_id=f"boot-{boot}", severity="warning",
                                      event="restarted",
                                      message="rebooted under a running player (power cut)"))
            summary, values = readings(day, failing)
            seq += 1
            beat = report(cluster=cluster, seq=seq, when=at, boot_id=f"boot-{boot}")
            beat["summary"].update(summary)
            beat["readings"].update(values)
            beat["player"].update(screen="playing", off_hours=["23:00-05:30"])
            if why == "display":
                beat["summary"]["display_connected"] = False
                beat["player"].update(screen="display_unavailable", item=None)
            pending.append(beat)
            if why != "display":
                seq += 1
                pending.append(report("play", cluster=cluster, seq=seq, when=moment,
                                      boot_id=f"boot-{boot}", item="thac-ban-gioc.jpg",
                                      start=_iso(at), end=_iso(moment)))
            if len(pending) >= 400:
                clock.now = moment.timestamp() + 5
                store.store(check_batch(cluster, pending))
                pending = []
        clock.now = now
        if pending:
            store.store(check_batch(cluster, pending))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
