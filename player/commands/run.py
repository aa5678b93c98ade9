"""`signage-player run`: play full screen until stopped."""

from __future__ import annotations

import argparse
from pathlib import Path

from player.core.units import UnitError, parse_duration, parse_size

HELP = "play the playlist full screen (the service's main command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="device config (default /etc/signage-player/player.yaml)")
    parser.add_argument("--playlist", type=Path, help="play this playlist instead of the synced one")
    parser.add_argument("--exit-after", metavar="SECONDS", help="stop after this long (e.g. 30, 2m)")
    parser.add_argument("--headless", action="store_true",
                        help="run without a screen (SDL offscreen driver): tests, previews, demos")
    parser.add_argument("--size", help="screen size WxH instead of the config's (e.g. 1280x720)")


def main(args: argparse.Namespace) -> int:
    from player.render.heap import limit_arenas

    limit_arenas()  # before any thread: the decoders' freed pictures then stay reusable
    from player.app import run
    from player.runtime import RunOptions

    try:
        exit_after = parse_duration(args.exit_after) if args.exit_after else None
        size = parse_size(args.size) if args.size else None
    except UnitError as exc:
        print(f"signage-player run: {exc}")
        return 2
    return run(RunOptions(args.config, args.playlist, exit_after, args.headless, size))
