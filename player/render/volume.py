"""How loud the device plays now: the master volume and the quiet hours (docs/config.md)."""

from __future__ import annotations

from datetime import datetime

from player.core.config import AudioConfig
from player.core.hours import in_hours


def device_level(config: AudioConfig, moment: datetime) -> float:
    """Master volume times the quiet-hours factor in force at `moment` (0 when disabled)."""
    if not config.enabled:
        return 0.0
    for quiet in config.quiet_hours:
        if in_hours(moment.time(), *quiet.hours):
            return config.volume * quiet.volume
    return config.volume
