"""Which playlist to play, and checking a playlist's media beyond its YAML."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from player.core.config import Config
from player.core.playlist import Playlist, load_playlist
from player.core.problems import LoadError, Problem
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
    return empty_playlist(), None, errors or ["no playlist configured and no release synced"]


def check_media(playlist: Playlist) -> list[Problem]:
    """Problems with the media files' contents (pictures decodable, videos openable)."""
    from player.render.images import verify_image

    problems = []
    file = str(playlist.path)
    entries = [(f"items[{i}]", item) for i, item in enumerate(playlist.items)]
    entries += [(f"interrupts[{i}]", it.item) for i, it in enumerate(playlist.interrupts)]
    entries += [(key, item) for key, item in (("emergency", playlist.emergency),
                                              ("fallback", playlist.fallback)) if item]
    checked: dict[str, str | None] = {}
    for key, item in entries:
        for field, name, kind in (("image", item.source, "image"), ("video", item.source, "video"),
                                  ("audio", item.audio, "audio"),
                                  ("style.background_image", item.style.background_image, "image")):
            if not name or (field in ("image", "video") and item.kind != field):
                continue
            if name not in checked:
                path = playlist.folder / name
                checked[name] = verify_image(path) if kind == "image" else _probe(path, kind)
            if checked[name]:
                problems.append(Problem(file, item.line, f"{key}.{field}", f'"{name}": {checked[name]}'))
    return problems


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


def with_problems(playlist: Playlist, extra: list[Problem]) -> Playlist:
    return replace(playlist, warnings=playlist.warnings + tuple(extra))
