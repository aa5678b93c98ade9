"""Choosing the text size for a box: the largest at which every language's block fits, found
around an estimate and then by bisection; at the smallest size what does not fit is cut."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, replace

from player.core.readability import LAYOUT_LIMIT, cut, fitting_size
from player.render.text_fonts import Color, FontSet
from player.render.text_wrap import Overflow, TextWrapper, WordTooWide, drawable

MIN_SIZE = 8  # pixels: the smallest size auto-sizing goes to before it cuts the text
FIT_CACHE = 64  # layouts remembered (texts, box, size)


def _smallest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


@dataclass
class Block:
    """One language's text at one relative scale (the first language of a stacked slide is 1.0)."""

    text: str
    scale: float = 1.0
    color: Color = (255, 255, 255)


@dataclass
class Laid:
    """One block wrapped at one size: its lines, their height and the gap above it."""

    index: int  # which of the blocks
    size: int
    lines: list[str]
    line_height: int
    gap: int


@dataclass
class Fitted:
    """The blocks laid out for one box: the size chosen, and how much had to be cut."""

    size: int
    laid: list[Laid]
    total: int = 0  # characters given
    shown: int = 0  # characters drawn (without the spaces where lines break)
    cut: bool = False  # the text was too long and its end is not drawn
    reported: bool = False  # the cut has been logged once

    @property
    def height(self) -> int:
        return sum(part.gap + part.line_height * len(part.lines) for part in self.laid)


class TextFitter(TextWrapper):
    """Blocks of text sized and wrapped for one box.

    Whatever the input, the work is bounded: each text is cut to LAYOUT_LIMIT characters;
    sizes are tried around an estimate from character counts, then by bisection, measuring
    words (each word once per size, with Font.size, never rendering); a try stops as soon as
    its lines overflow the box. Layouts are kept per (texts, box, size), so a slide shown again
    costs only its drawing.
    """

    def __init__(self, fonts: FontSet):
        super().__init__(fonts)
        self._fits: OrderedDict[tuple, Fitted] = OrderedDict()

    def measure(self, blocks: list[Block], size: int, width: int, spacing: float,
                height: int | None = None, break_words: bool = False) -> tuple[int, list[Laid]] | None:
        """The blocks wrapped at `size`: (height, laid), or None when a word is too wide or
        (given `height`) the lines overflow it."""
        try:
            return self._measure(blocks, size, width, spacing, height, break_words)
        except (Overflow, WordTooWide):
            return None

    def _measure(self, blocks: list[Block], size: int, width: int, spacing: float,
                 height: int | None, break_words: bool) -> tuple[int, list[Laid]]:
        laid: list[Laid] = []
        total = 0
        for i, block in enumerate(blocks):
            block_size = max(MIN_SIZE, int(size * block.scale))
            line_height = max(1, int(self.fonts.face("latin", block_size).height * spacing))
            gap = int(size * 0.45) if i else 0
            room = None if height is None else max(0, (height - total - gap) // line_height)
            lines: list[str] = []
            for line in self.lines(block.text, block_size, width, break_words):
                lines.append(line)
                if room is not None and len(lines) > room:
                    raise Overflow
            total += gap + line_height * len(lines)
            laid.append(Laid(i, block_size, lines, line_height, gap))
        return total, laid

    def fit(self, blocks: list[Block], width: int, height: int, spacing: float,
            size: int | None = None, max_size: int = 400) -> Fitted:
        """The largest size (or the given one, shrunk if it does not fit) at which all blocks
        fit the box; at the smallest size, what does not fit is cut with an ellipsis."""
        texts = [cut(drawable(block.text), LAYOUT_LIMIT) for block in blocks]
        key = (tuple((t, b.scale) for t, b in zip(texts, blocks, strict=True)),
               width, height, spacing, size, max_size)
        found = self._fits.get(key)
        if found is not None:
            self._fits.move_to_end(key)
            return found
        capped = [replace(block, text=text) for block, text in zip(blocks, texts, strict=True)]
        fitted = self._fit(capped, width, height, spacing, size, max_size)
        fitted.total = sum(len(block.text) for block in blocks)
        fitted.cut = fitted.cut or texts != [block.text for block in blocks]
        self._fits[key] = fitted
        if len(self._fits) > FIT_CACHE:
            self._fits.popitem(last=False)
        return fitted

    def _fit(self, blocks: list[Block], width: int, height: int, spacing: float,
             size: int | None, max_size: int) -> Fitted:
        if size is not None:
            result = self.measure(blocks, size, width, spacing, height)
            if result is not None:
                return self._fitted(size, result[1])
            max_size = size  # too big for the box: shrink it rather than cut it off
        high = max(MIN_SIZE, min(max_size, height))
        best, too_wide = self._search(blocks, high, width, height, spacing)
        if too_wide is not None and (best is None or best.size * 3 < too_wide * 2):
            # A word longer than the box held the size down: broken between characters, the
            # text may be half as large again; otherwise whole words are worth the smaller size.
            low = MIN_SIZE if best is None else best.size * 3 // 2
            broken, _ = self._bisect(blocks, low, high, width, height, spacing, True)
            best = broken or best
        return best or self._cut_to_box(blocks, width, height, spacing)

    def _search(self, blocks: list[Block], high: int, width: int, height: int,
                spacing: float) -> tuple[Fitted | None, int | None]:
        """`_bisect` over [MIN_SIZE, high], first narrowed around an estimate from character
        counts (readability.fitting_size): about half the sizes tried, each a full wrap."""
        guess = fitting_size([b.text for b in blocks], spacing, (width, height), [b.scale for b in blocks])
        guess = min(high, max(MIN_SIZE, guess))
        above = min(high, guess + max(2, guess // 4))
        below = max(MIN_SIZE, guess - max(2, guess // 4))
        best, too_wide = self._bisect(blocks, guess, guess, width, height, spacing, False)
        if best is not None:
            found, wide = self._bisect(blocks, above, above, width, height, spacing, False)
            low, top = (above + 1, high) if found is not None else (guess + 1, above - 1)
        else:
            found, wide = self._bisect(blocks, below, below, width, height, spacing, False)
            low, top = (below + 1, guess - 1) if found is not None else (MIN_SIZE, below - 1)
        best, too_wide = found or best, _smallest(too_wide, wide)
        found, wide = self._bisect(blocks, low, top, width, height, spacing, False)
        return found or best, _smallest(too_wide, wide)

    def _bisect(self, blocks: list[Block], low: int, high: int, width: int, height: int,
                spacing: float, break_words: bool) -> tuple[Fitted | None, int | None]:
        """The largest size in [low, high] that fits, and the smallest tried that failed only
        because a word was wider than the box."""
        best: Fitted | None = None
        too_wide: int | None = None
        while low <= high:
            mid = (low + high) // 2
            try:
                _, laid = self._measure(blocks, mid, width, spacing, height, break_words)
            except WordTooWide:
                too_wide = mid if too_wide is None else min(too_wide, mid)
                high = mid - 1
                continue
            except Overflow:
                high = mid - 1
                continue
            best, low = self._fitted(mid, laid), mid + 1
        return best, too_wide

    def _fitted(self, size: int, laid: list[Laid]) -> Fitted:
        shown = sum(len(line) for part in laid for line in part.lines)
        return Fitted(size, laid, shown=shown)

    def _cut_to_box(self, blocks: list[Block], width: int, height: int, spacing: float) -> Fitted:
        """Even the smallest size overflows: keep the lines that fit, end the last with "…"."""
        laid: list[Laid] = []
        total = 0
        cut_off = False
        for i, block in enumerate(blocks):
            block_size = max(MIN_SIZE, int(MIN_SIZE * block.scale))
            line_height = max(1, int(self.fonts.face("latin", block_size).height * spacing))
            gap = int(MIN_SIZE * 0.45) if i else 0
            room = max(0, (height - total - gap) // line_height)
            wrapped = self.lines(block.text, block_size, width, break_words=True)
            lines = list(itertools.islice(wrapped, room))
            more = next(wrapped, None) is not None
            if lines:
                laid.append(Laid(i, block_size, lines, line_height, gap))
                total += gap + line_height * len(lines)
            if more or not lines:
                cut_off = True
                if laid:
                    last = laid[-1]
                    last.lines[-1] = self.with_ellipsis(last.lines[-1], last.size, width)
                break
        fitted = self._fitted(MIN_SIZE, laid)
        fitted.cut = cut_off
        return fitted
