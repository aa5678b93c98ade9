"""Hours of the day: the one rule for every `HH:MM-HH:MM` window the player reads.

Screen-off hours, quiet hours, sync hours and a playlist's `when` hours all mean the same:
a window holds `start <= moment < end`; an end before its start wraps past midnight; an end
equal to its start covers the whole day (docs/config.md, docs/playlist.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

Window = tuple[time, time]

# Until screen-off hours, sync hours and playlist windows shared this rule, an equal start and
# end meant "never" for them (it meant the whole day only for quiet hours): `check` says so.
EQUAL_ENDS_WARNING = ("start and end are equal: the window covers the whole day (older players "
                      "read it as never); remove the window if it should never apply")


def in_hours(moment: time, start: time, end: time) -> bool:
    """True when the time of day `moment` lies inside the window `start-end`."""
    if start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def in_any(moment: time, windows: Iterable[Window]) -> bool:
    """True when `moment` lies inside one of `windows` (none: False)."""
    return any(in_hours(moment, start, end) for start, end in windows)


def started_the_day_before(moment: time, start: time) -> bool:
    """True when `moment`, inside the window, belongs to the window that began the day before
    (the small hours of an overnight window, or of a whole-day one starting after midnight)."""
    return moment < start


def equal_ends(window: Window | None) -> bool:
    return window is not None and window[0] == window[1]
