"""`signage-player preview`: render the frame a screen would show to a PNG, without a screen."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from player.core.units import UnitError, parse_duration, parse_size

HELP = "render the frame the screen would show (offscreen) to a PNG file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", type=Path, metavar="PLAYLIST")
    parser.add_argument("--out", type=Path, required=True, metavar="FRAME.png")
    parser.add_argument("--item", metavar="ID", help="show this item (default: the one scheduled)")
    parser.add_argument("--at", metavar="ISO-TIME", help="the local time to schedule for, e.g. 2026-12-05T09:30")
    parser.add_argument("--size", default="1920x1080", help="screen size WxH (default 1920x1080)")
    parser.add_argument("--rotation", type=int, default=0, choices=(0, 90, 180, 270))
    parser.add_argument("--offset", default="0s", help="time into the item (alternate layouts), e.g. 6s")
    parser.add_argument("--config", type=Path, help="device config for fonts and fallback text")


def main(args: argparse.Namespace) -> int:
    from player.core.config_reader import load_config
    from player.core.playlist_reader import load_playlist
    from player.core.problems import LoadError
    from player.render.preview import PreviewError, render_preview

    try:
        size = parse_size(args.size)
        offset = parse_duration(args.offset)
        at = datetime.fromisoformat(args.at) if args.at else None
    except (UnitError, ValueError) as exc:
        print(f"signage-player preview: {exc}")
        return 2
    try:
        config = load_config(args.config, must_exist=args.config is not None)
        playlist = load_playlist(args.playlist)
    except LoadError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    try:
        shown = render_preview(playlist, args.out, config=config, item_id=args.item, at=at,
                               size=size, rotation=args.rotation, offset=offset)
    except PreviewError as exc:
        print(f"signage-player preview: {exc}")
        return 1
    except OSError as exc:
        print(f"signage-player preview: cannot write {args.out}: {exc.strerror}")
        return 1
    print(f"{args.out}: item {shown}, {size[0]}x{size[1]}, rotation {args.rotation}")
    return 0
