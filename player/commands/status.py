"""`signage-player status`: the cluster's health from status.json, for a technician on site."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from player.core.config import LoadError, load_config

HELP = "show the cluster's health (exit 1 when unhealthy)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="PATH",
                        help="the device config (default /etc/signage-player/player.yaml)")
    parser.add_argument("--json", action="store_true",
                        help="print status.json (with the sync state and the verdict) as JSON")


def read_sync_state(state_dir: Path) -> dict | None:
    """The sync worker's state file, when that part of the player is installed."""
    try:
        from player.sync.state import read_sync_state as read
    except ImportError:
        return None
    try:
        state = read(state_dir)
    except (OSError, ValueError) as exc:
        return {"error": f"unreadable sync state: {exc}"}
    if state is None or isinstance(state, dict):
        return state
    return getattr(state, "__dict__", None) or {"state": str(state)}


def main(args: argparse.Namespace) -> int:
    from player.health.status import read_status, summary_text, unhealthy
    from player.health.worker import STATUS_FILE

    try:
        config = load_config(args.config, must_exist=args.config is not None)
    except LoadError as exc:
        print(exc, file=sys.stderr)
        return 1
    status = read_status(config.state_dir / STATUS_FILE)
    sync_state = read_sync_state(config.state_dir)
    reasons = unhealthy(status)
    if args.json:
        out = {"healthy": not reasons, "reasons": reasons, "status": status, "sync": sync_state}
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    else:
        sys.stdout.write(summary_text(status, sync_state))
    return 1 if reasons else 0
