"""Remote commands: what the centre may ask a cluster to do, and their way there and back.

A person queues a command on a cluster's page (``player.hub.web.remote``); the player picks it
up in the answer to its next heartbeat POST (or to the short empty POST it holds open while
online, see ``wait_for_commands``), runs it once, and posts the result back to
``/api/v1/commands/ID/result`` (a screenshot or logs first to ``.../file``), with the same
cluster token. The wire formats are in docs/remote.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from player.hub.remote_schema import commands as table

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
STATES = ("queued", "delivered", "done", "failed", "expired")
OPEN_STATES = ("queued", "delivered")
RATE_WINDOW = 600.0  # seconds
RATE_LIMIT = 20  # commands a cluster may be sent within RATE_WINDOW
MAX_WAIT = 60  # seconds an empty heartbeat POST is held waiting for a command
MAX_HELD = 4  # held POSTs at once per cluster (a box holds one; two screens, a restart: more)
RECHECK = 5.0  # seconds between database looks while holding (another hub process may queue)
MAX_RESULT_BYTES = 64 * 1024
MAX_FILE_BYTES = 2 * 1024 * 1024
FILE_TYPES = {"screenshot": "image/jpeg", "logs": "application/gzip"}
MAX_PER_ANSWER = 10


@dataclass(frozen=True)
class Kind:
    """One command the player knows: who may send it, how long it waits, its arguments."""

    name: str
    role: str  # the smallest role that may send it
    ttl: float  # seconds it may wait for an offline cluster before it expires
    arguments: dict[str, tuple[type, Any, Any, Any]]  # name -> (type, default, low, high)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("screenshot", "editor", 3600, {}),
    Kind("logs", "editor", 86400, {"minutes": (int, 30, 1, 1440)}),
    Kind("sync_now", "editor", 3600, {}),
    Kind("identify", "editor", 3600, {"minutes": (int, 5, 1, 60)}),
    Kind("restart_player", "approver", 3600, {}),
    Kind("reboot", "approver", 3600, {}),
    Kind("screen", "approver", 3600, {"on": (bool, True, None, None)}),
)}


class CommandRefused(Exception):
    """A command that cannot be queued; ``status`` is the HTTP status, ``key`` the page text."""

    def __init__(self, status: int, key: str, message: str):
        super().__init__(message)
        self.status, self.key, self.message = status, key, message


@dataclass(frozen=True)
class Command:
    id: str
    cluster: str
    kind: str
    arguments: dict
    created_by: str
    created: float
    expires: float
    state: str
    delivered: float | None
    finished: float | None
    reason: str
    result: dict
    file_type: str
    has_file: bool

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    def to_json(self) -> dict:
        return {"id": self.id, "cluster": self.cluster, "kind": self.kind,
                "arguments": self.arguments, "created_by": self.created_by,
                "created": self.created, "expires": self.expires, "state": self.state,
                "delivered": self.delivered, "finished": self.finished, "reason": self.reason,
                "result": self.result, "file_type": self.file_type, "has_file": self.has_file}


def new_id() -> str:
    """A random command id: the form carries it, so sending the form twice queues one command."""
    return secrets.token_urlsafe(18)


def check_arguments(kind: Kind, given: dict[str, Any]) -> dict:
    """The kind's arguments from ``given`` (form text or JSON), defaults filled in; ValueError."""
    out: dict[str, Any] = {}
    for name, (kind_type, default, low, high) in kind.arguments.items():
        value = given.get(name, default)
        if value in (None, ""):
            value = default
        if kind_type is bool:
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "on", "off"):
                    raise ValueError(f"{name}: expected on or off")
                value = value.lower() in ("1", "true", "on")
            out[name] = bool(value)
            continue
        try:
            number = int(str(value)) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(f"{name}: expected a whole number from {low} to {high}")
        out[name] = number
    return out


class CommandBell:
    """Wakes the held heartbeat POSTs of a cluster when a command is queued for it.

    ``ring`` is called from any thread (the pages run in a thread pool); waiters live on the
    event loop. Another hub process's commands are found by looking again every RECHECK s.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def listeners(self, cluster: str) -> int:
        with self._lock:
            return len(self._waiters.get(cluster, ()))

    def ring(self, cluster: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(cluster, ()))
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    @contextlib.contextmanager
    def listening(self, cluster: str) -> Iterator[asyncio.Event]:
        """An event set by the next ``ring`` for the cluster. Listen *before* looking in the
        database: a command queued between the look and the wait then still wakes it."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(cluster, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                found = self._waiters.get(cluster)
                if found is not None:
                    found.discard(entry)
                    if not found:
                        del self._waiters[cluster]


class CommandStore:
    """The ``commands`` table: queue, hand out, finish, list; ``clock`` for tests."""

    def __init__(self, engine: sa.Engine, clusters: Callable[[], set[str]],
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clusters = clusters
        self.clock = clock
        self.bell = CommandBell()
        self.rate_limit = RATE_LIMIT

    # -- people ----------------------------------------------------------------------------

    def queue(self, cluster: str, kind_name: str, arguments: dict, user: str,
              command_id: str | None = None) -> tuple[Command, bool]:
        """Queue a command; returns it and whether it is new (an id sent again is not).

        Raises CommandRefused: unknown cluster or kind, bad arguments, too many commands.
        """
        if cluster not in self.clusters():
            raise CommandRefused(404, "no_cluster", f'unknown cluster "{cluster[:64]}"')
        kind = KINDS.get(kind_name)
        if kind is None:
            raise CommandRefused(422, "remote_bad_kind", f'unknown command "{kind_name[:40]}"')
        try:
            args = check_arguments(kind, arguments)
        except ValueError as exc:
            raise CommandRefused(422, "remote_bad_arguments", str(exc)) from None
        command_id = command_id or new_id()
        if not ID_PATTERN.match(command_id):
            raise CommandRefused(422, "remote_bad_id", "the command id is malformed")
        now = self.clock()
        c = table.c
        with self.engine.begin() as db:
            row = db.execute(sa.select(table).where(c.id == command_id)).first()
            if row is not None:
                if row.cluster != cluster:
                    raise CommandRefused(409, "remote_bad_id", "that command id is taken")
                return _command(row), False
            recent = db.execute(sa.select(sa.func.count()).select_from(table).where(
                c.cluster == cluster, c.created > now - RATE_WINDOW)).scalar() or 0
            if recent >= self.rate_limit:
                raise CommandRefused(429, "remote_rate", f"at most {self.rate_limit} commands in "
                                     f"{RATE_WINDOW / 60:.0f} minutes for one cluster")
            db.execute(table.insert().values(
                id=command_id, cluster=cluster, kind=kind.name,
                arguments=json.dumps(args), created_by=user[:200], created=now,
                expires=now + kind.ttl, state="queued"))
            row = db.execute(sa.select(table).where(c.id == command_id)).one()
        self.bell.ring(cluster)
        log.info("command %s %s queued for %s by %s", command_id, kind.name, cluster, user)
        return _command(row), True

    def recent(self, cluster: str, limit: int = 10) -> list[Command]:
        self._expire(cluster)
        c = table.c
        columns = [col for col in table.columns if col.name != "file"]
        query = (sa.select(*columns, (c.file.is_not(None)).label("has_file"))
                 .where(c.cluster == cluster).order_by(c.created.desc(), c.id).limit(limit))
        with self.engine.connect() as db:
            return [_command(row) for row in db.execute(query)]

    def get(self, cluster: str, command_id: str) -> Command | None:
        c = table.c
        columns = [col for col in table.columns if col.name != "file"]
        query = sa.select(*columns, (c.file.is_not(None)).label("has_file")).where(
            c.id == command_id, c.cluster == cluster)
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return _command(row) if row is not None else None

    def file(self, cluster: str, command_id: str) -> tuple[bytes, str] | None:
        c = table.c
        with self.engine.connect() as db:
            row = db.execute(sa.select(c.file, c.file_type).where(
                c.id == command_id, c.cluster == cluster)).first()
        if row is None or row.file is None:
            return None
        return bytes(row.file), row.file_type or "application/octet-stream"

    # -- players ---------------------------------------------------------------------------

    def hand_out(self, cluster: str) -> list[dict]:
        """The open commands for the cluster as the player gets them; queued ones become
        delivered. Delivered ones go again until the player answers (a lost answer).

        Most heartbeats find nothing: they only read (no write lock taken on SQLite); expired
        rows are left out here and marked when a page lists them."""
        now = self.clock()
        c = table.c
        query = (sa.select(c.id, c.kind, c.arguments, c.expires, c.state)
                 .where(c.cluster == cluster, c.state.in_(OPEN_STATES), c.expires > now)
                 .order_by(c.created).limit(MAX_PER_ANSWER))
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        queued = [r.id for r in rows if r.state == "queued"]
        if queued:
            with self.engine.begin() as db:
                db.execute(table.update().where(c.id.in_(queued), c.state == "queued")
                           .values(state="delivered", delivered=now))
        return [{"id": r.id, "kind": r.kind, "arguments": json.loads(r.arguments),
                 "expires_in": max(0, int(r.expires - now))} for r in rows]

    def finish(self, cluster: str, command_id: str, state: str, reason: str,
               result: dict) -> Command | None:
        """Record the player's answer (once: a repeated answer changes nothing)."""
        c = table.c
        with self.engine.begin() as db:
            row = db.execute(sa.select(c.state).where(c.id == command_id,
                                                      c.cluster == cluster)).first()
            if row is None:
                return None
            if row.state in OPEN_STATES or row.state == "expired":
                db.execute(table.update().where(c.id == command_id).values(
                    state=state, reason=reason[:2000], finished=self.clock(),
                    result=json.dumps(result, ensure_ascii=False)))
        return self.get(cluster, command_id)

    def attach(self, cluster: str, command_id: str, data: bytes) -> bool:
        c = table.c
        with self.engine.begin() as db:
            row = db.execute(sa.select(c.kind, c.state).where(
                c.id == command_id, c.cluster == cluster)).first()
            if row is None or row.kind not in FILE_TYPES:
                return False
            db.execute(table.update().where(c.id == command_id).values(
                file=data, file_type=FILE_TYPES[row.kind]))
        return True

    def _expire(self, cluster: str) -> None:
        c = table.c
        with self.engine.begin() as db:
            db.execute(table.update().where(
                c.cluster == cluster, c.state.in_(OPEN_STATES), c.expires <= self.clock())
                .values(state="expired", reason="expired before the cluster answered"))

    # -- the heartbeat answer --------------------------------------------------------------

    async def add_to_answer(self, answer: dict, cluster: str, envelope_wants: bool,
                            prefer: str | None, run: Callable,
                            gone: Callable[[], Awaitable[bool]] | None = None) -> dict[str, str]:
        """Put the cluster's open commands in a heartbeat answer, for a player that said it
        takes them (``"commands": 1`` in the batch). An empty batch with ``Prefer: wait=N``
        is held up to N s (at most MAX_WAIT) until one is queued. Returns extra headers."""
        if not envelope_wants:
            return {}
        wait = _prefer_wait(prefer)
        if wait and self.bell.listeners(cluster) >= MAX_HELD:
            # one token must not hold the hub's connections and its database: answer at once
            wait = 0
        deadline = time.monotonic() + wait
        while True:
            with self.bell.listening(cluster) as rung:
                found = await run(self.hand_out, cluster)
                left = deadline - time.monotonic()
                if found or left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rung.wait(), min(RECHECK, left))
            if gone is not None and await gone():
                return {}  # the player hung up: the command stays queued for its next visit
        answer["commands"] = found
        return {"Preference-Applied": f"wait={wait}"} if wait else {}


def _prefer_wait(prefer: str | None) -> int:
    match = re.search(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})(?!\d)", prefer or "", re.IGNORECASE)
    return min(int(match.group(1)), MAX_WAIT) if match else 0


def _command(row: Any) -> Command:
    def load(text: str | None) -> dict:
        try:
            value = json.loads(text) if text else {}
        except ValueError:
            value = {"raw": str(text)[:200]}
        return value if isinstance(value, dict) else {"value": value}

    mapping = row._mapping
    return Command(row.id, row.cluster, row.kind, load(row.arguments), row.created_by,
                   float(row.created), float(row.expires), row.state,
                   None if row.delivered is None else float(row.delivered),
                   None if row.finished is None else float(row.finished), row.reason or "",
                   load(row.result), row.file_type or "",
                   bool(mapping["has_file"]) if "has_file" in mapping else row.file is not None)


__all__ = ["Command", "CommandRefused", "CommandStore", "KINDS", "Kind", "check_arguments",
           "new_id"]
