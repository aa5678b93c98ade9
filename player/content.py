"""Which playlist to play: a synced release, the one before it, the config's, the demo.

The releases come from a lookup the caller hands in (`player.sync.store.releases_to_play` when
the player runs), so choosing imports nothing of sync or render.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from player.core.config import Config
from player.core.playlist import Playlist
from player.core.playlist_reader import load_playlist
from player.core.problems import LoadError

log = logging.getLogger(__name__)

DEMO_PLAYLIST = Path(__file__).resolve().parent.parent / "playlists" / "ban-gioc" / "playlist.yaml"


def empty_playlist(languages: tuple[str, ...] = ("vi", "en")) -> Playlist:
    """A playlist with nothing scheduled: the loop shows the fallback slide."""
    return Playlist(name="(none)", path=Path("/nonexistent/playlist.yaml"), languages=languages, items=())


Releases = Callable[[Path], list[tuple[int, Path, str]]]  # state folder -> (version, playlist, origin)


def no_releases(state_dir: Path) -> list[tuple[int, Path, str]]:
    return []


def candidates(config: Config, explicit: Path | None,
               releases: Releases = no_releases) -> list[tuple[Path, int | None, str]]:
    """Playlists to try, best first: (path, release version, where it came from)."""
    if explicit is not None:
        return [(explicit, None, "--playlist")]
    found: list[tuple[Path, int | None, str]] = [(path, version, origin)
                                                 for version, path, origin in releases(config.state_dir)]
    if config.playlist is not None:
        found.append((config.playlist, None, "config playlist"))
    if not config.sync.sources and config.playlist is None:
        found.append((DEMO_PLAYLIST, None, "built-in demo"))
    return found


def choose_playlist(config: Config, explicit: Path | None,
                    releases: Releases = no_releases) -> tuple[Playlist, int | None, list[str]]:
    """The first candidate that loads; otherwise an empty playlist (fallback slide) and why."""
    errors: list[str] = []
    for path, release, origin in candidates(config, explicit, releases):
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
