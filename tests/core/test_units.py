from datetime import time

import pytest

from player.core.units import (
    UnitError,
    format_duration,
    parse_bytes,
    parse_color,
    parse_duration,
    parse_hours_range,
    parse_size,
    parse_time_of_day,
)


@pytest.mark.parametrize("text, seconds", [
    ("10s", 10), ("1m30s", 90), ("2h", 7200), ("500ms", 0.5), ("1.5s", 1.5), (12, 12),
    ("1h 2m 3s", 3723), ("45", 45),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "10", "ten seconds", "10x", "s10", True, None, [1], -5, "1m-3s"][::1])
def test_bad_durations(bad):
    if bad == "10":
        return  # a bare number of seconds is allowed
    with pytest.raises(UnitError):
        parse_duration(bad)


def test_format_duration_round_trips():
    for seconds in (0.25, 5, 90, 3723):
        assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)


def test_times_of_day():
    assert parse_time_of_day("07:30") == time(7, 30)
    assert parse_time_of_day("24:00") == time(23, 59, 59, 999999)
    for bad in ("25:00", "7", "12:60", 730, "aa:bb"):
        with pytest.raises(UnitError):
            parse_time_of_day(bad)
    assert parse_hours_range("22:00-06:00") == (time(22), time(6))


def test_sizes_bytes_colours():
    assert parse_size("1920x1080") == (1920, 1080)
    with pytest.raises(UnitError):
        parse_size("1920")
    assert parse_bytes("500MB") == 500_000_000
    assert parse_bytes("2GiB") == 2 * 1024**3
    assert parse_bytes("1M/s") == 1_000_000
    assert parse_color("#fff") == (255, 255, 255)
    assert parse_color([1, 2, 3]) == (1, 2, 3)
    with pytest.raises(UnitError):
        parse_color("#12345")
