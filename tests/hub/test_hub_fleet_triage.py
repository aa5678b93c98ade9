"""Triage: one verdict from every signal, the worst cluster first, events in plain words."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.hub import pages, triage
from player.hub.config import AlertLimits
from player.hub.fleet import ClusterStatus, EventLine
from player.hub.plot import plot as draw_plot

NOW = 1_800_000_000.0
LIMITS = AlertLimits(max_temperature=70, max_humidity=85, min_disk_free=10**9)


def status(name: str = "a", state: str = "online", **values) -> ClusterStatus:
    base = dict(last_seen=NOW - 30, device_time=NOW - 40, sample_received=NOW - 30,
                clock_synced=True, temperature=40.0, humidity=60.0, disk_free=20e9,
                display_connected=True, display_driver="kmsdrm", item="thac.jpg", release=3,
                latest_release=3)
    base.update(values)
    return ClusterStatus(name, name.upper(), "c", state, **base)


def codes(verdict: triage.Verdict) -> list[str]:
    return [p.code for p in verdict.problems]


def test_online_with_a_disconnected_display_is_dark_not_green():
    verdict = triage.assess(status(display_connected=False, temperature=83.5), LIMITS)
    assert verdict.level == "dark" and verdict.status == "display"
    assert codes(verdict) == ["display", "hot"]


def test_offline_and_headless_are_dark_too():
    assert triage.assess(status(state="offline"), LIMITS).status == "offline"
    headless = triage.assess(status(display_driver="offscreen"), LIMITS)
    assert headless.level == "dark" and codes(headless) == ["no_frames"]


def test_off_hours_blank_is_grey_and_not_playing():
    off = triage.assess(status(item="screen-off"), LIMITS)
    assert (off.level, off.status) == ("off", "screen_off")
    # an off_command may power the panel down: not an alarm while the schedule says off
    panel_off = triage.assess(status(item="screen-off", display_connected=False), LIMITS)
    assert panel_off.level == "off" and panel_off.problems[0].level == "warning"
    # ...but an offline cluster is dark whatever its last report said
    assert triage.assess(status(state="offline", item="screen-off"), LIMITS).level == "dark"


def test_warnings_and_their_thresholds():
    calm = triage.assess(status(temperature=70.0, humidity=85.0, disk_free=1e9), LIMITS)
    assert (calm.level, calm.status, calm.problems) == ("ok", "playing", ())
    verdict = triage.assess(status(state="stale", temperature=70.5, humidity=85.5,
                                   disk_free=0.9e9, release=2), LIMITS)
    assert verdict.level == "warning"
    assert codes(verdict) == ["stale", "hot", "damp", "disk", "outdated"]
    assert codes(triage.assess(status(release=None), LIMITS)) == ["outdated"]


def test_device_clock_far_off_is_a_problem():
    ahead = triage.assess(status(device_time=NOW + 3 * 86400), LIMITS)
    assert codes(ahead) == ["clock"] and ahead.problems[0].values["seconds"] > 2 * 86400
    behind = triage.assess(status(device_time=NOW - 5 * 86400), LIMITS)
    assert codes(behind) == ["clock"]
    # a heartbeat that waited in the spool for a few minutes is not "wrong"
    assert codes(triage.assess(status(device_time=NOW - 600), LIMITS)) == []
    page = pages.Page("vi", NOW)
    assert page.problem(ahead.problems[0]) == "Giờ trên máy sai (lệch 3 ngày)"


def test_never_reported_is_its_own_grey_level():
    verdict = triage.assess(ClusterStatus("n", "N", "c", "never"), LIMITS)
    assert (verdict.level, codes(verdict)) == ("unknown", ["never"])


def test_order_puts_the_dark_first_then_warnings_then_the_rest():
    clusters = [status("fine"), status("off", item="screen-off"), status("hot", temperature=80.0),
                ClusterStatus("never", "NEVER", "c", "never"), status("dark", state="offline"),
                status("worse", display_connected=False, temperature=90.0)]
    ordered = [c.id for c, _ in triage.order(clusters, LIMITS)]
    assert ordered == ["worse", "dark", "hot", "never", "off", "fine"]
    counts = triage.counts([v for _, v in triage.order(clusters, LIMITS)])
    assert counts == {"dark": 2, "warning": 1, "unknown": 1, "off": 1, "ok": 1}


def test_events_in_plain_words_with_what_to_do():
    lost = EventLine(NOW, NOW, "error", "display_disconnected", "HDMI-A-1: disconnected")
    vi = triage.describe_event(lost, "vi")
    assert (vi.title, vi.action) == ("Mất tín hiệu màn hình",
                                     "kiểm tra cáp HDMI và nguồn của màn hình")
    assert triage.describe_event(lost, "en").title == "Display signal lost"
    cleared = triage.describe_event(EventLine(NOW, NOW, "info", "temperature_high_cleared", ""),
                                    "vi")
    assert cleared.title == "Đã trở lại bình thường: máy quá nóng" and cleared.level == "ok"
    power = triage.describe_event(EventLine(NOW, NOW, "warning", "restarted", ""), "en")
    assert "power cut" in power.title
    odd = triage.describe_event(EventLine(NOW, NOW, "error", "x" * 500, ""), "en")
    assert odd.level == "dark" and len(odd.title) < 100


def test_far_future_and_far_past_times_are_shown_safely():
    page = pages.Page("vi", NOW)
    assert page.when(253402214400.0) == "thời gian không hợp lệ"  # 9999-12-31
    assert page.when(-1e12) == "thời gian không hợp lệ"
    assert page.ago(253402214400.0) == "vừa xong"
    assert page.number(float("nan")) == "–" and page.size(float("inf")) == "–"
    assert page.span(1e15).endswith("ngày")


def test_plot_keeps_the_limit_in_view_far_from_the_data():
    page = pages.Page("en", NOW)
    points = [(NOW - 86400 + i * 600, 30.0 + (i % 5)) for i in range(144)]
    plot = draw_plot(points, NOW - 86400, NOW, "°C", page, limit=70.0)
    assert plot is not None and plot.top <= plot.limit_y <= plot.bottom
    assert len(plot.lines) == 1 and not plot.dots  # one line, not dots
    assert plot.x_ticks and all(":" in t.label for t in plot.x_ticks)  # hours on a day's plot
    year = draw_plot(points, NOW - 365 * 86400, NOW, "°C", page, limit=70.0)
    assert year.x_ticks and all("/" in t.label and ":" not in t.label for t in year.x_ticks)


def test_a_gap_breaks_the_line_and_a_lone_sample_is_a_dot():
    page = pages.Page("vi", NOW)
    points = [(NOW - 20000 + i * 60, 40.0) for i in range(10)] + [(NOW - 100, 41.0)]
    plot = draw_plot(points, NOW - 86400, NOW, "°C", page)
    assert len(plot.lines) == 1 and len(plot.dots) == 1


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.lists(st.tuples(st.floats(NOW - 40 * 86400, NOW + 86400),
                          st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True,
                                                         width=32))), max_size=60),
       st.sampled_from(list(pages.RANGES.values())),
       st.one_of(st.none(), st.floats(-1e6, 1e6)),
       st.sampled_from([(None, None), (0, 100), (0, None)]))
def test_plot_never_fails_and_stays_in_its_box(points, days, limit, bounds):
    page = pages.Page("vi", NOW)
    plot = draw_plot(points, NOW - days * 86400, NOW, "%", page, limit, bounds)
    if plot is None:
        return
    for line in plot.lines:
        for pair in line.split():
            x, y = (float(v) for v in pair.split(","))
            assert plot.left - 0.1 <= x <= plot.right + 0.1
            assert plot.top - 0.1 <= y <= plot.bottom + 0.1
    if plot.limit_y is not None:
        assert math.isfinite(plot.limit_y) and plot.top - 0.1 <= plot.limit_y <= plot.bottom + 0.1


hostile_text = st.one_of(st.none(), st.text(max_size=40),
                         st.sampled_from(["<script>alert(1)</script>", '"><img src=x>', "&amp;",
                                          "screen-off", "Cửa khẩu Trà Lĩnh"]))
any_number = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                       st.floats(-1e12, 1e12))


@st.composite
def hostile_status(draw) -> ClusterStatus:
    events = tuple(EventLine(draw(st.floats(0, 5e9)), draw(st.floats(0, 5e9)),
                             draw(st.sampled_from(["error", "warning", "info", "<b>"])),
                             draw(st.text(max_size=30)), draw(st.text(max_size=60)))
                   for _ in range(draw(st.integers(0, 3))))
    return ClusterStatus(
        draw(st.text(min_size=1, max_size=20)), draw(st.text(max_size=40)),
        draw(st.text(max_size=10)), draw(st.sampled_from(["online", "stale", "offline", "never"])),
        last_seen=draw(any_number), device_time=draw(any_number),
        sample_received=draw(any_number), clock_synced=draw(st.one_of(st.none(), st.booleans())),
        temperature=draw(any_number), humidity=draw(any_number), disk_free=draw(any_number),
        disk_total=draw(any_number), display_connected=draw(st.one_of(st.none(), st.booleans())),
        display_driver=draw(hostile_text), playlist=draw(hostile_text), item=draw(hostile_text),
        release=draw(st.one_of(st.none(), st.integers(-2**63, 2**63))),
        latest_release=draw(st.one_of(st.none(), st.integers(0, 2**63))),
        screenshot_time=draw(st.one_of(st.none(), st.floats(0, 1e12))),
        last_sync=draw(st.one_of(st.none(), st.fixed_dictionaries(
            {"time": hostile_text, "result": hostile_text, "error": hostile_text}))),
        events=events)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.lists(hostile_status(), max_size=4), st.sampled_from(["vi", "en", "zz"]))
def test_any_cluster_data_renders_as_text(clusters, lang):
    from player.hub.fleet import ClusterDetail, Fleet

    text = pages.render_fleet(Fleet(NOW, tuple(clusters), {}), lang, LIMITS)
    assert "<script>" not in text and "<img src=x" not in text
    for c in clusters:
        detail = ClusterDetail(c, 7, ((NOW - 3600, c.temperature, c.humidity, c.disk_free,
                                       c.disk_total),), (), ())
        page = pages.render_cluster(detail, lang, NOW, LIMITS, "7d")
        assert "<script>" not in page and "<img src=x" not in page
