"""Reading an item's `when`: windows of dates, weekdays and hours (docs/playlist.md)."""

from __future__ import annotations

from datetime import date

from player.core.fields import Fields, type_name
from player.core.hours import EQUAL_ENDS_WARNING, equal_ends
from player.core.playlist import DAY_GROUPS, WEEKDAYS, Window
from player.core.units import UnitError, parse_hours_range

_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def read_when(f: Fields) -> tuple[Window, ...]:
    """The windows of `f`'s `when` (one mapping or a list of them); none: always."""
    value = f.raw("when")
    if value is None:
        return ()
    entries = f.entries("when") if isinstance(value, list) else [(0, value, f.key_path("when"), f.line_of("when"))]
    windows = []
    for _i, entry, path, line in entries:
        windows.append(read_window(Fields(entry, path, f.problems, line)))
    return tuple(windows)


def read_window(w: Fields) -> Window:
    w.check_keys(("from", "until", "days", "hours"))
    start = w.parse("from", _parse_date, None)
    end = w.parse("until", _parse_date, None)
    if start and end and end < start:
        w.error("until", f"{end} is before from: {start}")
    days = _read_days(w) if w.has("days") else None
    hours = w.parse("hours", parse_hours_range, None)
    if equal_ends(hours):
        w.warn("hours", EQUAL_ENDS_WARNING)
    return Window(start, end, frozenset(days) if days is not None else None, hours)


def _read_days(w: Fields) -> set[int]:
    days: set[int] = set()
    for _i, day, path, line in w.entries("days") if isinstance(w.raw("days"), list) else [
            (0, w.raw("days"), w.key_path("days"), w.line_of("days"))]:
        name = str(day).lower()[:3] if str(day).lower() not in DAY_GROUPS else str(day).lower()
        if name in DAY_GROUPS:
            days.update(WEEKDAYS.index(d) for d in DAY_GROUPS[name])
        elif name in WEEKDAYS and len(str(day)) in (3, len(_FULL_DAYS[WEEKDAYS.index(name)])):
            days.add(WEEKDAYS.index(name))
        else:
            w.problems.error(line, path, "expected a weekday (mon, tue, ... sun, weekdays, "
                             f"weekend), got {type_name(day)}")
    return days


def _parse_date(value: object) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UnitError(f'expected a date like "2026-12-01", got {value!r}') from None
