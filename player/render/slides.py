"""Still slides (pictures and text) prepared ahead of time so a switch costs one blit.

Preparation has two halves: pictures are decoded and scaled in a worker thread (Pillow, no
pygame), then the main thread turns the bytes into Surfaces and lays out the text. The result
is one finished canvas-size Surface per language phase, so drawing a still slide is a single
blit and a crossfade is two.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pygame

from player.core.playback import Unplayable
from player.core.playlist import Item, text_for
from player.core.readability import SECONDARY_SCALE
from player.media.images import Decoded, ImageError, decode_fitted
from player.render.text import TextLayout
from player.render.text_fit import Block

log = logging.getLogger(__name__)


class SlideError(Unplayable):
    """An item that cannot be shown; the message names the item and the file."""


@dataclass
class SlideContext:
    """What every slide of one playlist on one screen shares."""

    size: tuple[int, int]
    layout: TextLayout
    languages: tuple[str, ...]
    folder: Path
    reserved_top: int = 0
    reserved_bottom: int = 0
    fit: str = "contain"  # for items and playlists that set none: the device config's display.fit
    extras: dict = field(default_factory=dict)

    @property
    def scale(self) -> float:
        return min(self.size) / 1080


class StillSlide:
    """An image or text item: a few pre-composed frames shown in turn (alternate layout)."""

    animated = False

    def __init__(self, item: Item, frames: list[pygame.Surface], phase: float):
        self.item_id = item.id
        self.item = item
        self.frames = frames
        self.phase = phase  # seconds each frame shows (alternate layout), 0: one frame
        self.animated = len(frames) > 1
        self.started: float | None = None

    def start(self, now: float) -> None:
        if self.started is None:
            self.started = now

    def frame_index(self, now: float) -> int:
        if len(self.frames) == 1 or self.started is None or self.phase <= 0:
            return 0
        return int((now - self.started) / self.phase) % len(self.frames)

    def draw(self, target: pygame.Surface, now: float) -> None:
        target.blit(self.frames[self.frame_index(now)], (0, 0))

    def natural_end(self, now: float) -> bool:
        return False

    def next_change(self, now: float) -> float | None:
        if len(self.frames) == 1 or self.started is None:
            return None
        step = int((now - self.started) / self.phase) + 1
        return self.started + step * self.phase

    def close(self) -> None:
        self.frames = []


def decode_pictures(item: Item, ctx: SlideContext) -> dict[str, Decoded]:
    """The worker-thread half: decode the item's pictures at their final size."""
    pictures: dict[str, Decoded] = {}
    if item.style.background_image:
        pictures["background"] = decode_fitted(ctx.folder / item.style.background_image,
                                               ctx.size, "cover")
    if item.kind == "image" and item.source:
        pictures["image"] = decode_fitted(ctx.folder / item.source, ctx.size, item.fit or ctx.fit)
    return pictures


@dataclass(frozen=True)
class TextJob:
    """One text surface a slide needs: the blocks and the box they are laid out in."""

    blocks: list[Block]
    box: pygame.Rect
    spacing: float
    size: int | None


def text_jobs(item: Item, ctx: SlideContext) -> list[TextJob]:
    """The text surfaces of a text item: one per language phase (alternate) or one (stacked)."""
    if item.kind != "text" or not item.text:
        return []
    pairs = text_for(item.text, ctx.languages)
    if not pairs:
        raise SlideError(f"item {item.id}: no text in the playlist's languages")
    box = _text_box(ctx)
    spacing = item.style.line_spacing
    size = round(item.style.size * ctx.scale) if item.style.size else None
    if item.layout == "alternate" and len(pairs) > 1:
        return [TextJob([Block(text, 1.0, item.style.color)], box, spacing, size) for _lang, text in pairs]
    blocks = [Block(text, 1.0 if i == 0 else SECONDARY_SCALE, _secondary(item.style.color, i))
              for i, (_lang, text) in enumerate(pairs)]
    return [TextJob(blocks, box, spacing, size)]


def prepare_text(item: Item, ctx: SlideContext) -> Generator[None, None, list[pygame.Surface]]:
    """Lay out, then draw, the item's texts, pausing (yield) after each piece of work so the
    loop can draw a frame, answer signals and ping the watchdog between them; returns the
    text surfaces. Layouts are remembered, so a slide shown again skips the first half."""
    jobs = text_jobs(item, ctx)
    for job in jobs:
        ctx.layout.fit(job.blocks, job.box.width, job.box.height, job.spacing, job.size)
        yield
    surfaces = []
    for job in jobs:
        surfaces.append(_render_text(item, ctx, job))
        yield
    return surfaces


def build_still(item: Item, ctx: SlideContext, pictures: dict[str, Decoded],
                texts: list[pygame.Surface] | None = None) -> StillSlide:
    """The main-thread half: surfaces, text (`texts` when already drawn), caption, composed
    into frames."""
    if texts is None:
        texts = [_render_text(item, ctx, job) for job in text_jobs(item, ctx)]
    base = pygame.Surface(ctx.size).convert()
    base.fill(item.style.background)
    if "background" in pictures:
        base.blit(_surface(pictures["background"]), pictures["background"].position)
    if "image" in pictures:
        base.blit(_surface(pictures["image"]), pictures["image"].position)
    if item.caption:
        draw_caption(base, item, ctx)
    if not texts:
        return StillSlide(item, [base], 0)
    box = _text_box(ctx)
    if len(texts) > 1:
        frames = []
        for surface in texts:
            frame = base.copy()
            frame.blit(surface, box.topleft)
            frames.append(frame)
        return StillSlide(item, frames, (item.duration or 10.0) / len(frames))
    base.blit(texts[0], box.topleft)
    return StillSlide(item, [base], 0)


def _render_text(item: Item, ctx: SlideContext, job: TextJob) -> pygame.Surface:
    surface, fitted = ctx.layout.render_fitted(job.blocks, job.box.width, job.box.height,
                                               item.style.align, job.spacing, job.size)
    if fitted.cut and not fitted.reported:
        fitted.reported = True  # the layout is remembered: said once, not at every showing
        log.warning("item %s: too much text for the screen: %s of %s characters shown, the rest "
                    "cut (`signage-player check` says how much fits)",
                    item.id, f"{fitted.shown:,}", f"{fitted.total:,}")
    return surface


def _secondary(color: tuple[int, int, int], index: int) -> tuple[int, int, int]:
    """Languages after the first are drawn a little softer so the first one leads."""
    if index == 0:
        return color
    return tuple(int(c * 0.85 + 128 * 0.15) for c in color)  # type: ignore[return-value]


def _text_box(ctx: SlideContext) -> pygame.Rect:
    w, h = ctx.size
    margin_x, margin_y = int(w * 0.07), int(h * 0.08)
    top = margin_y + ctx.reserved_top
    bottom = h - margin_y - ctx.reserved_bottom
    return pygame.Rect(margin_x, top, w - 2 * margin_x, max(16, bottom - top))


def draw_caption(base: pygame.Surface, item: Item, ctx: SlideContext) -> None:
    pairs = text_for(item.caption, ctx.languages)
    if not pairs:
        return
    w, h = ctx.size
    band_h = int(h * (0.10 + 0.04 * (len(pairs) - 1)))
    band = pygame.Rect(0, h - ctx.reserved_bottom - band_h, w, band_h)
    shade = pygame.Surface(band.size, pygame.SRCALPHA)
    shade.fill((*item.style.caption_background, 205))
    base.blit(shade, band.topleft)
    blocks = [Block(text, 1.0 if i == 0 else 0.75, item.style.caption_color)
              for i, (_lang, text) in enumerate(pairs)]
    pad_x, pad_y = int(w * 0.04), int(band_h * 0.12)
    surface = ctx.layout.render(blocks, w - 2 * pad_x, band_h - 2 * pad_y, "center", 1.05,
                                max_size_for(band_h, len(pairs)))
    base.blit(surface, (pad_x, band.top + pad_y))


def max_size_for(band_h: int, lines: int) -> int:
    return max(10, int(band_h / (lines * 1.6)))


def _surface(decoded: Decoded) -> pygame.Surface:
    return pygame.image.frombytes(decoded.data, decoded.size, "RGB").convert()


def text_slide(item: Item, ctx: SlideContext, any_language: bool = False) -> StillSlide:
    """Build a slide with no pictures on the main thread. `any_language`: show the item's own
    languages when none is in the playlist's list (a fallback written in other languages)."""
    if any_language and item.text and not text_for(item.text, ctx.languages):
        ctx = replace(ctx, languages=tuple(item.text))
    return build_still(item, ctx, {})


class PendingSlide:
    """A slide being prepared: pictures decoding in the executor, built on `result()`."""

    def __init__(self, item: Item, ctx: SlideContext, executor: Executor):
        self.item = item
        self.ctx = ctx
        self.future: Future | None = None
        self.track: Any = None  # the item's sound (player.render.audio.AudioTrack), if any
        if item.kind in ("image", "text") and (item.source or item.style.background_image):
            self.future = executor.submit(decode_pictures, item, ctx)
        self.text_work: Generator[None, None, list[pygame.Surface]] | None = None
        self.texts: list[pygame.Surface] | None = None

    def ready(self) -> bool:
        """True once the pictures are decoded and the text drawn. Asked once a loop step, it
        does one piece of the text's work per call, so no step holds the loop for long."""
        if self.future is not None and not self.future.done():
            return False
        if self.texts is not None or self.item.kind != "text":
            return True
        try:
            if self.text_work is None:
                self.text_work = prepare_text(self.item, self.ctx)
            next(self.text_work)
            return False
        except StopIteration as done:
            self.texts = done.value
        except Exception:  # result() does the work again and reports why it fails
            self.text_work = None
            return True
        return True

    def result(self) -> StillSlide:
        """Finish preparation on the main thread; raises SlideError with a reason."""
        try:
            pictures = self.future.result() if self.future is not None else {}
            return build_still(self.item, self.ctx, pictures, self.texts)
        except ImageError as exc:
            raise SlideError(f"item {self.item.id}: {exc}") from None
        except SlideError:
            raise
        except Exception as exc:  # whatever a decoder or a font throws, the loop goes on
            log.warning("item %s: unexpected failure while preparing it", self.item.id, exc_info=True)
            raise SlideError(f"item {self.item.id}: cannot be drawn ({type(exc).__name__}: {exc})") from exc

    def cancel(self) -> None:
        if self.future is not None:
            self.future.cancel()
        if self.track is not None:
            self.track.close()
            self.track = None
