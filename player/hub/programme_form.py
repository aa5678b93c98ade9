"""The editor's form <-> the playlist.yaml document (plain data, as YAML loads it).

The editor shows what a centre editor changes (items, their texts in every language side by
side, captions, duration, schedule, transition; the ticker and the clock; interrupts) and
carries every other key through unchanged in a hidden field, so a playlist written by hand
opens in the editor and saves back to one that plays the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from player.core.playlist import DAY_GROUPS, KINDS, WEEKDAYS

EDITOR_LANGS = ("vi", "en", "zh")
ITEM_SHOWN = ("id", "image", "video", "text", "caption", "duration", "transition", "when")
INTERRUPT_SHOWN = ITEM_SHOWN + ("at", "every")
MAX_FORM_ITEMS = 500


@dataclass
class ItemForm:
    """One item (or interrupt) as the editor shows it."""

    kind: str = "text"
    id: str = ""
    media: str = ""
    text: dict[str, str] = field(default_factory=dict)
    caption: dict[str, str] = field(default_factory=dict)
    duration: str = ""
    transition: str = ""
    date_from: str = ""
    date_until: str = ""
    days: list[str] = field(default_factory=list)
    hours: str = ""
    at: str = ""  # interrupts: times of day, comma separated
    every: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # keys the editor does not show


@dataclass
class ProgrammeForm:
    """The whole editor page's content."""

    name: str = ""
    languages: list[str] = field(default_factory=lambda: list(EDITOR_LANGS))
    items: list[ItemForm] = field(default_factory=list)
    interrupts: list[ItemForm] = field(default_factory=list)
    ticker: dict[str, str] = field(default_factory=dict)
    clock: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # top-level keys the editor does not show

    @property
    def text_langs(self) -> list[str]:
        """Columns for texts: vi, en, zh, then any other language of the playlist."""
        return list(EDITOR_LANGS) + [lang for lang in self.languages if lang not in EDITOR_LANGS]


# -- document -> form ---------------------------------------------------------------------------

def _texts(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if value is None:
        return {}
    return {"vi": str(value)}  # a bare string is the first language's (vi for the centre)


def _simple_window(when: Any) -> dict | None:
    """The one window the editor can show, or None when the schedule is richer than that."""
    if isinstance(when, list):
        if len(when) != 1:
            return None
        when = when[0]
    if not isinstance(when, dict) or set(when) - {"from", "until", "days", "hours"}:
        return None
    if not all(isinstance(v, str | list) for v in when.values()):
        return None
    return when


def _days(value: Any) -> list[str] | None:
    names = value if isinstance(value, list) else [value]
    days: list[str] = []
    for name in names:
        key = str(name).lower()
        if key in DAY_GROUPS:
            days.extend(DAY_GROUPS[key])
        elif key[:3] in WEEKDAYS:
            days.append(key[:3])
        else:
            return None  # the validator names it; keep it untouched
    return [d for d in WEEKDAYS if d in days]


def item_form(data: Any, interrupt: bool = False) -> ItemForm:
    if not isinstance(data, dict):
        return ItemForm(extra={"_raw": data})
    shown = INTERRUPT_SHOWN if interrupt else ITEM_SHOWN
    form = ItemForm(extra={k: v for k, v in data.items() if k not in shown})
    form.id = str(data.get("id") or "")
    kinds = [k for k in KINDS if k in data]
    form.kind = kinds[0] if len(kinds) == 1 else "text"
    for other in kinds[1:]:
        form.extra[other] = data[other]
    if form.kind in ("image", "video"):
        form.media = str(data.get(form.kind) or "")
    else:
        form.text = _texts(data.get("text"))
    if "caption" in data:
        form.caption = _texts(data["caption"])
    if "duration" in data:
        form.duration = str(data["duration"])
    transition = data.get("transition")
    if isinstance(transition, str):
        form.transition = transition
    elif transition is not None:
        form.extra["transition"] = transition
    if "when" in data:
        window = _simple_window(data["when"])
        days = _days(window["days"]) if window and "days" in window else []
        if window is None or days is None:
            form.extra["when"] = data["when"]
        else:
            form.date_from = str(window.get("from") or "")
            form.date_until = str(window.get("until") or "")
            form.days = days
            form.hours = str(window.get("hours") or "")
    if interrupt:
        at = data.get("at")
        form.at = ", ".join(str(t) for t in at) if isinstance(at, list) else str(at or "")
        form.every = str(data.get("every") or "")
    return form


def document_form(data: Any) -> ProgrammeForm:
    """The editor's view of a loaded playlist document."""
    if not isinstance(data, dict):
        data = {}
    shown = ("name", "languages", "items", "interrupts", "overlays")
    form = ProgrammeForm(extra={k: v for k, v in data.items() if k not in shown})
    form.name = str(data.get("name") or "")
    languages = data.get("languages")
    if isinstance(languages, list) and languages:
        form.languages = [str(x) for x in languages]
    elif "languages" in data:
        form.extra["languages"] = languages
    items = data.get("items")
    form.items = [item_form(i) for i in items] if isinstance(items, list) else []
    interrupts = data.get("interrupts")
    form.interrupts = [item_form(i, True) for i in interrupts] if isinstance(interrupts, list) else []
    overlays = data.get("overlays")
    if isinstance(overlays, dict):
        rest = dict(overlays)
        ticker = rest.get("ticker")
        if isinstance(ticker, dict) and "text" in ticker:
            form.ticker = _texts(ticker["text"])
            rest["ticker"] = {k: v for k, v in ticker.items() if k != "text"}
        if "clock" in rest:
            form.clock = True
        form.extra["overlays"] = rest
    return form


# -- form -> document -------------------------------------------------------------------------

def _clean(texts: dict[str, str]) -> dict[str, str]:
    return {lang: value.strip() for lang, value in texts.items() if value and value.strip()}


def item_data(form: ItemForm, interrupt: bool = False) -> dict:
    if "_raw" in form.extra:
        return form.extra["_raw"]
    data: dict[str, Any] = {}
    if form.id.strip():
        data["id"] = form.id.strip()
    if form.kind in ("image", "video"):
        data[form.kind] = form.media.strip()
    else:
        data["text"] = _clean(form.text)
    caption = _clean(form.caption)
    if caption:
        data["caption"] = caption
    if form.duration.strip():
        data["duration"] = form.duration.strip()
    if form.transition.strip():
        data["transition"] = form.transition.strip()
    window: dict[str, Any] = {}
    for key, value in (("from", form.date_from), ("until", form.date_until),
                       ("hours", form.hours)):
        if value.strip():
            window[key] = value.strip()
    if form.days and set(form.days) != set(WEEKDAYS):
        window["days"] = [d for d in WEEKDAYS if d in form.days]
    if window:
        data["when"] = {k: window[k] for k in ("from", "until", "days", "hours") if k in window}
    if interrupt:
        at = [t.strip() for t in form.at.replace(";", ",").split(",") if t.strip()]
        if at:
            data["at"] = at
        if form.every.strip():
            data["every"] = form.every.strip()
    for key, value in form.extra.items():
        data.setdefault(key, value)
    return data


def form_document(form: ProgrammeForm) -> dict:
    """The playlist document for a form: the keys the editor shows, then the kept ones."""
    data: dict[str, Any] = {}
    if form.name.strip():
        data["name"] = form.name.strip()
    if form.languages:
        data["languages"] = list(form.languages)
    data["items"] = [item_data(i) for i in form.items]
    overlays = dict(form.extra.get("overlays") or {})
    ticker = _clean(form.ticker)
    if ticker:
        overlays["ticker"] = {"text": ticker, **(overlays.get("ticker") or {})}
    else:
        overlays.pop("ticker", None)
    if form.clock:
        overlays.setdefault("clock", {"format": "vi+en"})
    else:
        overlays.pop("clock", None)
    if overlays:
        data["overlays"] = overlays
    if form.interrupts:
        data["interrupts"] = [item_data(i, True) for i in form.interrupts]
    for key, value in form.extra.items():
        if key != "overlays":
            data.setdefault(key, value)
    return data


class _Dumper(yaml.SafeDumper):
    """PyYAML's dumper quotes what YAML 1.1 would read as another type; the players read YAML
    1.2's core schema (``player.core.yamlfile``), where ``1e5`` and ``0o17`` are numbers too."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    from player.core.yamlfile import _Resolver

    tag = _Resolver().resolve(yaml.ScalarNode, value, (True, False))
    style = '"' if tag != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: dict) -> str:
    """YAML text the players read; every string that could read as something else is quoted."""
    return yaml.dump(plain(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100, default_flow_style=False)


def plain(value: Any) -> Any:
    """Located dicts and lists (``player.core.yamlfile``) as plain ones, for the dumper."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# -- the posted form ---------------------------------------------------------------------------

def _field(form: Any, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return str(value)[:limit] if value is not None else ""


def _json(text: str) -> Any:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _posted_item(form: Any, prefix: str, langs: list[str], interrupt: bool) -> ItemForm:
    getlist = getattr(form, "getlist", None)
    days = getlist(f"{prefix}-days") if getlist else form.get(f"{prefix}-days") or []
    kind = _field(form, f"{prefix}-kind")
    return ItemForm(
        kind=kind if kind in KINDS else "text",
        id=_field(form, f"{prefix}-id", 100),
        media=_field(form, f"{prefix}-media", 1024),
        text={lang: _field(form, f"{prefix}-text-{lang}") for lang in langs},
        caption={lang: _field(form, f"{prefix}-caption-{lang}") for lang in langs},
        duration=_field(form, f"{prefix}-duration", 40),
        transition=_field(form, f"{prefix}-transition", 40),
        date_from=_field(form, f"{prefix}-from", 40),
        date_until=_field(form, f"{prefix}-until", 40),
        days=[str(d) for d in days if str(d) in WEEKDAYS],
        hours=_field(form, f"{prefix}-hours", 40),
        at=_field(form, f"{prefix}-at", 400) if interrupt else "",
        every=_field(form, f"{prefix}-every", 40) if interrupt else "",
        extra=_json(_field(form, f"{prefix}-extra", 200_000)),
    )


def posted_form(form: Any) -> ProgrammeForm:
    """The editor's content from a posted form (or a dict of the same fields)."""
    languages = [code.strip() for code in _field(form, "languages", 200).replace(";", ",")
                 .split(",") if code.strip()]
    result = ProgrammeForm(name=_field(form, "name", 200), languages=languages,
                           clock=bool(form.get("clock")), extra=_json(_field(form, "extra",
                                                                              200_000)))
    langs = result.text_langs
    result.ticker = {lang: _field(form, f"ticker-{lang}") for lang in langs}
    count = min(_count(form, "item_count"), MAX_FORM_ITEMS)
    result.items = [_posted_item(form, f"item-{i}", langs, False) for i in range(count)]
    count = min(_count(form, "interrupt_count"), MAX_FORM_ITEMS)
    result.interrupts = [_posted_item(form, f"int-{i}", langs, True) for i in range(count)]
    return result


def _count(form: Any, name: str) -> int:
    text = _field(form, name, 6)
    return int(text) if text.isdigit() else 0


def apply_operation(form: ProgrammeForm, operation: str) -> bool:
    """Change the list of items as a button asks (``add-text``, ``dup-3``, ``up-3``, ``down-3``,
    ``remove-3``, ``add-interrupt``, ``remove-int-0``); False for an unknown operation."""
    verb, _, rest = operation.partition("-")
    if verb == "add" and rest in KINDS:
        form.items.append(ItemForm(kind=rest, id=_free_id(form, rest)))
        return True
    if operation == "add-interrupt":
        form.interrupts.append(ItemForm(kind="text", id=_free_id(form, "interrupt"), at="12:00"))
        return True
    target = form.items
    if rest.startswith("int-"):
        target, rest = form.interrupts, rest[4:]
    if not rest.isdigit() or int(rest) >= len(target):
        return False
    index = int(rest)
    if verb == "dup":
        copy = ItemForm(**{**target[index].__dict__})
        copy.text, copy.caption = dict(copy.text), dict(copy.caption)
        copy.extra, copy.days = json.loads(json.dumps(copy.extra)), list(copy.days)
        copy.id = _free_id(form, copy.id or copy.kind)
        target.insert(index + 1, copy)
    elif verb == "up" and index > 0:
        target[index - 1], target[index] = target[index], target[index - 1]
    elif verb == "down" and index + 1 < len(target):
        target[index + 1], target[index] = target[index], target[index + 1]
    elif verb == "remove":
        del target[index]
    elif verb not in ("up", "down"):
        return False
    return True


def _free_id(form: ProgrammeForm, stem: str) -> str:
    used = {i.id for i in form.items + form.interrupts}
    base = stem.rsplit("-", 1)[0] if stem.rsplit("-", 1)[-1].isdigit() else stem
    n = 1
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


__all__ = ["ItemForm", "ProgrammeForm", "document_form", "form_document", "dump_yaml",
           "posted_form", "apply_operation", "EDITOR_LANGS"]
