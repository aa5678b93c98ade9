"""Parsing of the small value types people write: durations, times of day, sizes, byte counts."""

from __future__ import annotations

import re
from datetime import time

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*(?:/s)?\s*$", re.IGNORECASE)
_BYTE_FACTORS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
                 "ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4}


class UnitError(ValueError):
    """A value does not have the expected form; the message says what was expected."""


def parse_duration(value: object) -> float:
    """`10s`, `1m30s`, `2h`, `500ms`, `1.5s` or a bare number of seconds -> seconds."""
    if isinstance(value, bool):
        raise UnitError(f"expected a duration like 10s or 1m30s, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise UnitError(f"expected a duration that is not negative, got {value}")
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected a duration like 10s or 1m30s, got {value!r}")
    text = value.strip().replace(" ", "").lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        number, unit = float(match.group(1)), match.group(2)
        total += number * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
        pos = match.end()
    if not text or pos != len(text):
        raise UnitError(f'expected a duration like 10s, 1m30s or 500ms, got "{value}"')
    return total


def format_duration(seconds: float) -> str:
    """Seconds -> the shortest readable duration (`1m30s`)."""
    if seconds < 1 and seconds:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"


def parse_time_of_day(value: object) -> time:
    """`07:00`, `7:30`, `23:59:59`; `24:00` means the end of the day."""
    if not isinstance(value, str):
        raise UnitError(f'expected a time of day like "07:30", got {value!r}')
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", value)
    if not match:
        raise UnitError(f'"{value}" is not a time of day (expected HH:MM)')
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour == 24 and minute == 0 and second == 0:
        return time(23, 59, 59, 999999)
    if hour > 23 or minute > 59 or second > 59:
        raise UnitError(f'"{value}" is not a time of day (hours 00-23, minutes 00-59)')
    return time(hour, minute, second)


def parse_hours_range(value: object) -> tuple[time, time]:
    """`07:00-18:00` -> (start, end); an end before the start wraps past midnight."""
    if not isinstance(value, str) or "-" not in value:
        raise UnitError(f'expected hours like "07:00-18:00", got {value!r}')
    start_text, _, end_text = value.partition("-")
    return parse_time_of_day(start_text), parse_time_of_day(end_text)


def parse_size(value: object) -> tuple[int, int]:
    """`1920x1080` -> (1920, 1080)."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*", str(value))
    if not match or isinstance(value, bool):
        raise UnitError(f'expected a size like "1920x1080", got {value!r}')
    width, height = int(match[1]), int(match[2])
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise UnitError(f'size "{value}" is out of range (16 to 16384 pixels a side)')
    return width, height


def parse_bytes(value: object) -> int:
    """`500MB`, `2GiB`, `200k`, `1M/s` or a bare integer -> bytes."""
    if isinstance(value, bool):
        raise UnitError(f"expected a byte count like 500MB, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise UnitError(f"expected a byte count that is not negative, got {value}")
        return value
    match = _BYTES.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise UnitError(f'expected a byte count like 500MB or 2GiB, got "{value}"')
    unit = match.group(2).lower().rstrip("b")
    return int(float(match.group(1)) * _BYTE_FACTORS[unit])


def parse_color(value: object) -> tuple[int, int, int]:
    """`#rrggbb`, `#rgb` or `[r, g, b]` -> an RGB triple."""
    if isinstance(value, str):
        text = value.strip().lstrip("#")
        if re.fullmatch(r"[0-9a-fA-F]{3}", text):
            text = "".join(ch * 2 for ch in text)
        if re.fullmatch(r"[0-9a-fA-F]{6}", text):
            return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
        if text.lower() in NAMED_COLORS:
            return NAMED_COLORS[text.lower()]
    if isinstance(value, list) and len(value) == 3 and all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value
    ):
        return value[0], value[1], value[2]
    raise UnitError(f'expected a colour like "#1a2b3c", a name like "white" or [r, g, b], got {value!r}')


NAMED_COLORS = {
    "black": (0, 0, 0), "white": (255, 255, 255), "red": (220, 30, 30), "green": (30, 160, 70),
    "blue": (30, 80, 200), "yellow": (250, 210, 40), "orange": (240, 140, 20),
    "grey": (128, 128, 128), "gray": (128, 128, 128), "navy": (10, 30, 80),
}
