"""How a run of the player began and ended: `exit.json`, the clean-stop mark, process uptime.

`exit.json` says `running` (with pid and boot id) while the player runs and `stopped` (with the
reason) after a clean stop; the next start reads it to tell a clean stop, a crash and a power cut
apart, and a worker restarted inside the same process from either.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from player.health.reports import iso
from player.health.status import read_status, write_atomic

log = logging.getLogger(__name__)

STATUS_FILE = "status.json"
EXIT_FILE = "exit.json"


def process_uptime(proc: Path = Path("/proc")) -> float | None:
    """Seconds since this process started, from the kernel's boot-relative start time (a
    clock set forward or back does not change it); None where /proc cannot say."""
    try:
        fields = (proc / "self" / "stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of proc_pid_stat(5)
        return max(0.0, float((proc / "uptime").read_text().split()[0]) - started)
    except (OSError, ValueError, IndexError):
        return None


def mark_clean_exit(state_dir: Path, reason: str = "stopped") -> None:
    """Record a clean stop, so the next start reports `restarted` with this reason, and say in
    status.json that the player stopped (`status` shows it instead of the last state)."""
    stopped = {"state": "stopped", "reason": reason, "time": iso(), "pid": os.getpid()}
    try:
        write_atomic(state_dir / EXIT_FILE, json.dumps(stopped) + "\n")
    except OSError as exc:
        log.warning("cannot record the clean stop in %s: %s", state_dir, exc)
    status = read_status(state_dir / STATUS_FILE)
    if status is None or status.get("pid") != os.getpid():
        return  # another run's file, or none: nothing of ours to correct
    status["state"] = "stopped"
    status["stopped"] = {"time": stopped["time"], "reason": reason}
    player = status.get("player") or {}
    player["item"] = None
    status["player"] = player
    try:
        write_atomic(state_dir / STATUS_FILE, json.dumps(status, indent=2, ensure_ascii=False))
    except OSError as exc:
        log.warning("cannot mark %s as stopped: %s", state_dir / STATUS_FILE, exc)


def previous_exit(state_dir: Path, boot_id: str,
                  pid: int | None = None) -> tuple[str, str, dict]:
    """(severity, message, details) describing how the previous run ended; severity "" when
    the previous record is this very process (the worker restarted for a changed config)."""
    try:
        previous = json.loads((state_dir / EXIT_FILE).read_text(encoding="utf-8"))
        if not isinstance(previous, dict):
            raise ValueError("not an object")
    except FileNotFoundError:
        return "info", "first start on this machine (no previous run recorded)", {}
    except (OSError, ValueError) as exc:
        return "warning", f"the previous run's record is unreadable ({exc})", {}
    if (pid is not None and previous.get("state") == "running" and previous.get("pid") == pid
            and previous.get("boot_id") == boot_id):
        return "", "health reporting restarted (changed config)", previous
    if previous.get("state") == "stopped":
        return "info", f"previous run stopped cleanly: {previous.get('reason')}", previous
    if previous.get("boot_id") != boot_id:
        return ("warning", "the machine restarted while the player was running "
                "(power cut, reboot or hardware watchdog)", previous)
    return ("error", "the previous run ended without a clean stop "
            "(crash, kill, or the systemd watchdog)", previous)
