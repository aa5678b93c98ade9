"""Serving the hub's ASGI app with uvicorn: the limits, and a handle to run it in a thread.

`signage-player hub` calls `run()` in the main thread; tests, the demo and benchmarks use
`HubServer`, which serves the same app from one background thread on a socket it binds itself
(port 0 picks a free port).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from player.hub.app import Hub, create_app, open_hub
from player.hub.changes import ManifestChanges
from player.hub.config import HubConfig
from player.hub.fleet import FleetView
from player.hub.heartbeat_store import HeartbeatStore
from player.hub.protocol import guarded_protocol
from player.hub.static import MAX_WAIT

log = logging.getLogger(__name__)
STOP_GRACE = 5  # seconds in-flight requests get at stop before they are cut


def uvicorn_config(app: FastAPI, config: HubConfig, log_level: str = "warning") -> uvicorn.Config:
    """uvicorn with the hub's limits: httptools (h11 without it), capped connections, and
    request headers that must arrive in time and stay under `max_header_bytes`."""
    limits = config.limits
    # "auto" is uvloop when installed: less of the one core the event loop has goes to asyncio.
    return uvicorn.Config(
        app, http=guarded_protocol(limits.max_header_bytes), loop="auto", lifespan="on",
        log_level=log_level,
        access_log=False, server_header=False, date_header=True, proxy_headers=False,
        limit_concurrency=limits.max_connections, backlog=limits.backlog,
        timeout_keep_alive=int(limits.keep_alive_seconds),
        timeout_graceful_shutdown=STOP_GRACE,
        h11_max_incomplete_event_size=limits.max_header_bytes)


def bind(address: tuple[str, int], backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    # proto must be IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only
    # then, and without it every answer waits 40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class HubServer:
    """The hub on `address`; `start()` serves from a thread, `stop()` ends it and joins."""

    def __init__(self, address: tuple[str, int], root: Path, config: HubConfig,
                 clock: Callable[[], float] = time.time):
        self.root = root
        self.config = config
        self.hub: Hub = open_hub(config, root, clock)
        try:
            self.socket = bind(address, config.limits.backlog)
        except BaseException:
            self.hub.close()
            raise
        self.server_address = self.socket.getsockname()[:2]
        self.app = create_app(config, root, clock, hub=self.hub)
        self._server = uvicorn.Server(uvicorn_config(self.app, config))
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{host}:{port}/"

    @property
    def view(self) -> FleetView:
        return self.hub.view

    @property
    def changes(self) -> ManifestChanges:
        return self.hub.changes

    @property
    def store(self) -> HeartbeatStore:
        return self.hub.store

    def start(self, timeout: float = 60.0) -> None:
        self._thread = threading.Thread(target=self._server.run, name="hub-server",
                                        kwargs={"sockets": [self.socket]})
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Wake held long-polls, stop accepting, finish in-flight requests, join."""
        if self._stopped:
            return
        self._stopped = True
        self.hub.changes.stop()
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(STOP_GRACE + MAX_WAIT)
        else:
            self.hub.close()
        self.socket.close()


def run(root: Path, config: HubConfig, host: str, port: int,
        on_ready: Callable[[str], None] = lambda _url: None) -> None:
    """Serve in this thread until SIGTERM or Ctrl-C (uvicorn handles both)."""
    sock = bind((host, port), config.limits.backlog)
    app = create_app(config, root)
    server = uvicorn.Server(uvicorn_config(app, config, log_level="info"))
    url = f"http://{host}:{sock.getsockname()[1]}/"

    async def announce() -> None:
        on_ready(url)

    original = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original(sockets=sockets)
        await announce()

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


__all__ = ["HubServer", "MAX_WAIT", "run", "uvicorn_config"]
