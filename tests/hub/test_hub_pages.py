"""The fleet page, the cluster page and the JSON API, rendered by the real hub."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import requests

from player.hub.config import HubConfig
from player.hub.fleet import ClusterStatus, alerts_for
from tests.hub.hubtools import EVIL_NAME, OTHER_TOKEN, batch, report

EVIL_MESSAGE = '<img src=x onerror="alert(1)"> clip "a&b".mp4'


def fill(hub) -> None:
    now = datetime.now(UTC)
    hot = report(seq=10, when=now)
    hot["summary"].update(temperature_celsius=75.5, humidity_percent=91.0,
                          disk_free_bytes=0.4e9, display_connected=False)
    hot["player"]["release"] = 2
    history = [report(seq=i, when=now - timedelta(minutes=30 * (20 - i))) for i in range(1, 10)]
    for i, sample in enumerate(history):
        sample["summary"]["temperature_celsius"] = 30 + i
    plays = [report("play", seq=20 + i, item="thac-ban-gioc.jpg") for i in range(3)]
    plays.append(report("play", seq=30, item="chua-phat-tich-truc-lam.mp4"))
    assert hub.post(batch(*history, hot, *plays)).status_code == 200
    evil = report("event", cluster="cuakhau-2", seq=1, message=EVIL_MESSAGE,
                  event="<b>decode_failed</b>")
    answer = hub.post(batch(evil, report(cluster="cuakhau-2", seq=2), cluster="cuakhau-2"),
                      token=OTHER_TOKEN)
    assert answer.status_code == 200


def test_fleet_page_in_vietnamese_shows_states_and_alerts(hub):
    fill(hub)
    page = requests.get(hub.url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = page.text
    assert '<html lang="vi">' in text
    assert "Bản Giốc – cổng chính" in text
    # the online cluster with its display disconnected is dark, not "online"
    assert "Mất tín hiệu màn hình" in text and "kiểm tra cáp HDMI và nguồn của màn hình" in text
    assert "Chưa báo cáo" in text
    assert "Nhiệt độ cao: 75,5 °C (ngưỡng 70 °C)" in text
    assert "Độ ẩm cao: 91% (ngưỡng 85%)" in text
    assert "Nội dung cũ: bản 2, bản mới nhất là 3" in text
    assert "Ổ đĩa sắp đầy" in text
    assert "<script" not in text.lower()


def test_english_switch(hub):
    fill(hub)
    text = requests.get(hub.url + "?lang=en", timeout=10).text
    assert '<html lang="en">' in text
    assert "Temperature high: 75.5 °C (limit 70 °C)" in text
    assert "Content out of date: release 2, latest is 3" in text
    assert 'href="/clusters/bangioc-1?lang=en"' in text
    assert 'href="/"' in text  # the switch back to Vietnamese


def test_html_in_cluster_names_and_error_texts_is_escaped(hub):
    fill(hub)
    for url in (hub.url, hub.url + "clusters/cuakhau-2", hub.url + "?lang=en"):
        text = requests.get(url, timeout=10).text
        assert "<script>" not in text and "<img src=x" not in text and "<b>decode" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Cửa khẩu &amp;" in text
    text = requests.get(hub.url + "clusters/cuakhau-2", timeout=10).text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; clip &#34;a&amp;b&#34;.mp4" in text
    api = requests.get(hub.url + "api/v1/clusters/cuakhau-2", timeout=10).json()
    assert api["cluster"]["name"] == EVIL_NAME
    assert api["cluster"]["events"][0]["message"] == EVIL_MESSAGE


def test_cluster_page_has_plots_plays_and_screenshot_link(hub):
    import base64
    fill(hub)
    shot = report("screenshot", seq=40, jpeg_base64=base64.b64encode(b"\xff\xd8jpeg").decode(),
                  width=480, height=270)
    assert hub.post(batch(shot)).status_code == 200
    text = requests.get(hub.url + "clusters/bangioc-1", timeout=10).text
    history = text.split('id="foresight"')[0]  # the forecasts' own plots follow
    assert history.count("<svg") == 3 and "<polyline" in history
    rows = re.findall(r'<tr><td>([^<]+)</td><td class="n">(\d+)</td>', text)
    assert "7 ngày" in text and "ngưỡng 70 °C" in text  # the range and the limit line's label
    assert ("thac-ban-gioc.jpg", "3") in rows
    assert ("chua-phat-tich-truc-lam.mp4", "1") in rows
    assert "/clusters/bangioc-1/screenshot.jpg" in text
    assert "30–39" in text or "30–75,5" in text  # the temperature plot's range


def test_json_api_has_the_same_data(hub):
    fill(hub)
    fleet = requests.get(hub.url + "api/v1/fleet", timeout=10).json()
    clusters = {c["id"]: c for c in fleet["clusters"]}
    assert clusters["bangioc-1"]["state"] == "online"
    assert clusters["silent-3"]["state"] == "never"
    codes = [a["code"] for a in clusters["bangioc-1"]["alerts"]]
    assert codes == ["display", "temperature", "humidity", "disk", "outdated"]
    assert fleet["latest_releases"] == {"ban-gioc": 3}
    detail = requests.get(hub.url + "api/v1/clusters/bangioc-1?days=1", timeout=10).json()
    assert detail["days"] == 1
    assert len(detail["history"]) == 10  # half-hourly samples stay apart at this scale
    month = requests.get(hub.url + "api/v1/clusters/bangioc-1?days=30", timeout=10).json()
    assert 1 < len(month["history"]) < 10  # averaged into wider buckets
    assert {p["item"]: p["plays"] for p in detail["plays_day"]} == {
        "thac-ban-gioc.jpg": 3, "chua-phat-tich-truc-lam.mp4": 1}


def test_unknown_pages_are_404_without_echoing_the_path(hub):
    for path in ("clusters/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "nothing<script>",
                 "api/v1/clusters/ghost"):
        answer = requests.get(hub.url + path, timeout=10)
        assert answer.status_code == 404
        assert "<script>alert" not in answer.text


def test_states_follow_the_hub_clock(tmp_path, hub_database):
    from player.hub.config import ClusterEntry
    from player.hub.database import database_url
    from player.hub.fleet import FleetView, PublishedVersions
    from player.hub.heartbeat_store import HeartbeatStore
    from player.hub.ingest import check_batch
    clock = [1_800_000_000.0]
    config = HubConfig(clusters={"a": ClusterEntry("a", "t" * 16)})
    store = HeartbeatStore(database_url(hub_database or tmp_path / "hub.sqlite", tmp_path),
                           clock=lambda: clock[0])
    try:
        view = FleetView(config, store, PublishedVersions(tmp_path), clock=lambda: clock[0])
        assert view.fleet().clusters[0].state == "never"
        store.store(check_batch("a", [report(cluster="a")]))
        assert view.fleet().clusters[0].state == "online"
        clock[0] += 13 * 60  # past the default stale_minutes (12)
        assert view.fleet().clusters[0].state == "stale"
        clock[0] += 30 * 60
        status = view.fleet().clusters[0]
        assert status.state == "offline"
        assert status.alerts[0].code == "offline" and status.alerts[0].severity == "error"
    finally:
        store.close()


def test_alert_rules_at_their_thresholds():
    config = HubConfig()
    calm = ClusterStatus("a", "A", "c", "online", temperature=70.0, humidity=85.0,
                         disk_free=500e6, display_connected=None, release=3, latest_release=3)
    assert alerts_for(calm, config) == []
    no_release = ClusterStatus("a", "A", "c", "online", release=None, latest_release=1)
    assert [a.code for a in alerts_for(no_release, config)] == ["outdated"]


def test_far_future_and_far_past_reports_never_break_the_pages(hub):
    fill(hub)
    future = report(seq=60, when=datetime(9999, 12, 31, tzinfo=UTC))
    past = report(seq=61, when=datetime(1970, 1, 2, tzinfo=UTC))
    past["clock_synced"] = False
    shot = report("screenshot", seq=62, when=datetime(2099, 1, 1, tzinfo=UTC),
                  jpeg_base64="/9j/", width=1, height=1)
    assert hub.post(batch(future, past, shot)).status_code == 200
    for path in ("", "?lang=en", "clusters/bangioc-1", "clusters/bangioc-1?range=24h",
                 "clusters/bangioc-1?range=30d&lang=en", "clusters/bangioc-1?range=1y",
                 "clusters/bangioc-1?range=<script>", "api/v1/fleet",
                 "api/v1/clusters/bangioc-1?days=99999999999999"):
        answer = requests.get(hub.url + path, timeout=10)
        assert answer.status_code == 200, (path, answer.text[:300])


def test_range_selector_and_proof_of_play_per_item(hub):
    fill(hub)
    for key, label in (("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days"),
                       ("1y", "1 year")):
        text = requests.get(hub.url + f"clusters/bangioc-1?range={key}&lang=en", timeout=10).text
        assert f'<b aria-current="page">{label}</b>' in text
        assert f"Proof of play · In the last {label}" in text
        history = text.split('id="foresight"')[0]  # the forecasts' own plots follow
        assert history.count('class="limit"') == 3  # every plot shows its alert limit
    text = requests.get(hub.url + "clusters/bangioc-1?range=24h", timeout=10).text
    rows = re.findall(r'<tr><td>([^<]+)</td><td class="n">(\d+)</td><td class="n">([\d:]+)</td>',
                      text)
    assert ("thac-ban-gioc.jpg", "3", "0:00") in rows
    assert 'href="/clusters/bangioc-1?range=1y"' in text
    older_link = requests.get(hub.url + "clusters/bangioc-1?days=30&lang=en", timeout=10).text
    assert '<b aria-current="page">30 days</b>' in older_link


def test_fleet_counters_and_worst_first(hub):
    fill(hub)
    text = requests.get(hub.url + "?lang=en", timeout=10).text
    order = re.findall(r'<article class="card (lv-[a-z]+)" id="cluster-([^"]+)"', text)
    assert order[0] == ("lv-dark", "bangioc-1")  # display lost and hot: first, and red
    assert [level for level, _ in order] == sorted(
        (level for level, _ in order),
        key=lambda level: ["lv-dark", "lv-warning", "lv-unknown", "lv-off", "lv-ok"].index(level))
    assert re.search(r'<li class="counter lv-dark"><span class="n">1</span> Screen dark</li>', text)
    assert "<title>(1) Signage clusters" in text  # the browser tab tells of the dark screen
    missing = requests.get(hub.url + "clusters/ghost", timeout=10)
    assert missing.status_code == 404 and "Không có cụm này." in missing.text
    assert "<details" in text and "decode_failed" in text  # the raw event folded away


def test_templates_and_styles_are_packaged():
    """A wheel carries only the package data pyproject.toml names: every template and style
    the pages read must match one of its patterns."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["player.hub"]
    hub = root / "player" / "hub"
    files = [p.relative_to(hub).as_posix() for folder in ("templates", "static")
             for p in (hub / folder).iterdir()]
    assert files and all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in files)
