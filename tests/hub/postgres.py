"""A real PostgreSQL server for the hub tests, started in a temporary folder.

`initdb` and `pg_ctl` refuse to run as root, so under root (CI) they run as the `postgres` user
through `runuser`; the data folder lives directly under /tmp so that user can reach it.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

SUPERUSER = "hub"


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (Debian keeps them off PATH), or None."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def missing_reason() -> str | None:
    if find_binaries() is None:
        return "PostgreSQL binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb cannot run"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One server for the test session; `new_database()` gives each test its own database."""

    def __init__(self) -> None:
        self.bin = find_binaries()
        assert self.bin is not None
        self.folder = Path(tempfile.mkdtemp(prefix="hub-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                  "--no-sync")
        log = self.folder / "server.log"
        for attempt in range(5):
            options = (f"-k {self.folder} -h 127.0.0.1 -p {self.port} -c fsync=off "
                       "-c max_connections=300 -c shared_buffers=32MB")
            try:
                self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(log), "-w",
                          "-t", "120", "start", timeout=180)
                break
            except subprocess.CalledProcessError:
                # the free port found was taken by another program before the server bound it
                taken = "could not bind" in log.read_text(errors="replace") if log.exists() else False
                if not taken or attempt == 4:
                    raise
                log.unlink()
                self.port = _free_port()
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.admin_url, connect_timeout=5).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        name = f"hub_test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)
