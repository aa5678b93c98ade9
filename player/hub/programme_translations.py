"""Which texts of a programme are translated, missing, or stale.

A translation remembers the Vietnamese it was made from (``basis``, a hash per text and
language, carried across saves by ``new_basis``); when the Vietnamese changes afterwards the
translation is shown as stale until someone edits it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from player.hub.programme_form import EDITOR_LANGS


def vi_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def text_fields(data: Any) -> dict[str, dict[str, str]]:
    """Every translatable text of a document: ``items[2].text`` -> {lang: text}."""
    found: dict[str, dict[str, str]] = {}
    if not isinstance(data, dict):
        return found
    for group in ("items", "interrupts"):
        entries = data.get(group)
        for index, item in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(item, dict):
                continue
            name = str(item.get("id") or f"{group}[{index}]")
            for key in ("text", "caption"):
                value = item.get(key)
                if isinstance(value, dict):
                    found[f"{name}.{key}"] = {str(k): str(v) for k, v in value.items() if v}
                elif isinstance(value, str):
                    found[f"{name}.{key}"] = {"vi": value}
    overlays = data.get("overlays")
    ticker = overlays.get("ticker") if isinstance(overlays, dict) else None
    if isinstance(ticker, dict) and isinstance(ticker.get("text"), dict):
        found["ticker.text"] = {str(k): str(v) for k, v in ticker["text"].items() if v}
    return found


def languages_of(data: Any) -> list[str]:
    languages = data.get("languages") if isinstance(data, dict) else None
    if isinstance(languages, list) and languages:
        return [str(x) for x in languages]
    return ["vi", "en"]


def new_basis(old_data: Any, new_data: Any, old_basis: dict) -> dict:
    """The Vietnamese each translation was made from, carried across a save: a translation
    that changed (or is new) in this save was made from the Vietnamese saved with it."""
    old_fields = text_fields(old_data)
    basis: dict[str, dict[str, str]] = {}
    for name, texts in text_fields(new_data).items():
        vi = texts.get("vi", "")
        before = old_fields.get(name, {})
        kept = old_basis.get(name, {})
        basis[name] = {}
        for lang, value in texts.items():
            if lang == "vi":
                continue
            if lang in kept and before.get(lang) == value:
                basis[name][lang] = kept[lang]
            else:
                basis[name][lang] = vi_hash(vi)
    return basis


@dataclass(frozen=True)
class TranslationCell:
    state: str  # ok | missing | stale (Vietnamese changed after the translation) | source
    text: str


@dataclass(frozen=True)
class TranslationRow:
    field: str
    cells: tuple[tuple[str, TranslationCell], ...]


def translation_table(data: Any, basis: dict) -> tuple[list[str], list[TranslationRow]]:
    """Languages (the playlist's, vi/en/zh at least) and one row per text."""
    langs = list(dict.fromkeys(languages_of(data) + list(EDITOR_LANGS)))
    shown = languages_of(data)
    rows = []
    for name, texts in text_fields(data).items():
        vi = texts.get("vi", "")
        cells = []
        for lang in langs:
            value = texts.get(lang, "")
            if lang == "vi":
                state = "source" if value else "missing"
            elif not value:
                state = "missing" if lang in shown else "unused"
            elif vi and basis.get(name, {}).get(lang, vi_hash(vi)) != vi_hash(vi):
                state = "stale"
            else:
                state = "ok"
            cells.append((lang, TranslationCell(state, value)))
        rows.append(TranslationRow(name, tuple(cells)))
    return langs, rows


def missing_translations(data: Any) -> list[str]:
    """``field: lang`` for every text lacking one of the playlist's languages."""
    _langs, rows = translation_table(data, {})
    return [f"{row.field}: {lang}" for row in rows for lang, cell in row.cells
            if cell.state == "missing"]


__all__ = ["new_basis", "translation_table", "missing_translations", "TranslationRow",
           "TranslationCell"]
