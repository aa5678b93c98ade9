"""Wrapping text to a width: break opportunities (after spaces in Latin text, between CJK
characters), words measured once per size, words wider than the box broken between characters."""

from __future__ import annotations

import functools
import unicodedata
from collections import deque
from collections.abc import Iterator

from player.core.readability import ELLIPSIS
from player.fonts import is_cjk
from player.render.text_fonts import FontSet, split_runs

WORD_CACHE = 50000  # word widths remembered (word, size)


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


@functools.lru_cache(maxsize=512)
def _paragraph_tokens(paragraph: str) -> tuple[str, ...]:
    """`tokens`, once per paragraph: every size tried wraps the same paragraphs again."""
    return tuple(tokens(paragraph))

class Overflow(Exception):
    """Raised while wrapping once the lines no longer fit the box: the size is too large."""


class WordTooWide(Exception):
    """A single word is wider than the box at this size."""


class TextWrapper:
    """Lines of one text wrapped for one width at one size, with word widths remembered."""

    def __init__(self, fonts: FontSet):
        self.fonts = fonts
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

    def with_ellipsis(self, line: str, size: int, width: int) -> str:
        """`line` shortened as needed so that it ends with an ellipsis inside `width`."""
        line = line.rstrip()
        if line.endswith(ELLIPSIS):
            return line
        keep = len(line)
        while keep and self.line_width(line[:keep].rstrip() + ELLIPSIS, size) > width:
            keep = keep * 7 // 8 if keep > 16 else keep - 1
        return line[:keep].rstrip() + ELLIPSIS
