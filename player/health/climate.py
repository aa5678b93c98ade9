"""Condensation risk: the dew point of the cabinet air, and how close the coldest surface is to it.

Water condenses on a surface colder than the air's dew point. The dew point comes from the
Magnus formula with Sonntag's (1990) constants for saturation over water,

    gamma = ln(RH / 100) + a * T / (b + T),   Td = b * gamma / (a - gamma),
    a = 17.62, b = 243.12 °C,

within 0.1 °C of the exact (Hyland-Wexler) dew point for air temperatures from -45 °C to
+60 °C; Alduchov and Eskridge's (1996) a = 17.625, b = 243.04 °C give the same to 0.01 °C.
Outside that range, or with a humidity outside 0-100 %, there is no dew point (no reading).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAGNUS_A = 17.62
MAGNUS_B = 243.12  # °C
VALID_CELSIUS = (-45.0, 60.0)
MIN_RH = 1.0  # below 1 % RH a sensor is broken or unplugged (and ln(0) has no value)
HUMID_RH = 85.0  # the "hours a day above 85 % RH" reading
CLEAR_MARGIN = 1.0  # °C over the limit before an alarm clears (no flapping at the limit)

ADVICE_VI = "nguy cơ đọng sương: mở quạt / kiểm tra gioăng tủ"
ADVICE_EN = "condensation risk: run the fan / check the cabinet door seals"


def dew_point(celsius: float, relative_humidity: float) -> float | None:
    """°C at which the air condenses; None outside the formula's range or for a bad humidity."""
    if not (math.isfinite(celsius) and math.isfinite(relative_humidity)):
        return None
    if not VALID_CELSIUS[0] <= celsius <= VALID_CELSIUS[1]:
        return None
    if not MIN_RH <= relative_humidity <= 100.0:
        return None
    gamma = math.log(relative_humidity / 100.0) + MAGNUS_A * celsius / (MAGNUS_B + celsius)
    return MAGNUS_B * gamma / (MAGNUS_A - gamma)


@dataclass(frozen=True)
class ClimateReading:
    dew_point: float | None
    margin: float | None  # coldest measured temperature minus the dew point
    alarm: str | None  # the message while the condensation alarm is raised


class CondensationWatch:
    """Raises the alarm when the margin stays under `limit` °C for `hold` seconds, and clears
    it when it stays `CLEAR_MARGIN` over the limit as long: one odd value never does either.

    A sample without a reading (a sensor gone or out of range) neither starts nor ends a hold;
    a gap longer than `hold` without any reading starts it again.
    """

    def __init__(self, limit: float, hold: float) -> None:
        self.limit = limit
        self.hold = hold
        self.raised = False
        self._since: float | None = None  # when the margin first crossed (the opposite way)
        self._last_good: float | None = None

    def update(self, now: float, air: float | None, humidity: float | None,
               coldest: float | None) -> ClimateReading:
        dew = None if air is None or humidity is None else dew_point(air, humidity)
        if dew is None or coldest is None or not VALID_CELSIUS[0] <= coldest <= VALID_CELSIUS[1]:
            if self._last_good is not None and not 0 <= now - self._last_good <= self.hold:
                self._since = None
            return ClimateReading(dew, None, self._message(None, None))
        margin = coldest - dew
        if self._last_good is not None and not 0 <= now - self._last_good <= self.hold:
            self._since = None  # a long hole in the readings, or the clock went back
        self._last_good = now
        crossing = margin >= self.limit + CLEAR_MARGIN if self.raised else margin < self.limit
        if not crossing:
            self._since = None
        elif self._since is None:
            self._since = now
        if self._since is not None and now - self._since >= self.hold:
            self.raised = not self.raised
            self._since = None
        return ClimateReading(dew, margin, self._message(dew, margin, coldest))

    def _message(self, dew: float | None, margin: float | None,
                 coldest: float | None = None) -> str | None:
        if not self.raised:
            return None
        if dew is None or margin is None or coldest is None:
            return f"{ADVICE_VI} ({ADVICE_EN})"
        return (f"{ADVICE_VI} ({ADVICE_EN}): coldest {coldest:.1f} °C, dew point {dew:.1f} °C, "
                f"{margin:.1f} °C apart (alarm under {self.limit:g} °C for "
                f"{self.hold / 60:g} min)")
