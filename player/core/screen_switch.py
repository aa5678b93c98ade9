"""Whether the screen is dark: the power schedule's off hours, a hub's "screen on/off" that
holds until the schedule next changes its mind, and an emergency message, which always shows."""

from __future__ import annotations

from datetime import datetime

from player.core.ports import Power


class ScreenSwitch:
    def __init__(self, power: Power | None):
        self.power = power
        self.forced: tuple[bool, bool] | None = None  # from the hub: (on, the schedule's off)

    def scheduled_off(self, wall: float) -> bool:
        return bool(self.power is not None and self.power.screen_off(datetime.fromtimestamp(wall)))

    def force(self, on: bool, wall: float) -> None:
        """The hub's command: on or off until the schedule's own answer changes."""
        self.forced = (on, self.scheduled_off(wall))

    def off(self, wall: float, emergency: bool) -> bool:
        """Should the screen be dark now; the power port is told (it acts on a change only)."""
        scheduled = self.scheduled_off(wall)
        off = not emergency and scheduled
        if self.forced is not None:
            if self.forced[1] != scheduled:  # the schedule moved on: it rules again
                self.forced = None
            else:
                off = not emergency and not self.forced[0]
        if self.power is not None:
            self.power.apply(off)  # runs a command only on a change (and once at start)
        return off

    def replace_power(self, power: Power | None) -> None:
        if power is not self.power:
            if self.power is not None:
                self.power.close()
            self.power = power
