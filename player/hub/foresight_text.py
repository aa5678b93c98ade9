"""The words of the forecasts, the availability report and the maintenance log (vi and en),
merged into `player.hub.page_text.TEXT`; and the values a forecast's words are filled with."""

from __future__ import annotations

import math
from typing import Any

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "problem_forecast_disk_full": "Ổ đĩa sẽ đầy {due} (mỗi ngày mất {per_day})",
        "do_forecast_disk_full": "dọn bộ nhớ hoặc mang thẻ nhớ lớn hơn trong chuyến đi tới",
        "problem_forecast_wear": "Bộ nhớ (thẻ eMMC/ổ đĩa) sắp hết tuổi thọ: còn khoảng "
                                 "{left} (đã dùng {used}%)",
        "do_forecast_wear": "mang thẻ nhớ thay thế trong chuyến đi tới",
        "problem_forecast_fan": "Quạt sắp dừng trong khi bo mạch nóng lên {due} "
                                "({rpm} vòng/phút, {celsius} °C)",
        "do_forecast_fan": "vệ sinh hoặc thay quạt, kiểm tra khe thông gió",
        "problem_forecast_restarts": "Trình phát khởi động lại ngày càng nhiều: {last_week} lần "
                                     "trong 7 ngày (trước đó {before} lần/tuần)",
        "do_forecast_restarts": "kiểm tra điện lưới, bộ nguồn và thẻ nhớ của máy",
        "problem_forecast_heat": "Nhiệt độ cao nhất mỗi ngày tăng dần theo tuần ({celsius} °C), "
                                 "có thể tới {limit} °C {due}",
        "do_forecast_heat": "kiểm tra quạt, lọc bụi và nắng chiếu vào tủ máy",
        "problem_forecast_condensation": "nguy cơ đọng sương {due}: cách điểm sương {margin} °C "
                                         "(ngưỡng {limit} °C)",
        "do_forecast_condensation": "mở quạt / kiểm tra gioăng tủ",
        "due_now": "ngay bây giờ", "due_days": "sau khoảng {n} ngày",
        "left_months": "{n} tháng", "left_days": "{n} ngày",
        "foresight": "Dự báo hỏng hóc", "insufficient": "chưa đủ dữ liệu ({have}/{need})",
        "forecast_ok": "không thấy nguy cơ", "forecast_line": "đường dự báo",
        "kind_disk_full": "Ổ đĩa đầy", "kind_wear": "Tuổi thọ bộ nhớ", "kind_fan": "Quạt",
        "kind_restarts": "Khởi động lại", "kind_heat": "Nhiệt độ cao nhất/ngày",
        "kind_condensation": "Đọng sương",
        "plot_disk_full": "Ổ đĩa trống (GB)", "plot_wear": "Tuổi thọ đã dùng (%)",
        "plot_fan": "Quạt (vòng/phút)", "plot_restarts": "Khởi động lại bất thường mỗi ngày",
        "plot_heat": "Nhiệt độ CPU (°C)", "plot_condensation": "Cách điểm sương (°C)",
        "due_on": "dự kiến {date}",
        "maintenance": "Nhật ký bảo trì", "visit_add": "Ghi lần bảo trì",
        "visit_date": "Ngày đến", "visit_found": "Tình trạng phát hiện",
        "visit_replaced": "Đã thay", "visit_note": "Ghi chú thêm", "visit_by": "Người ghi",
        "no_visits": "Chưa có lần bảo trì nào.", "visit_saved": "Đã lưu lần bảo trì.",
        "part_storage": "thẻ nhớ / ổ đĩa", "part_fan": "quạt", "part_power_supply": "bộ nguồn",
        "part_display": "màn hình", "part_sensor": "cảm biến", "part_other": "khác",
        "visit_bad_date": "Ngày không hợp lệ (không được sau hôm nay).",
        "visit_bad_found": "Hãy ghi tình trạng phát hiện hoặc chọn bộ phận đã thay.",
        "visit_bad_replaced": "Bộ phận không có trong danh sách.",
        "visit_bad_note": "Ghi chú quá dài.", "visit_marker": "bảo trì",
        "availability": "Thời gian hoạt động", "availability_month": "Báo cáo tháng {month}",
        "district": "Toàn huyện", "day": "Ngày", "scheduled": "Lịch bật (phút)",
        "shown": "Có nội dung (phút)", "dark_offline": "Mất liên lạc",
        "dark_display": "Mất màn hình", "dark_player_down": "Trình phát dừng",
        "dark_power_cut": "Mất điện", "dark_no_content": "Không có nội dung",
        "ratio": "Tỷ lệ", "month_total": "Cả tháng", "print": "In (A4)",
        "prev_month": "← Tháng trước", "next_month": "Tháng sau →",
        "dark_minutes": "Phút tối theo nguyên nhân", "cluster": "Cụm",
        "availability_note": "Giờ tắt theo lịch không tính. Phút = phút theo giờ Việt Nam.",
    },
    "en": {
        "problem_forecast_disk_full": "Disk full {due} (losing {per_day} a day)",
        "do_forecast_disk_full": "free space or bring a larger memory card on the next trip",
        "problem_forecast_wear": "Storage (eMMC/disk) near the end of its life: about {left} "
                                 "left ({used}% used)",
        "do_forecast_wear": "bring a replacement memory card on the next trip",
        "problem_forecast_fan": "Fan stopping while the board heats up {due} ({rpm} rpm, "
                                "{celsius} °C)",
        "do_forecast_fan": "clean or replace the fan, check the vents",
        "problem_forecast_restarts": "The player restarts more and more: {last_week} times in 7 "
                                     "days ({before} a week before)",
        "do_forecast_restarts": "check the mains, the power supply and the memory card",
        "problem_forecast_heat": "Daily maximum temperature rising week on week ({celsius} °C), "
                                 "may reach {limit} °C {due}",
        "do_forecast_heat": "check the fan, the dust filter and sun on the cabinet",
        "problem_forecast_condensation": "condensation risk {due}: {margin} °C from the dew "
                                         "point (limit {limit} °C)",
        "do_forecast_condensation": "run the fan / check the cabinet door seals",
        "due_now": "now", "due_days": "in about {n} days",
        "left_months": "{n} months", "left_days": "{n} days",
        "foresight": "Failure forecasts", "insufficient": "not enough data yet ({have}/{need})",
        "forecast_ok": "no risk seen", "forecast_line": "forecast line",
        "kind_disk_full": "Disk full", "kind_wear": "Storage life", "kind_fan": "Fan",
        "kind_restarts": "Restarts", "kind_heat": "Daily maximum temperature",
        "kind_condensation": "Condensation",
        "plot_disk_full": "Disk free (GB)", "plot_wear": "Rated life used (%)",
        "plot_fan": "Fan (rpm)", "plot_restarts": "Abnormal restarts a day",
        "plot_heat": "CPU temperature (°C)", "plot_condensation": "Distance to dew point (°C)",
        "due_on": "expected {date}",
        "maintenance": "Maintenance log", "visit_add": "Record a visit",
        "visit_date": "Date of the visit", "visit_found": "What was found",
        "visit_replaced": "Replaced", "visit_note": "Notes", "visit_by": "Recorded by",
        "no_visits": "No visits recorded yet.", "visit_saved": "Visit saved.",
        "part_storage": "memory card / disk", "part_fan": "fan",
        "part_power_supply": "power supply", "part_display": "display", "part_sensor": "sensor",
        "part_other": "other",
        "visit_bad_date": "Invalid date (it may not be after today).",
        "visit_bad_found": "Write what was found or tick a replaced part.",
        "visit_bad_replaced": "A part that is not on the list.",
        "visit_bad_note": "The notes are too long.", "visit_marker": "visit",
        "availability": "Availability", "availability_month": "Report for {month}",
        "district": "Whole district", "day": "Day", "scheduled": "Scheduled on (min)",
        "shown": "Content shown (min)", "dark_offline": "Offline",
        "dark_display": "Display lost", "dark_player_down": "Player down",
        "dark_power_cut": "Power cut", "dark_no_content": "No content",
        "ratio": "Share", "month_total": "Whole month", "print": "Print (A4)",
        "prev_month": "← Previous month", "next_month": "Next month →",
        "dark_minutes": "Dark minutes by cause", "cluster": "Cluster",
        "availability_note": "Off-hours by schedule do not count. Minutes in Vietnam time.",
    },
}


def forecast_values(page: Any, values: dict) -> dict:
    """A forecast problem's values as the words want them (``page`` is a pages.Page)."""
    out: dict[str, str] = {}
    days = values.get("days")
    if days is None or not math.isfinite(days) or days < 0.5:
        out["due"] = page.t["due_now"]
    else:
        out["due"] = page.t["due_days"].format(n=int(math.ceil(days)))
    months = values.get("months")
    if isinstance(months, (int, float)) and months >= 2:
        out["left"] = page.t["left_months"].format(n=page.number(months, 0))
    else:
        out["left"] = page.t["left_days"].format(n=int(math.ceil(days or 0.0)))
    for key in ("months", "margin", "limit", "celsius", "before"):
        value = values.get(key)
        out[key] = page.number(value) if isinstance(value, (int, float)) else "–"
    for key in ("used", "rpm", "last_week"):
        value = values.get(key)
        out[key] = page.number(value, 0) if isinstance(value, (int, float)) else "–"
    per_day = values.get("per_day")
    out["per_day"] = page.size(per_day) if isinstance(per_day, (int, float)) else "–"
    return out
