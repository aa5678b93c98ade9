"""`signage-player hub`: serve channels, receive heartbeats and show the fleet page."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from player.core.problems import LoadError

HELP = "run the centre's hub: serve channels, receive heartbeats, show the fleet page"
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, required=True,
                        help="folder holding channels/NAME/ (and hub.sqlite by default)")
    parser.add_argument("--listen", default="127.0.0.1:8080", metavar="HOST:PORT",
                        help="address to listen on (default 127.0.0.1:8080; put nginx in front "
                             "for TLS, see docs/deploy.md)")
    parser.add_argument("--config", type=Path, default=None,
                        help="hub config file (default ROOT/hub.yaml)")


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f'--listen: expected HOST:PORT like 127.0.0.1:8080, got "{text}"')
    return host.strip("[]") or "127.0.0.1", int(port)


def main(args: argparse.Namespace) -> int:
    from player.hub.config import HubConfig, load_hub_config
    from player.hub.server import HubServer

    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    config_path = args.config or args.root / "hub.yaml"
    try:
        if args.config is None and not config_path.exists():
            log.warning("%s does not exist: no cluster can report and uploads are off",
                        config_path)
            config = HubConfig()
        else:
            config = load_hub_config(config_path)
    except LoadError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        return 1
    try:
        args.root.mkdir(parents=True, exist_ok=True)
        server = HubServer((host, port), args.root, config)
    except OSError as exc:
        log.error("cannot serve on %s:%d: %s", host, port, exc.strerror or exc)
        return 3
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(f"hub serving {args.root} at {server.url} (fleet page: {server.url}, "
          f"{len(config.clusters)} cluster(s))", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    return 0
