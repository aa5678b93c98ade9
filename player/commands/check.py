"""`signage-player check`: validate the device config and playlists with their media."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "check the device config and playlists (and their media); exit 1 on any error"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="device config (default /etc/signage-player/player.yaml)")
    parser.add_argument("playlists", nargs="*", type=Path, metavar="PLAYLIST",
                        help="playlist files (default: the config's playlist)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only")


def main(args: argparse.Namespace) -> int:
    from player.content import check_fonts, load_checked
    from player.core.config import Config, load_config
    from player.core.problems import LoadError, Problem

    problems: list[Problem] = []
    config = Config()
    try:
        config = load_config(args.config, must_exist=args.config is not None)
        problems += list(config.warnings)
        if not args.quiet and args.config is not None:
            print(f"ok: {args.config}: device config")
    except LoadError as exc:
        problems += list(exc.problems)
    paths = list(args.playlists) or ([config.playlist] if config.playlist else [])
    for path in paths:
        try:
            playlist = load_checked(path)
        except LoadError as exc:
            problems += list(exc.problems)
            continue
        found = list(playlist.warnings) + check_fonts(
            playlist, config.fonts.cjk, config.fonts.cjk_index)
        problems += found
        if not args.quiet and not any(p.severity == "error" for p in found):
            print(f"ok: {path}: {playlist.name}, {len(playlist.items)} items, "
                  f"{len(playlist.media_files())} media files, languages {', '.join(playlist.languages)}")
    for problem in sorted(problems, key=lambda p: (p.file, p.line or 0)):
        print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        print(f"{errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if errors else 0
