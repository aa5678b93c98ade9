"""The availability report's plot: one stacked bar a row (day or cluster), its height the
scheduled minutes, split into shown and the dark causes. Geometry only; the template draws it."""

from __future__ import annotations

from dataclasses import dataclass

from player.hub.availability import CAUSES, Day
from player.hub.pages import Page
from player.hub.plot import Tick

SERIES = ("shown",) + CAUSES


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float
    bottom: float
    top: float
    right: float
    segments: tuple[Segment, ...]
    x_labels: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    legend: tuple[tuple[str, str], ...]  # (series, words)


def bars(rows: list[tuple[str, Day]], page: Page, width: int = 760,
         height: int = 230) -> BarChart | None:
    """Bars in minutes when the rows are days, in hours for the district's clusters."""
    if not rows or not any(d.scheduled for _, d in rows):
        return None
    left, right, top, bottom = 48.0, width - 8.0, 10.0, height - 26.0
    peak = max(d.scheduled for _, d in rows)
    hours = peak > 24 * 60
    scale = 60.0 if hours else 1.0
    top_value = _round_up(peak / scale)
    slot = (right - left) / len(rows)
    bar = max(2.0, slot * 0.7)
    segments = []
    for i, (label, d) in enumerate(rows):
        x = left + i * slot + (slot - bar) / 2
        y = bottom
        values = [("shown", d.shown)] + [(cause, d.dark[cause]) for cause in CAUSES]
        for series, minutes in values:
            if not minutes:
                continue
            h = (minutes / scale) / top_value * (bottom - top)
            y -= h
            segments.append(Segment(round(x, 1), round(y, 1), round(bar, 1), round(h, 1), series,
                                    f"{label}: {_words(page, series)} {minutes}"))
    every = max(1, len(rows) // 10)
    x_labels = tuple(Tick(round(left + (i + 0.5) * slot, 1), label[:14])
                     for i, (label, _) in enumerate(rows) if i % every == 0)
    y_ticks = tuple(Tick(round(bottom - v / top_value * (bottom - top), 1),
                         f"{page.number(v, 0)} {'h' if hours else ''}".strip())
                    for v in (0, top_value / 2, top_value))
    legend = tuple((s, _words(page, s)) for s in SERIES)
    return BarChart(width, height, left, bottom, top, right, tuple(segments), x_labels, y_ticks,
                    legend)


def _words(page: Page, series: str) -> str:
    return page.t["shown"] if series == "shown" else page.t["dark_" + series]


def _round_up(value: float) -> float:
    for step in (60, 120, 240, 480, 960, 1440, 2880, 7200, 14400, 28800, 44640):
        if value <= step:
            return float(step)
    return float(value)
