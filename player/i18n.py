"""Messages in the technician's language: Vietnamese when the locale says so, English otherwise.

Commands a technician runs (`check`, `status`, `sync --once`) wrap their messages in `_()`;
catalogs live in player/data/locale/<lang>/LC_MESSAGES/signage-player.mo. The language is read
from the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) at the first call, as gettext does.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "signage-player"
LOCALE_DIR = Path(__file__).parent / "data" / "locale"


@cache
def translations() -> gettext.NullTranslations:
    """The catalog for the environment's language (English, untranslated, when there is none)."""
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), fallback=True)


def reset() -> None:
    """Forget the chosen catalog, so a changed environment takes effect (tests, `--lang`)."""
    translations.cache_clear()


def _(message: str) -> str:
    """`message` in the technician's language."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for `count`, in the technician's language."""
    return translations().ngettext(singular, plural, count)
