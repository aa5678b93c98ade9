"""Frame pacing: whether a frame is needed now, how long the loop may sleep, which frames came late.

Nothing is drawn while nothing moves: a still slide costs one frame, then the loop sleeps until
the next change it knows of (a slide's own, the item's end, the clock's minute, a fade's frame).
"""

from __future__ import annotations

from player.render.overlays import ClockBadge
from player.render.stage import Stage

POLL_INTERVAL = 1.0  # the longest the loop sleeps: messages, watchdog


class Pacer:
    """Counts frames for one stage and says when the next one is due."""

    def __init__(self, stage: Stage, max_fps: int, wall: float) -> None:
        self.stage = stage
        self.max_fps = max_fps
        self.frames = self.late = 0
        self.last_frame = 0.0  # monotonic time of the last frame drawn
        self.last_wall = wall  # wall time of the last frame drawn (the clock's minute)
        self.frame_due = 0.0
        self.redraw = False  # a whole frame is due although nothing changed (a screen came back)

    def draw(self, now: float, wall: float) -> None:
        """Draw the stage's frame for `now` and count it (late: after its due time plus a frame)."""
        self.stage.draw(now, wall, self.last_frame, self.last_wall)
        interval = 1.0 / self.max_fps
        if self.last_frame and self.stage.animating() and now - self.frame_due > interval:
            self.late += 1
        self.frames += 1
        self.last_frame = now

    def drawn(self, now: float, wall: float) -> None:
        """After a step drew: the next frame is due a frame later while something animates."""
        self.last_wall = wall
        interval = 1.0 / self.max_fps
        self.frame_due = max(self.frame_due + interval, now) if self.stage.animating() else now

    def needed(self, now: float, wall: float, changed: bool) -> bool:
        """True when this step must draw: a switch, a redraw asked for, or something moved."""
        redraw, self.redraw = self.redraw, False
        if changed or redraw or self.frames == 0:
            return True
        current = self.stage.current
        if self.stage.animating() and now >= self.frame_due:
            return True
        if current is not None:
            change = current.slide.next_change(self.last_frame)
            if change is not None and now >= change:
                return True
        return self.stage.clock_turned(wall, self.last_wall)

    def wait(self, now: float, wall: float, others: list[float]) -> float:
        """Seconds until something will change on screen (or a poll is due); `others`: more
        waits the caller knows of."""
        waits = [POLL_INTERVAL, *others]
        current = self.stage.current
        if self.stage.animating():
            waits.append(self.frame_due - now)
        if current is not None:
            if current.end is not None:
                waits.append(current.end - now)
            change = current.slide.next_change(now)
            if change is not None:
                waits.append(change - now)
        if self.stage.clock is not None:
            waits.append(ClockBadge.next_change(wall))
        if self.stage.card is not None:
            waits.append(self.stage.card.until - now)
        return max(0.0, min(waits))
