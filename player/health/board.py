"""The status board: where the render loop posts what it plays; the health worker reads it.

Every method is cheap and thread-safe (one lock, no I/O), so the render loop can call them
between frames. Events, plays and screenshots wait here until the worker spools them.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from datetime import datetime

from player.health.reports import event_report, iso, play_report, screenshot_report

MAX_PENDING = 10_000  # routine items kept in memory if the worker is stuck; events always kept


SHOWING = ("playing", "starting")  # screen states in which the item on screen is real


class StatusBoard:
    """Player state shared between the render loop (writer) and the health worker (reader)."""

    def __init__(self, screenshot_interval: float = 900.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self.screenshot_interval = screenshot_interval
        self._monotonic = monotonic
        # set on an error event (the worker spools it at once) and when the screen changed
        # (the worker rewrites status.json); the worker clears it
        self.wake = threading.Event()
        self._playing: dict[str, object] = {"playlist": None, "release": None, "item": None}
        self._item_since: float | None = None  # monotonic time the item on screen came up
        self._fallback_since: float | None = None  # the fallback slide up since (monotonic)
        self._screen: dict[str, str] = {"state": "starting", "detail": ""}
        self._config: dict[str, object] = {"problems": [], "source": None, "time": None}
        self.changed = threading.Event()  # set when what is on screen changed (status.json)
        self._frames = 0
        self._late = 0
        self._audio = {"present": False, "reason": ""}
        self._display: dict[str, object] = {"driver": None, "size": None}
        self._sync: dict = {}
        self._events: list[dict] = []
        self._pending: dict[tuple[str, str, str], dict] = {}
        self._plays: list[dict] = []
        self._screenshot: dict | None = None
        self._errors = 0
        self._last_shot: float | None = None
        self._shot_after_error = False

    def set_playing(self, playlist: str, release: int | None, item: str,
                    fallback: bool | None = None) -> None:
        """What is on screen now. `fallback`: the fallback slide (by default: the item named
        "fallback", or any item of the empty playlist "(none)")."""
        if fallback is None:
            fallback = item == "fallback" or playlist == "(none)"
        now = self._monotonic()
        with self._lock:
            changed = (playlist, release, item) != tuple(self._playing.values())
            if changed:
                self._item_since = now
            self._playing = {"playlist": playlist, "release": release, "item": item}
            if not fallback:
                self._fallback_since = None
            elif self._fallback_since is None:
                self._fallback_since = now
        if changed:  # the same item again (a one-item loop) is no news
            self._changed()

    def set_screen(self, state: str, detail: str = "") -> None:
        """What the screen shows as a whole, posted when it starts showing it: `playing`,
        `screen_off` (blank by schedule) or `display_unavailable` (no screen); `detail` says why."""
        with self._lock:
            if self._screen == {"state": state, "detail": detail}:
                return
            self._screen = {"state": state, "detail": detail}
        self._changed()

    def set_config(self, problems: list[str], source: str | None = None) -> None:
        """The config in force and what is wrong with it (empty: it loaded cleanly)."""
        with self._lock:
            self._config = {"problems": [str(p) for p in problems], "source": source,
                            "time": iso()}
        self._changed()

    def config_state(self) -> dict:
        with self._lock:
            return {"problems": list(self._config["problems"]),  # type: ignore[call-overload]
                    "source": self._config["source"], "time": self._config.get("time")}

    def _changed(self) -> None:
        self.changed.set()
        self.wake.set()  # the health worker rewrites status.json (at most every few seconds)

    def count_frames(self, shown: int, late: int) -> None:
        """The render loop's frame counters: totals shown and late since it started."""
        with self._lock:
            self._frames = shown
            self._late = late

    def set_audio(self, present: bool, reason: str = "") -> None:
        with self._lock:
            self._audio = {"present": present, "reason": reason}

    def set_display(self, driver: str, size: tuple[int, int], rotation: int = 0) -> None:
        # the rotation tells the hub's previews which way up people see the panel
        with self._lock:
            self._display = {"driver": driver, "size": list(size), "rotation": rotation}

    def set_sync(self, **state: object) -> None:
        """Merge sync state: `time`, `result`, `bytes`, `error`, or anything else useful."""
        with self._lock:
            self._sync.update({k: (iso(v) if isinstance(v, datetime) else v)
                               for k, v in state.items()})

    def event(self, severity: str, event: str, message: str, details: dict | None = None) -> None:
        """An event; the same one again before the worker took it is counted, not repeated."""
        report = event_report(severity, event, message, details)
        key = (report["severity"], event, message)
        with self._lock:
            same = self._pending.get(key)
            if same is not None:
                extra = same.setdefault("details", {})
                extra["repeated"] = extra.get("repeated", 1) + 1
                extra["last"] = report["time"]
            else:
                self._pending[key] = report
                self._events.append(report)
            if report["severity"] == "error":
                self._errors += 1
                self._shot_after_error = True
        if report["severity"] == "error":
            self.wake.set()

    def play(self, item: str, release: int | None, start: datetime, end: datetime) -> None:
        """Proof of play: one item shown from `start` to `end`."""
        report = play_report(item, release, start, end)
        with self._lock:
            self._plays.append(report)
            del self._plays[:-MAX_PENDING]

    def wants_screenshot(self, now: float | None = None) -> bool:
        """True when a screenshot is due; the caller then takes one and passes it to
        `screenshot()`. `now` is any clock in seconds (time.time() or time.monotonic()), the
        same one at every call; due every `screenshot_interval` and right after an error."""
        now = self._monotonic() if now is None else now
        with self._lock:
            due = self._shot_after_error
            if self.screenshot_interval > 0:  # 0: only after errors
                due = due or (self._last_shot is None or now < self._last_shot  # clock set back
                              or now - self._last_shot >= self.screenshot_interval)
            if due:
                self._last_shot = now
                self._shot_after_error = False
            return due

    def screenshot(self, jpeg: bytes, width: int, height: int) -> None:
        report = screenshot_report(base64.b64encode(jpeg).decode("ascii"), width, height)
        with self._lock:
            self._screenshot = report  # only the newest one waits; older ones are superseded

    def snapshot(self) -> dict:
        """The player part of a heartbeat (counters are totals since start)."""
        now = self._monotonic()
        with self._lock:
            screen_on = self._screen["state"] in SHOWING
            playing = dict(self._playing)
            if not screen_on:  # a blank screen plays nothing, whatever the schedule holds
                playing["item"] = None
            since = self._item_since if screen_on else None
            fallback = self._fallback_since if screen_on else None
            return {
                **playing, "frames": self._frames, "late_frames": self._late,
                "item_seconds": None if since is None else round(now - since, 1),
                "fallback_seconds": None if fallback is None else round(now - fallback, 1),
                "screen": self._screen["state"], "screen_detail": self._screen["detail"],
                "audio": self._audio["present"], "audio_reason": self._audio["reason"],
                "display": dict(self._display), "last_sync": dict(self._sync),
            }

    def errors_waiting(self) -> bool:
        """True when an error event waits to be spooled."""
        with self._lock:
            return self._errors > 0

    def drain(self) -> tuple[list[dict], int]:
        """Take the waiting reports (events, plays, screenshot in time order) and the number
        of error events since the last drain."""
        with self._lock:
            reports = self._events + self._plays
            if self._screenshot:
                reports.append(self._screenshot)
            errors = self._errors
            self._events, self._plays, self._screenshot, self._errors = [], [], None, 0
            self._pending = {}
        reports.sort(key=lambda r: r["time"])
        return reports, errors

    def give_back(self, reports: list[dict], errors: int) -> None:
        """Put reports back (the spool could not take them), ahead of newer ones."""
        with self._lock:
            self._events = [r for r in reports if r["kind"] == "event"] + self._events
            self._plays = ([r for r in reports if r["kind"] == "play"] + self._plays)[-MAX_PENDING:]
            self._errors += errors
