"""Which language codes a playlist may use: ISO 639-1, optionally with a BCP-47 script or region.

`vi`, `en`, `zh`, `zh-Hans`, `zh-Hant`, `zh-CN`, `pt-BR` are accepted; `cn` (a country, not a
language) is refused with the code that was meant. The list is ISO 639-1 as published by the
Library of Congress (184 codes); a short list kept here beats a dependency for `check`.
"""

from __future__ import annotations

import re

from player.i18n import _

ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz
ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln
lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi
pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti
tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())

# Country codes and habits people write where a language code belongs.
MEANT = {"cn": "zh", "vn": "vi", "jp": "ja", "us": "en", "gb": "en", "cz": "cs", "dk": "da",
         "gr": "el", "ua": "uk", "kh": "km", "chs": "zh-Hans", "cht": "zh-Hant",
         "zh-cn": "zh-CN", "zh-tw": "zh-TW", "eng": "en", "vie": "vi", "chi": "zh", "zho": "zh"}

# language, then an optional script (Hans) and/or region (CN, 419), as BCP-47 writes them
_TAG = re.compile(r"^(?P<lang>[a-z]{2})(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$")


def is_language_code(code: str) -> bool:
    match = _TAG.match(code)
    return match is not None and match.group("lang") in ISO_639_1


def meant_language(code: str) -> str | None:
    """The valid code that `code` (a country code, a misspelt tag) most likely stands for."""
    meant = MEANT.get(code.lower()) or MEANT.get(code.lower().replace("_", "-"))
    if meant is None and "_" in code:
        meant = _canonical(code.replace("_", "-"))
    if meant is None:
        meant = _canonical(code)
    return meant if meant != code else None


def language_problem(code: str) -> str | None:
    """Why `code` is not a language code a playlist can use, or None when it is one."""
    if is_language_code(code):
        return None
    meant = meant_language(code)
    if meant is not None:
        return _('"{code}" is not a language code (did you mean "{meant}"?)').format(
            code=code, meant=meant)
    return _('"{code}" is not a language code: use ISO 639-1 codes like vi, en, zh '
             "(optionally with a script or region, like zh-Hans)").format(code=code)


def _canonical(code: str) -> str | None:
    """`ZH-hans` -> `zh-Hans`: the same tag in BCP-47's letter case, if it is a valid one."""
    parts = code.split("-")
    if not parts or parts[0].lower() not in ISO_639_1:
        return None
    fixed = [parts[0].lower()]
    for part in parts[1:]:
        fixed.append(part.title() if len(part) == 4 else part.upper())
    tag = "-".join(fixed)
    return tag if _TAG.match(tag) else None
