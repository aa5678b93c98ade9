"""People's accounts on the hub: users, argon2id passwords, server-side sessions, login limits.

Machines (clusters, the publisher) keep their bearer tokens; this is for the centre's staff.

- Passwords are argon2id hashes (argon2-cffi's ``PasswordHasher``); a hash made with older
  parameters is replaced at the next successful login.
- A session is a random token in a cookie; the database holds only its sha256, so a copy of
  the database does not let anyone in. A session ends after ``idle`` without a request, after
  ``absolute`` in any case, at logout, and when its user is disabled or changes password.
- Failed logins are counted per name and per address; past the limit, a login waits until the
  oldest counted failure leaves the window, whatever the password.

The tables (``users``, ``sessions``, ``login_attempts``) are ``player.hub.schema``'s, made by the
hub's migrations, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from player.hub import schema

log = logging.getLogger(__name__)

ROLES = schema.ROLES  # ordered: each may do what the ones before it may
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; this only keeps a login form from being a DoS


class AccountError(ValueError):
    """A refused change to an account, with a message for the person who asked."""


class LoginFailed(Exception):
    """Wrong name or password, or a disabled user (deliberately not told apart)."""


class LoginThrottled(Exception):
    """Too many failures for this name or address; ``wait`` seconds until the next try."""

    def __init__(self, wait: float):
        super().__init__(f"too many failed logins; wait {wait:.0f} s")
        self.wait = wait


def role_allows(role: str, needed: str) -> bool:
    """Roles are ordered: an admin may do what an approver may, and so on down to viewer."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise AccountError(f'"{name[:80]}" is not a user name: use 1 to 64 letters, digits, '
                           "'.', '_', '-' or '@', starting with a letter or digit")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f'"{role[:40]}" is not a role: use one of {", ".join(ROLES)}')
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


def token_digest(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    idle: float = 2 * 3600.0  # seconds without a request
    absolute: float = 12 * 3600.0  # one working day, whatever the activity
    touch_every: float = 60.0  # last_seen is written at most this often (spares the disk)


@dataclass(frozen=True)
class LoginPolicy:
    window: float = 15 * 60.0
    max_per_name: int = 5
    max_per_address: int = 20


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    created: float | None
    password_changed: float | None

    def allows(self, needed: str) -> bool:
        return not self.disabled and role_allows(self.role, needed)


@dataclass(frozen=True)
class Session:
    """A live login: its user and the CSRF token every form of that session must carry."""

    digest: str
    user: User
    csrf_token: str
    created: float
    expires: float


class Accounts:
    """Users, sessions and login limits over one SQLAlchemy engine; ``clock`` for tests."""

    def __init__(self, engine: sa.Engine, hasher: PasswordHasher | None = None,
                 clock: Callable[[], float] = time.time,
                 sessions: SessionPolicy | None = None, logins: LoginPolicy | None = None):
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        self.session_policy = sessions or SessionPolicy()
        self.login_policy = logins or LoginPolicy()
        self.users = schema.users
        self.sessions = schema.sessions
        self.attempts = schema.login_attempts
        # Verifying against this when the name is unknown keeps the answer's timing the same.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    # -- time columns: the schema may keep epoch seconds or timestamps; read and write both --

    def _put(self, column: sa.Column, when: float) -> Any:
        if isinstance(column.type, sa.DateTime):
            return datetime.fromtimestamp(when, UTC).replace(tzinfo=None)
        return when

    @staticmethod
    def _get(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        return float(value)

    def _user(self, row: Any) -> User:
        return User(row.id, row.name, row.role, bool(row.disabled), self._get(row.created),
                    self._get(row.password_changed))

    # -- users --

    def add_user(self, name: str, password: str, role: str) -> User:
        check_name(name)
        check_role(role)
        check_password(password)
        now = self.clock()
        u = self.users.c
        with self.engine.begin() as db:
            if db.execute(sa.select(u.id).where(u.name == name)).first():
                raise AccountError(f'a user "{name}" already exists')
            db.execute(self.users.insert().values(
                name=name, password_hash=self.hasher.hash(password), role=role, disabled=False,
                created=self._put(u.created, now), password_changed=self._put(u.password_changed,
                                                                              now)))
        return self.get_user(name)  # type: ignore[return-value]

    def get_user(self, name: str) -> User | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(self.users).where(self.users.c.name == name)).first()
        return self._user(row) if row else None

    def list_users(self) -> list[User]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(self.users).order_by(self.users.c.name)).all()
        return [self._user(row) for row in rows]

    def count_users(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(self.users)).scalar_one())

    def set_disabled(self, name: str, disabled: bool) -> User:
        user = self._require(name)
        with self.engine.begin() as db:
            db.execute(self.users.update().where(self.users.c.id == user.id)
                       .values(disabled=disabled))
            if disabled:
                db.execute(self.sessions.delete().where(self.sessions.c.user_id == user.id))
        return self._require(name)

    def set_role(self, name: str, role: str) -> User:
        check_role(role)
        user = self._require(name)
        with self.engine.begin() as db:
            db.execute(self.users.update().where(self.users.c.id == user.id).values(role=role))
        return self._require(name)

    def set_password(self, name: str, password: str) -> User:
        """A new password; every session of that user ends (a stolen one too)."""
        check_password(password)
        user = self._require(name)
        u = self.users.c
        with self.engine.begin() as db:
            db.execute(self.users.update().where(u.id == user.id).values(
                password_hash=self.hasher.hash(password),
                password_changed=self._put(u.password_changed, self.clock())))
            db.execute(self.sessions.delete().where(self.sessions.c.user_id == user.id))
        return self._require(name)

    def _require(self, name: str) -> User:
        user = self.get_user(name)
        if user is None:
            raise AccountError(f'no user "{name[:80]}"')
        return user

    # -- logins --

    def authenticate(self, name: str, password: str, address: str) -> User:
        """The user, when name and password match and the limits allow a try.

        Raises LoginThrottled before checking anything when this name or address failed too
        often, and LoginFailed (counted) for a wrong name, password or a disabled user.
        """
        self._check_limits(name, address)
        with self.engine.connect() as db:
            row = db.execute(sa.select(self.users).where(self.users.c.name == name)).first()
        stored = row.password_hash if row is not None else self._dummy_hash
        ok = self._verify(stored, password[:MAX_PASSWORD])
        if row is None or not ok or row.disabled:
            self._record_failure(name, address)
            raise LoginFailed(name)
        if self.hasher.check_needs_rehash(row.password_hash):
            with self.engine.begin() as db:
                db.execute(self.users.update().where(self.users.c.id == row.id)
                           .values(password_hash=self.hasher.hash(password)))
            log.info("password hash of %s renewed with the current argon2 parameters", name)
        with self.engine.begin() as db:  # a success forgives this name's earlier failures
            db.execute(self.attempts.delete().where(self.attempts.c.name == name))
        return self._user(row)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _check_limits(self, name: str, address: str) -> None:
        policy = self.login_policy
        now = self.clock()
        a = self.attempts.c
        since = self._put(a.at, now - policy.window)
        waits = []
        with self.engine.connect() as db:
            for column, value, limit in ((a.name, name, policy.max_per_name),
                                         (a.address, address, policy.max_per_address)):
                times = db.execute(sa.select(a.at).where(column == value, a.at >= since)
                                   .order_by(a.at.desc()).limit(limit)).scalars().all()
                if len(times) >= limit:
                    oldest = self._get(times[-1]) or now
                    waits.append(oldest + policy.window - now)
        if waits:
            raise LoginThrottled(max(1.0, max(waits)))

    def _record_failure(self, name: str, address: str) -> None:
        now = self.clock()
        with self.engine.begin() as db:
            db.execute(self.attempts.insert().values(name=name[:200], address=address[:64],
                                                     at=self._put(self.attempts.c.at, now)))
            # keep the table small: what left the window no longer counts
            db.execute(self.attempts.delete().where(
                self.attempts.c.at < self._put(self.attempts.c.at,
                                               now - 2 * self.login_policy.window)))

    # -- sessions --

    def start_session(self, user: User, replaces: str | None = None) -> tuple[str, Session]:
        """A new session (and its cookie token) for a user who just logged in; the session the
        browser had before, if any, ends, so a token planted before login is worth nothing."""
        if replaces:
            self.end_session(replaces)
        self.prune_sessions()  # logins are rare: a good moment to drop the long-expired ones
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        s = self.sessions.c
        expires = now + self.session_policy.absolute
        with self.engine.begin() as db:
            db.execute(self.sessions.insert().values(
                id=token_digest(token), user_id=user.id, csrf_token=csrf,
                created=self._put(s.created, now), last_seen=self._put(s.last_seen, now),
                expires=self._put(s.expires, expires)))
        return token, Session(token_digest(token), user, csrf, now, expires)

    def session(self, token: str | None) -> Session | None:
        """The live session for a cookie token, or None (unknown, expired, idle, disabled)."""
        if not token or len(token) > 200:
            return None
        digest = token_digest(token)
        s, u = self.sessions.c, self.users.c
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(s.id, s.csrf_token, s.created, s.last_seen, s.expires,
                          *[c.label("u_" + c.name) for c in self.users.c])
                .join_from(self.sessions, self.users, s.user_id == u.id)
                .where(s.id == digest)).first()
        if row is None:
            return None
        now = self.clock()
        last_seen = self._get(row.last_seen) or 0.0
        expires = self._get(row.expires) or 0.0
        if now >= expires or now - last_seen >= self.session_policy.idle or row.u_disabled:
            self.end_session(token)
            return None
        if now - last_seen >= self.session_policy.touch_every:
            with self.engine.begin() as db:
                db.execute(self.sessions.update().where(s.id == digest)
                           .values(last_seen=self._put(s.last_seen, now)))
        user = User(row.u_id, row.u_name, row.u_role, bool(row.u_disabled),
                    self._get(row.u_created), self._get(row.u_password_changed))
        return Session(digest, user, row.csrf_token, self._get(row.created) or now, expires)

    def end_session(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(self.sessions.delete().where(self.sessions.c.id == token_digest(token)))

    def prune_sessions(self) -> int:
        """Delete sessions past their absolute expiry; returns how many."""
        s = self.sessions.c
        with self.engine.begin() as db:
            result = db.execute(self.sessions.delete().where(
                s.expires <= self._put(s.expires, self.clock())))
        return result.rowcount or 0


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


__all__ = ["Accounts", "User", "Session", "SessionPolicy", "LoginPolicy", "AccountError",
           "LoginFailed", "LoginThrottled", "ROLES", "role_allows", "token_digest", "same_token",
           "check_name", "check_password", "check_role"]
