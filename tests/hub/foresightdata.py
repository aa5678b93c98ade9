"""Three weeks of history for two clusters, stored through the real HeartbeatStore: one whose disk
fills, fan slows and cabinet grows damp, one that is fine. Used by the forecast page tests, the
Chromium screenshots and docs/images/hub-foresight-*.png."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from player.hub.ingest import HeartbeatStore, check_batch
from tests.hub.hubtools import report

STEP = timedelta(minutes=20)
DAYS = 21
FAILING, FINE = "bangioc-1", "cuakhau-2"


def readings(day: float, failing: bool) -> tuple[dict, dict]:
    """(summary changes, readings) at `day` days into the history."""
    hour = (day * 24 + 7) % 24  # local time
    daily = math.cos(2 * math.pi * (hour - 14) / 24)
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


def fill(store: HeartbeatStore, clock, now: float) -> None:
    """Store the history ending at `now`; `clock` (the store's) follows the arrivals."""
    end = datetime.fromtimestamp(now, UTC)
    start = end - timedelta(days=DAYS)
    for cluster, failing in ((FAILING, True), (FINE, False)):
        pending: list[dict] = []
        moment, seq = start, 0
        while moment <= end - timedelta(minutes=5):
            seq += 1
            day = (moment - start).total_seconds() / 86400
            summary, values = readings(day, failing)
            beat = report(cluster=cluster, seq=seq, when=moment)
            beat["summary"].update(summary)
            beat["readings"].update(values)
            beat["player"].update(screen="playing", off_hours=["23:00-05:30"])
            pending.append(beat)
            seq += 1
            pending.append(report("play", cluster=cluster, seq=seq, when=moment + STEP,
                                  item="thac-ban-gioc.jpg",
                                  start=_iso(moment), end=_iso(moment + STEP)))
            if failing and seq % 997 == 0:
                seq += 1
                pending.append(report("event", cluster=cluster, seq=seq, when=moment,
                                      severity="warning", event="restarted",
                                      message="rebooted under a running player"))
            moment += STEP
            if len(pending) >= 400:
                clock.now = moment.timestamp() + 5
                store.store(check_batch(cluster, pending))
                pending = []
        clock.now = now
        if pending:
            store.store(check_batch(cluster, pending))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
