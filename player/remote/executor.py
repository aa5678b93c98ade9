"""Checks one remote command from the hub and carries it out, at most once.

Only the fixed set runs (``KINDS``); each must be in ``remote.allowed`` of the box's config;
arguments are checked here again (the hub's word is not enough); ids already in the record are
never run again; an expired command is refused; at most ``remote.max_per_hour`` run an hour.
Every command and its outcome goes to the player's log.
"""

from __future__ import annotations

import collections
import gzip
import logging
import queue
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from player.core.config import Config
from player.core.messages import CaptureScreen, ForceScreen, ShowIdentification, StopRequested
from player.remote.record import CommandRecord
from player.remote.system import SystemActions

log = logging.getLogger(__name__)

KINDS = ("screenshot", "logs", "sync_now", "restart_player", "identify", "reboot", "screen")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LOG_CAP = 256 * 1024  # bytes of gzip at most
SCREENSHOT_WIDTH = 1280
SCREEN_WAIT = 15.0  # seconds the render loop has to take a screenshot
MAX_EXPIRES_IN = 7 * 86400  # seconds: the hub's longest time to live is a day
SYNC_WAIT = 120.0  # seconds a sync pass may take before the command answers "still running"
ARGUMENTS: dict[str, dict[str, tuple[type, Any, Any, Any]]] = {
    "logs": {"minutes": (int, 30, 1, 1440)},
    "identify": {"minutes": (int, 5, 1, 60)},
    "screen": {"on": (bool, True, None, None)},
}


@dataclass(frozen=True)
class Command:
    """A command as it came from the hub, checked."""

    id: str
    kind: str
    arguments: dict
    deadline: float  # monotonic time after which it is expired

    @property
    def local_name(self) -> str:
        """Its name in `remote.allowed`: the screen command is screen_on or screen_off."""
        if self.kind == "screen":
            return "screen_on" if self.arguments.get("on") else "screen_off"
        return self.kind


@dataclass
class Outcome:
    """What a command came to: sent to the hub, kept in the record."""

    state: str  # done | failed
    reason: str = ""
    result: dict = field(default_factory=dict)
    file: bytes | None = None
    after: Callable[[], None] | None = None  # runs once the hub has the result (restart, reboot)


class BadCommand(ValueError):
    """A command that cannot even be answered (no usable id)."""


def parse_command(raw: object, monotonic: Callable[[], float] = time.monotonic) -> Command:
    """A command from the hub's answer; BadCommand without a usable id, ValueError (with the
    id in ``args[1]``) for anything else wrong with it."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) \
            or not ID_PATTERN.match(raw["id"]):
        raise BadCommand("a command without a valid id")
    command_id = raw["id"]
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown command {str(kind)[:40]!r}", command_id)
    given = raw.get("arguments")
    given = {} if given is None else given
    expires_in = raw.get("expires_in")
    if not isinstance(given, dict) or isinstance(expires_in, bool) \
            or not isinstance(expires_in, int | float):
        raise ValueError("arguments or expires_in malformed", command_id)
    # NaN never compares as expired, 10**400 is no float: a command that lives for ever
    if not 0 <= expires_in <= MAX_EXPIRES_IN:
        raise ValueError(f"expires_in: expected seconds from 0 to {MAX_EXPIRES_IN}", command_id)
    arguments = {}
    for name, (kind_type, default, low, high) in ARGUMENTS.get(kind, {}).items():
        value = given.get(name, default)
        if kind_type is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{name}: expected true or false", command_id)
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name}: expected a whole number from {low} to {high}", command_id)
        arguments[name] = value
    return Command(command_id, kind, arguments, monotonic() + float(expires_in))


class LogBuffer(logging.Handler):
    """The player's own last log lines in memory: what `logs` sends where there is no journal
    and no `remote.log_file`."""

    def __init__(self, lines: int = 5000) -> None:
        super().__init__(logging.INFO)
        self.lines: collections.deque[tuple[float, str]] = collections.deque(maxlen=lines)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append((record.created, self.format(record)))
        except Exception:  # a log line must never break the code that logs it
            self.handleError(record)

    def since(self, moment: float) -> list[str]:
        return [f"{datetime.fromtimestamp(t, UTC).isoformat(timespec='seconds')} {text}"
                for t, text in list(self.lines) if t >= moment]


class Executor:
    """Runs checked commands against the render loop (``inbox``), the sync worker
    (``sync_now``), the machine (``system``) and the record."""

    def __init__(self, config: Config, record: CommandRecord, system: SystemActions, *,
                 inbox: queue.Queue | None = None, sync_now: Callable[[], str] | None = None,
                 logs: LogBuffer | None = None, release: Callable[[], Any] = lambda: None,
                 monotonic: Callable[[], float] = time.monotonic,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.remote = config.remote
        self.record = record
        self.system = system
        self.inbox = inbox
        self.sync_now = sync_now
        self.logs = logs
        self.release = release
        self.monotonic = monotonic
        self.clock = clock
        self._lock = threading.Lock()

    def close(self) -> None:
        if self.logs is not None:
            logging.getLogger().removeHandler(self.logs)
        self.record.close()

    def execute(self, command: Command) -> Outcome | None:
        """Carry out `command` unless it was taken before (None: nothing new to say)."""
        with self._lock:
            refused = self._refusal(command)
            if not self.record.claim(command.id, command.kind, command.arguments):
                log.info("remote command %s (%s) was taken before: not run again", command.id,
                         command.kind)
                return None
            if refused:
                log.warning("remote command %s %s refused: %s", command.id, command.local_name,
                            refused)
                outcome = Outcome("failed", refused)
            else:
                log.info("remote command %s: %s %s", command.id, command.local_name,
                         command.arguments or "")
                try:
                    outcome = getattr(self, f"_{command.kind}")(command)
                except Exception as exc:  # one command failing must not stop the player
                    log.exception("remote command %s %s failed", command.id, command.kind)
                    outcome = Outcome("failed", f"{type(exc).__name__}: {exc}")
                log.info("remote command %s %s: %s%s", command.id, command.local_name,
                         outcome.state, f" ({outcome.reason})" if outcome.reason else "")
            self.record.finish(command.id, outcome.state, outcome.reason, outcome.result)
            return outcome

    def refuse(self, command_id: str, kind: str, reason: str) -> Outcome | None:
        """Answer a malformed command with its reason (once per id)."""
        if not self.record.claim(command_id, kind, {}):
            return None
        log.warning("remote command %s refused: %s", command_id, reason)
        self.record.finish(command_id, "failed", reason)
        return Outcome("failed", reason)

    def _refusal(self, command: Command) -> str:
        if command.local_name not in self.remote.allowed:
            return (f"not allowed on this box: remote.allowed in {self.config.source} does not "
                    f"include {command.local_name}")
        if self.monotonic() > command.deadline:
            return "expired before it could run"
        if self.record.count_since(self.clock() - 3600) >= self.remote.max_per_hour:
            return (f"too many commands: at most {self.remote.max_per_hour} an hour on this box "
                    "(remote.max_per_hour)")
        return ""

    # -- the kinds -------------------------------------------------------------------------

    def _screenshot(self, command: Command) -> Outcome:
        if self.inbox is None:
            return Outcome("failed", "this player has no screen to take a picture of")
        reply: Future = Future()
        self.inbox.put(CaptureScreen(reply, SCREENSHOT_WIDTH))
        try:
            jpeg, width, height = reply.result(SCREEN_WAIT)
        except FutureTimeout:
            return Outcome("failed", f"the screen did not answer within {SCREEN_WAIT:.0f} s")
        return Outcome("done", result={"width": width, "height": height, "bytes": len(jpeg)},
                       file=jpeg)

    def _logs(self, command: Command) -> Outcome:
        minutes = command.arguments["minutes"]
        since = self.clock() - minutes * 60
        source, lines = self._log_lines(minutes, since)
        if lines is None:
            return Outcome("failed", "no log to send: no journal, no remote.log_file, "
                                     "no lines in memory")
        data, kept, truncated = compress_capped(lines, LOG_CAP)
        return Outcome("done", result={"source": source, "lines": kept, "truncated": truncated,
                                       "minutes": minutes, "bytes": len(data)}, file=data)

    def _log_lines(self, minutes: int, since: float) -> tuple[str, list[str] | None]:
        if self.remote.log_file:
            return "file", lines_since(Path(self.remote.log_file), since)
        journal = self.system.journal(minutes)
        if journal is not None:
            return "journal", journal.decode("utf-8", errors="replace").splitlines()
        if self.logs is not None:
            return "memory", self.logs.since(since)
        return "none", None

    def _sync_now(self, command: Command) -> Outcome:
        if self.sync_now is None:
            return Outcome("failed", "this player syncs from no channel (sync.sources is empty)")
        return Outcome("done", result={"outcome": self.sync_now()})

    def _restart_player(self, command: Command) -> Outcome:
        inbox = self.inbox
        if inbox is None:
            return Outcome("failed", "no player loop to restart")
        return Outcome("done", result={"outcome": "restarting"}, after=lambda: inbox.put(
            StopRequested("remote command from the hub: restart", restart=True)))

    def _identify(self, command: Command) -> Outcome:
        lines = identification_lines(self.config, self.release())
        if self.inbox is None:
            return Outcome("failed", "this player has no screen")
        self.inbox.put(ShowIdentification(tuple(lines), command.arguments["minutes"] * 60.0))
        return Outcome("done", result={"lines": lines})

    def _reboot(self, command: Command) -> Outcome:
        return Outcome("done", result={"outcome": "rebooting"}, after=self.system.reboot)

    def _screen(self, command: Command) -> Outcome:
        if self.inbox is None:
            return Outcome("failed", "this player has no screen")
        self.inbox.put(ForceScreen(bool(command.arguments["on"])))
        return Outcome("done", result={"on": command.arguments["on"]})


def lines_since(path: Path, since: float, limit: int = 32 * 1024 * 1024) -> list[str] | None:
    """The log file's lines from `since` on: lines with a leading ISO time are kept when that
    time is not older; lines without one (a plain stderr copy) are all kept, the cap takes the
    newest. None when the file cannot be read."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    kept = []
    cutoff = datetime.fromtimestamp(since, UTC)
    for line in data.decode("utf-8", errors="replace").splitlines():
        moment = _leading_time(line)
        if moment is None or moment >= cutoff:
            kept.append(line)
    return kept


def _leading_time(line: str) -> datetime | None:
    match = re.match(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)", line)
    if not match:
        return None
    try:
        moment = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def compress_capped(lines: list[str], cap: int) -> tuple[bytes, int, bool]:
    """gzip of the newest lines that fit in `cap` bytes: (data, lines kept, whether cut)."""
    keep = len(lines)
    while True:
        text = "\n".join(lines[len(lines) - keep:]) + ("\n" if keep else "")
        data = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
        if len(data) <= cap or keep == 0:
            return data, keep, keep < len(lines)
        # shrink by the ratio of cap to size, a little more, so a few rounds do it
        keep = min(keep - 1, int(keep * cap / len(data) * 0.95))


def identification_lines(config: Config, release: Any) -> list[str]:
    """Cluster id, the machine's addresses, free disk and versions: what the card shows."""
    import psutil

    from player import __version__ as version

    addresses = []
    for name, entries in sorted(psutil.net_if_addrs().items()):
        for entry in entries:
            if entry.family in (socket.AF_INET, socket.AF_INET6) and name != "lo" \
                    and not entry.address.startswith(("127.", "::1", "fe80")):
                addresses.append(f"{name} {entry.address.split('%')[0]}")
    try:
        free = shutil.disk_usage(config.state_dir).free
        disk = f"{free / 1e9:.1f} GB"
    except OSError:
        disk = "?"
    lines = [f"Cụm / Cluster: {config.cluster}",
             "IP: " + (", ".join(addresses[:4]) or "–"),
             f"Ổ đĩa trống / Disk free: {disk}",
             f"signage-player {version} · release {release if release is not None else '–'}",
             f"{socket.gethostname()} · "
             f"{(datetime.now(UTC) + timedelta(hours=7)).strftime('%d/%m/%Y %H:%M')} (UTC+7)"]
    return lines


__all__ = ["BadCommand", "Command", "Executor", "LogBuffer", "Outcome", "compress_capped",
           "identification_lines", "lines_since", "parse_command"]
