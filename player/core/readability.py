"""How much text a screen can show and a passer-by can read: the rule `check` applies.

Pure arithmetic on character counts, so `check` and `publish` stay fast and need no fonts. The
renderer uses the same limits (`LAYOUT_LIMIT`, `TICKER_LIMIT`) to cut what it will not lay out.
The rule is documented in docs/playlist.md ("How much text fits").
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from player.core.playlist import Item, Playlist, text_for
from player.core.problems import Problem
from player.i18n import _

# Characters a second a reader takes in: the usual subtitle rates for adults (17 for Latin
# scripts, 9 for Chinese), which already assume a reader who is not in a hurry.
READING_SPEED = {"latin": 17.0, "cjk": 9.0}
# The smallest text, in pixels on a 1080-line screen, that reads from a few metres outdoors.
MIN_READABLE_PX = 32
# Characters of one text the player lays out; the rest is cut with an ellipsis and `check`
# refuses the playlist. At this length a 1080-line screen draws Latin text at about 28 px, below MIN_READABLE_PX.
LAYOUT_LIMIT = 2000
# Columns of the ticker (all languages and separators; a Chinese character is two columns, as
# wide as two Latin letters) the player draws: a full turn of the band then already takes
# almost two minutes at the default speed, and its strip is drawn within a frame or two.
TICKER_LIMIT = 600
# The text box of a 1920x1080 screen (7% and 8% margins) and what Noto Sans measures: the
# average advance of a character in em, and the line height in em before line_spacing.
REFERENCE_BOX = (1650, 900)
ADVANCE_EM = {"latin": 0.5, "cjk": 1.0}
LINE_EM = 1.37
WRAP_LOSS = 0.9  # lines break between words, so a line is rarely filled to the edge
SECONDARY_SCALE = 0.62  # stacked layout: languages after the first, relative to the first
ELLIPSIS = "…"


def is_cjk(ch: str) -> bool:
    """Han, kana, hangul and their punctuation: the characters drawn with the CJK face."""
    code = ord(ch)
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFE30 <= code <= 0xFE4F or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF)


def visible_length(text: str) -> int:
    """Characters a reader sees: combining marks and control characters do not count."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] not in "MC")


def reading_seconds(text: str) -> float:
    """Seconds an unhurried reader needs for `text`, at the rate of its own script."""
    cjk = sum(1 for ch in text if is_cjk(ch))
    latin = visible_length(text) - cjk
    return latin / READING_SPEED["latin"] + cjk / READING_SPEED["cjk"]


def _em_width(text: str) -> float:
    cjk = sum(1 for ch in text if is_cjk(ch))
    return cjk * ADVANCE_EM["cjk"] + (visible_length(text) - cjk) * ADVANCE_EM["latin"]


def _scales(count: int, scales: Sequence[float] | None) -> Sequence[float]:
    return scales if scales is not None else [1.0] + [SECONDARY_SCALE] * (count - 1)


def _height(ems: Sequence[Sequence[float]], scales: Sequence[float], size: float, spacing: float,
            box_width: int) -> float:
    total = 0.0
    usable = box_width * WRAP_LOSS
    for index, (paragraphs, scale) in enumerate(zip(ems, scales, strict=True)):
        block = size * scale
        lines = sum(max(1, math.ceil(em * block / usable)) for em in paragraphs)
        total += lines * LINE_EM * spacing * block + (size * 0.45 if index else 0.0)
    return total


def estimated_height(texts: Sequence[str], size: float, spacing: float = 1.15,
                     box_width: int = REFERENCE_BOX[0], scales: Sequence[float] | None = None) -> float:
    """Pixels the stacked texts take at `size` (the first text; by default the others at 0.62
    of it)."""
    ems = [[_em_width(p) for p in text.split("\n")] for text in texts]
    return _height(ems, _scales(len(texts), scales), size, spacing, box_width)


def fitting_size(texts: Sequence[str], spacing: float = 1.15,
                 box: tuple[int, int] = REFERENCE_BOX, scales: Sequence[float] | None = None) -> int:
    """About the largest size (pixels, first text) at which all texts fit the box."""
    ems = [[_em_width(p) for p in text.split("\n")] for text in texts]
    scales = _scales(len(texts), scales)
    low, high = 1, max(1, box[1])
    while low < high:
        mid = (low + high + 1) // 2
        if _height(ems, scales, mid, spacing, box[0]) <= box[1]:
            low = mid
        else:
            high = mid - 1
    return low


def readable_capacity(spacing: float = 1.15, box: tuple[int, int] = REFERENCE_BOX) -> int:
    """Latin characters that fit the box at the smallest readable size."""
    per_line = box[0] * WRAP_LOSS / (ADVANCE_EM["latin"] * MIN_READABLE_PX)
    lines = box[1] // (LINE_EM * spacing * MIN_READABLE_PX)
    return int(per_line * lines)


def columns(text: str) -> int:
    """Width in columns: a Chinese (CJK) character is two, any other character one."""
    return len(text) + sum(1 for ch in text if is_cjk(ch))


def cut(text: str, limit: int, wide: bool = False) -> str:
    """`text` shortened to at most `limit` characters (`wide`: columns), at a space when one is
    near, with an ellipsis; unchanged when it is short enough."""
    if len(text) <= limit and (not wide or columns(text) <= limit):
        return text
    keep = limit - 1
    if wide:
        keep, used = 0, 0
        for ch in text:
            used += 2 if is_cjk(ch) else 1
            if used > limit - 1:
                break
            keep += 1
    head = text[:max(0, keep)]
    space = head.rfind(" ", max(0, len(head) - 40))
    if space > 0:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def format_seconds(seconds: float) -> str:
    """A duration as a playlist writes it: `45s`, `1m30s`."""
    whole = max(1, math.ceil(seconds))
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest}s"
    return f"{minutes}m{rest}s" if rest else f"{minutes}m"


@dataclass(frozen=True)
class Finding:
    """One readability problem of one text: where (key path suffix) and what."""

    path: str
    message: str
    severity: str = "warning"


def text_findings(pairs: Sequence[tuple[str, str]], duration: float | None, layout: str = "stacked",
                  spacing: float = 1.15, key: str = "text", sized: bool = True) -> list[Finding]:
    """The rule for one item's text (or caption): (language, text) pairs in display order.

    Each language must be readable in the time it is on screen (alternate: its share of the
    duration); the slide must fit the screen at MIN_READABLE_PX (`sized`: text items only);
    a text longer than LAYOUT_LIMIT is an error because the player would cut it.
    """
    findings: list[Finding] = []
    alternate = layout == "alternate" and len(pairs) > 1
    shares = len(pairs) if alternate else 1
    shown = None if duration is None else duration / shares
    for lang, text in pairs:
        found = _reading_finding(f"{key}.{lang}", text, shown, shares)
        if found is not None:
            findings.append(found)
    if sized and not any(f.severity == "error" for f in findings):
        groups = [[t for _l, t in pairs]] if not alternate else [[t] for _l, t in pairs]
        findings += _size_findings(key, groups, spacing)
    return findings


def _reading_finding(path: str, text: str, shown: float | None, shares: int) -> Finding | None:
    """One language's text too long for the layout, or to read in the `shown` seconds it has
    (`shares`: how many languages take turns in the item's duration)."""
    length = visible_length(text)
    if len(text) > LAYOUT_LIMIT:
        return Finding(path, _(
            "{length:,} characters: the player lays out at most {limit:,} of one text and would "
            "cut the rest; split it into several items").format(length=length, limit=LAYOUT_LIMIT),
            "error")
    needed = reading_seconds(text)
    if shown is None or needed <= shown:
        return None
    rate = length / needed
    fits = int(shown * rate)
    return Finding(path, _(
        "too long to read in the time it is shown: {length:,} characters take about "
        "{needed} s to read ({rate:.0f} characters a second) and it shows for {shown:g} s; "
        "shorten it to about {fits:,} characters or set duration: {duration}").format(
        length=length, needed=math.ceil(needed), rate=rate, shown=shown, fits=fits,
        duration=format_seconds(needed * shares)))


def _size_findings(key: str, groups: list[list[str]], spacing: float) -> list[Finding]:
    """At most one finding: the first group of texts (one slide) drawn below MIN_READABLE_PX."""
    for group in groups:
        size = fitting_size(group, spacing)
        if size < MIN_READABLE_PX:
            return [Finding(key, _(
                "too much text for the screen: it would be drawn at about {size} px on a "
                "1080-line screen, below the {minimum} px that read from a few metres; about "
                "{capacity:,} characters fit at {minimum} px").format(
                size=size, minimum=MIN_READABLE_PX, capacity=readable_capacity(spacing)))]
    return []


def ticker_findings(pairs: Sequence[tuple[str, str]], separator: str) -> list[Finding]:
    """A ticker wider than TICKER_LIMIT columns is cut by the player (a warning: it still runs)."""
    width = sum(columns(t) for _l, t in pairs) + columns(separator) * len(pairs)
    if width <= TICKER_LIMIT:
        return []
    return [Finding("text", _("{width:,} columns with separators (a Chinese character is two): the ticker "
                              "shows the first {limit:,} and cuts the rest").format(
                                  width=width, limit=TICKER_LIMIT))]


def _items(playlist: Playlist) -> Iterator[tuple[str, Item]]:
    for index, item in enumerate(playlist.items):
        yield f"items[{index}]", item
    for index, interrupt in enumerate(playlist.interrupts):
        yield f"interrupts[{index}]", interrupt.item
    if playlist.emergency is not None:
        yield "emergency", playlist.emergency
    if playlist.fallback is not None:
        yield "fallback", playlist.fallback


def readability_problems(playlist: Playlist) -> list[Problem]:
    """Every text of the playlist held against the rule, as warnings and errors."""
    problems: list[Problem] = []
    file = str(playlist.path)
    for where, item in _items(playlist):
        for key, text, sized in (("text", item.text, item.kind == "text"), ("caption", item.caption, False)):
            pairs = text_for(text, playlist.languages)
            duration = None if where in ("emergency", "fallback") else item.duration
            for finding in text_findings(pairs, duration, item.layout, item.style.line_spacing,
                                         key, sized):
                problems.append(Problem(file, item.line or None, f"{where}.{finding.path}",
                                        _("item {id}: {message}").format(id=item.id, message=finding.message),
                                        finding.severity))
    if playlist.ticker is not None:
        pairs = text_for(playlist.ticker.text, playlist.languages)
        for finding in ticker_findings(pairs, playlist.ticker.separator):
            problems.append(Problem(file, None, f"overlays.ticker.{finding.path}", finding.message,
                                    finding.severity))
    return problems
