"""The forecasts, the maintenance log and the availability reports on the hub's real app, over
three weeks of history stored through the real ingest path."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.pages import LOCAL
from tests.hub import foresightdata
from tests.hub.foresightdata import FAILING, FINE
from tests.hub.hubtools import hub_config_data
from tests.hub.webtools import PASSWORD, csrf_token, log_in, make_web_hub


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("foresight")
    hub = make_web_hub(tmp, hub_config_data(Ed25519PrivateKey.generate()))
    foresightdata.fill(hub.store, hub.clock, hub.clock.now)
    hub.people.accounts.add_user("ky-thuat", PASSWORD, "editor")
    hub.people.accounts.add_user("xem", PASSWORD, "viewer")
    yield hub
    hub.close()


def warnings_of(html: str, cluster: str) -> list[str]:
    card = html.split(f'id="cluster-{cluster}"', 1)[1].split("</article>", 1)[0]
    return re.findall(r'<li class="lv-warning"><b>([^<]*)</b>', card)


def test_the_fleet_page_warns_in_words_a_technician_acts_on(web):
    client = web.client()
    log_in(client, "xem")
    page = client.get("/").text
    words = " | ".join(warnings_of(page, FAILING))
    assert "Ổ đĩa sẽ đầy sau khoảng" in words
    assert "Quạt sắp dừng trong khi bo mạch nóng lên" in words
    assert "nguy cơ đọng sương" in words and "mở quạt / kiểm tra gioăng tủ" in page
    assert warnings_of(page, FINE) == []
    english = client.get("/?lang=en").text
    assert "condensation risk" in " ".join(warnings_of(english, FAILING))
    assert "run the fan / check the cabinet door seals" in english


def test_the_cluster_page_draws_each_forecast_with_its_line(web):
    client = web.client()
    log_in(client, "xem")
    page = client.get(f"/clusters/{FAILING}").text
    section = page.split('id="foresight"', 1)[1].split("</section>", 1)[0]
    assert section.count('class="forecast"') >= 3  # the dashed lines: disk, fan, margin...
    assert "dự kiến" in section
    fine = client.get(f"/clusters/{FINE}").text.split('id="foresight"', 1)[1]
    assert 'class="forecast"' not in fine.split("</section>", 1)[0]
    assert "không thấy nguy cơ" in fine
    data = client.get("/api/v1/fleet").json()
    failing = next(c for c in data["clusters"] if c["id"] == FAILING)
    assert {f["kind"] for f in failing["forecasts"]} >= {"disk_full", "fan", "condensation"}


def test_a_cluster_without_history_says_not_enough_data(web):
    client = web.client()
    log_in(client, "xem")
    page = client.get("/clusters/silent-3").text
    assert page.count("chưa đủ dữ liệu") == 6


def test_a_viewer_cannot_record_a_visit(web):
    client = web.client()
    log_in(client, "xem")
    form = client.get(f"/clusters/{FAILING}/maintenance")
    assert form.status_code == 200 and 'name="found"' not in form.text
    refused = client.post(f"/clusters/{FAILING}/maintenance",
                          data={"csrf_token": csrf_token(form.text), "date": "2026-01-02",
                                "found": "x"})
    assert refused.status_code == 403


def test_a_visit_needs_the_csrf_token_and_a_sane_date(web):
    client = web.client()
    log_in(client, "ky-thuat")
    page = client.get(f"/clusters/{FAILING}/maintenance").text
    assert client.post(f"/clusters/{FAILING}/maintenance",
                       data={"date": "2026-01-02", "found": "x"}).status_code == 403
    future = client.post(f"/clusters/{FAILING}/maintenance",
                         data={"csrf_token": csrf_token(page), "date": "2999-01-01",
                               "found": "x"})
    assert future.status_code == 422 and "Ngày không hợp lệ" in future.text
    odd_part = client.post(f"/clusters/{FAILING}/maintenance",
                           data={"csrf_token": csrf_token(page), "date": "2026-01-02",
                                 "replaced": ["flux-capacitor"]})
    assert odd_part.status_code == 422


def test_replacing_storage_restarts_its_forecasts_and_is_audited(web):
    """Last: the visit changes what the other tests see."""
    client = web.client()
    log_in(client, "ky-thuat")
    page = client.get(f"/clusters/{FAILING}/maintenance").text
    today = datetime.fromtimestamp(web.clock.now, LOCAL).date().isoformat()
    saved = client.post(f"/clusters/{FAILING}/maintenance",
                        data={"csrf_token": csrf_token(page), "date": today,
                              "found": "Thẻ nhớ mòn, tủ ẩm", "replaced": ["storage"],
                              "note": "<b>gioăng</b> cũ"})
    assert saved.status_code == 303
    listed = client.get(saved.headers["location"]).text
    assert "Đã lưu lần bảo trì." in listed and "&lt;b&gt;gioăng&lt;/b&gt; cũ" in listed
    words = " | ".join(warnings_of(client.get("/").text, FAILING))
    assert "Ổ đĩa sẽ đầy" not in words and "Bộ nhớ" not in words  # from the visit on: no data
    assert "Quạt sắp dừng" in words  # the fan was not replaced
    cluster = client.get(f"/clusters/{FAILING}").text
    assert 'class="marker"' in cluster
    entry = web.people.audit.recent(5, action="maintenance.add")[0]
    assert entry.user_name == "ky-thuat" and entry.target == FAILING
    assert entry.detail["replaced"] == ["storage"]


def test_monthly_availability_pages(web):
    client = web.client()
    log_in(client, "xem")
    month = datetime.fromtimestamp(web.clock.now - 10 * 86400, LOCAL).strftime("%Y-%m")
    cluster = client.get(f"/clusters/{FAILING}/availability?month={month}")
    assert cluster.status_code == 200
    assert "@media print" in cluster.text and "size:A4" in cluster.text
    assert cluster.text.count("<rect") >= 5  # a bar a day with data
    district = client.get(f"/availability?month={month}&lang=en")
    assert district.status_code == 200
    assert "Whole district" in district.text and "Bản Giốc – cổng chính" in district.text
    assert client.get("/availability?month=garbage").status_code == 200
    assert client.get("/clusters/nope/availability").status_code == 404
