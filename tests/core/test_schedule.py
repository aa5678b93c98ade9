from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from player.core.playlist import Interrupt, Item, Playlist, Window
from player.core.schedule import Schedule, next_fire_time, window_active

UTC = UTC


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def unix(text: str) -> float:
    return at(text).timestamp()


def item(item_id: str, duration: float = 10.0, when=()) -> Item:
    return Item(id=item_id, kind="text", text={"vi": item_id}, duration=duration, when=tuple(when))


def playlist(*items: Item, align: str = "loop", interrupts=()) -> Playlist:
    return Playlist(name="t", path=Path("/p/playlist.yaml"), languages=("vi",), items=items,
                    align=align, interrupts=tuple(interrupts))


FALLBACK = item("fallback")


def test_hours_window_and_overnight_wrap():
    day = Window(hours=(time(7), time(18)))
    assert window_active(day, at("2026-11-28T07:00"))
    assert not window_active(day, at("2026-11-28T18:00"))
    night = Window(hours=(time(22), time(6)), days=frozenset({4}))  # Friday night
    assert window_active(night, at("2026-11-27T23:30"))  # Friday 23:30
    assert window_active(night, at("2026-11-28T05:59"))  # Saturday small hours: Friday's window
    assert not window_active(night, at("2026-11-28T23:30"))  # Saturday evening
    assert not window_active(night, at("2026-11-27T12:00"))


def test_date_range_and_weekdays():
    window = Window(start_date=date(2026, 12, 1), end_date=date(2026, 12, 31), days=frozenset({5, 6}))
    assert window_active(window, at("2026-12-05T10:00"))  # a Saturday in December
    assert not window_active(window, at("2026-12-04T10:00"))  # Friday
    assert not window_active(window, at("2027-01-02T10:00"))  # Saturday, after the range


def test_loop_skips_inactive_and_wraps():
    weekend = [Window(days=frozenset({5, 6}))]
    schedule = Schedule(playlist(item("a"), item("b", when=weekend), item("c")), FALLBACK, tz=UTC)
    thursday = unix("2026-11-26T10:00")
    first = schedule.first(thursday)
    assert first.item.id == "a" and first.end == thursday + 10
    second = schedule.after(first, first.end)
    assert second.item.id == "c"
    assert schedule.after(second, second.end).item.id == "a"
    saturday = unix("2026-11-28T10:00")
    assert schedule.after(first, saturday).item.id == "b"


def test_nothing_active_gives_fallback():
    never = [Window(start_date=date(2000, 1, 1), end_date=date(2000, 1, 2))]
    schedule = Schedule(playlist(item("a", when=never)), FALLBACK, tz=UTC)
    entry = schedule.first(unix("2026-11-26T10:00"))
    assert entry.role == "fallback" and entry.item is FALLBACK


def test_clock_aligned_loops_agree_between_screens():
    items = (item("a", 10), item("b", 20), item("c", 30))  # a 60 s cycle
    screen1 = Schedule(playlist(*items, align="clock"), FALLBACK, tz=UTC)
    screen2 = Schedule(playlist(*items, align="clock"), FALLBACK, tz=UTC)
    t = unix("2026-11-26T10:00:00")  # a multiple of 60
    assert screen1.first(t).item.id == "a"
    joined = screen2.first(t + 15)  # started 15 s later, mid-item
    assert joined.item.id == "b" and joined.offset == pytest.approx(5) and joined.end == t + 30
    assert screen1.after(screen1.first(t), t + 10).end == joined.end
    assert screen1.first(t + 59.4).item.id == "c"
    joined_late = screen1.first(t + 59.9)  # within the last half second: the next item, not 0.1 s of c
    assert joined_late.item.id == "a" and joined_late.end == t + 70
    assert screen1.first(t + 60).item.id == "a"
    # A switch a few ms early (a wall clock slewed slow) does not show the ending item again.
    assert screen1.after(screen1.first(t), t + 9.99).item.id == "b"


def test_interrupt_every_hour_on_the_hour():
    hourly = Interrupt(item=item("hourly", 20), every=3600)
    assert next_fire_time(hourly, unix("2026-11-26T10:59:30"), UTC) == unix("2026-11-26T11:00")
    assert next_fire_time(hourly, unix("2026-11-26T23:59:59"), UTC) == unix("2026-11-27T00:00")
    fixed = Interrupt(item=item("noon"), at=(time(12, 30),))
    assert next_fire_time(fixed, unix("2026-11-26T13:00"), UTC) == unix("2026-11-27T12:30")
    weekends = Interrupt(item=item("w"), at=(time(9),), when=(Window(days=frozenset({5})),))
    assert next_fire_time(weekends, unix("2026-11-26T10:00"), UTC, horizon=7 * 86400) == unix("2026-11-28T09:00")
    weekdays = Interrupt(item=item("wd"), at=(time(12), time(17, 30)), when=(Window(days=frozenset(range(5))),))
    friday_evening = unix("2026-11-27T17:31")
    assert next_fire_time(weekdays, friday_evening, UTC) == unix("2026-11-30T12:00")  # on Monday, not never


def test_resume_after_interrupt_replays_the_interrupted_item():
    hourly = Interrupt(item=item("hourly", 20), every=3600)
    schedule = Schedule(playlist(item("a"), item("b"), interrupts=[hourly]), FALLBACK, tz=UTC)
    t = unix("2026-11-26T10:59:55")
    b = schedule.after(schedule.first(t), t)
    fire, interrupt = schedule.next_interrupt(t)
    entry = schedule.interrupt_entry(interrupt, fire)
    assert entry.role == "interrupt" and entry.end - entry.start == 20
    assert schedule.resume(b, entry.end).item.id == "b"


def test_video_without_duration_asks_the_probe():
    video = Item(id="v", kind="video", source="v.mp4", duration=None)
    schedule = Schedule(playlist(video), FALLBACK, duration_of=lambda i: 42.0, tz=UTC)
    entry = schedule.first(1000.0)
    assert entry.end == 1042.0
