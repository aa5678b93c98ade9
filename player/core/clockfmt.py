"""Time and date written the way Vietnamese and English readers expect."""

from __future__ import annotations

from datetime import datetime

VI_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def clock_lines(moment: datetime, fmt: str, with_date: bool = True) -> list[str]:
    """`14:05`, then `Thứ Năm, 26/11/2026` and/or `Thursday, 26 November 2026`."""
    lines = [moment.strftime("%H:%M")]
    if not with_date:
        return lines
    if "vi" in fmt:
        lines.append(f"{VI_WEEKDAYS[moment.weekday()]}, {moment:%d/%m/%Y}")
    if "en" in fmt:
        lines.append(f"{EN_WEEKDAYS[moment.weekday()]}, {moment.day} {EN_MONTHS[moment.month - 1]} {moment.year}")
    return lines
