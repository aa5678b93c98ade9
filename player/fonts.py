"""Finding fonts on this machine, without pygame, so `check` can warn about missing scripts."""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from player.core.readability import is_cjk

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent.parent / "assets"
BUNDLED_LATIN = ASSETS / "fonts" / "NotoSans-Regular.ttf"
SYSTEM_LATIN = ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
                "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CJK_QUERIES = ("Noto Sans CJK SC:lang=zh-cn", "Noto Sans SC", "Source Han Sans SC",
               "WenQuanYi Micro Hei", "Droid Sans Fallback", ":lang=zh-cn")
CJK_LANGUAGES = ("zh", "zh-hans", "zh-cn", "ja", "ko")

__all__ = ["FontFile", "latin_font", "cjk_font", "is_cjk", "needs_cjk"]


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int = 0


def latin_font(configured: str = "") -> FontFile | None:
    """The font for Vietnamese and other Latin-script text: configured, bundled or system."""
    for candidate in ([configured] if configured else []) + [str(BUNDLED_LATIN), *SYSTEM_LATIN]:
        if candidate and Path(candidate).is_file():
            return FontFile(Path(candidate))
    return None


def cjk_font(configured: str = "", index: int | None = None) -> FontFile | None:
    """A Simplified Chinese face: configured, or found through fontconfig (`fc-match`)."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            return None
        return FontFile(path, index if index is not None else _sc_index(path))
    for query in CJK_QUERIES:
        found = _fc_match(query)
        if found:
            return found
    return None


def _sc_index(path: Path) -> int:
    """In Noto/Source Han collections face 0 is Japanese; ask fontconfig for the SC face."""
    if path.suffix.lower() != ".ttc":
        return 0
    found = _fc_match(f"Noto Sans CJK SC:lang=zh-cn:file={path}")
    return found.index if found and found.path == path else 2


def _fc_match(query: str) -> FontFile | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}\t%{index}\t%{lang}", query],
                             capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, rest = out.partition("\t")
    index, _, langs = rest.partition("\t")
    if not file or "zh-cn" not in langs.split("|"):
        return None
    return FontFile(Path(file), int(index or 0))


def needs_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)
