"""The forecasts (player/hub/forecast.py) on hand-made histories: each warns on a real trend,
says when it has too little to go on, and is not fooled by one odd value, holes of weeks, a
clock jump or a humidity over 100 %."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.hub import forecast
from player.hub.forecast import DAY, HOUR, INSUFFICIENT, OK, WARN, Settings

NOW = 1_790_000_000.0  # 2026-09-21
S = Settings()


def hourly(days: float, value, end: float = NOW, step: float = HOUR) -> list[tuple[float, float]]:
    """A point every `step` over the last `days`, value(t) given days before `end`."""
    count = int(days * DAY / step)
    return [(end - (count - i) * step, value((count - i) * step / DAY)) for i in range(count + 1)]


def test_least_squares_is_predict_linear():
    points = [(NOW - 3 * DAY, 30.0), (NOW - 2 * DAY, 20.0), (NOW - DAY, 10.0), (NOW, 0.0)]
    line = forecast.fit(points)
    assert line is not None
    assert math.isclose(line.slope * DAY, -10.0)
    assert math.isclose(line.reaches(-10.0), NOW + DAY)


def test_one_odd_value_does_not_move_the_line():
    points = [(NOW - d * DAY, 100.0 - d) for d in range(20)]
    points[5] = (points[5][0], -5000.0)  # a broken reading
    line = forecast.fit(sorted(points))
    assert math.isclose(line.slope * DAY, 1.0, rel_tol=1e-6)


def test_disk_filling_at_one_gigabyte_a_day_is_full_in_ten_days():
    free = hourly(7, lambda d: 10e9 + d * 1e9)  # 10 GB now, 1 GB less each day
    result = forecast.disk_full(free, NOW, S)
    assert result.state == WARN
    assert result.values["days"] == pytest.approx(10.0, abs=0.05)
    assert result.within(NOW, 14) and not result.within(NOW, 7)


def test_a_steady_disk_raises_nothing_and_a_short_history_is_not_enough():
    assert forecast.disk_full(hourly(7, lambda d: 5e9), NOW, S).state == OK
    short = forecast.disk_full(hourly(0.5, lambda d: 5e9 + d * 1e12), NOW, S)
    assert short.state == INSUFFICIENT and short.due is None
    assert short.values["need"] == 24


def test_a_hole_of_weeks_leaves_too_little_to_forecast():
    """Data from a month ago then two hours today: nothing to draw a week's line through."""
    old = hourly(7, lambda d: 20e9 + d * 1e9, end=NOW - 30 * DAY)
    today = hourly(2 / 24, lambda d: 1e9)
    assert forecast.disk_full(old + today, NOW, S).state == INSUFFICIENT


def test_emmc_wear_steps_give_a_date_in_months():
    """life_time steps 10 % every 30 days: 60 % now, worn out (100 %) in 120 days."""
    def used(d: float) -> float:
        return 60.0 - 10.0 * math.ceil(d / 30.0 - 1e-9) if d > 0 else 60.0

    points = hourly(100, used, step=6 * HOUR)
    result = forecast.wear(points, NOW, S)
    assert result.state == WARN
    assert result.values["months"] == pytest.approx(120 / 30.44, abs=0.3)
    assert not result.within(NOW, 14)


def test_one_wear_rise_is_not_enough_and_a_spike_is_ignored():
    flat = hourly(60, lambda d: 30.0 if d > 20 else 40.0, step=6 * HOUR)
    assert forecast.wear(flat, NOW, S).state == INSUFFICIENT
    spiky = list(flat)
    spiky[40] = (spiky[40][0], 110.0)  # one garbage read of life_time
    assert forecast.wear(spiky, NOW, S).state == INSUFFICIENT


def test_emmc_pre_eol_urgent_is_worn_out_now():
    result = forecast.wear([], NOW, S, pre_eol=3)
    assert result.state == WARN and result.due == NOW


def test_a_fan_slowing_to_a_stop_while_the_board_heats_up():
    rpm = hourly(10, lambda d: 3000.0 * (d + 4) / 14)  # 0 rpm in 4 days
    hot = hourly(10, lambda d: 70.0 - d)  # the board 1 °C warmer each day
    result = forecast.fan(rpm, hot, NOW, S)
    assert result.state == WARN
    assert result.values["days"] == pytest.approx(4.0, abs=0.1)


def test_a_slowing_fan_on_a_cooling_board_is_no_alarm():
    rpm = hourly(10, lambda d: 3000.0 * (d + 4) / 14)
    cooling = hourly(10, lambda d: 50.0 + d)
    assert forecast.fan(rpm, cooling, NOW, S).state == OK


def test_a_fan_that_reads_zero_once_is_no_alarm():
    rpm = hourly(10, lambda d: 2400.0)
    rpm[100] = (rpm[100][0], 0.0)
    hot = hourly(10, lambda d: 55.0 - d * 0.2)
    assert forecast.fan(rpm, hot, NOW, S).state == OK


def test_restarts_rising_week_on_week():
    earlier = [NOW - d * DAY for d in (25, 16, 9)]  # one a week
    last_week = [NOW - d * DAY - 3600 for d in (6, 4, 3, 2, 1)]
    result = forecast.restarts(earlier + last_week, NOW, days_seen=28)
    assert result.state == WARN and result.values["last_week"] == 5
    assert forecast.restarts(earlier, NOW, days_seen=28).state == OK
    assert forecast.restarts(last_week, NOW, days_seen=5).state == INSUFFICIENT


def test_daily_maximum_rising_week_on_week_reaches_the_limit():
    """Daily maxima 0.5 °C higher each day, 60 °C today: 70 °C in 20 days."""
    temps = hourly(28, lambda d: 60.0 - 0.5 * d + 5 * math.sin(2 * math.pi * d) - 5)
    result = forecast.heat(temps, NOW, S)
    assert result.state == WARN
    assert result.values["days"] == pytest.approx(20.0, abs=1.5)


def test_a_hot_but_steady_board_raises_nothing():
    temps = hourly(28, lambda d: 62.0 + 3 * math.sin(2 * math.pi * d))
    assert forecast.heat(temps, NOW, S).state == OK
    assert forecast.heat(hourly(5, lambda d: 60.0), NOW, S).state == INSUFFICIENT


def test_condensation_now_needs_a_sustained_time_under_the_margin():
    steady = hourly(14, lambda d: 8.0)
    assert forecast.condensation(steady, NOW, S).state == OK
    blip = steady[:-2] + [(NOW - HOUR, 0.5), (NOW, 8.0)]
    assert forecast.condensation(blip, NOW, S).state == OK
    damp = steady[:-8] + [(NOW - h * HOUR, 1.5) for h in range(7, -1, -1)]
    result = forecast.condensation(damp, NOW, S)
    assert result.state == WARN and result.due == NOW


def test_condensation_margin_closing_gives_the_day_of_the_dew():
    closing = hourly(14, lambda d: 5.0 + 0.5 * d + 2 * math.sin(2 * math.pi * d) + 2)
    result = forecast.condensation(closing, NOW, S)
    assert result.state == WARN
    assert result.values["days"] == pytest.approx(10.0, abs=1.0)


def test_a_clock_jump_is_cleaned_away():
    points = [(0.0, 1.0), (NOW + 365 * DAY, 2.0), (NOW - HOUR, math.nan), (NOW, 5.0)]
    assert forecast.clean(points, NOW) == [(NOW, 5.0)]


def test_humidity_over_100_gives_no_margin_and_no_alarm():
    """The player sends no dew point for RH > 100 %: the hub sees holes, never an alarm."""
    sparse = [p for i, p in enumerate(hourly(14, lambda d: 6.0)) if i % 30 == 0]
    assert forecast.condensation(sparse, NOW, S).state in (OK, INSUFFICIENT)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.lists(st.tuples(st.floats(NOW - 40 * DAY, NOW + 2 * DAY),
                          st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))),
                max_size=200))
def test_no_history_crashes_a_forecast(points):
    cleaned = forecast.clean(points, NOW)
    for result in (forecast.disk_full(cleaned, NOW), forecast.wear(cleaned, NOW),
                   forecast.fan(cleaned, cleaned, NOW), forecast.heat(cleaned, NOW),
                   forecast.condensation(cleaned, NOW),
                   forecast.restarts([t for t, _ in cleaned], NOW, 28)):
        assert result.state in (OK, WARN, INSUFFICIENT)
        assert result.due is None or math.isfinite(result.due)


def test_hub_yaml_foresight_keys_have_defaults_and_errors_name_the_key(tmp_path):
    from player.core.problems import LoadError
    from player.hub.config import hub_config_from_data

    config = hub_config_from_data({"alerts": {"max_temperature": 65}}, "hub.yaml", tmp_path)
    assert config.foresight.horizon_days == 14 and config.foresight.max_temperature == 65
    chosen = hub_config_from_data({"foresight": {"horizon_days": 7}}, "hub.yaml", tmp_path)
    assert chosen.foresight.horizon_days == 7
    with pytest.raises(LoadError) as bad:
        hub_config_from_data({"foresight": {"horizon_days": 0, "horizon_dayz": 3}}, "hub.yaml",
                             tmp_path)
    assert "foresight.horizon_days" in str(bad.value) and "horizon_dayz" in str(bad.value)
