"""Server-rendered HTML for people: Jinja2 templates (autoescaped), no JavaScript, Vietnamese by
default, readable on a phone.

This module turns the fleet's data into what the templates under ``player/hub/templates/``
show: words in the page's language (``TEXT``), numbers, sizes and times formatted for it, and
the geometry of the history plots. No HTML is built here: every value reaches the page through
a template, which escapes it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup

from player.hub import triage
from player.hub.config import AlertLimits
from player.hub.fleet import ClusterDetail, ClusterStatus, EventLine, Fleet, PlayCount
from player.hub.foresight_text import TEXT as FORESIGHT_TEXT
from player.hub.foresight_text import forecast_values

LANGS = ("vi", "en")
HERE = Path(__file__).resolve().parent
try:
    from zoneinfo import ZoneInfo
    LOCAL: Any = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # no tz database on this machine: Vietnam has kept UTC+7 since 1975
    LOCAL = timezone(timedelta(hours=7))
# Times outside this span are shown as "invalid" instead of crashing the page (a device stamped
# 9999-12-31, or 1970 on a box without a battery clock).
EARLIEST, LATEST = 946684800.0, 4102444800.0  # 2000-01-01, 2100-01-01
PLOT_LIMIT = 1e15  # readings beyond this (a broken sensor, a bad report) are left out of plots
RANGES = {"24h": 1, "7d": 7, "30d": 30, "1y": 365}
DEFAULT_RANGE = "7d"

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Các cụm màn hình – Trùng Khánh",
        "subtitle": "Trung tâm Văn hóa – Truyền thông Trùng Khánh",
        "switch": "English", "switch_lang": "en", "zone": "giờ Việt Nam",
        "updated": "Cập nhật lúc",
        "level_dark": "Màn hình tối", "level_warning": "Cần kiểm tra",
        "level_unknown": "Chưa báo cáo", "level_off": "Tắt theo lịch", "level_ok": "Bình thường",
        "status_offline": "Mất liên lạc", "status_display": "Mất tín hiệu màn hình",
        "status_no_frames": "Không có hình", "status_never": "Chưa báo cáo",
        "status_warning": "Cần kiểm tra", "status_screen_off": "Màn hình tắt theo lịch",
        "status_playing": "Đang phát", "status_idle": "Đang chạy",
        "problem_offline": "Mất liên lạc từ {ago}",
        "do_offline": "kiểm tra điện lưới và mạng (4G) tại cụm",
        "problem_display": "Mất tín hiệu màn hình",
        "do_display": "kiểm tra cáp HDMI và nguồn của màn hình",
        "problem_no_frames": "Không có hình: trình phát chạy không có màn hình (driver {driver})",
        "do_no_frames": "kỹ thuật viên kiểm tra display.driver và khởi động lại trình phát",
        "problem_stale": "Chậm báo cáo: lần cuối {ago}",
        "do_stale": "thường do mạng chập chờn; nếu kéo dài, kiểm tra mạng tại cụm",
        "problem_hot": "Nhiệt độ cao: {value} °C (ngưỡng {limit} °C)",
        "do_hot": "kiểm tra quạt, khe thông gió và nắng chiếu vào tủ máy",
        "problem_damp": "Độ ẩm cao: {value}% (ngưỡng {limit}%)",
        "do_damp": "kiểm tra gioăng cửa tủ và thay gói hút ẩm",
        "problem_disk": "Ổ đĩa sắp đầy: còn {value} (tối thiểu {limit})",
        "do_disk": "báo kỹ thuật viên dọn bộ nhớ hoặc thay thẻ nhớ lớn hơn",
        "problem_outdated": "Nội dung cũ: bản {release}, bản mới nhất là {latest}",
        "do_outdated": "cụm tự tải bản mới khi có mạng; nếu kéo dài, kiểm tra mạng",
        "problem_clock": "Giờ trên máy sai (lệch {delta})",
        "do_clock": "kiểm tra mạng và đồng bộ giờ (NTP) của máy",
        "problem_never": "Cụm chưa gửi báo cáo nào",
        "do_never": "kiểm tra health.report_url và health.token trên máy",
        "display_off_note": "(có thể do lịch tắt màn hình)",
        "last_seen": "Liên lạc lần cuối", "temperature": "Nhiệt độ", "humidity": "Độ ẩm",
        "disk": "Ổ đĩa trống", "item": "Đang phát", "release": "Bản nội dung",
        "latest": "mới nhất", "screenshot": "Ảnh màn hình", "events": "Sự kiện gần đây",
        "display": "Màn hình", "connected": "có tín hiệu", "disconnected": "mất tín hiệu",
        "no_data": "Chưa có dữ liệu", "no_clusters": "Chưa có cụm nào trong tệp cấu hình hub.",
        "all_clusters": "← Tất cả các cụm", "history": "Diễn biến",
        "plays": "Đã phát (bằng chứng phát)", "plays_period": "Trong {period}",
        "play_item": "Mục", "play_count": "Số lần", "play_time": "Tổng thời lượng",
        "play_total": "Tổng", "not_synced": "đồng hồ chưa đồng bộ", "last_sync": "Đồng bộ lần cuối",
        "disk_free_gb": "Ổ đĩa trống", "channel": "Kênh", "device_time": "Giờ trên máy",
        "just_now": "vừa xong", "minutes_ago": "{n} phút trước", "hours_ago": "{n} giờ trước",
        "days_ago": "{n} ngày trước", "none": "chưa có", "error": "Lỗi",
        "not_found": "Không tìm thấy", "invalid_time": "thời gian không hợp lệ",
        "details": "Chi tiết kỹ thuật", "what_to_do": "Việc cần làm",
        "range_24h": "24 giờ", "range_7d": "7 ngày", "range_30d": "30 ngày", "range_1y": "1 năm",
        "limit": "ngưỡng", "minutes": "{n} phút", "hours": "{n} giờ", "days": "{n} ngày",
        "login": "Đăng nhập", "logout": "Đăng xuất", "name": "Tên đăng nhập",
        "password": "Mật khẩu", "login_failed": "Sai tên đăng nhập hoặc mật khẩu.",
        "login_wait": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {n} giây.",
        "login_expired": "Phiên làm việc đã hết hạn, hãy đăng nhập lại.",
        "users": "Người dùng", "audit": "Nhật ký thay đổi", "role": "Vai trò",
        "role_viewer": "xem", "role_editor": "biên tập", "role_approver": "duyệt",
        "role_admin": "quản trị", "disabled": "đã khóa", "active": "đang dùng",
        "created": "Tạo lúc", "disable": "Khóa", "enable": "Mở khóa", "add_user": "Thêm người dùng",
        "password_again": "Nhập lại mật khẩu", "save": "Lưu", "at": "Lúc", "who": "Ai",
        "action": "Việc", "target": "Đối tượng", "from": "Từ địa chỉ", "state": "Trạng thái",
        "forbidden": "Bạn không có quyền xem trang này.",
        "csrf": "Biểu mẫu đã cũ hoặc không hợp lệ; hãy tải lại trang và thử lại.",
        "signed_in_as": "Đăng nhập: {name} ({role})", "older": "Cũ hơn →",
        "new_password": "Đặt mật khẩu mới",
        "no_cluster": "Không có cụm này.", "no_screenshot": "Cụm này chưa gửi ảnh màn hình.",
        "no_users": "Hub chưa có tài khoản nào. Tạo quản trị viên đầu tiên trên máy chủ hub:",
    },
    "en": {
        "title": "Signage clusters – Trùng Khánh",
        "subtitle": "Trùng Khánh Culture and Communication Centre",
        "switch": "Tiếng Việt", "switch_lang": "vi", "zone": "Vietnam time, UTC+7",
        "updated": "Updated at",
        "level_dark": "Screen dark", "level_warning": "Needs a look",
        "level_unknown": "Never reported", "level_off": "Off by schedule", "level_ok": "Fine",
        "status_offline": "Offline", "status_display": "Display signal lost",
        "status_no_frames": "No picture", "status_never": "Never reported",
        "status_warning": "Needs a look", "status_screen_off": "Screen off by schedule",
        "status_playing": "Playing", "status_idle": "Running",
        "problem_offline": "Offline since {ago}",
        "do_offline": "check the mains power and the (4G) link at the cluster",
        "problem_display": "Display signal lost",
        "do_display": "check the HDMI cable and the display's power",
        "problem_no_frames": "No picture: the player runs without a display (driver {driver})",
        "do_no_frames": "the technician checks display.driver and restarts the player",
        "problem_stale": "Reports late: last one {ago}",
        "do_stale": "usually a patchy link; if it lasts, check the network at the cluster",
        "problem_hot": "Temperature high: {value} °C (limit {limit} °C)",
        "do_hot": "check the fan, the vents and sun on the cabinet",
        "problem_damp": "Humidity high: {value}% (limit {limit}%)",
        "do_damp": "check the door seal and replace the desiccant",
        "problem_disk": "Disk nearly full: {value} free (minimum {limit})",
        "do_disk": "ask the technician to free space or fit a larger memory card",
        "problem_outdated": "Content out of date: release {release}, latest is {latest}",
        "do_outdated": "the cluster fetches it when online; if it lasts, check the link",
        "problem_clock": "Device clock wrong (off by {delta})",
        "do_clock": "check the network and time synchronisation (NTP) on the box",
        "problem_never": "Has never reported",
        "do_never": "check health.report_url and health.token on the box",
        "display_off_note": "(may be the screen-off schedule)",
        "last_seen": "Last seen", "temperature": "Temperature", "humidity": "Humidity",
        "disk": "Disk free", "item": "Now playing", "release": "Content release",
        "latest": "latest", "screenshot": "Screenshot", "events": "Recent events",
        "display": "Display", "connected": "signal", "disconnected": "no signal",
        "no_data": "No data yet", "no_clusters": "No clusters in the hub config file yet.",
        "all_clusters": "← All clusters", "history": "History",
        "plays": "Proof of play", "plays_period": "In the last {period}",
        "play_item": "Item", "play_count": "Plays", "play_time": "Time on screen",
        "play_total": "Total", "not_synced": "clock not synchronised", "last_sync": "Last sync",
        "disk_free_gb": "Disk free", "channel": "Channel", "device_time": "Device time",
        "just_now": "just now", "minutes_ago": "{n} min ago", "hours_ago": "{n} h ago",
        "days_ago": "{n} days ago", "none": "none", "error": "Error",
        "not_found": "Not found", "invalid_time": "invalid time",
        "details": "Technical details", "what_to_do": "What to do",
        "range_24h": "24 hours", "range_7d": "7 days", "range_30d": "30 days", "range_1y": "1 year",
        "limit": "limit", "minutes": "{n} min", "hours": "{n} h", "days": "{n} days",
        "login": "Log in", "logout": "Log out", "name": "User name",
        "password": "Password", "login_failed": "Wrong user name or password.",
        "login_wait": "Too many failed logins. Try again in {n} seconds.",
        "login_expired": "Your session has expired; please log in again.",
        "users": "Users", "audit": "Audit log", "role": "Role",
        "role_viewer": "viewer", "role_editor": "editor", "role_approver": "approver",
        "role_admin": "admin", "disabled": "disabled", "active": "active",
        "created": "Created", "disable": "Disable", "enable": "Enable", "add_user": "Add a user",
        "password_again": "Password again", "save": "Save", "at": "At", "who": "Who",
        "action": "Action", "target": "Target", "from": "From address", "state": "State",
        "forbidden": "You may not see this page.",
        "csrf": "The form was stale or invalid; reload the page and try again.",
        "signed_in_as": "Logged in: {name} ({role})", "older": "Older →",
        "new_password": "Set a new password",
        "no_cluster": "No such cluster.", "no_screenshot": "No screenshot from this cluster yet.",
        "no_users": "The hub has no accounts yet. Make the first admin on the hub's machine:",
    },
}
for _lang, _words in FORESIGHT_TEXT.items():  # forecasts, availability, maintenance
    TEXT[_lang].update(_words)


def pick_lang(query: Any) -> str:
    """The page language from a query mapping (``?lang=en``); Vietnamese otherwise."""
    value = query.get("lang") if hasattr(query, "get") else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value in LANGS else "vi"


def pick_range(query: Any) -> str:
    """The plots' range from ``?range=24h|7d|30d|1y`` (or an older link's ``?days=1|7|30|365``)."""
    value = query.get("range") if hasattr(query, "get") else None
    if isinstance(value, list):
        value = value[0] if value else None
    if value in RANGES:
        return value
    days = query.get("days") if hasattr(query, "get") else None
    return next((key for key, count in RANGES.items() if str(count) == days), DEFAULT_RANGE)


class Page:
    """Formats values in one language; templates reach it as ``p``. Returns plain text:
    escaping is the template's job."""

    def __init__(self, lang: str, now: float | None = None, path: str = "/",
                 query: dict[str, str] | None = None):
        self.lang = lang if lang in LANGS else "vi"
        self.t = TEXT[self.lang]
        self.now = time.time() if now is None else now
        self.path = path
        self.query = {k: v for k, v in (query or {}).items() if k != "lang"}

    def text(self, key: str, **values: object) -> str:
        return self.t[key].format(**{k: self.number(v) if isinstance(v, float) else v
                                     for k, v in values.items()})

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None or not math.isfinite(value):
            return "–"
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
        return text.replace(".", ",") if self.lang == "vi" else text

    def size(self, value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return "–"
        for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if abs(value) >= factor:
                return f"{self.number(value / factor)} {unit}"
        return f"{self.number(value, 0)} B"

    def when(self, timestamp: float | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        if timestamp is None:
            return self.t["none"]
        if not EARLIEST <= timestamp <= LATEST:
            return self.t["invalid_time"]
        return datetime.fromtimestamp(timestamp, LOCAL).strftime(fmt)

    def iso(self, text: object) -> str:
        """An ISO 8601 time from a device, shown in local time (as given when unreadable)."""
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            return str(text)[:40]
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.when(moment.timestamp())

    def ago(self, timestamp: float | None) -> str:
        if timestamp is None:
            return self.t["none"]
        if not math.isfinite(timestamp):
            return self.t["invalid_time"]
        seconds = max(0.0, self.now - timestamp)
        if seconds < 60:
            return self.t["just_now"]
        if seconds < 3600:
            return self.text("minutes_ago", n=int(seconds // 60))
        if seconds < 86400 * 2:
            return self.text("hours_ago", n=int(seconds // 3600))
        return self.text("days_ago", n=int(seconds // 86400))

    def span(self, seconds: float) -> str:
        if not math.isfinite(seconds):
            return "–"
        seconds = abs(seconds)
        if seconds < 2 * 3600:
            return self.text("minutes", n=max(1, int(seconds // 60)))
        if seconds < 2 * 86400:
            return self.text("hours", n=int(seconds // 3600))
        return self.text("days", n=min(int(seconds // 86400), 10**6))

    def duration(self, seconds: float) -> str:
        if not math.isfinite(seconds) or seconds < 0:
            return "–"
        minutes, secs = divmod(int(round(seconds)), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    def link(self, path: str, **params: str) -> str:
        """A link on this site in this page's language."""
        query = {k: v for k, v in params.items() if v}
        if self.lang == "en":
            query["lang"] = "en"
        return path + ("?" + urlencode(query) if query else "")

    def switch_link(self) -> str:
        query = dict(self.query)
        if self.t["switch_lang"] == "en":
            query["lang"] = "en"
        return self.path + ("?" + urlencode(query) if query else "")

    def cluster_link(self, cluster_id: str, **params: str) -> str:
        return self.link(f"/clusters/{quote(cluster_id, safe='')}", **params)

    def screenshot_src(self, c: ClusterStatus) -> str:
        return f"/clusters/{quote(c.id, safe='')}/screenshot.jpg?t={int(c.screenshot_time or 0)}"

    def problem(self, problem: triage.Problem) -> str:
        values = dict(problem.values)
        if problem.code in ("offline", "stale"):
            values = {"ago": self.ago(values.get("since"))}
        elif problem.code == "disk":
            values = {"value": self.size(values["value"]), "limit": self.size(values["limit"])}
        elif problem.code == "outdated" and values.get("release") is None:
            values["release"] = self.t["none"]
        elif problem.code == "clock":
            values = {"delta": self.span(values["seconds"])}
        elif problem.code.startswith("forecast_"):
            values = forecast_values(self, values)
        text = self.text("problem_" + problem.code, **values)
        if problem.code == "display" and problem.level != triage.DARK:
            text += " " + self.t["display_off_note"]
        return text

    def verdict_label(self, verdict: triage.Verdict) -> str:
        """The card's badge: the level when something is wrong (its problems say why below),
        else what the screen does (playing, off by schedule, never reported)."""
        if verdict.level in (triage.DARK, triage.WARNING):
            return self.t["level_" + verdict.level]
        return self.t["status_" + verdict.status]

    def action(self, problem: triage.Problem) -> str:
        return self.t["do_" + problem.code]

    def event(self, event: EventLine) -> triage.EventText:
        return triage.describe_event(event, self.lang)


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Plot:
    """Everything the SVG template needs for one history plot; coordinates in viewBox units."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    lines: tuple[str, ...]  # polyline "x,y x,y" strings; a gap in the data breaks the line
    dots: tuple[tuple[float, float], ...]  # lone samples with no neighbour to join
    limit_y: float | None
    limit_label: str
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    unit: str
    summary: str  # for screen readers and the tooltip: "30–39 °C"
    forecast: str = ""  # the forecast line, polyline "x,y x,y", drawn dashed
    markers: tuple[float, ...] = ()  # x of maintenance visits, drawn as vertical lines
    marker_label: str = ""


def plot(points: list[tuple[float, float | None]], start: float, end: float, unit: str,
         page: Page, limit: float | None = None,
         bounds: tuple[float | None, float | None] = (None, None),
         width: int = 420, height: int = 190,
         forecast: tuple[tuple[float, float], tuple[float, float]] | None = None,
         markers: tuple[float, ...] = (), marker_label: str = "") -> Plot | None:
    """The geometry of a line plot over [start, end]; None when there is nothing to draw.

    The y range always includes the alert limit, so its line is in view even when every sample
    is far from it. Samples further apart than three buckets (the cluster was off or offline)
    break the line. ``forecast`` is a straight line's two ends (time, value), drawn dashed and
    clipped to the plot; ``markers`` are times drawn as vertical lines (maintenance visits).
    """
    # a sample a little past ``end`` (bucket averages, a clock a few seconds ahead) is drawn at
    # the right edge rather than dropped
    slack = (end - start) / 100
    clean = [(min(max(t, start), end), v) for t, v in points
             if v is not None and abs(v) < PLOT_LIMIT and start - slack <= t <= end + slack]
    values = [v for _, v in clean]
    if not values:
        return None
    low, high = min(values), max(values)
    if limit is not None:
        low, high = min(low, limit), max(high, limit)
    if forecast is not None:
        forecast = _clip_line(forecast, start, end)
        if forecast is not None:
            low = min(low, forecast[0][1], forecast[1][1])
            high = max(high, forecast[0][1], forecast[1][1])
    if not high - low > max(abs(low), abs(high)) * 1e-9:  # flat (also for huge numbers)
        spread = max(1.0, abs(high) * 0.05)
        low, high = low - spread, high + spread
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    bounded = (low if bounds[0] is None else max(low, bounds[0]),
               high if bounds[1] is None else min(high, bounds[1]))
    if bounded[1] > bounded[0]:  # readings outside the bounds (a broken sensor): keep them in view
        low, high = bounded
    left, right, top, bottom = 44.0, width - 6.0, 10.0, height - 22.0
    span = max(end - start, 1.0)

    def x(t: float) -> float:
        return left + (t - start) / span * (right - left)

    def y(v: float) -> float:
        return bottom - (min(max(v, low), high) - low) / (high - low) * (bottom - top)

    gap = max(3600.0, 3 * span / 400)
    segments: list[list[tuple[float, float]]] = []
    last_t: float | None = None
    for t, v in sorted(clean, key=lambda p: p[0]):
        if last_t is None or t - last_t > gap:
            segments.append([])
        segments[-1].append((x(t), y(v)))
        last_t = t
    lines = tuple(" ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
                  for seg in segments if len(seg) > 1)
    dots = tuple(seg[0] for seg in segments if len(seg) == 1)
    y_ticks = tuple(Tick(y(v), page.number(v)) for v in _nice_ticks(low, high, 4))
    # a label is centred on its tick: one that would stick out of the plot is left out
    x_ticks = tuple(Tick(x(t), label) for t, label in _time_ticks(start, end, page)
                    if left + len(label) * 3.6 <= x(t) <= right - len(label) * 3.6)
    line = "" if forecast is None else " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in forecast)
    return Plot(width, height, left, right, top, bottom, lines, dots,
                None if limit is None else y(limit),
                "" if limit is None else f"{page.t['limit']} {page.number(limit)} {unit}",
                y_ticks, x_ticks, unit,
                _range_text(page, min(values), max(values), unit), line,
                tuple(round(x(t), 1) for t in markers if start <= t <= end), marker_label)


def _clip_line(ends: tuple[tuple[float, float], tuple[float, float]], start: float,
               end: float) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of a straight line within [start, end], or None when none of it is."""
    (t0, v0), (t1, v1) = sorted(ends)
    if t1 <= t0 or t1 < start or t0 > end or not all(map(math.isfinite, (v0, v1))):
        return None
    slope = (v1 - v0) / (t1 - t0)
    a, b = max(t0, start), min(t1, end)
    return (a, v0 + slope * (a - t0)), (b, v0 + slope * (b - t0))


def _range_text(page: Page, low: float, high: float, unit: str) -> str:
    if page.number(low) == page.number(high):
        return f"{page.number(low)} {unit}"
    return f"{page.number(low)}–{page.number(high)} {unit}"


def _nice_ticks(low: float, high: float, count: int) -> list[float]:
    raw = (high - low) / count
    if not raw > 0 or not math.isfinite(raw):
        return []
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(count + 2) if first + i * step <= high + 1e-9]


def _time_ticks(start: float, end: float, page: Page) -> list[tuple[float, str]]:
    """Tick times at round local times: hours for a day, days for a week or month, months for
    a year; each label carries the date."""
    days = (end - start) / 86400
    local = datetime.fromtimestamp(start, LOCAL)
    ticks: list[tuple[float, str]] = []
    if days <= 2:
        moment = local.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=6)
        while moment.hour % 6:
            moment += timedelta(hours=1)
        fmt = "%H:%M %d/%m"
    elif days <= 40:
        moment = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        step = timedelta(days=1 if days <= 10 else 7)
        fmt = "%d/%m"
    else:
        moment = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        step = timedelta(0)
        fmt = "%m/%Y"
    while moment.timestamp() <= end and len(ticks) < 60:
        if moment.timestamp() >= start:
            ticks.append((moment.timestamp(), moment.strftime(fmt)))
        if step:
            moment += step
        else:  # the next month's first day
            moment = (moment.replace(day=28) + timedelta(days=4)).replace(day=1)
    if days > 40:
        ticks = ticks[::2] if len(ticks) > 8 else ticks
    return ticks


@dataclass(frozen=True)
class ClusterCard:
    """A cluster with its verdict, as the fleet page lists it."""

    status: ClusterStatus
    verdict: triage.Verdict


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: values from clusters are hostile
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    env.globals["css"] = Markup((HERE / "static" / "hub.css").read_text(encoding="utf-8"))
    env.globals["LEVELS"] = triage.LEVELS
    env.globals["RANGES"] = tuple(RANGES)
    return env


def render(template: str, page: Page, **context: Any) -> str:
    """Render one template with the common context (``p``, the user, the CSRF token)."""
    context.setdefault("user", None)
    context.setdefault("csrf_token", "")
    context.setdefault("refresh", False)
    return environment().get_template(template).render(p=page, **context)


def render_fleet(fleet: Fleet, lang: str, limits: AlertLimits | None = None, **context: Any) -> str:
    """The fleet page: counters per level, then one card per cluster, the worst first."""
    page = Page(lang, fleet.generated, "/")
    judged = triage.order(fleet.clusters, limits or AlertLimits())
    cards = [ClusterCard(c, v) for c, v in judged]
    return render("fleet.html", page, cards=cards,
                  counts=triage.counts([card.verdict for card in cards]), refresh=True, **context)


def render_cluster(detail: ClusterDetail, lang: str, now: float,
                   limits: AlertLimits | None = None, range_key: str = "", **context: Any) -> str:
    """One cluster: verdict, facts, screenshot, history plots, proof of play, events."""
    limits = limits or AlertLimits()
    range_key = range_key if range_key in RANGES else _range_for_days(detail.days)
    c = detail.status
    page = Page(lang, now, f"/clusters/{quote(c.id, safe='')}",
                {"range": range_key} if range_key != DEFAULT_RANGE else {})
    start = now - detail.days * 86400
    rows = detail.history
    from player.hub.foresight_page import cluster_section, visit_times

    markers, label = visit_times(detail.foresight), page.t["visit_marker"]
    plots = [
        ("temperature", plot([(r[0], r[1]) for r in rows], start, now, "°C", page,
                             limits.max_temperature, markers=markers, marker_label=label)),
        ("humidity", plot([(r[0], r[2]) for r in rows], start, now, "%", page,
                          limits.max_humidity, (0, 100), markers=markers, marker_label=label)),
        ("disk_free_gb", plot([(r[0], None if r[3] is None else r[3] / 1e9) for r in rows],
                              start, now, "GB", page, limits.min_disk_free / 1e9, (0, None),
                              markers=markers, marker_label=label)),
    ]
    return render("cluster.html", page, card=ClusterCard(c, triage.assess(c, limits)),
                  foresight=cluster_section(detail.foresight, page, context.get("user")),
                  plots=plots, range_key=range_key, plays=detail.plays_period,
                  play_total=_total(detail.plays_period), refresh=True, **context)


def _range_for_days(days: int) -> str:
    return next((key for key, value in RANGES.items() if value == days), DEFAULT_RANGE)


def _total(plays: tuple[PlayCount, ...]) -> PlayCount:
    return PlayCount("", sum(p.plays for p in plays), sum(p.seconds for p in plays))


def render_error(status: int, message: str, lang: str, **context: Any) -> str:
    page = Page(lang)
    key = "not_found" if status == 404 else "error"
    return render("error.html", page, status=status, heading=page.t[key], message=message,
                  **context)


__all__ = ["Page", "Plot", "plot", "render", "render_fleet", "render_cluster", "render_error",
           "pick_lang", "pick_range", "RANGES", "TEXT", "LANGS"]
