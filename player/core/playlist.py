"""The playlist format: what a culture-centre editor writes, validated into frozen dataclasses.

`load_playlist` reads a YAML file, checks every key, every time and every media path (relative to
the playlist's folder, never leaving it) and raises `LoadError` with all problems at once. Text is
normalised to NFC here, once, so that everything downstream sees one spelling of each letter.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path, PurePosixPath
from typing import Any

from player.core.fields import Fields, type_name
from player.core.hours import EQUAL_ENDS_WARNING, equal_ends
from player.core.languages import language_problem, meant_language
from player.core.problems import LoadError, Problem, ProblemList
from player.core.units import (
    UnitError,
    parse_color,
    parse_duration,
    parse_hours_range,
    parse_time_of_day,
)
from player.core.yamlfile import line_of, other_names, read_yaml
from player.i18n import _

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


TOP_KEYS = ("name", "languages", "align", "defaults", "items", "overlays", "interrupts",
            "emergency", "fallback")


MediaCheck = Callable[[Path, str], "str | None"]


def load_playlist(path: Path, media_check: MediaCheck | None = None) -> Playlist:
    """Read and validate a playlist file; raises LoadError listing every problem.

    `media_check(file, kind)` (kind: image, video, audio, background_image) may look inside each
    media file and return why it is unusable; `check` and `publish` pass one that decodes.
    """
    path = Path(path)
    data = read_yaml(path)
    return playlist_from_data(data, path, media_check)


def check_playlist(path: Path, media_check: MediaCheck | None = None) -> list[Problem]:
    """Every problem (errors and warnings) in a playlist file, sorted by line."""
    try:
        playlist = load_playlist(path, media_check)
    except LoadError as exc:
        return sorted(exc.problems, key=lambda p: p.line or 0)
    return sorted(playlist.warnings, key=lambda p: p.line or 0)


def playlist_from_data(data: Any, path: Path, media_check: MediaCheck | None = None) -> Playlist:
    problems = ProblemList(str(path))
    top = Fields(data, "", problems, 1)
    top.check_keys(TOP_KEYS)
    reader = _ItemReader(path.parent, problems, media_check)
    reader.languages = _read_languages(top)
    reader.read_defaults(top.sub("defaults"))
    items = reader.read_items(top)
    overlays = top.sub("overlays")
    overlays.check_keys(("ticker", "clock"))
    playlist = Playlist(
        name=top.string("name", path.parent.name or "playlist"),
        path=path,
        languages=reader.languages,
        items=items,
        align=top.choice("align", ("loop", "clock"), "loop"),
        ticker=reader.read_ticker(overlays.sub("ticker")) if overlays.has("ticker") else None,
        clock=_read_clock(overlays.sub("clock")) if overlays.has("clock") else None,
        interrupts=reader.read_interrupts(top),
        emergency=reader.read_emergency(top),
        fallback=reader.read_single(top, "fallback"),
        warnings=(),
    )
    if playlist.align == "clock":
        for item in items:
            if item.duration is None:
                problems.error(item.line, f"items[{items.index(item)}].duration",
                               "align: clock needs a fixed duration on every video item")
    problems.raise_if_errors()
    return _with_warnings(playlist, tuple(problems.warnings))


def _read_languages(top: Fields) -> tuple[str, ...]:
    languages = top.string_list("languages", ("vi", "en"))
    if not languages:
        top.error("languages", _("expected at least one language code, like [vi, en]"))
    raw = top.raw("languages")
    for index, code in enumerate(languages):
        problem = language_problem(code)
        if problem:
            top.problems.error(line_of(raw, index, top.line_of("languages")),
                               f"languages[{index}]", problem)
    return languages


def _with_warnings(playlist: Playlist, warnings: tuple[Problem, ...]) -> Playlist:
    from dataclasses import replace
    return replace(playlist, warnings=warnings)


def _read_clock(f: Fields) -> ClockOverlay:
    f.check_keys(("format", "position", "date"))
    return ClockOverlay(format=f.choice("format", ("vi", "en", "vi+en"), "vi+en"),
                        position=f.choice("position", POSITIONS, "top-right"),
                        date=f.boolean("date", True))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class _ItemReader:
    """Reads items with the playlist's defaults and checks media paths against its folder."""

    def __init__(self, folder: Path, problems: ProblemList, media_check: MediaCheck | None = None):
        self.folder = folder
        self.problems = problems
        self.media_check = media_check
        self.checked: dict[tuple[str, str], str | None] = {}
        self.languages: tuple[str, ...] = ()
        self.duration = DEFAULT_DURATION
        self.transition = Transition()
        self.fit: str | None = None  # None: the device config's display.fit
        self.style = Style()
        self.ids: dict[str, int] = {}

    def read_defaults(self, f: Fields) -> None:
        f.check_keys(("duration", "transition", "fit", "style", "layout"))
        self.duration = f.parse("duration", parse_duration, DEFAULT_DURATION)
        self.transition = self.read_transition(f, Transition())
        self.fit = f.choice("fit", FITS, None)
        self.layout = f.choice("layout", LAYOUTS, "stacked")
        self.style = self.read_style(f.sub("style"), Style())

    def read_items(self, top: Fields) -> tuple[Item, ...]:
        if not top.has("items"):
            top.error("items", _("a playlist needs a list of items"))
            return ()
        entries = top.entries("items")
        if not entries and isinstance(top.raw("items"), list):
            top.error("items", _("the playlist has no items"))
        if len(entries) > MAX_ITEMS:
            top.error("items", f"more than {MAX_ITEMS} items")
            entries = entries[:MAX_ITEMS]
        items = []
        for index, entry, path, line in entries:
            item = self.read_item(Fields(entry, path, self.problems, line), f"item{index + 1}")
            if item is not None:
                items.append(item)
        return tuple(items)

    def read_single(self, top: Fields, key: str) -> Item | None:
        if not top.has(key):
            return None
        return self.read_item(top.sub(key), key)

    def read_emergency(self, top: Fields) -> Item | None:
        saved = (self.style, self.transition)
        self.style, self.transition = EMERGENCY_STYLE, Transition("cut", 0.0)
        try:
            return self.read_single(top, "emergency")
        finally:
            self.style, self.transition = saved

    def read_interrupts(self, top: Fields) -> tuple[Interrupt, ...]:
        result = []
        for index, entry, path, line in top.entries("interrupts"):
            f = Fields(entry, path, self.problems, line)
            item_data = {k: v for k, v in f.data.items() if k not in ("at", "every")}
            item_fields = Fields(_located_like(f.data, item_data), path, self.problems, line)
            item = self.read_item(item_fields, f"interrupt{index + 1}", extra=("at", "every"))
            at = []
            for _i, value, at_path, at_line in f.entries("at"):
                try:
                    at.append(parse_time_of_day(value))
                except UnitError as exc:
                    self.problems.error(at_line, at_path, str(exc))
            every = f.parse("every", parse_duration, None)
            if every is not None and every < 60:
                f.error("every", "an interrupt can repeat at most once a minute (every: 1m or more)")
                every = None
            if not at and every is None and not any(p.path.startswith(path + ".at") for p in self.problems.items):
                self.problems.error(line, path, 'an interrupt needs "at" (times of day) or "every" (like 1h)')
            if item is not None:
                result.append(Interrupt(item=item, at=tuple(at), every=every, when=item.when))
        return tuple(result)

    def read_item(self, f: Fields, default_id: str, extra: tuple[str, ...] = ()) -> Item | None:
        f.check_keys(ITEM_KEYS + extra)
        kinds = [k for k in KINDS if f.has(k)]
        if len(kinds) != 1:
            what = _("none") if not kinds else _(" and ").join(kinds)
            self.problems.error(f.line, f.path, _(
                "an item needs exactly one of image, video or text (found {what})").format(what=what))
            return None
        kind = kinds[0]
        item_id = self.read_id(f, default_id)
        if not f.boolean("enabled", True):
            return None
        style = self.read_style(f.sub("style"), self.style)
        duration: float | None = f.parse("duration", parse_duration, self.duration)
        if kind == "video" and not f.has("duration"):
            duration = None
        if duration is not None and duration <= 0:
            f.error("duration", _("must be longer than 0s"))
            duration = self.duration
        return Item(
            id=item_id,
            kind=kind,
            line=f.line or 0,
            source=self.media_path(f, kind) if kind != "text" else None,
            text=self.read_text(f, "text") if kind == "text" else None,
            caption=self.read_text(f, "caption") if f.has("caption") else None,
            layout=f.choice("layout", LAYOUTS, getattr(self, "layout", "stacked")),
            duration=duration,
            fit=f.choice("fit", FITS, self.fit),
            transition=self.read_transition(f, self.transition),
            style=style,
            when=self.read_when(f),
            audio=self.media_path(f, "audio") if f.has("audio") else None,
            loop=f.boolean("loop", False),
            volume=f.number("volume", 100, 0, 100) / 100,
            mute=f.boolean("mute", False),
        )

    def read_ticker(self, f: Fields) -> Ticker | None:
        f.check_keys(("text", "speed", "position", "color", "background", "separator"))
        text = self.read_text(f, "text")
        if text is None:
            return None
        return Ticker(
            text=text,
            speed=f.number("speed", 120.0, 10, 2000),
            position=f.choice("position", ("bottom", "top"), "bottom"),
            color=f.parse("color", parse_color, (255, 255, 255)),
            background=f.parse("background", parse_color, (150, 20, 20)),
            separator=nfc(f.string("separator", "   •   ")),
        )

    def read_id(self, f: Fields, default_id: str) -> str:
        item_id = f.string("id", default_id)
        if not item_id or any(c.isspace() for c in item_id) or len(item_id) > 100:
            f.error("id", _('expected a short id without spaces, got "{id}"').format(id=item_id))
        if item_id in self.ids:
            f.error("id", _('duplicate id "{id}" (first used on line {line})').format(
                id=item_id, line=self.ids[item_id]))
        else:
            self.ids[item_id] = f.line_of("id") or 0
        return item_id

    def read_text(self, f: Fields, key: str) -> dict[str, str] | None:
        value = f.raw(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return {lang: nfc(str(value)) for lang in self.languages[:1]}
        if not isinstance(value, dict) or not value:
            f.error(key, _("expected a mapping of language to text like {{vi: ..., en: ...}}, got {what}"
                           ).format(what=type_name(value)))
            return None
        text = {}
        for lang, string in value.items():
            if not isinstance(string, str | int | float) or isinstance(string, bool):
                self.problems.error(line_of(value, lang, f.line), f"{f.key_path(key)}.{lang}",
                                    _("expected text, got {what}").format(what=type_name(string)))
            elif lang not in self.languages:
                self.problems.warn(line_of(value, lang, f.line), f"{f.key_path(key)}.{lang}",
                                   _('language "{lang}" is not in the playlist\'s languages '
                                     "({languages}) and will not be shown").format(
                                       lang=lang, languages=", ".join(self.languages))
                                   + self.meant_hint(str(lang)))
            elif str(string).strip():
                text[lang] = nfc(str(string).strip())
        missing = [lang for lang in self.languages if lang not in text]
        if missing and text:
            f.warn(key, _("no text for {languages}").format(languages=", ".join(missing)))
        if not text:
            f.error(key, _("no text in any of the playlist's languages"))
            return None
        return text

    def meant_hint(self, lang: str) -> str:
        """' (did you mean "zh"?)' for `cn` when the playlist shows zh."""
        meant = meant_language(lang)
        return _(' (did you mean "{choice}"?)').format(choice=meant) if meant in self.languages else ""

    def read_transition(self, f: Fields, default: Transition) -> Transition:
        value = f.raw("transition")
        if value is None:
            return default
        if isinstance(value, str):
            kind, _, rest = value.partition(" ")
            duration = default.duration
            if rest:
                try:
                    duration = parse_duration(rest)
                except UnitError as exc:
                    f.error("transition", str(exc))
            if kind not in TRANSITIONS:
                f.error("transition", f'expected crossfade or cut, got "{value}"')
                return default
            return Transition(kind, duration if kind == "crossfade" else 0.0)
        t = f.sub("transition")
        t.check_keys(("type", "duration"))
        kind = t.choice("type", TRANSITIONS, "crossfade")
        duration = t.parse("duration", parse_duration, default.duration)
        if duration > 10:
            t.error("duration", "a transition of more than 10s")
        return Transition(kind, duration if kind == "crossfade" else 0.0)

    def read_style(self, f: Fields, base: Style) -> Style:
        f.check_keys(STYLE_KEYS)
        size = base.size
        if f.has("size"):
            raw = f.raw("size")
            size = None if raw == "auto" else f.integer("size", 0, 8, 600) or base.size
        bg_image = base.background_image
        if f.has("background_image"):
            bg_image = self.media_path(f, "background_image")
        return Style(
            color=f.parse("color", parse_color, base.color),
            background=f.parse("background", parse_color, base.background),
            background_image=bg_image,
            align=f.choice("align", ALIGNS, base.align),
            size=size,
            line_spacing=f.number("line_spacing", base.line_spacing, 0.8, 3.0),
            caption_color=f.parse("caption_color", parse_color, base.caption_color),
            caption_background=f.parse("caption_background", parse_color, base.caption_background),
        )

    def read_when(self, f: Fields) -> tuple[Window, ...]:
        value = f.raw("when")
        if value is None:
            return ()
        entries = f.entries("when") if isinstance(value, list) else [(0, value, f.key_path("when"), f.line_of("when"))]
        windows = []
        for _i, entry, path, line in entries:
            windows.append(self.read_window(Fields(entry, path, self.problems, line)))
        return tuple(windows)

    def read_window(self, w: Fields) -> Window:
        w.check_keys(("from", "until", "days", "hours"))
        start = w.parse("from", _parse_date, None)
        end = w.parse("until", _parse_date, None)
        if start and end and end < start:
            w.error("until", f"{end} is before from: {start}")
        days: set[int] | None = None
        if w.has("days"):
            days = set()
            for _i, day, path, line in w.entries("days") if isinstance(w.raw("days"), list) else [
                    (0, w.raw("days"), w.key_path("days"), w.line_of("days"))]:
                name = str(day).lower()[:3] if str(day).lower() not in DAY_GROUPS else str(day).lower()
                if name in DAY_GROUPS:
                    days.update(WEEKDAYS.index(d) for d in DAY_GROUPS[name])
                elif name in WEEKDAYS and len(str(day)) in (3, len(_FULL_DAYS[WEEKDAYS.index(name)])):
                    days.add(WEEKDAYS.index(name))
                else:
                    self.problems.error(line, path, "expected a weekday (mon, tue, ... sun, weekdays, "
                                        f"weekend), got {type_name(day)}")
        hours = w.parse("hours", parse_hours_range, None)
        if equal_ends(hours):
            w.warn("hours", EQUAL_ENDS_WARNING)
        return Window(start, end, frozenset(days) if days is not None else None, hours)

    def media_path(self, f: Fields, key: str) -> str | None:
        value = f.raw(key)
        if not isinstance(value, str) or not value.strip():
            f.error(key, _("expected a file path relative to the playlist, got {what}").format(
                what=type_name(value)))
            return None
        problem = media_path_problem(self.folder, value)
        if problem is None and self.media_check is not None:
            kind = "image" if key == "background_image" else key
            if (value, kind) not in self.checked:
                self.checked[(value, kind)] = self.media_check(self.folder / value, kind)
            reason = self.checked[(value, kind)]
            problem = f'"{value}": {reason}' if reason else None
        if problem:
            f.error(key, problem)
            return None
        return PurePosixPath(value).as_posix()


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse_date(value: object) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UnitError(f'expected a date like "2026-12-01", got {value!r}') from None


def _located_like(original: Any, data: dict) -> Any:
    from player.core.yamlfile import Located
    copy = Located(data)
    copy.line = getattr(original, "line", 0)
    copy.key_lines = getattr(original, "key_lines", {})
    return copy


def media_path_problem(folder: Path, name: str) -> str | None:
    """Why a media path is unacceptable (outside the folder, missing, unreadable), or None."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return _('"{name}" is an absolute path; media paths are relative to the playlist\'s folder'
                 ).format(name=name)
    if ".." in pure.parts:
        return _('"{name}" leaves the playlist\'s folder ("..")').format(name=name)
    full = folder / pure
    try:
        resolved = full.resolve(strict=True)
    except FileNotFoundError:
        return _('"{name}" does not exist (looked in {folder})').format(
            name=name, folder=folder) + other_names(full)
    except (OSError, RuntimeError) as exc:
        return _('"{name}" cannot be resolved: {reason}').format(name=name, reason=exc)
    if not resolved.is_relative_to(folder.resolve()):
        return _('"{name}" is a link that points outside the playlist\'s folder').format(name=name)
    if not resolved.is_file():
        return _('"{name}" is not a file').format(name=name)
    if not os.access(resolved, os.R_OK):
        return _('"{name}" cannot be read (permissions)').format(name=name)
    if resolved.stat().st_size == 0:
        return _('"{name}" is empty (0 bytes)').format(name=name)
    return None


def text_for(text: dict[str, str] | None, languages: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (language, string) pairs to show, in the playlist's language order."""
    if not text:
        return []
    return [(lang, text[lang]) for lang in languages if lang in text]


__all__ = ["Playlist", "Item", "LoadError", "load_playlist", "check_playlist", "text_for"]


EMERGENCY_STYLE = Style(color=(255, 255, 255), background=(170, 10, 10), align="center")


def load_emergency(path: Path, languages: tuple[str, ...]) -> Item:
    """An emergency message file: one item (usually `text`), shown over everything.

    Raises LoadError. Without a `style`, the message is white on red.
    """
    data = read_yaml(path)
    problems = ProblemList(str(path))
    reader = _ItemReader(path.parent, problems)
    reader.languages = languages
    reader.style = EMERGENCY_STYLE
    reader.transition = Transition("cut", 0.0)
    if isinstance(data, dict) and "id" not in data:
        data["id"] = "emergency"
    item = reader.read_item(Fields(data, "", problems, 1), "emergency")
    problems.raise_if_errors()
    if item is None:
        raise LoadError([Problem(str(path), 1, "", "expected an emergency message like "
                                 "text: {vi: ..., en: ...}")])
    return item
