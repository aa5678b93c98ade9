"""Messages in the technician's language: Vietnamese when the locale says so, English otherwise.

Commands a technician runs (`check`, `status`, `sync --once`) wrap their messages in `_()`;
catalogs live in player/data/locale/<lang>/LC_MESSAGES/signage-player.mo. The language is read
from the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) at the first call, as gettext does.

The translations are written in `signage-player.po` beside each `.mo`; a part of the catalog
kept by another module's maintainers may sit there too as `*.po-part` (same format). After
editing any of them, compile the `.mo` that ships with the package (needs Babel, a test
dependency; the player itself reads the `.mo` with the standard library):

    .venv/bin/python -m player.i18n

tests/test_i18n.py fails while a committed `.mo` is out of date with its sources.
"""

from __future__ import annotations

import contextlib
import gettext
import io
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "signage-player"
LOCALE_DIR = Path(__file__).parent / "data" / "locale"


@cache
def translations() -> gettext.NullTranslations:
    """The catalog for the environment's language (English, untranslated, when there is none)."""
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), fallback=True)


@cache
def catalog_for(lang: str) -> gettext.NullTranslations:
    """The catalog of one language, whatever the environment says (the hub's pages)."""
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


# A web page speaks the language its reader chose, not the server's: validation run for a page
# is wrapped in ``language(...)``; a context variable keeps concurrent requests apart.
_override: ContextVar[str | None] = ContextVar("signage_language", default=None)


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Within the block, messages built in this thread or task are in ``lang`` (vi, en)."""
    token = _override.set(lang)
    try:
        yield
    finally:
        _override.reset(token)


def _current() -> gettext.NullTranslations:
    lang = _override.get()
    return translations() if lang is None else catalog_for(lang)


def reset() -> None:
    """Forget the chosen catalog, so a changed environment takes effect (tests, `--lang`)."""
    translations.cache_clear()


def _(message: str) -> str:
    """`message` in the technician's language."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for `count`, in the technician's language."""
    return _current().ngettext(singular, plural, count)


# -- building the catalogs (developers only) -------------------------------------------------


def source_files(po: Path) -> list[Path]:
    """The catalog's sources: its `.po`, then every `*.po-part` beside it, in name order."""
    return [po, *sorted(po.parent.glob("*.po-part"))]


def merged_catalog(po: Path):  # noqa: ANN201 - a babel Catalog; Babel is not a runtime dependency
    """The `.po` with every `*.po-part` beside it merged in (a part fills or adds messages)."""
    from babel.messages.pofile import read_po

    with open(po, "rb") as handle:
        catalog = read_po(handle)
    for part in source_files(po)[1:]:
        with open(part, "rb") as handle:
            for message in read_po(handle, locale=catalog.locale):
                if not message.id:
                    continue  # the part's own header
                current = catalog.get(message.id, message.context)
                if current is None:
                    catalog[message.id] = message
                elif message.string and not current.string:
                    current.string = message.string
    return catalog


def compile_catalog(po: Path) -> bytes:
    """The `.mo` bytes for `po` and its parts (fuzzy and untranslated messages left out)."""
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, merged_catalog(po), use_fuzzy=False)
    return out.getvalue()


def catalog_sources(root: Path = LOCALE_DIR) -> list[Path]:
    """Every `<lang>/LC_MESSAGES/signage-player.po` under `root`."""
    return sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def main(argv: list[str] | None = None) -> int:
    """Compile every catalog's `.po` (and parts) into the `.mo` the package ships."""
    for po in catalog_sources():
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_catalog(po))
        print(f"{mo.relative_to(LOCALE_DIR.parent.parent.parent)}: from "
              f"{', '.join(p.name for p in source_files(po))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
