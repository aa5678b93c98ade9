"""Server-rendered HTML for the fleet: no JavaScript, readable on a phone, Vietnamese by default.

Every value that came from a cluster, a config file or a request passes through `esc()`.
"""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from player.hub.config import AlertLimits
from player.hub.fleet import ClusterDetail, ClusterStatus, Fleet, PlayCount

LANGS = ("vi", "en")
try:
    from zoneinfo import ZoneInfo
    LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # no tz database on this machine: Vietnam has kept UTC+7 since 1975
    LOCAL = timezone(timedelta(hours=7))

TEXT = {
    "vi": {
        "title": "Các cụm màn hình – Trùng Khánh",
        "subtitle": "Trung tâm Văn hóa – Truyền thông Trùng Khánh",
        "online": "Đang hoạt động", "stale": "Chậm báo cáo", "offline": "Mất liên lạc",
        "never": "Chưa báo cáo",
        "last_seen": "Liên lạc lần cuối", "temperature": "Nhiệt độ", "humidity": "Độ ẩm",
        "disk": "Ổ đĩa trống", "item": "Đang phát", "release": "Bản nội dung",
        "latest": "mới nhất", "screenshot": "Ảnh màn hình", "errors": "Lỗi gần đây",
        "display": "Màn hình", "connected": "đã kết nối", "disconnected": "mất kết nối",
        "alerts": "Cảnh báo", "no_alerts": "Không có cảnh báo", "updated": "Cập nhật lúc",
        "no_data": "Chưa có dữ liệu", "no_clusters": "Chưa có cụm nào trong tệp cấu hình hub.",
        "all_clusters": "← Tất cả các cụm", "history": "Diễn biến {days} ngày qua",
        "plays": "Số lần phát", "plays_day": "24 giờ qua", "plays_period": "{days} ngày qua",
        "play_item": "Mục", "play_count": "Lần", "play_time": "Thời lượng",
        "not_synced": "đồng hồ chưa đồng bộ", "last_sync": "Đồng bộ lần cuối",
        "disk_free_gb": "Ổ đĩa trống (GB)", "channel": "Kênh", "device_time": "Giờ trên máy",
        "just_now": "vừa xong", "minutes_ago": "{n} phút trước", "hours_ago": "{n} giờ trước",
        "days_ago": "{n} ngày trước", "switch": "English", "switch_lang": "en",
        "alert_never": "Cụm chưa gửi báo cáo nào",
        "alert_offline": "Mất liên lạc hơn {minutes} phút",
        "alert_stale": "Không có báo cáo hơn {minutes} phút",
        "alert_display": "Màn hình bị ngắt kết nối",
        "alert_temperature": "Nhiệt độ cao: {value} °C (ngưỡng {limit} °C)",
        "alert_humidity": "Độ ẩm cao: {value}% (ngưỡng {limit}%)",
        "alert_disk": "Ổ đĩa sắp đầy: còn {value} (tối thiểu {limit})",
        "alert_outdated": "Nội dung cũ: bản {release}, bản mới nhất là {latest}",
        "none": "chưa có", "error": "Lỗi", "not_found": "Không tìm thấy",
        "zone": "giờ Việt Nam",
    },
    "en": {
        "title": "Signage clusters – Trùng Khánh",
        "subtitle": "Trùng Khánh Culture and Communication Centre",
        "online": "Online", "stale": "Stale", "offline": "Offline", "never": "Never reported",
        "last_seen": "Last seen", "temperature": "Temperature", "humidity": "Humidity",
        "disk": "Disk free", "item": "Now playing", "release": "Content release",
        "latest": "latest", "screenshot": "Screenshot", "errors": "Recent errors",
        "display": "Display", "connected": "connected", "disconnected": "disconnected",
        "alerts": "Alerts", "no_alerts": "No alerts", "updated": "Updated at",
        "no_data": "No data yet", "no_clusters": "No clusters in the hub config file yet.",
        "all_clusters": "← All clusters", "history": "The last {days} days",
        "plays": "Proof of play", "plays_day": "Last 24 hours", "plays_period": "Last {days} days",
        "play_item": "Item", "play_count": "Plays", "play_time": "Time on screen",
        "not_synced": "clock not synchronised", "last_sync": "Last sync",
        "disk_free_gb": "Disk free (GB)", "channel": "Channel", "device_time": "Device time",
        "just_now": "just now", "minutes_ago": "{n} min ago", "hours_ago": "{n} h ago",
        "days_ago": "{n} days ago", "switch": "Tiếng Việt", "switch_lang": "vi",
        "alert_never": "Has never reported",
        "alert_offline": "Offline for more than {minutes} minutes",
        "alert_stale": "No report for more than {minutes} minutes",
        "alert_display": "Display disconnected",
        "alert_temperature": "Temperature high: {value} °C (limit {limit} °C)",
        "alert_humidity": "Humidity high: {value}% (limit {limit}%)",
        "alert_disk": "Disk nearly full: {value} free (minimum {limit})",
        "alert_outdated": "Content out of date: release {release}, latest is {latest}",
        "none": "none", "error": "Error", "not_found": "Not found",
        "zone": "times in Vietnam time, UTC+7",
    },
}

CSS = """
body{font-family:"Noto Sans",system-ui,sans-serif;margin:0;background:#f3f4f1;color:#1d2320}
header{background:#14532d;color:#fff;padding:.8rem 1rem;display:flex;flex-wrap:wrap;
 align-items:baseline;gap:.3rem 1rem}
header h1{font-size:1.25rem;margin:0;flex:1 1 auto}header a{color:#fff}
header small{opacity:.85;flex-basis:100%}
main{padding:.8rem;max-width:1200px;margin:auto}
.summary{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:.8rem}
.pill{padding:.2rem .6rem;border-radius:1rem;font-size:.9rem;background:#e5e7eb}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:.8rem}
.card{background:#fff;border-radius:.5rem;padding:.8rem;border-left:.4rem solid #9ca3af;
 box-shadow:0 1px 2px rgba(0,0,0,.1);overflow-wrap:anywhere}
.card h2{font-size:1.1rem;margin:0 0 .4rem}.card h2 a{color:inherit}
.online{border-color:#16a34a}.stale{border-color:#d97706}.offline{border-color:#dc2626}
.never{border-color:#6b7280}
.state{font-weight:bold}.state.online{color:#15803d}.state.stale{color:#b45309}
.state.offline{color:#b91c1c}.state.never{color:#4b5563}
dl{display:grid;grid-template-columns:auto 1fr;gap:.15rem .6rem;margin:.4rem 0;font-size:.95rem}
dt{color:#4b5563}dd{margin:0}
ul.alerts{margin:.3rem 0;padding-left:1.1rem}.alerts .error{color:#b91c1c;font-weight:bold}
.alerts .warning{color:#92400e}
ul.events{margin:.3rem 0;padding-left:1.1rem;font-size:.85rem;color:#374151}
img.shot{width:100%;height:auto;border-radius:.3rem;background:#111;margin-top:.3rem}
table{border-collapse:collapse;width:100%;font-size:.95rem;background:#fff}
td,th{border-bottom:1px solid #e5e7eb;padding:.3rem;text-align:left}
td.n{text-align:right}
section{background:#fff;border-radius:.5rem;padding:.8rem;margin:.8rem 0}
section h2{font-size:1.05rem;margin:.1rem 0 .5rem}
svg{width:100%;height:auto;display:block}
.muted{color:#6b7280}
"""


def _local_text(timestamp: float, pattern: str) -> str:
    """A device's time in local time; one outside what a calendar can show (a clock set to
    year 9999 or 1) is shown as the raw number instead of breaking the page."""
    try:
        return esc(datetime.fromtimestamp(timestamp, LOCAL).strftime(pattern))
    except (OverflowError, ValueError, OSError):
        return esc(f"{timestamp:.0f} s")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def pick_lang(query: dict[str, list[str]]) -> str:
    lang = (query.get("lang") or ["vi"])[0]
    return lang if lang in LANGS else "vi"


class Page:
    """Formats values in one language."""

    def __init__(self, lang: str, now: float | None = None):
        self.lang = lang if lang in LANGS else "vi"
        self.t = TEXT[self.lang]
        self.now = time.time() if now is None else now

    def text(self, key: str, **values: object) -> str:
        return esc(self.t[key].format(**{k: self.number(v) if isinstance(v, float) else v
                                        for k, v in values.items()}))

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
        return text.replace(".", ",") if self.lang == "vi" else text

    def size(self, value: float | None) -> str:
        if value is None:
            return "–"
        for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if value >= factor:
                return f"{self.number(value / factor)} {unit}"
        return f"{self.number(value, 0)} B"

    def when(self, timestamp: float | None) -> str:
        if timestamp is None:
            return self.text("none")
        return _local_text(timestamp, "%d/%m/%Y %H:%M")

    def day(self, timestamp: float) -> str:
        return _local_text(timestamp, "%d/%m %H:%M")

    def iso(self, text: object) -> str:
        """An ISO 8601 time from a device, shown in local time (as given when unreadable)."""
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            return esc(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return self.when(moment.timestamp())
        except (OverflowError, ValueError, OSError):
            return esc(text)

    def ago(self, timestamp: float | None) -> str:
        if timestamp is None:
            return self.text("none")
        seconds = max(0.0, self.now - timestamp)
        if seconds < 60:
            return self.text("just_now")
        if seconds < 3600:
            return self.text("minutes_ago", n=int(seconds // 60))
        if seconds < 86400 * 2:
            return self.text("hours_ago", n=int(seconds // 3600))
        return self.text("days_ago", n=int(seconds // 86400))

    def link(self, path: str) -> str:
        return esc(path + ("?lang=en" if self.lang == "en" else ""))

    def document(self, title: str, body: str, switch_path: str, refresh: bool = True) -> str:
        other = self.t["switch_lang"]
        switch = esc(switch_path + ("?lang=en" if other == "en" else ""))
        meta = '<meta http-equiv="refresh" content="60">' if refresh else ""
        return (f'<!DOCTYPE html>\n<html lang="{self.lang}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
                f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
                f'<header><h1>{self.text("title")}</h1><a href="{switch}" hreflang="{other}">'
                f'{self.text("switch")}</a><small>{self.text("subtitle")} · '
                f'{self.text("updated")} {self.when(self.now)} ({self.text("zone")})</small>'
                "</header>"
                f"<main>{body}</main></body></html>\n")


def render_fleet(fleet: Fleet, lang: str) -> str:
    """The fleet page: one card per cluster, the most urgent state first in each card."""
    page = Page(lang, fleet.generated)
    counts = fleet.counts()
    pills = "".join(f'<span class="pill state {state}">{page.text(state)}: {counts[state]}</span>'
                    for state in ("online", "stale", "offline", "never") if counts[state])
    if not fleet.clusters:
        cards = f'<p class="muted">{page.text("no_clusters")}</p>'
    else:
        cards = '<div class="grid">' + "".join(_card(page, c) for c in fleet.clusters) + "</div>"
    body = f'<div class="summary">{pills}</div>{cards}'
    return page.document(TEXT[page.lang]["title"], body, "/")


def _card(page: Page, c: ClusterStatus) -> str:
    href = page.link(f"/clusters/{quote(c.id)}")
    shot = ""
    if c.screenshot_time is not None:
        src = esc(f"/clusters/{quote(c.id)}/screenshot.jpg?t={int(c.screenshot_time)}")
        shot = (f'<a href="{href}"><img class="shot" src="{src}" loading="lazy" '
                f'alt="{page.text("screenshot")} {esc(c.name)}"></a>')
    events = ""
    if c.events:
        events = ('<ul class="events">' + "".join(
            f"<li>{page.ago(e.received)}: <b>{esc(e.event)}</b> {esc(e.message)}</li>"
            for e in c.events[:3]) + "</ul>")
    return (f'<article class="card {c.state}"><h2><a href="{href}">{esc(c.name)}</a></h2>'
            f'<div class="state {c.state}">{page.text(c.state)}</div>'
            f"{_facts(page, c)}{_alerts(page, c)}{events}{shot}</article>")


def _facts(page: Page, c: ClusterStatus) -> str:
    rows = [("last_seen", f"{page.ago(c.last_seen)}" +
             (f' <span class="muted">({page.when(c.last_seen)})</span>' if c.last_seen else ""))]
    if c.temperature is not None:
        rows.append(("temperature", f"{page.number(c.temperature)} °C"))
    if c.humidity is not None:
        rows.append(("humidity", f"{page.number(c.humidity)}%"))
    if c.disk_free is not None:
        total = f" / {page.size(c.disk_total)}" if c.disk_total else ""
        rows.append(("disk", f"{page.size(c.disk_free)}{total}"))
    if c.display_connected is not None:
        rows.append(("display", page.text("connected" if c.display_connected
                                          else "disconnected")))
    if c.item:
        playlist = f' <span class="muted">({esc(c.playlist)})</span>' if c.playlist else ""
        rows.append(("item", f"{esc(c.item)}{playlist}"))
    release = esc(c.release) if c.release is not None else page.text("none")
    if c.latest_release is not None:
        release += f' <span class="muted">({page.text("latest")}: {esc(c.latest_release)})</span>'
    rows.append(("release", release))
    return "<dl>" + "".join(f"<dt>{page.text(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _alerts(page: Page, c: ClusterStatus) -> str:
    if not c.alerts:
        return ""
    items = []
    for alert in c.alerts:
        values = dict(alert.values)
        if alert.code == "disk":
            values = {"value": page.size(values["value"]), "limit": page.size(values["limit"])}
        elif alert.code == "outdated" and values.get("release") is None:
            values["release"] = TEXT[page.lang]["none"]
        items.append(f'<li class="{esc(alert.severity)}">'
                     f'{page.text("alert_" + alert.code, **values)}</li>')
    return f'<ul class="alerts">{"".join(items)}</ul>'


def render_cluster(detail: ClusterDetail, lang: str, now: float,
                   limits: AlertLimits | None = None) -> str:
    """One cluster: its facts, alerts, screenshot, history plots and proof-of-play counts."""
    page = Page(lang, now)
    limits = limits or AlertLimits()
    c = detail.status
    back = f'<p><a href="{page.link("/")}">{page.text("all_clusters")}</a></p>'
    head = (f'<article class="card {c.state}"><h2>{esc(c.name)} '
            f'<span class="muted">({esc(c.id)})</span></h2>'
            f'<div class="state {c.state}">{page.text(c.state)}</div>{_facts(page, c)}'
            f"{_extra_facts(page, c)}{_alerts(page, c)}</article>")
    shot = ""
    if c.screenshot_time is not None:
        src = esc(f"/clusters/{quote(c.id)}/screenshot.jpg?t={int(c.screenshot_time)}")
        shot = (f'<section><h2>{page.text("screenshot")} · {page.when(c.screenshot_time)}</h2>'
                f'<img class="shot" src="{src}" alt="{page.text("screenshot")}"></section>')
    events = ""
    if c.events:
        events = (f'<section><h2>{page.text("errors")}</h2><ul class="events">' + "".join(
            f"<li>{page.when(e.received)} · <b>{esc(e.severity)}</b> {esc(e.event)}: "
            f"{esc(e.message)}</li>" for e in c.events) + "</ul></section>")
    body = (back + head + shot + _history(page, detail, limits) + _plays(page, detail)
            + events)
    return page.document(f"{c.name} – {TEXT[page.lang]['title']}", body,
                         f"/clusters/{quote(c.id)}")


def _extra_facts(page: Page, c: ClusterStatus) -> str:
    rows = []
    if c.channel:
        rows.append(("channel", esc(c.channel)))
    if c.device_time is not None:
        note = "" if c.clock_synced else f' <span class="muted">({page.text("not_synced")})</span>'
        rows.append(("device_time", page.when(c.device_time) + note))
    if c.last_sync:
        sync = c.last_sync
        parts = [page.iso(sync["time"])] if sync.get("time") else []
        parts += [esc(sync[k]) for k in ("result", "error") if sync.get(k)]
        text = " · ".join(parts)
        rows.append(("last_sync", text))
    if not rows:
        return ""
    return "<dl>" + "".join(f"<dt>{page.text(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _history(page: Page, detail: ClusterDetail, limits: AlertLimits) -> str:
    start = page.now - detail.days * 86400
    series = [
        ("temperature", "°C", [(r[0], r[1]) for r in detail.history], limits.max_temperature,
         None),
        ("humidity", "%", [(r[0], r[2]) for r in detail.history], limits.max_humidity, (0, 100)),
        ("disk_free_gb", "GB", [(r[0], None if r[3] is None else r[3] / 1e9)
                                for r in detail.history], limits.min_disk_free / 1e9, (0, None)),
    ]
    plots = "".join(
        f'<h3 style="font-size:.95rem;margin:.6rem 0 .2rem">{page.text(key)}</h3>'
        + line_plot(points, start, page.now, unit, page, limit, bounds)
        for key, unit, points, limit, bounds in series)
    return f'<section><h2>{page.text("history", days=detail.days)}</h2>{plots}</section>'


def line_plot(points: list[tuple[float, float | None]], start: float, end: float, unit: str,
              page: Page, limit: float | None = None,
              bounds: tuple[float | None, float | None] | None = None,
              width: int = 480, height: int = 170) -> str:
    """An SVG line over [start, end] with a dashed alert limit; a gap of more than an hour
    without data breaks the line (the cluster was off or offline)."""
    values = [v for _, v in points if v is not None]
    if not values:
        return f'<p class="muted">{page.text("no_data")}</p>'
    low, high = min(values), max(values)
    if limit is not None and low - (high - low) <= limit <= high + (high - low) + 1:
        low, high = min(low, limit), max(high, limit)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    low, high = low - pad, high + pad
    if bounds is not None:
        low = low if bounds[0] is None else max(low, bounds[0])
        high = high if bounds[1] is None else min(high, bounds[1])
    left, right, top, bottom = 56, width - 6, 8, height - 26
    span = max(end - start, 1.0)

    def x(t: float) -> float:
        return left + (min(max(t, start), end) - start) / span * (right - left)

    def y(v: float) -> float:
        return bottom - (min(max(v, low), high) - low) / (high - low) * (bottom - top)

    lines, current, last_t = [], [], None
    for t, v in points:
        if v is None or (last_t is not None and t - last_t > 3600):
            if current:
                lines.append(current)
            current = []
        if v is not None:
            current.append((x(t), y(v)))
        last_t = t
    if current:
        lines.append(current)
    paths = "".join(
        '<polyline fill="none" stroke="#15803d" stroke-width="2.5" points="'
        + " ".join(f"{px:.1f},{py:.1f}" for px, py in seg) + '"/>'
        if len(seg) > 1 else f'<circle r="3" fill="#15803d" cx="{seg[0][0]:.1f}" '
        f'cy="{seg[0][1]:.1f}"/>' for seg in lines)
    label = 'font-size="13" fill="#4b5563"'
    limit_line = ""
    if limit is not None and low <= limit <= high:
        limit_line = (f'<line x1="{left}" y1="{y(limit):.1f}" x2="{right}" y2="{y(limit):.1f}" '
                      f'stroke="#dc2626" stroke-dasharray="6 4"/>')
    axis = (f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#9ca3af"/>'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#9ca3af"/>'
            f'<text x="{left - 5}" y="{top + 12}" text-anchor="end" {label}>'
            f"{esc(page.number(high))}</text>"
            f'<text x="{left - 5}" y="{bottom}" text-anchor="end" {label}>'
            f"{esc(page.number(low))}</text>"
            f'<text x="{left - 5}" y="{(top + bottom) / 2 + 5:.0f}" text-anchor="end" {label}>'
            f"{esc(unit)}</text>"
            f'<text x="{left}" y="{height - 6}" {label}>{page.day(start)}</text>'
            f'<text x="{right}" y="{height - 6}" text-anchor="end" {label}>{page.day(end)}</text>')
    title = f"{page.number(min(values))}–{page.number(max(values))} {unit}"
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">'
            f"<title>{esc(title)}</title>{axis}{limit_line}{paths}</svg>")


def _plays(page: Page, detail: ClusterDetail) -> str:
    def table(rows: tuple[PlayCount, ...]) -> str:
        if not rows:
            return f'<p class="muted">{page.text("no_data")}</p>'
        head = (f'<tr><th>{page.text("play_item")}</th><th class="n">{page.text("play_count")}'
                f'</th><th class="n">{page.text("play_time")}</th></tr>')
        body = "".join(f'<tr><td>{esc(p.item)}</td><td class="n">{p.plays}</td>'
                       f'<td class="n">{esc(_duration(p.seconds))}</td></tr>' for p in rows)
        return f"<table>{head}{body}</table>"

    return (f'<section><h2>{page.text("plays")}</h2>'
            f'<h3 style="font-size:.95rem">{page.text("plays_day")}</h3>{table(detail.plays_day)}'
            f'<h3 style="font-size:.95rem">{page.text("plays_period", days=detail.days)}</h3>'
            f"{table(detail.plays_period)}</section>")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_error(status: int, message: str, lang: str) -> str:
    page = Page(lang)
    key = "not_found" if status == 404 else "error"
    body = (f'<p><a href="{page.link("/")}">{page.text("all_clusters")}</a></p>'
            f'<section><h2>{status} {page.text(key)}</h2><p>{esc(message)}</p></section>')
    return page.document(f"{status} {TEXT[page.lang][key]}", body, "/", refresh=False)
