"""`signage-player hub user ...` as a process: add (stdin or a terminal), list, disable, passwd."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from player.hub.accounts import Accounts
from player.hub.database import database_url, make_engine
from tests.hub.accounttools import FAST_HASHER

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Cao-Bằng-thác-nước-2026"


def hub_user(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player", "hub", "--root", str(root), "user",
                           *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=120)


def accounts_of(root: Path) -> Accounts:
    """The accounts the command wrote to: the database named in ROOT/hub.yaml, or hub.sqlite."""
    config = root / "hub.yaml"
    setting = config.read_text().split(": ", 1)[1].strip() if config.exists() else None
    return Accounts(make_engine(database_url(setting or root / "hub.sqlite", root)), FAST_HASHER)


@pytest.mark.timeout(300)
def test_add_list_disable_enable_passwd_role(tmp_path, hub_database):
    root = tmp_path / "hub"
    if hub_database:
        root.mkdir()
        (root / "hub.yaml").write_text(f"database: {hub_database}\n")
    added = hub_user(root, "add", "lan", "--role", "approver", "--password-stdin",
                     stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    listed = hub_user(root, "list")
    assert listed.returncode == 0 and listed.stdout.split() == ["lan", "approver", "active"]
    accounts = accounts_of(root)
    assert accounts.authenticate("lan", PASSWORD, "127.0.0.1").role == "approver"
    assert hub_user(root, "disable", "lan").returncode == 0
    assert hub_user(root, "list").stdout.split() == ["lan", "approver", "disabled"]
    assert hub_user(root, "enable", "lan").returncode == 0
    assert hub_user(root, "passwd", "lan", "--password-stdin",
                    stdin=PASSWORD + "-mới\n").returncode == 0
    assert hub_user(root, "role", "lan", "editor").returncode == 0
    assert accounts.authenticate("lan", PASSWORD + "-mới", "127.0.0.1").role == "editor"
    with accounts.engine.connect() as db:
        rows = db.execute(sa.text("SELECT user_name, action, target, address FROM audit "
                                  "ORDER BY id")).all()
    assert [r[1] for r in rows] == ["user.add", "user.disable", "user.enable", "user.passwd",
                                    "user.role"]
    assert all(r[0].startswith("cli:") and r[2] == "lan" and r[3] == "local" for r in rows)
    accounts.engine.dispose()


@pytest.mark.timeout(120)
def test_refusals_are_clear_and_change_nothing(tmp_path):
    root = tmp_path / "hub"
    short = hub_user(root, "add", "lan", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "too short" in short.stderr
    no_tty = hub_user(root, "add", "lan", stdin="")
    assert no_tty.returncode == 1 and "--password-stdin" in no_tty.stderr
    ghost = hub_user(root, "disable", "ghost")
    assert ghost.returncode == 1 and 'no user "ghost"' in ghost.stderr
    assert "no users yet" in hub_user(root, "list").stdout


@pytest.mark.timeout(120)
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_password_is_asked_twice_on_a_terminal(tmp_path):
    root = tmp_path / "hub"
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "hub", "--root", str(root), "user", "add", "lan",
         "--role", "admin"], cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True)  # no controlling terminal: getpass reads the pty on stdin
    os.close(slave)
    seen = b""
    try:
        for prompt in (b"New password: ", b"Same password again: "):
            deadline = time.monotonic() + 90
            while prompt not in seen:
                assert time.monotonic() < deadline, seen
                seen += os.read(master, 1024)
            os.write(master, (PASSWORD + "\n").encode())
            seen = seen.replace(prompt, b"", 1)
        assert process.wait(timeout=90) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    accounts = accounts_of(root)
    assert accounts.authenticate("lan", PASSWORD, "127.0.0.1").role == "admin"
    with accounts.engine.connect() as db:
        stored = db.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$")
    accounts.engine.dispose()


def test_the_command_offers_the_schemas_roles():
    from player.commands import hub_user
    from player.hub import schema

    assert hub_user.ROLES == schema.ROLES
