"""Heartbeat batches against the real hub: accepted, idempotent, refused cleanly, nothing lost."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from player.hub.ingest import ReportError, check_report, parse_time
from tests.hub.hubtools import CLUSTER_TOKEN, OTHER_TOKEN, batch, report


def stored_ids(hub) -> set[str]:
    """Read the database directly (SQLite file or PostgreSQL), not through the hub."""
    engine = sa.create_engine(hub.server.hub.database_url)
    try:
        with engine.connect() as db:
            return {row[0] for row in db.execute(sa.text("SELECT id FROM reports"))}
    finally:
        engine.dispose()


def test_batch_is_stored_and_acknowledged(hub):
    reports = [report(seq=1), report("event", seq=2), report("play", seq=3)]
    answer = hub.post(batch(*reports))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ack": [r["id"] for r in reports]}
    assert stored_ids(hub) == {r["id"] for r in reports}
    assert hub.server.store.count("samples") == 1
    assert hub.server.store.count("events") == 1
    assert hub.server.store.count("plays") == 1


def test_same_batch_twice_is_stored_once_and_acknowledged_twice(hub):
    reports = [report(seq=1), report("event", seq=2)]
    first = hub.post(batch(*reports))
    second = hub.post(batch(*reports, report(seq=3)))
    assert first.status_code == second.status_code == 200
    assert set(second.json()["ack"]) == {r["id"] for r in reports} | {second.json()["ack"][-1]}
    assert hub.server.store.count("reports") == 3
    assert hub.server.store.count("samples") == 2
    assert hub.server.store.count("events") == 1


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789", OTHER_TOKEN])
def test_missing_or_wrong_token_is_401(hub, token):
    answer = hub.post(batch(report()), token=token)
    assert answer.status_code == 401
    assert "error" in answer.json()
    assert stored_ids(hub) == set()


def test_basic_auth_is_not_a_bearer_token(hub):
    answer = hub.post(batch(report()), token=None,
                      headers={"Authorization": f"Basic {CLUSTER_TOKEN}"})
    assert answer.status_code == 401


def test_unknown_cluster_is_401_naming_it(hub):
    answer = hub.post(batch(report(cluster="ghost-9"), cluster="ghost-9"))
    assert answer.status_code == 401
    assert "ghost-9" in answer.json()["error"]


def test_oversize_body_is_413_and_the_hub_keeps_serving(hub):
    big = json.dumps(batch(report(), report("event", message="x" * 3_000_000))).encode()
    answer = hub.post(big)
    assert answer.status_code == 413
    assert hub.post(batch(report())).status_code == 200


def test_too_many_reports_is_413(hub):
    answer = hub.post(batch(*[report(seq=i) for i in range(501)]))
    assert answer.status_code == 413
    assert "500" in answer.json()["error"]


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"", b"[1, 2"])
def test_malformed_json_is_400(hub, body):
    answer = hub.post(body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "JSON" in answer.json()["error"]


@pytest.mark.parametrize("data,fragment", [
    ([1, 2], "JSON object"),
    ({"format": 1, "reports": []}, "cluster"),
    ({"format": 2, "cluster": "bangioc-1", "reports": []}, "format"),
    ({"format": 1, "cluster": "bangioc-1", "reports": {}}, "reports"),
    ({"format": 1, "cluster": "bangioc-1", "reports": [{"kind": "heartbeat"}]}, "reports[0].id"),
])
def test_wrong_shape_is_422(hub, data, fragment):
    answer = hub.post(data)
    assert answer.status_code == 422
    assert fragment in answer.json()["error"]


def test_one_bad_report_is_set_aside_and_the_others_kept(hub):
    good = report(seq=1)
    bad = report(seq=2, time="yesterday")
    foreign = report(seq=3, cluster="cuakhau-2")
    answer = hub.post(batch(good, bad, foreign))
    assert answer.status_code == 200
    body = answer.json()
    # Every id is acknowledged, so the device does not resend a poison report forever...
    assert body["ack"] == [good["id"], bad["id"], foreign["id"]]
    assert [r["id"] for r in body["rejected"]] == [bad["id"], foreign["id"]]
    assert "reports[1].time" in body["rejected"][0]["error"]
    # ...and nothing is lost: the bad ones are kept with their reason.
    assert hub.server.store.count("rejected") == 2
    assert stored_ids(hub) == {good["id"]}


def test_stored_reports_survive_a_restart(hub, tmp_path):
    reports = [report(seq=i) for i in range(5)]
    assert hub.post(batch(*reports)).status_code == 200
    assert hub.post(b"garbage").status_code == 400
    hub.server.stop()
    assert stored_ids(hub) == {r["id"] for r in reports}


def test_screenshot_is_kept_and_served(hub):
    import base64
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg-bytes\xff\xd9"
    shot = report("screenshot", jpeg_base64=base64.b64encode(jpeg).decode(), width=480,
                  height=270)
    assert hub.post(batch(shot)).status_code == 200
    import requests
    answer = requests.get(hub.url + "clusters/bangioc-1/screenshot.jpg", timeout=10)
    assert answer.status_code == 200 and answer.content == jpeg
    assert answer.headers["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("change,key", [
    ({"kind": "weather"}, "kind"), ({"seq": -1}, "seq"), ({"seq": True}, "seq"),
    ({"clock_synced": "yes"}, "clock_synced"), ({"time": "2026-13-40T00:00:00Z"}, "time"),
    ({"summary": {"temperature_celsius": "hot"}}, "summary.temperature_celsius"),
    ({"summary": {"display_connected": 1}}, "summary.display_connected"),
    ({"readings": {"x": "1"}}, "readings"), ({"player": {"release": "3"}}, "player.release"),
])
def test_check_report_names_the_key(change, key):
    raw = {**report(), **change}
    with pytest.raises(ReportError) as caught:
        check_report(raw, "bangioc-1")
    assert str(caught.value).startswith(key)


def test_times_with_offsets_and_without_zone():
    assert parse_time("2026-11-26T08:00:00Z", "t") == parse_time("2026-11-26T15:00:00+07:00", "t")
    assert parse_time("2026-11-26T08:00:00", "t") == parse_time("2026-11-26T08:00:00Z", "t")


def test_an_integer_sqlite_cannot_hold_sets_the_report_aside():
    from player.hub.ingest import check_batch

    huge = report(seq=2)
    huge["player"]["release"] = 2**63
    checked = check_batch("bangioc-1", [report(seq=1), huge])
    assert len(checked.reports) == 1 and len(checked.rejected) == 1
    assert "player.release" in checked.rejected[0][1]


def test_a_number_too_long_to_read_is_a_400():
    from player.hub.config import HubConfig
    from player.hub.ingest import BatchError, read_batch

    body = b'{"format": 1, "cluster": "bangioc-1", "reports": [{"seq": ' + b"9" * 5000 + b"}]}"
    with pytest.raises(BatchError) as refused:
        read_batch(body, f"Bearer {CLUSTER_TOKEN}", HubConfig())
    assert refused.value.status == 400
