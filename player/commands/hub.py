"""`signage-player hub`: serve channels, receive heartbeats and show the fleet page.

Subcommands: `hub serve` (the default, so `hub --root R` still serves) and `hub migrate`.
Another subcommand is added by registering it in SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.problems import LoadError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

HELP = "run the centre's hub: serve channels, receive heartbeats, show the fleet page"
log = logging.getLogger(__name__)


def add_common(parser: argparse.ArgumentParser, default: object = None) -> None:
    """--root and --config, accepted before or after the subcommand."""
    parser.add_argument("--root", type=Path, default=default,
                        help="folder holding channels/NAME/ (and hub.sqlite by default)")
    parser.add_argument("--config", type=Path, default=default,
                        help="hub config file (default ROOT/hub.yaml)")


def add_serve_arguments(parser: argparse.ArgumentParser, default: object = "127.0.0.1:8080") -> None:
    parser.add_argument("--listen", default=default, metavar="HOST:PORT",
                        help="address to listen on (default 127.0.0.1:8080; put nginx in front "
                             "for TLS, see docs/deploy.md)")


# name -> (help, add_arguments, main); `hub user` is added here by the accounts code.
SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                             Callable[[argparse.Namespace], int]]] = {}


def _register_user_command() -> None:
    from player.commands import hub_user

    SUBCOMMANDS["user"] = (hub_user.HELP, hub_user.add_arguments, hub_user.main)


_register_user_command()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    add_serve_arguments(parser)
    sub = parser.add_subparsers(dest="hub_command", metavar="{" + ",".join(_names()) + "}")
    for name, (help_text, add, _main) in _subcommands().items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        add_common(child, argparse.SUPPRESS)
        add(child)


def _subcommands() -> dict:
    return {"serve": ("serve the hub (the default)",
                      lambda parser: add_serve_arguments(parser, argparse.SUPPRESS), serve),
            "migrate": ("bring the hub's database schema up to date, then exit",
                        lambda _parser: None, migrate_command),
            **SUBCOMMANDS}


def _names() -> list[str]:
    return list(_subcommands())


def main(args: argparse.Namespace) -> int:
    if args.root is None:
        log.error("hub: --root is required (the folder holding channels/ and hub.sqlite)")
        return 2
    name = getattr(args, "hub_command", None) or "serve"
    return _subcommands()[name][2](args)


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f'--listen: expected HOST:PORT like 127.0.0.1:8080, got "{text}"')
    return host.strip("[]") or "127.0.0.1", int(port)


def load_config(args: argparse.Namespace):  # -> HubConfig | None
    from player.hub.config import HubConfig, load_hub_config

    config_path = args.config or args.root / "hub.yaml"
    try:
        if args.config is None and not config_path.exists():
            log.warning("%s does not exist: no cluster can report and uploads are off",
                        config_path)
            return HubConfig()
        return load_hub_config(config_path)
    except LoadError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        return None


@contextlib.contextmanager
def migrated_engine(args: argparse.Namespace) -> Iterator[Engine | None]:
    """The hub's database engine with its schema brought up to date, disposed of on leaving;
    None when the hub config has errors (they are logged). SQLAlchemyError from the
    migration reaches the caller, who knows which command failed."""
    from player.hub.database import make_engine, migrate

    config = load_config(args)
    if config is None:
        yield None
        return
    engine = make_engine(config.database_url(args.root))
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


def migrate_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from player.hub.database import current_revision

    try:
        with migrated_engine(args) as engine:
            if engine is None:
                return 1
            print(f"hub database at revision {current_revision(engine)}")
    except SQLAlchemyError as exc:
        log.error("cannot migrate the hub database: %s", exc)
        return 1
    return 0


def serve(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from player.hub.server import run

    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    config = load_config(args)
    if config is None:
        return 1

    def ready(url: str) -> None:
        print(f"hub serving {args.root} at {url} (fleet page: {url}, "
              f"{len(config.clusters)} cluster(s))", flush=True)

    # uvicorn stops on SIGTERM and then raises it again once it has finished; a handler of our
    # own turns that second delivery into a clean exit 0 for systemd.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        args.root.mkdir(parents=True, exist_ok=True)
        run(args.root, config, host, port, ready)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        log.error("cannot serve on %s:%d: %s", host, port, exc.strerror or exc)
        return 3
    except SQLAlchemyError as exc:
        log.error("cannot open the hub database: %s", exc)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
