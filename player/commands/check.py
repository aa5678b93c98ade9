"""`signage-player check`: validate the device config and playlists with their media."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from player.i18n import _

if TYPE_CHECKING:
    from player.core.config import Config
    from player.core.problems import Problem

HELP = _("check the device config and playlists (and their media); exit 1 on any error")
EMERGENCY_FILE = "emergency.yaml"  # the name the player looks for beside its config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="device config (default /etc/signage-player/player.yaml)")
    parser.add_argument("playlists", nargs="*", type=Path, metavar="PLAYLIST",
                        help="playlist files (default: the config's playlist)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only")


def main(args: argparse.Namespace) -> int:
    from player.core.config import DEFAULT_CONFIG_PATH, Config
    from player.core.config_reader import load_config
    from player.core.problems import LoadError

    if args.config is None and not args.playlists and not DEFAULT_CONFIG_PATH.exists():
        print(_("nothing to check: there is no device config at {path}").format(path=DEFAULT_CONFIG_PATH))
        print(_("give the config or a playlist: signage-player check --config FILE, "
                "or signage-player check PLAYLIST.yaml"))
        return 2
    problems: list[Problem] = []
    config = Config()
    try:
        config = load_config(args.config, must_exist=args.config is not None)
        problems += list(config.warnings)
        if not args.quiet and config.source != "(defaults)":
            print(_("ok: {path}: device config").format(path=config.source))
    except LoadError as exc:
        problems += list(exc.problems)
    paths = list(args.playlists) or ([config.playlist] if config.playlist else [])
    languages = check_playlists(paths, config, problems, args.quiet)
    source = args.config if args.config is not None else (
        Path(config.source) if config.source != "(defaults)" else None)
    if source is not None:
        check_emergency(source.parent / EMERGENCY_FILE, languages, problems, args.quiet)
    for problem in sorted(problems, key=lambda p: (p.file, p.line or 0)):
        print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        print(_("{errors} error(s), {warnings} warning(s)").format(
            errors=errors, warnings=len(problems) - errors))
    return 1 if errors else 0


def check_playlists(paths: list[Path], config: Config, problems: list[Problem],
                    quiet: bool) -> tuple[str, ...]:
    """Check each playlist with its media; the languages of the last good one (or vi, en)."""
    from player.core.problems import LoadError
    from player.media.check import check_fonts, load_checked

    languages: tuple[str, ...] = ("vi", "en")
    for path in paths:
        try:
            playlist = load_checked(path)
        except LoadError as exc:
            problems += list(exc.problems)
            continue
        languages = playlist.languages
        found = list(playlist.warnings) + check_fonts(
            playlist, config.fonts.cjk, config.fonts.cjk_index)
        problems += found
        if not quiet and not any(p.severity == "error" for p in found):
            print(_("ok: {path}: {name}, {items} items, {files} media files, languages {languages}").format(
                path=path, name=playlist.name, items=len(playlist.items),
                files=len(playlist.media_files()), languages=", ".join(playlist.languages)))
    return languages


def check_emergency(path: Path, languages: tuple[str, ...], problems: list[Problem],
                    quiet: bool) -> None:
    """The emergency message the player would put up from `path`, when the file is there."""
    from player.core.emergency import load_emergency
    from player.core.problems import LoadError

    if not path.exists():
        return
    try:
        load_emergency(path, languages)
    except LoadError as exc:
        problems += list(exc.problems)
        return
    if not quiet:
        print(_("ok: {path}: emergency message (shown over everything while the file is there)"
                ).format(path=path))
