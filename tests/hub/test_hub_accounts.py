"""Accounts as an attacker would try them: passwords, sessions, limits (a real SQLite file)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from player.hub.accounts import (
    AccountError,
    Accounts,
    LoginFailed,
    LoginPolicy,
    LoginThrottled,
    SessionPolicy,
    role_allows,
    token_digest,
)
from player.hub.audit import AuditLog
from tests.hub.accounttools import FAST_HASHER, people_engine

PASSWORD = "núi-non-Trùng-Khánh-2026"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(tmp_path, clock, hub_database) -> Accounts:
    engine = people_engine(tmp_path / "hub.sqlite", hub_database)
    yield Accounts(engine, FAST_HASHER, clock, SessionPolicy(idle=3600, absolute=8 * 3600),
                   LoginPolicy(window=900, max_per_name=3, max_per_address=5))
    engine.dispose()


def test_password_is_stored_as_argon2id_only(accounts):
    accounts.add_user("lan", PASSWORD, "approver")
    with accounts.engine.connect() as db:
        stored = db.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate("lan", PASSWORD, "10.0.0.1").role == "approver"


def test_hash_with_old_parameters_is_renewed_at_login(tmp_path, clock):
    engine = people_engine(tmp_path / "old.sqlite")
    Accounts(engine, FAST_HASHER, clock).add_user("lan", PASSWORD, "viewer")
    current = PasswordHasher()  # the library's default parameters, stronger than CHEAPEST
    accounts = Accounts(engine, current, clock)
    accounts.authenticate("lan", PASSWORD, "10.0.0.1")
    with engine.connect() as db:
        stored = db.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert not current.check_needs_rehash(stored)
    assert accounts.authenticate("lan", PASSWORD, "10.0.0.1").name == "lan"
    engine.dispose()


def test_bad_names_roles_and_passwords_are_refused(accounts):
    for name, password, role in (("", PASSWORD, "viewer"), ("a b", PASSWORD, "viewer"),
                                 ("<script>", PASSWORD, "viewer"), ("lan", "short", "viewer"),
                                 ("lan", PASSWORD, "root")):
        with pytest.raises(AccountError):
            accounts.add_user(name, password, role)
    accounts.add_user("lan", PASSWORD, "viewer")
    with pytest.raises(AccountError, match="already exists"):
        accounts.add_user("lan", PASSWORD, "admin")
    assert [u.name for u in accounts.list_users()] == ["lan"]


def test_wrong_password_unknown_name_and_disabled_user_all_fail_alike(accounts):
    accounts.add_user("lan", PASSWORD, "viewer")
    accounts.add_user("minh", PASSWORD, "viewer")
    accounts.set_disabled("minh", True)
    for name, password in (("lan", PASSWORD + "x"), ("ghost", PASSWORD), ("minh", PASSWORD)):
        with pytest.raises(LoginFailed):
            accounts.authenticate(name, password, "10.0.0.1")


def test_failures_per_name_are_counted_then_refused_even_with_the_right_password(accounts, clock):
    accounts.add_user("lan", PASSWORD, "viewer")
    for _ in range(3):
        with pytest.raises(LoginFailed):
            accounts.authenticate("lan", "guess-guess-guess", "10.0.0.1")
        clock.now += 10
    with pytest.raises(LoginThrottled) as throttled:
        accounts.authenticate("lan", PASSWORD, "10.0.0.9")  # another address: the name counts
    assert 800 < throttled.value.wait <= 900
    clock.now += throttled.value.wait + 1
    assert accounts.authenticate("lan", PASSWORD, "10.0.0.9").name == "lan"


def test_failures_per_address_stop_a_spray_over_many_names(accounts):
    accounts.add_user("lan", PASSWORD, "viewer")
    for i in range(5):
        with pytest.raises(LoginFailed):
            accounts.authenticate(f"user{i}", "guess-guess-guess", "203.0.113.7")
    with pytest.raises(LoginThrottled):
        accounts.authenticate("lan", PASSWORD, "203.0.113.7")
    assert accounts.authenticate("lan", PASSWORD, "198.51.100.1").name == "lan"


def test_session_stores_only_the_token_digest(accounts):
    user = accounts.add_user("lan", PASSWORD, "editor")
    token, session = accounts.start_session(user)
    with accounts.engine.connect() as db:
        ids = db.execute(sa.text("SELECT id FROM sessions")).scalars().all()
    assert ids == [token_digest(token)] and token not in ids
    assert accounts.session(token).user.name == "lan"
    assert accounts.session(token).csrf_token == session.csrf_token
    assert accounts.session(token_digest(token)) is None  # the stored value is not a key


def test_login_gives_a_new_token_and_ends_the_planted_one(accounts):
    user = accounts.add_user("lan", PASSWORD, "editor")
    planted, _ = accounts.start_session(user)
    token, _ = accounts.start_session(user, replaces=planted)
    assert token != planted
    assert accounts.session(planted) is None and accounts.session(token) is not None


def test_idle_and_absolute_expiry(accounts, clock):
    user = accounts.add_user("lan", PASSWORD, "editor")
    token, _ = accounts.start_session(user)
    clock.now += 3599
    assert accounts.session(token) is not None  # a request keeps it alive
    clock.now += 3599
    assert accounts.session(token) is not None
    clock.now += 3601  # idle for more than an hour
    assert accounts.session(token) is None
    token, _ = accounts.start_session(user)
    for _ in range(10):  # busy all day: still ends after 8 hours
        clock.now += 3000
        alive = accounts.session(token)
    assert alive is None


def test_disable_and_new_password_end_every_session(accounts):
    user = accounts.add_user("lan", PASSWORD, "editor")
    first, _ = accounts.start_session(user)
    accounts.set_password("lan", PASSWORD + "-mới")
    assert accounts.session(first) is None
    second, _ = accounts.start_session(accounts.get_user("lan"))
    accounts.set_disabled("lan", True)
    assert accounts.session(second) is None
    with pytest.raises(LoginFailed):
        accounts.authenticate("lan", PASSWORD + "-mới", "10.0.0.1")


def test_roles_are_ordered():
    assert role_allows("admin", "viewer") and role_allows("approver", "editor")
    assert not role_allows("viewer", "editor") and not role_allows("editor", "admin")
    assert not role_allows("root", "viewer")


def test_audit_log_keeps_who_what_when_where(accounts, clock):
    log = AuditLog(accounts.engine, clock)
    log.record("lan", "login", "lan", {"role": "editor"}, "10.0.0.1")
    clock.now += 5
    log.record("admin", "user.disable", "lan", {"why": "<b>left</b>" * 2000}, "10.0.0.2")
    entries = log.recent()
    assert [e.action for e in entries] == ["user.disable", "login"]
    assert entries[1].user_name == "lan" and entries[1].address == "10.0.0.1"
    assert entries[1].at == 1_800_000_000.0 and entries[1].detail == {"role": "editor"}
    assert "truncated" in entries[0].detail  # a huge detail is cut, not refused
    assert [e.action for e in log.recent(before=entries[0].id)] == ["login"]


def test_the_accounts_example_in_docs_is_a_valid_hub_yaml(tmp_path):
    import re
    from pathlib import Path

    import yaml

    from player.hub.config import hub_config_from_data

    text = (Path(__file__).resolve().parents[2] / "docs" / "hub.md").read_text(encoding="utf-8")
    section = text[text.index("## Accounts"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    config = hub_config_from_data(yaml.safe_load(block), "hub.md", tmp_path)
    assert config.public_fleet is False and config.accounts.session_hours == 12
    assert config.accounts.trusted_proxies == ("127.0.0.1", "::1")
