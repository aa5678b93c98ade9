"""A real heartbeat receiver on 127.0.0.1 that follows the upload contract; it can go away."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Stores reports by id (idempotent) in arrival order; `stop()` then `start()` on one port."""

    def __init__(self, token: str = "secret", port: int = 0):
        self.token = token
        self.port = port
        self.reports: list[dict] = []  # first arrival of each id, in order
        self.ids: set[str] = set()
        self.posts = 0
        self.refuse: set[str] = set()  # ids answered with 422
        self.ack_only: int | None = None  # acknowledge only the first N of each batch
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/heartbeat"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                receiver.handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})  # a quick stop
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", 0))
        raw = request.rfile.read(length)
        if request.path != "/api/heartbeat":  # like the hub: one exact path, no trailing "/"
            return self._answer(request, 404, {"error": "not found"})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._answer(request, 401, {"error": "bad token"})
        if length > 2_000_000:
            return self._answer(request, 413, {"error": "too large"})
        try:
            body = json.loads(raw)
            reports = body["reports"]
            assert body["format"] == 1 and isinstance(reports, list)
        except (ValueError, KeyError, AssertionError):
            return self._answer(request, 400, {"error": "malformed"})
        if any(r.get("id") in self.refuse for r in reports):
            return self._answer(request, 422, {"error": "schema"})
        if self.ack_only is not None:
            reports = reports[:self.ack_only]
        with self.lock:
            self.posts += 1
            for report in reports:
                if report["id"] not in self.ids:
                    self.ids.add(report["id"])
                    self.reports.append(report)
        self._answer(request, 200, {"ack": [r["id"] for r in reports]})

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
