"""The playlist format's model: what a culture-centre editor writes, as frozen dataclasses.

Reading and validating the YAML is player/core/playlist_reader.py; media path rules are
player/core/media_paths.py; the emergency message file is player/core/emergency.py.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from player.core.problems import Problem

KINDS = ("image", "video", "text")
LAYOUTS = ("stacked", "alternate")
FITS = ("contain", "cover", "stretch")
ALIGNS = ("center", "left", "right")
TRANSITIONS = ("crossfade", "cut")
POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"weekdays": WEEKDAYS[:5], "weekend": WEEKDAYS[5:], "daily": WEEKDAYS}
DEFAULT_DURATION = 10.0
MAX_ITEMS = 2000

ITEM_KEYS = ("id", "image", "video", "text", "caption", "layout", "duration", "fit", "transition",
             "style", "when", "audio", "loop", "volume", "mute", "enabled")
STYLE_KEYS = ("color", "background", "background_image", "align", "size", "line_spacing",
              "caption_color", "caption_background")


@dataclass(frozen=True)
class Transition:
    kind: str = "crossfade"
    duration: float = 0.8


@dataclass(frozen=True)
class Style:
    color: tuple[int, int, int] = (255, 255, 255)
    background: tuple[int, int, int] = (12, 44, 56)
    background_image: str | None = None
    align: str = "center"
    size: int | None = None  # pixels at 1080 lines of height; None: automatic (largest that fits)
    line_spacing: float = 1.15
    caption_color: tuple[int, int, int] = (255, 255, 255)
    caption_background: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class Window:
    """One `when` window; all given parts must hold. Days and dates of an overnight window
    belong to the evening it starts on."""

    start_date: date | None = None
    end_date: date | None = None
    days: frozenset[int] | None = None  # 0 = Monday
    hours: tuple[time, time] | None = None


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    line: int = 0
    source: str | None = None  # image or video path, relative to the playlist folder
    text: dict[str, str] | None = None
    caption: dict[str, str] | None = None
    layout: str = "stacked"
    duration: float | None = DEFAULT_DURATION  # None: a video's own length
    fit: str | None = None  # None: the device config's display.fit
    transition: Transition = field(default_factory=Transition)
    style: Style = field(default_factory=Style)
    when: tuple[Window, ...] = ()
    audio: str | None = None
    loop: bool = False
    volume: float = 1.0
    mute: bool = False

    def media_files(self) -> tuple[str, ...]:
        files = [self.source, self.audio, self.style.background_image]
        return tuple(f for f in files if f)


@dataclass(frozen=True)
class Ticker:
    text: dict[str, str]
    speed: float = 120.0  # pixels per second at 1080 lines of height
    position: str = "bottom"
    color: tuple[int, int, int] = (255, 255, 255)
    background: tuple[int, int, int] = (150, 20, 20)
    separator: str = "   •   "


@dataclass(frozen=True)
class ClockOverlay:
    format: str = "vi+en"  # vi | en | vi+en
    position: str = "top-right"
    date: bool = True


@dataclass(frozen=True)
class Interrupt:
    """An item that pre-empts the loop at set times, then lets it resume."""

    item: Item
    at: tuple[time, ...] = ()
    every: float | None = None  # seconds, counted from midnight (1h: at every :00)
    when: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Playlist:
    name: str
    path: Path
    languages: tuple[str, ...]
    items: tuple[Item, ...]
    align: str = "loop"  # loop | clock
    ticker: Ticker | None = None
    clock: ClockOverlay | None = None
    interrupts: tuple[Interrupt, ...] = ()
    emergency: Item | None = None
    fallback: Item | None = None
    warnings: tuple[Problem, ...] = ()

    @property
    def folder(self) -> Path:
        return self.path.parent

    def media_files(self) -> tuple[str, ...]:
        """Every file the playlist references, relative to its folder, each once."""
        items = list(self.items) + [i.item for i in self.interrupts]
        items += [i for i in (self.emergency, self.fallback) if i]
        seen: dict[str, None] = {}
        for item in items:
            for name in item.media_files():
                seen.setdefault(name)
        return tuple(seen)

    def item(self, item_id: str) -> Item | None:
        for item in self.items:
            if item.id == item_id:
                return item
        for interrupt in self.interrupts:
            if interrupt.item.id == item_id:
                return interrupt.item
        for extra in (self.emergency, self.fallback):
            if extra and extra.id == item_id:
                return extra
        return None


EMERGENCY_STYLE = Style(color=(255, 255, 255), background=(170, 10, 10), align="center")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def text_for(text: dict[str, str] | None, languages: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (language, string) pairs to show, in the playlist's language order."""
    if not text:
        return []
    return [(lang, text[lang]) for lang in languages if lang in text]
