"""`signage-player publish`: turn a playlist folder into the next signed version of a channel."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from pathlib import Path

HELP = "publish a playlist folder as a signed channel any web server can serve"
_DAYS = re.compile(r"\s*(\d+)\s*d\s*")


def parse_expiry(text: str) -> timedelta:
    """`45d`, `12h`, `90m`: how long players may install this version after it is issued."""
    from player.core.units import UnitError, parse_duration

    match = _DAYS.fullmatch(text)
    if match:
        seconds = int(match.group(1)) * 86400.0
    else:
        try:
            seconds = parse_duration(text)
        except UnitError as exc:
            raise argparse.ArgumentTypeError(f"{exc} (or days, like 45d)") from None
    if seconds < 60:
        raise argparse.ArgumentTypeError("expected an expiry of at least a minute, like 45d")
    return timedelta(seconds=seconds)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", type=Path, metavar="SRC_FOLDER",
                        help="folder with playlist.yaml and the media it references")
    parser.add_argument("--channel", required=True, help="channel name, like ban-gioc")
    parser.add_argument("--key", type=Path, required=True, metavar="KEYFILE",
                        help="private key from `signage-player keygen`")
    parser.add_argument("--out", type=Path, required=True, metavar="CHANNEL_FOLDER",
                        help="the channel folder to update (created if missing)")
    parser.add_argument("--expires", type=parse_expiry, default=timedelta(days=45),
                        metavar="DURATION",
                        help="players refuse to install this version after (default 45d)")
    parser.add_argument("--to", metavar="HUB_URL", help="then upload the channel to this hub")
    parser.add_argument("--token", default="", help="the hub's publishing token (with --to)")


def main(args: argparse.Namespace) -> int:
    from player.channel import keys
    from player.channel.publish import PublishError, publish
    from player.core.manifest import format_time
    from player.core.problems import LoadError

    if args.to and not args.token:
        print("--to needs --token (the hub's publishing token)")
        return 2
    try:
        key = keys.load_private_key(args.key)
    except keys.KeyFileError as exc:
        print(exc)
        return 1
    try:
        result = publish(args.src, args.out, args.channel, key, args.expires)
    except LoadError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{args.src / 'playlist.yaml'}: not published (fix the errors above)")
        return 1
    except PublishError as exc:
        for reason in exc.problems:
            print(reason)
        print("not published")
        return 1
    except OSError as exc:
        print(f"cannot write {exc.filename or args.out}: {exc.strerror}")
        return 3
    for warning in result.warnings:
        print(warning)
    m = result.manifest
    print(f"published {m.channel} version {m.version} in {args.out}: {len(m.files)} files, "
          f"{m.total_size} bytes ({result.new_objects} new objects, {result.new_bytes} bytes); "
          f"players install it until {format_time(m.expires)}")
    print(f"signed by {keys.public_key_text(key)}")
    if args.to:
        return _upload(args.out, args.to, args.token)
    return 0


def _upload(out: Path, hub_url: str, token: str) -> int:
    from player.hub.client import UploadError, upload_channel

    try:
        upload_channel(out, hub_url, token)
    except UploadError as exc:
        print(f"upload failed: {exc}")
        return 1
    print(f"uploaded to {hub_url}")
    return 0
