"""Reading a playlist file: every key, time and media path checked into the model's dataclasses
(an item's `when` windows: player/core/when_reader.py).

`load_playlist` raises `LoadError` with all problems at once. Text is normalised to NFC here,
once, so that everything downstream sees one spelling of each letter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from player.core.fields import Fields, type_name
from player.core.languages import language_problem, meant_language
from player.core.media_paths import media_path_problem
from player.core.playlist import (
    ALIGNS,
    DEFAULT_DURATION,
    EMERGENCY_STYLE,
    FITS,
    ITEM_KEYS,
    KINDS,
    LAYOUTS,
    MAX_ITEMS,
    POSITIONS,
    STYLE_KEYS,
    TRANSITIONS,
    ClockOverlay,
    Interrupt,
    Item,
    Playlist,
    Style,
    Ticker,
    Transition,
    nfc,
)
from player.core.problems import LoadError, Problem, ProblemList
from player.core.units import (
    UnitError,
    parse_color,
    parse_duration,
    parse_time_of_day,
)
from player.core.when_reader import read_when
from player.core.yamlfile import line_of, read_yaml
from player.i18n import _

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


def read_ahead(path: Path) -> Playlist | None:
    """The playlist read by a worker thread for the render loop, or None when it cannot be read
    (the loop then reads it itself and reports why)."""
    try:
        return load_playlist(path)
    except (LoadError, OSError):
        return None


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
    reader = ItemReader(path.parent, problems, media_check)
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
    return replace(playlist, warnings=warnings)


def _read_clock(f: Fields) -> ClockOverlay:
    f.check_keys(("format", "position", "date"))
    return ClockOverlay(format=f.choice("format", ("vi", "en", "vi+en"), "vi+en"),
                        position=f.choice("position", POSITIONS, "top-right"),
                        date=f.boolean("date", True))


class ItemReader:
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
            when=read_when(f),
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


def _located_like(original: Any, data: dict) -> Any:
    from player.core.yamlfile import Located
    copy = Located(data)
    copy.line = getattr(original, "line", 0)
    copy.key_lines = getattr(original, "key_lines", {})
    return copy
