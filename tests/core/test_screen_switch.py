"""The screen's on/off rule without a screen: off hours, the hub's command, emergencies."""

from __future__ import annotations

from player.core.screen_switch import ScreenSwitch


class Hours:
    """The Power port: off while `off` is set; records what it was told and whether closed."""

    def __init__(self):
        self.off = False
        self.told: list[bool] = []
        self.closed = False

    def screen_off(self, now) -> bool:
        return self.off

    def apply(self, off: bool) -> bool:
        self.told.append(off)
        return True

    def close(self) -> None:
        self.closed = True


def test_off_hours_darken_the_screen_but_never_an_emergency():
    hours = Hours()
    switch = ScreenSwitch(hours)
    assert switch.off(0.0, emergency=False) is False
    hours.off = True
    assert switch.off(1.0, emergency=False) is True
    assert switch.off(2.0, emergency=True) is False
    assert hours.told == [False, True, False]


def test_the_hubs_command_holds_until_the_schedule_changes_its_mind():
    hours = Hours()
    switch = ScreenSwitch(hours)
    hours.off = True
    switch.force(True, 0.0)  # "screen on" in the off hours
    assert switch.off(1.0, emergency=False) is False
    assert switch.off(2.0, emergency=False) is False  # still the off hours: still on
    hours.off = False  # the schedule's morning: it rules again
    assert switch.off(3.0, emergency=False) is False and switch.forced is None
    hours.off = True  # the next evening: off, the command is long gone
    assert switch.off(4.0, emergency=False) is True
    switch.force(False, 5.0)  # "screen off" is overridden by an emergency too
    hours.off = True
    assert switch.off(6.0, emergency=True) is False


def test_no_schedule_means_always_on_and_a_new_schedule_closes_the_old():
    switch = ScreenSwitch(None)
    assert switch.off(0.0, emergency=False) is False
    switch.force(False, 1.0)
    assert switch.off(2.0, emergency=False) is True  # the hub can still darken it
    old, new = Hours(), Hours()
    switch.replace_power(old)
    switch.replace_power(old)  # the same one again: kept open
    assert not old.closed
    switch.replace_power(new)
    assert old.closed and switch.power is new
