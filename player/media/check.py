"""Checking a playlist's media beyond its YAML: what `check` and `publish` accept.

Every file is looked inside (decoded, not just present): pictures with Pillow, sound and video
with PyAV, imported only when a playlist has such a file. Nothing here needs a screen.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from player.core.playlist import Playlist
from player.core.playlist_reader import load_playlist
from player.core.problems import LoadError, Problem
from player.core.readability import readability_problems
from player.fonts import CJK_LANGUAGES, cjk_font, needs_cjk


def media_check(path: Path, kind: str) -> str | None:
    """Why a media file cannot be played (decoded, not just present), or None."""
    if kind == "image":
        from player.media.images import verify_image

        return verify_image(path)
    return _probe(path, kind)


def load_checked(path: Path) -> Playlist:
    """Load a playlist and look inside every media file: what `check` and `publish` accept.

    Texts are held against the readability rule (player/core/readability.py): too long to
    read in their time or for the screen is a warning; longer than the player lays out, an error.
    """
    playlist = load_playlist(path, media_check)
    found = readability_problems(playlist)
    if any(p.severity == "error" for p in found):
        raise LoadError(sorted([*playlist.warnings, *found], key=lambda p: p.line or 0))
    return replace(playlist, warnings=playlist.warnings + tuple(found))


def _probe(path: Path, kind: str) -> str | None:
    # PyAV is loaded here, for a sound or video file, and not before.
    from player.media.probe import MediaError, probe_media

    try:
        info = probe_media(path)
    except MediaError as exc:
        return str(exc)
    if kind == "video" and not info.has_video:
        return "has no video stream"
    if kind == "audio" and not info.has_audio:
        return "has no audio stream"
    return None


def check_fonts(playlist: Playlist, configured: str = "", index: int | None = None) -> list[Problem]:
    """A warning when the playlist needs Chinese (or other CJK) text and no font has it."""
    texts = []
    for item in playlist.items:
        texts += list((item.text or {}).values()) + list((item.caption or {}).values())
    if playlist.ticker:
        texts += list(playlist.ticker.text.values())
    wants = any(lang.lower() in CJK_LANGUAGES for lang in playlist.languages) or any(map(needs_cjk, texts))
    if wants and cjk_font(configured, index) is None:
        return [Problem(str(playlist.path), 1, "languages",
                        "no Chinese font on this machine: Chinese text will not be shown "
                        "(apt install fonts-noto-cjk, or set fonts.cjk in the config)", "warning")]
    return []
