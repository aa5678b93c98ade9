"""Text that is right in every language: script runs, wrapping, automatic size, alignment.

SDL_ttf has no font fallback, so every line is split into runs by script and each run is drawn
with a face that has its glyphs: Noto Sans (every Vietnamese letter) through SDL_ttf with
HarfBuzz, and a Simplified Chinese face through pygame.freetype, which can open the right face
inside a .ttc collection. Text arrives NFC-normalised from the playlist loader.
"""

from __future__ import annotations

import functools
import itertools
import logging
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pygame
import pygame.freetype

from player.core.readability import ELLIPSIS, LAYOUT_LIMIT, cut, fitting_size
from player.fonts import FontFile, cjk_font, is_cjk, latin_font

log = logging.getLogger(__name__)
Color = tuple[int, int, int]

MIN_SIZE = 8  # pixels: the smallest size auto-sizing goes to before it cuts the text
MAX_FACES = 16  # open font files at most: one per script and pixel size in use
WORD_CACHE = 50000  # word widths remembered (word, size)
FIT_CACHE = 64  # layouts remembered (texts, box, size)


class Face:
    """One font at one pixel size, with a uniform interface over SDL_ttf and FreeType."""

    def __init__(self, font: FontFile, size: int, freetype: bool):
        self.size = size
        self.freetype = freetype
        if freetype:
            self.ft = pygame.freetype.Font(str(font.path), size, font_index=font.index)
            self.ft.antialiased = True
            self.ascent = int(self.ft.get_sized_ascender(size))
            self.height = int(self.ft.get_sized_height(size))
        else:
            self.ttf = pygame.font.Font(str(font.path), size)
            self.ascent = self.ttf.get_ascent()
            self.height = self.ttf.get_height()

    def width(self, text: str) -> int:
        if self.freetype:
            return int(self.ft.get_rect(text, size=self.size).width) if text else 0
        return self.ttf.size(text)[0]

    def render(self, text: str, color: Color) -> tuple[pygame.Surface, int]:
        """A transparent surface with the text, and the y of its baseline inside it."""
        if self.freetype:
            surface, rect = self.ft.render(text, color, size=self.size)
            return surface, rect.top
        return self.ttf.render(text, True, color), self.ascent


class FontSet:
    """The faces for Latin/Vietnamese and CJK text, the most recently used few kept open.

    Each face holds its font file open until it is dropped (a pygame Font closes its file when
    it is freed), so the cache is bounded: at most MAX_FACES open files whatever sizes the
    content asks for over months.
    """

    def __init__(self, latin: FontFile | None = None, cjk: FontFile | None = None,
                 max_faces: int = MAX_FACES):
        if not pygame.font.get_init():
            pygame.font.init()
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        found = latin or latin_font()
        if found is None:
            raise RuntimeError("no Latin font found: install fonts-noto-core or set fonts.latin")
        self.latin: FontFile = found
        self.cjk = cjk
        self.max_faces = max(2, max_faces)
        self._faces: OrderedDict[tuple[str, int], Face] = OrderedDict()

    @classmethod
    def from_config(cls, latin: str = "", cjk: str = "", cjk_index: int | None = None) -> FontSet:
        found_cjk = cjk_font(cjk, cjk_index)
        if found_cjk is None:
            log.warning("no Simplified Chinese font found; Chinese text will be skipped "
                        "(install fonts-noto-cjk or set fonts.cjk)")
        return cls(latin_font(latin), found_cjk)

    def face(self, script: str, size: int) -> Face:
        if script == "cjk" and self.cjk is None:
            script = "latin"  # one face, not two identical ones
        key = (script, size)
        found = self._faces.get(key)
        if found is not None:
            self._faces.move_to_end(key)
            return found
        while len(self._faces) >= self.max_faces:
            self._faces.popitem(last=False)  # the last reference: its file closes now
        if script == "cjk" and self.cjk is not None:
            found = Face(self.cjk, size, freetype=True)
        else:
            found = Face(self.latin, size, freetype=False)
        self._faces[key] = found
        return found

    @property
    def open_faces(self) -> int:
        return len(self._faces)


def split_runs(text: str) -> list[tuple[str, str]]:
    """Split text into (script, run) pairs; spaces and punctuation stay with the run before."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        script = "cjk" if is_cjk(ch) else "latin"
        neutral = ch.isspace() or unicodedata.category(ch)[0] in "PZ" and not is_cjk(ch)
        if runs and (neutral or runs[-1][0] == script):
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
        else:
            runs.append((script, ch))
    return runs


def tokens(text: str) -> list[str]:
    """Break opportunities: after spaces in Latin text, between any two CJK characters."""
    result: list[str] = []
    current = ""
    for ch in text:
        if is_cjk(ch) and unicodedata.category(ch) not in ("Po", "Pe", "Pf"):
            if current:
                result.append(current)
            current = ch
        elif ch == " ":
            result.append(current + ch)
            current = ""
        else:
            if current and is_cjk(current[-1]) and not is_cjk(ch):
                result.append(current)
                current = ""
            current += ch
    if current:
        result.append(current)
    return [t for t in result if t]


def drawable(text: str) -> str:
    """`text` without what no font draws: control characters (SDL_ttf refuses NUL) and lone
    surrogates; tabs and carriage returns become spaces, line breaks stay."""
    if text.isprintable():
        return text
    text = text.replace("\r\n", "\n").replace("\t", " ").replace("\r", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs"))


def _smallest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


@functools.lru_cache(maxsize=512)
def _paragraph_tokens(paragraph: str) -> tuple[str, ...]:
    """`tokens`, once per paragraph: every size tried wraps the same paragraphs again."""
    return tuple(tokens(paragraph))


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


class Overflow(Exception):
    """Raised while wrapping once the lines no longer fit the box: the size is too large."""


class WordTooWide(Exception):
    """A single word is wider than the box at this size."""


class TextLayout:
    """Lines of runs laid out for one box; `render` draws them.

    Whatever the input, the work is bounded: each text is cut to LAYOUT_LIMIT characters;
    sizes are tried around an estimate from character counts, then by bisection, measuring
    words (each word once per size, with Font.size, never rendering); a try stops as soon as
    its lines overflow the box; only the lines that fit are drawn. Layouts are kept per
    (texts, box, size), so a slide shown again costs only its drawing.
    """

    def __init__(self, fonts: FontSet):
        self.fonts = fonts
        self._fits: OrderedDict[tuple, Fitted] = OrderedDict()
        self._words: dict[tuple[str, int], tuple[int, bool]] = {}

    def line_width(self, line: str, size: int) -> int:
        return sum(self.fonts.face(script, size).width(run) for script, run in split_runs(line))

    def token_width(self, token: str, size: int) -> int:
        return self._measure_token(token, size)[0]

    def _measure_token(self, token: str, size: int) -> tuple[int, bool]:
        """(width, has CJK) of a word, remembered: wrapping measures the same words at each
        size it tries, and Font.size on a word costs far less than rendering it."""
        key = (token, size)
        found = self._words.get(key)
        if found is None:
            if len(self._words) >= WORD_CACHE:
                self._words.clear()
            runs = split_runs(token)
            width = sum(self.fonts.face(script, size).width(run) for script, run in runs)
            found = self._words[key] = (width, any(script == "cjk" for script, _run in runs))
        return found

    def wrap(self, text: str, size: int, width: int, max_lines: int | None = None,
             break_words: bool = False) -> list[str] | None:
        """Wrap to `width` pixels; None when a single word is wider than the box (unless
        `break_words`: then it is broken between characters). Raises Overflow past `max_lines`."""
        lines: list[str] = []
        try:
            for line in self.lines(text, size, width, break_words):
                lines.append(line)
                if max_lines is not None and len(lines) > max_lines:
                    raise Overflow
        except WordTooWide:
            return None
        return lines

    def lines(self, text: str, size: int, width: int, break_words: bool = False) -> Iterator[str]:
        """The wrapped lines one by one, so a caller can stop once its box is full."""
        for paragraph in text.split("\n"):
            line: list[str] = []
            line_width, cjk = 0, False
            pending = deque(_paragraph_tokens(paragraph))
            if not pending:
                yield ""
            while pending or line:
                if not pending:  # the paragraph's last line; it may give words back
                    yield self._close(line, pending, size, width, line_width, cjk)
                    line, line_width, cjk = [], 0, False
                    continue
                token = pending.popleft()
                token_width, token_cjk = self._measure_token(token, size)
                ink = token_width - self._trailing(token, size)
                if line and line_width + ink > width:
                    pending.appendleft(token)  # after any words the line gives back
                    yield self._close(line, pending, size, width, line_width, cjk)
                    line, line_width, cjk = [], 0, False
                    continue
                if not line and ink > width:
                    if not break_words:
                        raise WordTooWide
                    *whole, token = self._break_word(token, size, width)
                    yield from whole
                    token_width, token_cjk = self._measure_token(token, size)
                line.append(token)
                line_width += token_width
                cjk = cjk or token_cjk

    def _close(self, line: list[str], pending: deque[str], size: int, width: int,
               summed: int, cjk: bool) -> str:
        """The finished line. Words measured one by one can add up a little short of the whole
        line (kerning across words; FreeType measures ink, not advance): a line that may be too
        wide is measured whole, and if it is, its last words go to the next line."""
        text = "".join(line).rstrip()
        if not cjk and summed + len(line) + 4 + size // 8 < width:
            return text  # so far from the edge that rounding (a pixel a word) and kerning cannot push it over
        while len(line) > 1 and self.line_width(text, size) > width:
            pending.appendleft(line.pop())
            text = "".join(line).rstrip()
        return text

    def _trailing(self, token: str, size: int) -> int:
        spaces = len(token) - len(token.rstrip(" "))
        return self.token_width(" ", size) * spaces if spaces else 0

    def _break_word(self, word: str, size: int, width: int) -> list[str]:
        """A word wider than the box in pieces that fit, broken between characters."""
        pieces, current, current_width = [], "", 0
        for ch in word:
            advance = self.token_width(ch, size)
            if current and current_width + advance > width:
                pieces.append(current)
                current, current_width = "", 0
            current, current_width = current + ch, current_width + advance
        pieces.append(current)
        return pieces

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

    def with_ellipsis(self, line: str, size: int, width: int) -> str:
        """`line` shortened as needed so that it ends with an ellipsis inside `width`."""
        line = line.rstrip()
        if line.endswith(ELLIPSIS):
            return line
        keep = len(line)
        while keep and self.line_width(line[:keep].rstrip() + ELLIPSIS, size) > width:
            keep = keep * 7 // 8 if keep > 16 else keep - 1
        return line[:keep].rstrip() + ELLIPSIS

    def render(self, blocks: list[Block], width: int, height: int, align: str = "center",
               spacing: float = 1.15, size: int | None = None) -> pygame.Surface:
        """A transparent surface of `width` x `height` with the blocks centred vertically."""
        return self.render_fitted(blocks, width, height, align, spacing, size)[0]

    def render_fitted(self, blocks: list[Block], width: int, height: int, align: str = "center",
                      spacing: float = 1.15, size: int | None = None) -> tuple[pygame.Surface, Fitted]:
        """`render`, with the layout chosen (to tell whether the text had to be cut)."""
        fitted = self.fit(blocks, width, height, spacing, size)
        surface = pygame.Surface((width, height), pygame.SRCALPHA)
        y = max(0, (height - fitted.height) // 2)
        for part in fitted.laid:
            y += part.gap
            for line in part.lines:
                self.draw_line(surface, line, part.size, blocks[part.index].color, y,
                               part.line_height, width, align)
                y += part.line_height
        return surface, fitted

    def draw_line(self, surface: pygame.Surface, line: str, size: int, color: Color, top: int,
                  line_height: int, width: int, align: str) -> None:
        runs = [(self.fonts.face(script, size), run) for script, run in split_runs(line)]
        line_width = sum(face.width(run) for face, run in runs)
        x = {"left": 0, "right": width - line_width}.get(align, (width - line_width) // 2)
        latin = self.fonts.face("latin", size)
        baseline = top + (line_height - latin.height) // 2 + latin.ascent
        for face, run in runs:
            if not run.strip():
                x += face.width(run)
                continue
            image, ascent = face.render(run, color)
            surface.blit(image, (x, baseline - ascent))
            # SDL_ttf's image is exactly the advance; FreeType's is the ink, so ask.
            x += face.width(run) if face.freetype else image.get_width()
