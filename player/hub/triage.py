"""Triage: one verdict per cluster from every signal, and events in words a person acts on.

The fleet page answers "which screen is dark, and why". A cluster's verdict is the worst of its
problems, so an online cluster whose display is disconnected is dark (red), not "online"; a
screen blanked by its own off-hours schedule is grey ("off by schedule"), not "playing".

Levels, worst first (the fleet page sorts by this order):

- ``dark``: nobody sees the content: offline, display disconnected, no frames drawn;
- ``warning``: it plays, but will not for long or not the right thing: hot, damp, disk low,
  stale reports, content out of date, the device clock wrong;
- ``unknown``: configured but never reported;
- ``off``: blank by its off-hours schedule, as intended;
- ``ok``: playing, nothing to do.

Pure: no I/O, no clock (``now`` is passed in), no web framework.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from player.hub.config import AlertLimits
from player.hub.fleet import NEVER, OFFLINE, STALE, ClusterStatus, EventLine

DARK, WARNING, UNKNOWN, OFF, OK = "dark", "warning", "unknown", "off", "ok"
LEVELS = (DARK, WARNING, UNKNOWN, OFF, OK)
SCREEN_OFF_ITEM = "screen-off"  # the render loop's item id during power.off_hours
# SDL falls back to these without a real display: the player "runs" and nobody sees it.
HEADLESS_DRIVERS = ("offscreen", "dummy")
# A device clock further off than this from the hub's is a problem. Behind is allowed more:
# the newest heartbeat of a batch may have waited in the spool for write_interval (5 min)
# plus an upload back-off.
CLOCK_AHEAD_LIMIT = 10 * 60.0
CLOCK_BEHIND_LIMIT = 2 * 3600.0


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a cluster; ``code`` picks the words, ``values`` fill them in."""

    code: str
    level: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """A cluster's combined state: ``level`` for the colour and order, ``status`` for the label."""

    level: str
    status: str  # offline | display | no_frames | never | warning | screen_off | playing | idle
    problems: tuple[Problem, ...] = ()

    @property
    def rank(self) -> int:
        return LEVELS.index(self.level)


def assess(c: ClusterStatus, limits: AlertLimits) -> Verdict:
    """Combine every signal of one cluster into its verdict (problems worst first)."""
    if c.state == NEVER:
        return Verdict(UNKNOWN, "never", (Problem("never", UNKNOWN),))
    off = c.item == SCREEN_OFF_ITEM and c.state != OFFLINE
    problems = _dark_problems(c, off) + _warning_problems(c, limits)
    if problems and problems[0].level == DARK:
        return Verdict(DARK, problems[0].code, tuple(problems))
    if off:
        return Verdict(OFF, "screen_off", tuple(problems))
    if problems:
        return Verdict(WARNING, "warning", tuple(problems))
    return Verdict(OK, "playing" if c.item else "idle", ())


def _dark_problems(c: ClusterStatus, off: bool) -> list[Problem]:
    problems = []
    if c.state == OFFLINE:
        problems.append(Problem("offline", DARK, {"since": c.last_seen}))
    if c.display_connected is False:
        # Off-hours may power the panel down on purpose (power.off_command): no alarm then.
        problems.append(Problem("display", WARNING if off else DARK))
    if c.display_driver in HEADLESS_DRIVERS:
        problems.append(Problem("no_frames", DARK, {"driver": c.display_driver}))
    return sorted(problems, key=lambda p: LEVELS.index(p.level))


def _warning_problems(c: ClusterStatus, limits: AlertLimits) -> list[Problem]:
    problems = []
    if c.state == STALE:
        problems.append(Problem("stale", WARNING, {"since": c.last_seen}))
    if c.temperature is not None and c.temperature > limits.max_temperature:
        problems.append(Problem("hot", WARNING, {"value": c.temperature,
                                                 "limit": limits.max_temperature}))
    if c.humidity is not None and c.humidity > limits.max_humidity:
        problems.append(Problem("damp", WARNING, {"value": c.humidity,
                                                  "limit": limits.max_humidity}))
    if c.disk_free is not None and c.disk_free < limits.min_disk_free:
        problems.append(Problem("disk", WARNING, {"value": c.disk_free,
                                                  "limit": limits.min_disk_free}))
    if c.latest_release is not None and (c.release is None or c.release < c.latest_release):
        problems.append(Problem("outdated", WARNING, {"release": c.release,
                                                      "latest": c.latest_release}))
    skew = clock_skew(c)
    if skew is not None:
        problems.append(Problem("clock", WARNING, {"seconds": skew}))
    # failures predicted within the horizon (player/hub/forecast.py): words in page_text.TEXT
    problems += [Problem("forecast_" + f.kind, WARNING, dict(f.values)) for f in c.forecasts]
    return problems


def clock_skew(c: ClusterStatus) -> float | None:
    """How far the device clock is off (device minus hub, seconds), when that is a problem."""
    if c.device_time is None or c.sample_received is None:
        return None
    skew = c.device_time - c.sample_received
    if math.isnan(skew):
        return None
    if skew > CLOCK_AHEAD_LIMIT or -skew > CLOCK_BEHIND_LIMIT:
        return skew
    return None


def order(clusters: tuple[ClusterStatus, ...] | list[ClusterStatus],
          limits: AlertLimits) -> list[tuple[ClusterStatus, Verdict]]:
    """Clusters with their verdicts, worst first; within a level, more problems first, then
    by name, so the page is stable from one refresh to the next."""
    judged = [(c, assess(c, limits)) for c in clusters]
    judged.sort(key=lambda cv: (cv[1].rank, -len(cv[1].problems), cv[0].name.lower(), cv[0].id))
    return judged


def counts(verdicts: list[Verdict]) -> dict[str, int]:
    result = dict.fromkeys(LEVELS, 0)
    for verdict in verdicts:
        result[verdict.level] += 1
    return result


@dataclass(frozen=True)
class EventText:
    """An event in plain words: what happened, and what to do (empty when nothing)."""

    title: str
    action: str
    level: str


# event name -> {lang: (what happened, what to do)}; the level is the page's colour.
EVENTS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "display_disconnected": (DARK, {
        "vi": ("Mất tín hiệu màn hình", "kiểm tra cáp HDMI và nguồn của màn hình"),
        "en": ("Display signal lost", "check the HDMI cable and the display's power")}),
    "display_reconnected": (OK, {
        "vi": ("Màn hình có tín hiệu trở lại", ""),
        "en": ("Display signal back", "")}),
    "temperature_high": (WARNING, {
        "vi": ("Máy quá nóng", "kiểm tra quạt, khe thông gió và nắng chiếu vào tủ máy"),
        "en": ("The box is too hot", "check the fan, the vents and sun on the cabinet")}),
    "humidity_high": (WARNING, {
        "vi": ("Tủ máy bị ẩm", "kiểm tra gioăng cửa tủ và thay gói hút ẩm"),
        "en": ("The cabinet is damp", "check the door seal and replace the desiccant")}),
    "disk_low": (WARNING, {
        "vi": ("Thẻ nhớ sắp đầy", "báo kỹ thuật viên dọn bộ nhớ hoặc thay thẻ lớn hơn"),
        "en": ("Storage nearly full", "ask the technician to free space or fit a larger card")}),
    "filesystem_readonly": (DARK, {
        "vi": ("Thẻ nhớ chuyển sang chỉ đọc (sắp hỏng)", "thay thẻ nhớ càng sớm càng tốt"),
        "en": ("Storage turned read-only (failing)", "replace the memory card soon")}),
    "filesystem_errors": (WARNING, {
        "vi": ("Thẻ nhớ có lỗi", "chuẩn bị thẻ nhớ thay thế"),
        "en": ("Storage errors recorded", "have a replacement memory card ready")}),
    "under_voltage": (WARNING, {
        "vi": ("Nguồn điện yếu", "kiểm tra bộ nguồn và dây cắm của máy"),
        "en": ("Power supply too weak", "check the power adapter and its cable")}),
    "thinned": (WARNING, {
        "vi": ("Mất mạng lâu, đã gộp bớt báo cáo cũ", "kiểm tra kết nối mạng (4G) của cụm"),
        "en": ("Offline for long, old reports summarised", "check the cluster's (4G) link")}),
    "config_invalid": (WARNING, {
        "vi": ("Tệp cấu hình mới bị từ chối, giữ cấu hình cũ",
               "kỹ thuật viên chạy signage-player check trên máy"),
        "en": ("New config refused, the old one stays",
               "the technician runs signage-player check on the box")}),
    "config_bad": (WARNING, {
        "vi": ("Tệp cấu hình bị lỗi", "kỹ thuật viên chạy signage-player check trên máy"),
        "en": ("Config file has errors", "the technician runs signage-player check on the box")}),
    "playlist_bad": (WARNING, {
        "vi": ("Danh sách phát bị lỗi, giữ danh sách cũ", "kiểm tra và xuất bản lại nội dung"),
        "en": ("Playlist refused, the old one stays", "check and publish the content again")}),
    "release_bad": (WARNING, {
        "vi": ("Bản nội dung không phát được", "kiểm tra và xuất bản lại nội dung"),
        "en": ("Content release cannot play", "check and publish the content again")}),
    "file_bad": (WARNING, {
        "vi": ("Tệp nội dung hỏng, đã bỏ qua", "xuất bản lại tệp này"),
        "en": ("Broken media file skipped", "publish this file again")}),
    "decode_failed": (WARNING, {
        "vi": ("Không giải mã được video/âm thanh, đã bỏ qua", "xuất bản lại tệp này"),
        "en": ("Video or sound could not be decoded, skipped", "publish this file again")}),
    "sync_failed": (WARNING, {
        "vi": ("Không tải được nội dung mới", "kiểm tra kết nối mạng của cụm"),
        "en": ("New content could not be downloaded", "check the cluster's network link")}),
    "rollback_refused": (WARNING, {
        "vi": ("Từ chối bản nội dung cũ hơn bản đang phát",
               "xuất bản lại với số phiên bản lớn hơn"),
        "en": ("An older content version was refused", "publish again with a higher version")}),
    "manifest_expired": (WARNING, {
        "vi": ("Bản nội dung đã hết hạn", "xuất bản một bản mới"),
        "en": ("The content release has expired", "publish a new release")}),
    "emergency": (WARNING, {
        "vi": ("Đang phát thông báo khẩn cấp", ""),
        "en": ("An emergency message is on screen", "")}),
    "emergency_bad": (WARNING, {
        "vi": ("Tệp thông báo khẩn cấp bị lỗi", "kiểm tra lại tệp thông báo khẩn cấp"),
        "en": ("Emergency message file refused", "check the emergency message file")}),
    "report_rejected": (WARNING, {
        "vi": ("Hub không đọc được một báo cáo của cụm", "báo người quản trị hub"),
        "en": ("The hub could not read one report", "tell the hub's administrator")}),
}
RESTARTED = {
    "info": (OK, {"vi": ("Trình phát khởi động lại", ""), "en": ("The player restarted", "")}),
    "warning": (WARNING, {
        "vi": ("Máy khởi động lại sau khi mất điện", "kiểm tra nguồn điện của cụm"),
        "en": ("The box rebooted after a power cut", "check the cluster's mains power")}),
    "error": (WARNING, {
        "vi": ("Trình phát dừng bất thường và đã tự chạy lại",
               "nếu lặp lại, báo kỹ thuật viên"),
        "en": ("The player stopped abnormally and restarted", "if it repeats, call the technician")}),
}
CLEARED = {"vi": "Đã trở lại bình thường: {what}", "en": "Back to normal: {what}"}
UNKNOWN_EVENT = {"vi": ("Sự kiện {name}", "xem chi tiết bên dưới"),
                 "en": ("Event {name}", "see the details below")}


def describe_event(event: EventLine, lang: str) -> EventText:
    """The event in the page's language, with what to do about it."""
    lang = lang if lang in ("vi", "en") else "vi"
    name = event.event or ""
    if name == "restarted":
        level, words = RESTARTED.get(event.severity, RESTARTED["error"])
        return EventText(*words[lang], level)
    if name.endswith("_cleared") and name[:-len("_cleared")] in EVENTS:
        what = EVENTS[name[:-len("_cleared")]][1][lang][0].lower()
        return EventText(CLEARED[lang].format(what=what), "", OK)
    if name in EVENTS:
        level, words = EVENTS[name]
        return EventText(*words[lang], level)
    level = {"error": DARK, "warning": WARNING}.get(event.severity, OK)
    title, action = UNKNOWN_EVENT[lang]
    return EventText(title.format(name=name[:80]), action, level)


__all__ = ["Problem", "Verdict", "EventText", "assess", "order", "counts", "clock_skew",
           "describe_event", "LEVELS", "DARK", "WARNING", "UNKNOWN", "OFF", "OK"]
