"""The people's pages on a FastAPI app over real SQLite files, in-process or on real uvicorn."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from player.hub.accounts import Accounts, LoginPolicy, SessionPolicy
from player.hub.app import create_app, open_hub
from player.hub.config import HubConfig, hub_config_from_data
from player.hub.heartbeat_store import HeartbeatStore
from player.hub.web import People, PeopleSettings
from tests.hub.accounttools import FAST_HASHER

PASSWORD = "thác-Bản-Giốc-2026"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class WebHub:
    app: FastAPI
    people: People
    store: HeartbeatStore
    config: HubConfig
    clock: Clock
    closers: list = field(default_factory=list)

    def client(self, **kwargs) -> TestClient:
        return TestClient(self.app, base_url="http://hub.test", follow_redirects=False, **kwargs)

    def close(self) -> None:
        for hub in self.closers:
            hub.close()


def make_web_hub(tmp_path: Path, config_data: dict, settings: PeopleSettings | None = None,
                 root: Path | None = None) -> WebHub:
    """The hub's real app (``create_app``) over a temporary root; fast password hashing, short
    session and login limits, and ``settings`` (login required unless they say otherwise)."""
    clock = Clock()
    config = hub_config_from_data(config_data, "hub.yaml", tmp_path)
    root = root or tmp_path / "hub"
    hub = open_hub(config, root, clock)
    app = create_app(config, root, clock, hub=hub)
    people: People = app.state.people
    people.accounts = Accounts(hub.store.engine, FAST_HASHER, clock,
                               SessionPolicy(idle=3600, absolute=8 * 3600),
                               LoginPolicy(window=900, max_per_name=3, max_per_address=10))
    people.settings = settings or PeopleSettings(alerts=config.alerts)
    return WebHub(app, people, hub.store, config, clock, [hub])


def login_token(html: str) -> str:
    return re.search(r'name="login_token" value="([^"]+)"', html).group(1)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, name: str, password: str = PASSWORD, **extra):
    page = client.get("/login")
    data = {"name": name, "password": password, "login_token": login_token(page.text), **extra}
    return client.post("/login", data=data)


class UvicornThread:
    """The app served by a real uvicorn on 127.0.0.1 (an ephemeral port), from a thread."""

    def __init__(self, app: FastAPI, receive_buffer: int | None = None):
        self.socket = socket.socket()
        if receive_buffer:
            # set before listening, so that every accepted connection keeps it (no autotuning):
            # a request body the app does not read then stands still in the sender
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="uvicorn-test")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> UvicornThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.socket.close()
