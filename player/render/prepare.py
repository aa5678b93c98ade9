"""Making slides for the render loop: the next one ahead of time, any other on demand.

Pictures decode in one worker thread while the current item shows; the main thread finishes the
slide (Surfaces, text layout) once they are ready, so the switch itself costs one frame.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol

import pygame

from player.core.playlist import Item
from player.core.schedule import Entry
from player.render.slide import Slide
from player.render.slides import PendingSlide, SlideContext, SlideError, text_slide

log = logging.getLogger(__name__)


class Media(Protocol):
    """What the loop needs of player.render.mediaslides.MediaFactory."""

    def video(self, item: Item, ctx: SlideContext) -> Any: ...

    def track(self, item: Item, ctx: SlideContext) -> Any: ...

    def with_sound(self, slide: Any, track: Any, item: Item) -> Any: ...

    def length(self, path: Any) -> float | None: ...

    def close(self) -> None: ...


class BlankSlide:
    """One colour, silent, still: the off hours (black), or the last resort of a broken item."""

    item_id = "screen-off"
    animated = False

    def __init__(self, color: tuple[int, int, int] = (0, 0, 0)):
        self.color = color

    def start(self, now: float) -> None:
        pass

    def draw(self, target: pygame.Surface, now: float) -> None:
        target.fill(self.color)

    def natural_end(self, now: float) -> bool:
        return False

    def next_change(self, now: float) -> float | None:
        return None

    def close(self) -> None:
        pass


class SlideMaker:
    """Turns entries into slides for one playlist on one screen (`ctx`), one ahead."""

    def __init__(self, ctx: SlideContext, media: Media | None, fallback_text: dict[str, str]) -> None:
        self.ctx = ctx
        self.media = media
        self.fallback_text = fallback_text
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="decode")
        self.upcoming: tuple[Entry, Any] | None = None  # the next entry and its slide in the making

    def request(self, item: Item) -> Any:
        """Start preparing `item`: a PendingSlide, or a video slide that prepares itself."""
        if item.kind == "video":
            if self.media is None:
                raise SlideError(f"item {item.id}: video is not supported by this build")
            return self.media.video(item, self.ctx)
        pending = PendingSlide(item, self.ctx, self.executor)
        if item.audio and self.media is not None:
            pending.track = self.media.track(item, self.ctx)
        return pending

    def finish(self, pending: Any) -> Slide:
        """Turn a prepared item into a slide ready to draw (main thread)."""
        if isinstance(pending, PendingSlide):
            try:
                slide: Slide = pending.result()
            except SlideError:
                pending.cancel()
                raise
            if pending.track is not None and self.media is not None:
                slide = self.media.with_sound(slide, pending.track, pending.item)
                pending.track = None
            return slide
        if hasattr(pending, "prepare"):
            pending.prepare()
        return pending

    def prepare(self, entry: Entry) -> None:
        """Begin making `entry`'s slide now, for the switch to come."""
        self.upcoming = (entry, self.request(entry.item))

    def discard(self) -> None:
        if self.upcoming is not None:
            pending = self.upcoming[1]
            (pending.cancel if isinstance(pending, PendingSlide) else getattr(pending, "close", lambda: None))()
            self.upcoming = None

    def decoding(self) -> bool:
        """True while the upcoming slide's pictures are still being decoded."""
        return self.upcoming is not None and isinstance(self.upcoming[1], PendingSlide)

    def build_upcoming(self) -> tuple[Entry, SlideError] | None:
        """Once the next item's pictures are decoded, build its slide now, while the current one
        shows; returns the entry and the reason when it cannot be built."""
        if self.upcoming is None or not isinstance(self.upcoming[1], PendingSlide):
            return None
        entry, pending = self.upcoming
        if not pending.ready():
            return None
        try:
            self.upcoming = (entry, self.finish(pending))
        except SlideError as exc:
            self.upcoming = None
            return entry, exc
        return None

    def slide_for(self, entry: Entry) -> Slide:
        """The prepared slide for `entry` if it is the one prepared, else made now."""
        if self.upcoming is not None and self.upcoming[0].item.id == entry.item.id:
            pending = self.upcoming[1]
            self.upcoming = None
            return self.finish(pending)
        self.discard()
        return self.finish(self.request(entry.item))

    def last_resort(self, item: Item) -> Slide:
        """A slide that can always be drawn: the item's text in any language it has, on its
        background colour, or nothing but the background. Never raises."""
        text = item.text or item.caption or self.fallback_text
        plain = Item(id=item.id, kind="text", text=text, style=replace(item.style, background_image=None))
        try:
            return text_slide(plain, self.ctx, any_language=True)
        except SlideError as exc:
            log.error("item %s cannot even be drawn as text: %s", item.id, exc)
            return BlankSlide(item.style.background)

    def close(self) -> None:
        self.discard()
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self.media is not None:
            self.media.close()
