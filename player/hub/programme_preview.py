"""What the programme pages preview: the screens to draw for, and a week of what plays when.

- ``target_screens``: every distinct screen (size and rotation) among the clusters, as their
  latest heartbeats report it (``player.display.size`` and ``rotation``, the panel as set in
  player.yaml); clusters that never reported count as the media library's ``media.screen``
  from hub.yaml (1920x1080 by default).
- ``week_rows``: for the seven days from a date, which items play in each hour and when the
  interrupts first fire in it ("…" when again), judged by the player's own schedule code
  (``player.core.schedule``), in the clusters' time zone; hours whose seven days look alike are
  merged into one row.
- ``Previewer``: what draws a programme's slides and contact sheet (the preview worker plugs in
  here); ``NoPreview``, the default, has none and says so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Protocol

from player.core.playlist import Playlist
from player.core.schedule import item_active, next_fire_time

log = logging.getLogger(__name__)

ROTATIONS = (0, 90, 180, 270)
DAYS = 7
SAMPLES = (0, 15, 30, 45)  # minutes of each hour the schedule is asked about


@dataclass(frozen=True)
class TargetScreen:
    """One screen shape the programme will be shown on, and the clusters that have it."""

    size: tuple[int, int]
    rotation: int
    clusters: tuple[str, ...]
    reported: bool  # False: the hub's setting stands in for clusters that never reported

    @property
    def key(self) -> str:
        return f"{self.size[0]}x{self.size[1]}r{self.rotation}"

    @property
    def shown(self) -> tuple[int, int]:
        """The picture's size as people see it (a panel turned 90° is taller than wide)."""
        w, h = self.size
        return (h, w) if self.rotation in (90, 270) else (w, h)


class Reports(Protocol):
    def query(self, sql: str, params: tuple = ()) -> list[Any]: ...


def reported_screen(body: Any) -> tuple[tuple[int, int], int] | None:
    """(size, rotation) from a heartbeat's JSON, or None when it does not say."""
    player = body.get("player") if isinstance(body, dict) else None
    display = player.get("display") if isinstance(player, dict) else None
    if not isinstance(display, dict):
        return None
    size = display.get("size")
    if not (isinstance(size, list) and len(size) == 2
            and all(isinstance(n, int) and 16 <= n <= 7680 for n in size)):
        return None
    rotation = display.get("rotation", 0)
    return (size[0], size[1]), rotation if rotation in ROTATIONS else 0


def target_screens(reports: Reports, clusters: Iterable[tuple[str, str]],
                   fallback: tuple[int, int] = (1920, 1080)) -> list[TargetScreen]:
    """Distinct screens of ``clusters`` ((id, label) pairs), the most common first."""
    shapes: dict[tuple[tuple[int, int], int, bool], list[str]] = {}
    for cluster_id, label in clusters:
        rows = reports.query("SELECT body FROM latest WHERE cluster=?", (cluster_id,))
        screen = None
        if rows:
            try:
                screen = reported_screen(json.loads(rows[0]["body"]))
            except ValueError:
                screen = None
        key = (screen[0], screen[1], True) if screen else (fallback, 0, False)
        shapes.setdefault(key, []).append(label)
    if not shapes:
        return [TargetScreen(fallback, 0, (), False)]
    found = [TargetScreen(size, rotation, tuple(labels), reported)
             for (size, rotation, reported), labels in shapes.items()]
    return sorted(found, key=lambda s: (-len(s.clusters), not s.reported, s.key))


# -- the week ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekRow:
    """Hours ``start``..``end`` (end exclusive) and, for each day, what plays then."""

    start: int
    end: int
    cells: tuple[tuple[str, ...], ...]  # per day: item numbers ("1", "2") and interrupts


def week_rows(playlist: Playlist, first: date, tz: tzinfo) -> tuple[list[date], list[WeekRow]]:
    """The seven days from ``first`` and the rows of the week view (see the module)."""
    days = [first + timedelta(days=n) for n in range(DAYS)]
    fires = interrupt_hours(playlist, days, tz)
    grid = []
    for hour in range(24):
        row = []
        for day in days:
            cell = [str(n + 1) for n, item in enumerate(playlist.items)
                    if any(item_active(item, datetime(day.year, day.month, day.day, hour, m,
                                                      tzinfo=tz)) for m in SAMPLES)]
            cell += [f"⚡{name}" for name in fires.get((day, hour), [])]
            row.append(tuple(cell))
        grid.append(tuple(row))
    rows: list[WeekRow] = []
    for hour, cells in enumerate(grid):
        if rows and rows[-1].cells == cells and not any(c for c in cells if _has_fire(c)):
            rows[-1] = WeekRow(rows[-1].start, hour + 1, cells)
        else:
            rows.append(WeekRow(hour, hour + 1, cells))
    return days, rows


def _has_fire(cell: tuple[str, ...]) -> bool:
    return any(part.startswith("⚡") for part in cell)


def interrupt_hours(playlist: Playlist, days: list[date], tz: tzinfo
                    ) -> dict[tuple[date, int], list[str]]:
    """(day, hour) -> "id HH:MM" for each interrupt's first firing in that hour of the week,
    with "…" when it fires again in the same hour. The player's ``next_fire_time`` is asked
    at most twice an hour: an interrupt every minute would otherwise cost 10,080 questions."""
    found: dict[tuple[date, int], list[str]] = {}
    for day in days:
        for hour in range(24):
            start = datetime(day.year, day.month, day.day, hour, tzinfo=tz).timestamp()
            for interrupt in playlist.interrupts:
                fire = next_fire_time(interrupt, start - 0.001, tz, horizon=3600.0)
                if fire is None or fire >= start + 3600.0:
                    continue
                again = next_fire_time(interrupt, fire, tz, horizon=3600.0)
                more = again is not None and again < start + 3600.0
                moment = datetime.fromtimestamp(fire, tz)
                found.setdefault((day, hour), []).append(
                    f"{interrupt.item.id} {moment:%H:%M}" + ("…" if more else ""))
    return found


# -- the renderer that plugs in -------------------------------------------------------------

class PreviewUnavailable(Exception):
    """No preview renderer on this hub."""


class Previewer(Protocol):
    """Renders what the screens will show (the preview worker plugs in here)."""

    def contact_sheet(self, playlist_path: Path, size: tuple[int, int], rotation: int) -> Path: ...

    def render_slides(self, playlist_path: Path, size: tuple[int, int],
                      rotation: int) -> list[Any]: ...


class NoPreview:
    """The default: no renderer; the page says the preview is not ready."""

    def contact_sheet(self, playlist_path: Path, size: tuple[int, int], rotation: int) -> Path:
        raise PreviewUnavailable("no preview renderer is installed on this hub")

    def render_slides(self, playlist_path: Path, size: tuple[int, int],
                      rotation: int) -> list[Any]:
        raise PreviewUnavailable("no preview renderer is installed on this hub")


def preview_ready(previewer: Previewer) -> bool:
    """Whether pages should offer a preview (anything but the default stand-in)."""
    return not isinstance(previewer, NoPreview)


__all__ = ["TargetScreen", "target_screens", "reported_screen", "WeekRow", "week_rows",
           "interrupt_hours", "Previewer", "NoPreview", "PreviewUnavailable", "preview_ready"]
