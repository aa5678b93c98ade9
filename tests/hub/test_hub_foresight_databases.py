"""The forecast, availability and maintenance queries on SQLite and on PostgreSQL, over
heartbeats posted to a real hub over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from player.hub.availability import AvailabilityView
from player.hub.maintenance import MaintenanceLog
from player.hub.pages import LOCAL
from tests.hub.hubtools import batch, report


def test_forecasts_availability_and_visits_on_both_databases(hub):
    now = datetime.now(UTC).replace(microsecond=0)
    reports = []
    for i in range(3 * 24):  # three days, hourly: the disk loses 1 GB a day
        when = now - timedelta(hours=3 * 24 - i)
        beat = report(cluster="bangioc-1", seq=2 * i + 1, when=when)
        beat["summary"]["disk_free_bytes"] = 10e9 - i / 24 * 1e9
        beat["readings"]["signage_dew_point_margin_celsius"] = 8.0
        beat["player"].update(screen="playing", off_hours=["23:00-05:30"])
        reports.append(beat)
        reports.append(report("play", cluster="bangioc-1", seq=2 * i + 2, when=when,
                              start=when.isoformat(), end=(when + timedelta(hours=1)).isoformat()))
    answer = hub.post(batch(*reports))
    assert answer.status_code == 200, answer.text
    state = hub.server.hub
    found = {f.kind: f for f in state.view.foresight.cluster("bangioc-1").forecasts}
    assert found["disk_full"].state == "warn"
    assert 6.5 < found["disk_full"].values["days"] < 7.5  # 7 GB left, less 1 GB a day
    assert found["condensation"].state == "insufficient"
    yesterday = (now - timedelta(days=1)).astimezone(LOCAL).date()
    days = AvailabilityView(state.store.engine, LOCAL).month("bangioc-1", yesterday.year,
                                                             yesterday.month)
    day = days[yesterday.day - 1]
    assert day.scheduled == 24 * 60 - 390 and day.shown == day.scheduled  # 23:00-05:30 off
    visits = MaintenanceLog(state.store.engine)
    visits.add("bangioc-1", now.timestamp(), "", ("storage",), "", "lan")
    state.view.foresight.forget("bangioc-1")
    after = {f.kind: f for f in state.view.foresight.cluster("bangioc-1").forecasts}
    assert after["disk_full"].state == "insufficient"
    assert [v.replaced for v in visits.visits("bangioc-1")] == [("storage",)]
