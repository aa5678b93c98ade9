"""One rule for every window of hours: screen-off, quiet, sync and playlist `when` hours."""

from __future__ import annotations

from datetime import datetime, time

from hypothesis import given, settings
from hypothesis import strategies as st

from player.core.config import AudioConfig, PowerConfig, QuietHours
from player.core.config_reader import load_config
from player.core.hours import EQUAL_ENDS_WARNING, in_hours
from player.core.playlist import Window
from player.core.playlist_reader import load_playlist
from player.core.schedule import window_active
from player.power import PowerSchedule
from player.render.audio import device_level
from player.sync.worker import in_hours as sync_hours

times = st.times().map(lambda t: t.replace(microsecond=0))


def every_reader(start: time, end: time, moment: time) -> list[bool]:
    """The answer of each place that reads hours, for one window and one time of day."""
    when = datetime.combine(datetime(2026, 11, 27).date(), moment)
    power = PowerSchedule(PowerConfig(off_hours=((start, end),)))
    audio = AudioConfig(volume=1.0, quiet_hours=(QuietHours(hours=(start, end), volume=0.0),))
    return [power.screen_off(when), device_level(audio, when) == 0.0, sync_hours(((start, end),), moment),
            window_active(Window(hours=(start, end)), when), in_hours(moment, start, end)]


@settings(deadline=None)
@given(times, times, times)
def test_every_reader_gives_the_same_answer(start, end, moment):
    answers = every_reader(start, end, moment)
    assert len(set(answers)) == 1, answers


def test_equal_ends_cover_the_whole_day_everywhere():
    for moment in (time(0), time(6, 59), time(7), time(23, 59)):
        assert every_reader(time(7), time(7), moment) == [True] * 5


def test_start_is_in_end_is_out_and_overnight_wraps():
    assert every_reader(time(7), time(18), time(7)) == [True] * 5
    assert every_reader(time(7), time(18), time(18)) == [False] * 5
    assert every_reader(time(22), time(6), time(5, 59)) == [True] * 5
    assert every_reader(time(22), time(6), time(12)) == [False] * 5


def test_a_whole_day_window_on_friday_runs_until_saturday_at_its_start():
    friday = Window(days=frozenset({4}), hours=(time(7), time(7)))
    assert window_active(friday, datetime(2026, 11, 27, 7, 0))  # Friday 07:00
    assert window_active(friday, datetime(2026, 11, 28, 6, 59))  # Saturday 06:59: Friday's still
    assert not window_active(friday, datetime(2026, 11, 28, 7, 0))
    assert not window_active(friday, datetime(2026, 11, 27, 6, 59))  # Thursday's, not Friday's


def test_check_warns_where_the_meaning_of_equal_ends_changed(tmp_path):
    config = tmp_path / "player.yaml"
    config.write_text('power:\n  off_hours: ["07:00-07:00"]\nsync:\n  hours: ["22:00-06:00", "03:00-03:00"]\n'
                      'audio:\n  quiet_hours:\n    - {hours: "21:00-21:00", volume: 10}\n', encoding="utf-8")
    warned = sorted((p.line, p.path) for p in load_config(config).warnings if EQUAL_ENDS_WARNING in p.message)
    assert warned == [(2, "power.off_hours[0]"), (4, "sync.hours[1]")]  # quiet hours always meant the whole day
    playlist = tmp_path / "playlist.yaml"
    playlist.write_text('items:\n  - {id: a, text: {vi: Chào}, when: {hours: "07:00-07:00"}}\n', encoding="utf-8")
    assert [w.path for w in load_playlist(playlist).warnings if EQUAL_ENDS_WARNING in w.message] == ["items[0].when.hours"]
