"""Availability on a scripted day, stored through the real ingest path, matches a table worked
out by hand, to the minute."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from player.hub.availability import (
    AvailabilityView,
    Beat,
    Restart,
    Timeline,
    day_minutes,
    parse_windows,
)
from player.hub.heartbeat_store import HeartbeatStore
from player.hub.ingest import check_batch
from player.hub.pages import LOCAL
from tests.hub.hubtools import report

DAY = date(2026, 11, 10)
CLUSTER = "bangioc-1"

# The day, local time (UTC+7); the screen is off 22:00-06:00 by schedule (960 minutes on):
#   06:00-08:00 plays                                   shown        120
#   08:00-08:30 heartbeats say the display is gone      display       30
#   08:30-10:00 plays                                   shown         90
#   10:00-11:00 nothing; at 11:00:05 "restarted" warning, a new boot   power_cut  60
#   11:00-13:00 plays (from 11:00:20)                   shown        120
#   13:00-13:20 heartbeats, nothing plays (fallback)    no_content    20
#   13:20-14:00 plays                                   shown         40
#   14:00-14:15 nothing; at 14:15:00 "restarted" error  player_down   15
#   14:15-16:00 plays (from 14:15:20)                   shown        105
#   16:00-22:00 nothing since                           offline      360
HAND = {"scheduled": 960, "shown": 475, "display": 30, "power_cut": 60, "no_content": 20,
        "player_down": 15, "offline": 360}


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=LOCAL)


def scripted() -> tuple[list[dict], list[tuple[float, float]], list[tuple[datetime, str]]]:
    """(heartbeat fields, play intervals, restarted events)."""
    beats = []
    moment, end = at(0, 0, 10), at(16, 0)
    while moment < end:
        hm = (moment.hour, moment.minute)
        boot = "boot-1" if hm < (10, 0) else "boot-2"
        if (10, 0) <= hm < (11, 0) or (14, 0) <= hm < (14, 15):
            moment += timedelta(minutes=1)
            continue
        screen = "screen_off" if hm < (6, 0) else "playing"
        display = True
        if (8, 0) <= hm < (8, 30):
            screen, display = "display_unavailable", False
        beats.append({"when": moment, "boot": boot, "screen": screen, "display": display})
        moment += timedelta(minutes=1)
    spans = [(at(6, 0), at(8, 0)), (at(8, 30), at(10, 0)), (at(11, 0, 20), at(13, 0)),
             (at(13, 20), at(14, 0)), (at(14, 15, 20), at(16, 0))]
    plays = []
    for start, stop in spans:  # items of 10 minutes, the last one cut short
        t = start
        while t < stop:
            plays.append((t.timestamp(), min(t + timedelta(minutes=10), stop).timestamp()))
            t += timedelta(minutes=10)
    restarts = [(at(11, 0, 5), "warning"), (at(14, 15), "error")]
    return beats, plays, restarts


def minutes(result) -> dict:
    return {"scheduled": result.scheduled, "shown": result.shown,
            **{k: v for k, v in result.dark.items() if v}}


def test_the_pure_count_matches_the_hand_table():
    beats, plays, restarts = scripted()
    timeline = Timeline([Beat(b["when"].timestamp(), b["boot"], b["screen"], int(b["display"]),
                              "22:00-06:00") for b in beats], plays,
                        [Restart(t.timestamp(), s) for t, s in restarts])
    result = day_minutes(timeline, DAY, LOCAL, now=at(23, 59).timestamp() + 3600)
    assert minutes(result) == HAND


def test_the_stored_history_gives_the_same_table(tmp_path):
    beats, plays, restarts = scripted()
    store = HeartbeatStore(tmp_path / "hub.sqlite")
    try:
        reports, seq = [], 0
        for b in beats:
            seq += 1
            beat = report(cluster=CLUSTER, seq=seq, when=b["when"], boot_id=b["boot"])
            beat["summary"]["display_connected"] = b["display"]
            beat["player"].update(screen=b["screen"], off_hours=["22:00-06:00"])
            reports.append(beat)
        for start, end in plays:
            seq += 1
            reports.append(report("play", cluster=CLUSTER, seq=seq,
                                  when=datetime.fromtimestamp(end, LOCAL),
                                  start=datetime.fromtimestamp(start, LOCAL).isoformat(),
                                  end=datetime.fromtimestamp(end, LOCAL).isoformat()))
        for moment, severity in restarts:
            seq += 1
            reports.append(report("event", cluster=CLUSTER, seq=seq, when=moment,
                                  severity=severity, event="restarted", message="started"))
        for i in range(0, len(reports), 400):
            batch = check_batch(CLUSTER, reports[i:i + 400])
            assert not batch.rejected
            store.store(batch)
        now = at(23, 59).timestamp() + 86400 + 3600  # the next day is over too
        view = AvailabilityView(store.engine, LOCAL, clock=lambda: now)
        month = view.month(CLUSTER, 2026, 11)
        assert minutes(month[DAY.day - 1]) == HAND
        # the next day: offline all its scheduled hours, the schedule of the last heartbeat
        assert minutes(month[DAY.day]) == {"scheduled": 960, "shown": 0, "offline": 960}
        assert month[DAY.day - 2].scheduled == 0  # before the first heartbeat: not counted
    finally:
        store.close()


@pytest.mark.parametrize("text, count", [("22:00-06:00", 1), ("22:00-06:00,12:00-13:00", 2),
                                         ("", 0), ("25:00-06:00,x", 0)])
def test_schedule_windows_read_what_they_can(text, count):
    assert len(parse_windows(text)) == count
