"""Which playlist to play, and checking a playlist's media beyond its YAML."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from player.core.config import Config
from player.core.playlist import Playlist, load_playlist
from player.core.problems import LoadError, Problem
from player.core.readability import readability_problems
from player.fonts import CJK_LANGUAGES, cjk_font, needs_cjk

log = logging.getLogger(__name__)

DEMO_PLAYLIST = Path(__file__).resolve().parent.parent / "playlists" / "ban-gioc" / "playlist.yaml"


def empty_playlist(languages: tuple[str, ...] = ("vi", "en")) -> Playlist:
    """A playlist with nothing scheduled: the loop shows the fallback slide."""
    return Playlist(name="(none)", path=Path("/nonexistent/playlist.yaml"), languages=languages, items=())


def synced_release(state_dir: Path) -> tuple[int, Path] | None:
    try:
        from player.sync.store import current_release
    except ImportError:
        return None
    try:
        return current_release(state_dir)
    except Exception as exc:  # a damaged store must not stop the screen
        log.error("cannot read the synced release in %s: %s", state_dir, exc)
        return None


def candidates(config: Config, explicit: Path | None) -> list[tuple[Path, int | None, str]]:
    """Playlists to try, best first: (path, release version, where it came from)."""
    if explicit is not None:
        return [(explicit, None, "--playlist")]
    found: list[tuple[Path, int | None, str]] = []
    release = synced_release(config.state_dir)
    if release is not None:
        found.append((release[1], release[0], f"release {release[0]}"))
        try:
            from player.sync.store import previous_release

            previous = previous_release(config.state_dir)
            if previous is not None:
                found.append((previous[1], previous[0], f"previous release {previous[0]}"))
        except Exception as exc:
            log.debug("no previous release: %s", exc)
    if config.playlist is not None:
        found.append((config.playlist, None, "config playlist"))
    if not config.sync.sources and config.playlist is None:
        found.append((DEMO_PLAYLIST, None, "built-in demo"))
    return found


def choose_playlist(config: Config, explicit: Path | None) -> tuple[Playlist, int | None, list[str]]:
    """The first candidate that loads; otherwise an empty playlist (fallback slide) and why."""
    errors: list[str] = []
    for path, release, origin in candidates(config, explicit):
        try:
            playlist = load_playlist(path)
        except LoadError as exc:
            errors.append(f"{origin} ({path}) refused:\n  " + "\n  ".join(map(str, exc.problems)))
            continue
        log.info("playing %s from %s", playlist.name, origin)
        return playlist, release, errors
    if not errors:
        log.info("no release synced yet and no local playlist: showing the fallback slide "
                 "until the first release arrives")
    return empty_playlist(), None, errors


def media_check(path: Path, kind: str) -> str | None:
    """Why a media file cannot be played (decoded, not just present), or None."""
    if kind == "image":
        from player.render.images import verify_image

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
    try:
        from player.render.probe import MediaError, probe_media
    except ImportError:
        return None
    try:
        info = probe_media(path)
    except MediaError as exc:
        return str(exc)
    if kind == "video" and not getattr(info, "has_video", True):
        return "has no video stream"
    if kind == "audio" and not getattr(info, "has_audio", True):
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
