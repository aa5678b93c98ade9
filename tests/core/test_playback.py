"""The playback controller on a fake clock: no pygame, no display, milliseconds a test."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, time
from pathlib import Path

from player.core.playback import PlaybackController, Unplayable
from player.core.playlist import Interrupt, Item, Playlist, Window
from player.core.schedule import Entry

UTC = UTC


def unix(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def item(item_id: str, duration: float = 10.0, **kw) -> Item:
    return Item(id=item_id, kind="text", text={"vi": item_id}, duration=duration, **kw)


def playlist(*items: Item, interrupts=(), emergency: Item | None = None, name: str = "t") -> Playlist:
    return Playlist(name=name, path=Path("/p/playlist.yaml"), languages=("vi",), items=items,
                    interrupts=tuple(interrupts), emergency=emergency)


class FakeStat:
    """os.stat over a dict of (mtime_ns, size); a missing name raises like a missing file."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, int]] = {}

    def __call__(self, path: Path) -> os.stat_result:
        if path.name not in self.files:
            raise FileNotFoundError(path)
        mtime, size = self.files[path.name]
        return os.stat_result((0, 0, 0, 0, 0, 0, size, 0, 0, 0, 0, 0, 0, mtime))


class Reports:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def __call__(self, severity: str, event: str, message: str, details: dict | None = None) -> None:
        self.events.append((severity, event, message))


class Screen:
    """What the render loop does with the controller's answers, minus the drawing: makes a
    'slide' (the item id) unless the item is listed as broken, and keeps what is on screen."""

    def __init__(self, controller: PlaybackController, broken: set[str] | None = None) -> None:
        self.controller = controller
        self.broken = broken or set()
        self.current: Entry | None = None
        self.slide = ""
        self.end = 0.0

    def make(self, entry: Entry) -> str:
        if entry.item.id in self.broken:
            raise Unplayable(f"item {entry.item.id}: broken")
        return entry.item.id

    def step(self, wall: float) -> str:
        self.controller.refresh_interrupt(wall)
        entry = self.controller.decide(self.current, wall, lambda: self.current is not None and wall >= self.end)
        if entry is not None:
            self.slide, self.current = self.controller.choose(entry, wall, self.make, lambda i: f"last:{i.id}")
            assert self.current is not None
            self.end = wall + (self.current.end - self.current.start if self.current.end is not None else 1e9)
        return self.slide

    def run(self, start: float, seconds: float, tick: float = 1.0) -> list[tuple[float, str]]:
        """(wall, slide) at every change over `seconds` from `start`."""
        shown: list[tuple[float, str]] = []
        wall = start
        while wall < start + seconds:
            slide = self.step(wall)
            if not shown or shown[-1][1] != slide or self.current is not None and self.current.start == wall:
                shown.append((wall, slide))
            wall += tick
        return shown


def controller(pl: Playlist, wall: float, **kw) -> PlaybackController:
    kw.setdefault("report", Reports())
    return PlaybackController(pl, 1, fallback_text={"vi": "Dự phòng"}, wall=wall, tz=UTC, **kw)


def test_the_loop_plays_in_order_and_wraps():
    start = unix("2026-11-27T10:00")
    screen = Screen(controller(playlist(item("a", 10), item("b", 5)), start))
    assert [s for _, s in screen.run(start, 31)] == ["a", "b", "a", "b", "a"]


def test_a_weekday_interrupt_skips_the_weekend_and_comes_back_on_monday():
    noon = Interrupt(at=(time(12), time(17, 30)), item=item("noon", 20),
                     when=(Window(days=frozenset(range(5))),))
    friday = unix("2026-11-27T17:00")  # Friday 17:00 UTC
    plays = controller(playlist(item("a", 10), interrupts=[noon]), friday)
    screen = Screen(plays)
    fired = [wall for wall, slide in screen.run(friday, unix("2026-11-30T13:00") - friday, tick=20)
             if slide == "noon"]
    assert fired == [unix("2026-11-27T17:30"), unix("2026-11-30T12:00")]
    assert screen.current is not None and screen.current.item.id == "a"  # the loop took over again


def test_an_interrupt_missed_by_more_than_the_grace_is_skipped_not_shown_late():
    hourly = Interrupt(every=3600.0, item=item("hourly", 20))
    start = unix("2026-11-27T10:30")
    plays = controller(playlist(item("a", 10), interrupts=[hourly]), start)
    screen = Screen(plays)
    screen.step(start)
    assert plays.next_interrupt is not None and plays.next_interrupt[0] == unix("2026-11-27T11:00")
    late = unix("2026-11-27T11:05")  # the clock jumped (or the screen was off) past it
    assert screen.step(late) != "hourly"
    assert plays.next_interrupt is not None and plays.next_interrupt[0] == unix("2026-11-27T12:00")


def test_after_an_interrupt_the_interrupted_item_is_shown_again():
    hourly = Interrupt(every=3600.0, item=item("hourly", 20))
    start = unix("2026-11-27T10:59:55")
    screen = Screen(controller(playlist(item("a", 30), item("b", 30), interrupts=[hourly]), start))
    assert [s for _, s in screen.run(start, 60)] == ["a", "hourly", "a", "b"]


def test_an_emergency_wins_at_once_and_the_loop_starts_again_when_it_goes():
    start = unix("2026-11-27T10:00")
    plays = controller(playlist(item("a", 60), item("b", 60)), start)
    screen = Screen(plays)
    assert screen.step(start) == "a"
    flood = item("emergency", None)
    plays.set_file_emergency(flood)
    assert screen.step(start + 1) == "emergency"
    assert screen.step(start + 500) == "emergency"  # no end of its own
    plays.set_file_emergency(None)
    assert screen.step(start + 501) == "a"


def test_the_emergency_file_comes_before_the_playlists_own():
    own, file = item("own", None), item("file", None)
    start = unix("2026-11-27T10:00")
    plays = controller(playlist(item("a"), emergency=own), start)
    screen = Screen(plays)
    assert screen.step(start) == "own"
    plays.set_file_emergency(file)
    assert screen.step(start + 1) == "file"


def test_a_broken_item_is_skipped_reported_once_and_not_tried_again_until_its_file_changes():
    stat, reports = FakeStat(), Reports()
    stat.files["broken.png"] = (1, 100)
    broken = Item(id="b", kind="image", source="broken.png", duration=10.0)
    start = unix("2026-11-27T10:00")
    plays = controller(playlist(item("a", 10), broken), start, stat=stat, report=reports)
    screen = Screen(plays, broken={"b"})
    assert [s for _, s in screen.run(start, 40)] == ["a", "a", "a", "a"]
    assert [e[1] for e in reports.events] == ["file_bad"]
    assert plays.known_bad(broken) and plays.upcoming(Entry(item("a"), 0, start, start + 10), start) is not None
    stat.files["broken.png"] = (2, 120)  # a new file came
    screen.broken.clear()
    assert not plays.known_bad(broken)
    assert "b" in [s for _, s in screen.run(start + 40, 30)]


def test_nothing_playable_shows_the_fallback_then_the_last_resort():
    start = unix("2026-11-27T10:00")
    plays = controller(playlist(item("a"), item("b")), start)
    screen = Screen(plays, broken={"a", "b"})
    assert screen.step(start) == "fallback" and screen.current is not None
    assert screen.current.role == "fallback"
    screen.broken.add("fallback")
    assert screen.step(start + 11) == "last:fallback"


def test_a_new_release_starts_at_the_item_boundary():
    start = unix("2026-11-27T10:00")
    plays = controller(playlist(item("a", 10), name="one"), start)
    screen = Screen(plays)
    screen.step(start)
    plays.offer(playlist(item("z", 10), name="two"), 2)
    assert screen.step(start + 5) == "a" and plays.pending is not None  # not mid-item
    assert screen.step(start + 10) == "z" and plays.release == 2 and plays.pending is None


def test_a_release_with_nothing_playable_gives_way_to_the_one_before():
    start, reports = unix("2026-11-27T10:00"), Reports()
    changes: list[tuple[str, int | None]] = []
    plays = controller(playlist(item("a", 10), name="good"), start, report=reports,
                       on_playlist=lambda pl, release: changes.append((pl.name, release)))
    screen = Screen(plays)
    screen.step(start)
    plays.offer(playlist(item("x", 10), name="bad"), 2)
    screen.broken.add("x")
    assert screen.step(start + 10) == "fallback"  # release 2: nothing can be shown
    assert ("error", "release_bad") in [e[:2] for e in reports.events]
    assert screen.step(start + 21) == "a" and plays.release == 1
    assert changes == [("bad", 2), ("good", 1)]


def test_the_controller_imports_no_pygame():
    import subprocess

    code = "import sys, player.core.playback; print('pygame' in sys.modules, 'av' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
