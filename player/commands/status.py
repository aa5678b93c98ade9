"""`signage-player status`: the cluster's health from status.json, for a technician on site."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from player.core.config import DEFAULT_CONFIG_PATH
from player.core.config_reader import load_config_lenient
from player.i18n import _

HELP = "show the cluster's health (exit 1 when unhealthy)"


def pid_running(pid: int) -> bool:
    """True when a process with this id exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def config_problems(path: Path | None) -> tuple[Path, list[str]]:
    """(state folder, what is wrong with the device config): a broken config still leaves
    the state folder it names, or the default one, to read the status from."""
    config, problems = load_config_lenient(path)
    found = [str(p) for p in problems]
    if path is not None and not path.exists():
        found.insert(0, _("{path}: no such file").format(path=path))
    return config.state_dir, found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="PATH",
                        help="the device config (default /etc/signage-player/player.yaml)")
    parser.add_argument("--json", action="store_true",
                        help="print status.json (with the sync state and the verdict) as JSON")


def read_sync_state(state_dir: Path) -> dict:
    """The sync worker's state file (imported here: every command's module loads with the CLI)."""
    from player.sync.state import read_sync_state as read

    try:
        return read(state_dir)
    except (OSError, ValueError) as exc:
        return {"error": f"unreadable sync state: {exc}"}


def main(args: argparse.Namespace) -> int:
    from player.health.lifecycle import STATUS_FILE
    from player.health.status import read_status
    from player.health.summary import summary_text, unhealthy

    state_dir, problems = config_problems(args.config)
    status = read_status(state_dir / STATUS_FILE)
    sync_state = read_sync_state(state_dir)
    running = pid_running if _same_boot(status) else None
    first = [_("config: {problem}").format(problem=p) for p in problems]
    first += folder_problems(state_dir)
    reasons = first + [r for r in unhealthy(status, running=running) if r not in first]
    if args.json:
        out = {"healthy": not reasons, "reasons": reasons,
               "config": {"path": str(args.config or DEFAULT_CONFIG_PATH), "problems": problems},
               "status": status, "sync": sync_state, "remote": remote_commands(state_dir, True)}
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    else:
        sys.stdout.write(summary_text(status, sync_state, running=running, extra=first))
        sys.stdout.write(remote_commands(state_dir, False))
    return 1 if reasons else 0


def remote_commands(state_dir: Path, as_json: bool):  # noqa: ANN201 - list or text
    """The last remote commands from the hub (player.remote)."""
    from player.remote.status import recent_json, recent_text

    return recent_json(state_dir) if as_json else recent_text(state_dir)


def folder_problems(state_dir: Path) -> list[str]:
    """What `status` sees of the state folder itself, fresh, whatever status.json says (a
    read-only or full card cannot have written it)."""
    from player.health.status import DISK_FULL_BELOW

    try:
        st = os.statvfs(state_dir)
    except OSError:
        return []  # not there yet: status.json's absence says it
    if st.f_flag & os.ST_RDONLY:
        return [_("the state folder {path} is read-only: nothing can be saved (the card may be "
                  "failing)").format(path=state_dir)]
    if st.f_bavail * st.f_frsize < DISK_FULL_BELOW:
        return [_("the disk of the state folder {path} is full").format(path=state_dir)]
    return []


def _same_boot(status: dict | None) -> bool:
    """A pid means something only on the boot that wrote it (and on this machine)."""
    if not status or not status.get("boot_id"):
        return False
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return False
    return boot == status["boot_id"]
