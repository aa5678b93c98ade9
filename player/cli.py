"""The `signage-player` command: one sub-command per module in `player.commands`.

Each command module defines `HELP` (one line), `add_arguments(parser)` and `main(args) -> int`.
Exit codes: 0 success, 1 the thing checked is not well (bad file, unhealthy cluster, failed
sync), 2 wrong usage, 3 the environment cannot do it (no display, no permission).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from player import __version__
from player.i18n import _

COMMANDS = ("run", "check", "preview", "status", "sync", "keygen", "publish", "hub", "demo")

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signage-player",
        description=_("Plays signed playlists of images, video and bilingual text on a cluster's "
                      "screen, syncs content from the culture centre and reports the cluster's health."),
    )
    parser.add_argument("--version", action="version", version=f"signage-player {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log debugging detail"))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"player.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"player.commands.{name}":
                continue
            raise
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.main)
    return parser


def configure_logging(verbose: bool, level: str = "info") -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, level.upper(), logging.INFO),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if next((a for a in arguments if not a.startswith("-")), None) == "run":
        # Before the sub-commands are imported: a SIGTERM during start-up is then a clean stop
        # (exit 0) rather than the default action killing the player half-started.
        from player.signals import install_stop_signals

        install_stop_signals()
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    configure_logging(args.verbose)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
