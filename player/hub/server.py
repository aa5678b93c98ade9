"""The hub's HTTP server: channels as static files, heartbeat ingest, uploads, fleet pages.

Endpoints (all on one port; see docs/hub.md):
  GET/HEAD /channels/NAME/...            static channel files (ETag, 304, Range, long-poll)
  POST     /api/v1/heartbeats            heartbeat batches (per-cluster bearer token)
  PUT      /api/v1/channels/NAME/objects/SHA256, /api/v1/channels/NAME/manifest   (upload token)
  GET      /, /clusters/ID, /clusters/ID/screenshot.jpg   HTML (?lang=en for English)
  GET      /api/v1/fleet, /api/v1/clusters/ID             the same data as JSON
  GET      /healthz
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from player.hub import pages
from player.hub.config import HubConfig
from player.hub.files import (
    ChannelFiles,
    RangeNotSatisfiable,
    StaticFile,
    etag_matches,
    http_date,
    parse_range,
)
from player.hub.fleet import FleetView, PublishedVersions
from player.hub.ingest import BatchError, HeartbeatStore, read_batch
from player.hub.upload import ChannelPublisher, UploadRefused

log = logging.getLogger(__name__)

MAX_WAIT = 90  # seconds a long-poll is held at most; proxies must allow more (docs/deploy.md)
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+)", re.IGNORECASE)
_CHANNEL_PATH = re.compile(r"^/channels/(.+)$")
_OBJECT_UPLOAD = re.compile(r"^/api/v1/channels/([^/]+)/objects/([^/]+)$")
_MANIFEST_UPLOAD = re.compile(r"^/api/v1/channels/([^/]+)/manifest$")
_CLUSTER_PAGE = re.compile(r"^/clusters/([^/]+)(/screenshot\.jpg)?$")
_CLUSTER_API = re.compile(r"^/api/v1/clusters/([^/]+)$")
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
}


class HttpError(Exception):
    def __init__(self, status: int, message: str, close: bool = False):
        super().__init__(message)
        self.status, self.message, self.close = status, message, close


class ManifestChanges:
    """Wakes long-polls when a manifest is uploaded; they also re-check the file twice a second,
    so a manifest written straight into the folder (publish on this machine) is seen too."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    def notify(self, _channel: str = "") -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, timeout: float) -> None:
        with self._condition:
            generation = self._generation
            self._condition.wait_for(lambda: self._generation != generation, timeout)


class HubServer(ThreadingHTTPServer):
    """The hub; `start()` serves from a thread, `stop()` ends every connection and joins."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path, config: HubConfig,
                 clock=time.time):
        self.root = root
        self.config = config
        self.clock = clock
        self.stopping = threading.Event()
        self.changes = ManifestChanges()
        self.files = ChannelFiles(root)
        (root / "channels").mkdir(parents=True, exist_ok=True)
        self.store = HeartbeatStore(config.database_path(root), clock,
                                    config.limits.history_days)
        self.view = FleetView(config, self.store, PublishedVersions(root), clock)
        self.publisher = ChannelPublisher(root, config, self.changes.notify)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        try:
            super().__init__(address, HubHandler)
        except BaseException:
            self.store.close()
            raise

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="hub-server",
                                        kwargs={"poll_interval": 0.2})
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, wake long-polls, close idle keep-alive connections, join threads."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.changes.notify()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        with self._connections_lock:
            for connection in list(self._connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server_close()  # joins the request threads (block_on_close)
        self.store.close()

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        log.exception("error while serving %s", client_address[0])


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "signage-hub"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection is closed after this
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (40 ms a request).
    disable_nagle_algorithm = True
    server: HubServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        log.debug("%s %s", self.address_string(), format % args)

    # -- dispatch --

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_POST(self) -> None:
        self._guard(self._post)

    def do_PUT(self) -> None:
        self._guard(self._put)

    def _dispatch(self, head: bool) -> None:
        self._guard(lambda: self._get(head))

    def _guard(self, action) -> None:
        try:
            action()
        except HttpError as exc:
            if exc.close:
                self.close_connection = True
            self._send_error(exc.status, exc.message)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except sqlite3.Error as exc:
            log.error("the database refused a write: %s", exc)
            self._send_error(503, "the hub cannot store reports right now; send them later")
        except OSError as exc:  # a full or read-only disk while storing an upload
            log.error("%s %s: %s", self.command, self.path, exc)
            self.close_connection = True
            self._send_error(507 if exc.errno == 28 else 500,
                             f"the hub cannot write: {exc.strerror or exc}")
        except Exception:  # a bug must cost one answer, never the connection without a word
            log.exception("%s %s failed", self.command, self.path)
            self.close_connection = True
            self._send_error(500, "internal error in the hub; the request was not stored")

    def _get(self, head: bool) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        path = url.path
        match = _CHANNEL_PATH.match(path)
        if match:
            return self._serve_static(match.group(1), head)
        lang = pages.pick_lang(query)
        if path == "/":
            return self._send_html(200, pages.render_fleet(self.server.view.fleet(), lang), head)
        if path == "/healthz":
            return self._send(200, b"ok\n", "text/plain; charset=utf-8", head=head)
        if path == "/api/v1/fleet":
            return self._send_json(200, self.server.view.fleet().to_json(), head)
        match = _CLUSTER_API.match(path)
        if match:
            detail = self.server.view.cluster(unquote(match.group(1)), _days(query))
            if detail is None:
                raise HttpError(404, "no such cluster")
            return self._send_json(200, detail.to_json(), head)
        match = _CLUSTER_PAGE.match(path)
        if match:
            return self._cluster_page(unquote(match.group(1)), bool(match.group(2)), query, head)
        raise HttpError(404, "no such page")

    def _cluster_page(self, cluster: str, screenshot: bool, query: dict, head: bool) -> None:
        if screenshot:
            found = self.server.view.screenshot(cluster)
            if found is None:
                raise HttpError(404, "no screenshot yet")
            return self._send(200, found[0], "image/jpeg", {"Cache-Control": "max-age=60"}, head)
        detail = self.server.view.cluster(cluster, _days(query))
        if detail is None:
            raise HttpError(404, "no such cluster")
        html = pages.render_cluster(detail, pages.pick_lang(query), self.server.clock(),
                                   self.server.config.alerts)
        self._send_html(200, html, head)

    def _post(self) -> None:
        if urlsplit(self.path).path != "/api/v1/heartbeats":
            self._drain_or_close()
            raise HttpError(404, "no such endpoint")
        if not self.headers.get("Authorization"):
            raise HttpError(401, "missing Authorization: Bearer <token> header", close=True)
        body = self._read_body(self.server.config.limits.max_batch_bytes)
        try:
            batch = read_batch(body, self.headers.get("Authorization"), self.server.config)
        except BatchError as exc:
            raise HttpError(exc.status, exc.message) from None
        ids = self.server.store.store(batch, self._client_address())
        answer: dict = {"ack": ids}
        if batch.rejected:
            answer["rejected"] = [{"id": rid, "error": reason} for rid, reason, _ in batch.rejected]
        self._send_json(200, answer)

    def _put(self) -> None:
        path = urlsplit(self.path).path
        publisher = self.server.publisher
        try:
            publisher.check_token(self.headers.get("Authorization"))
            match = _OBJECT_UPLOAD.match(path)
            if match:
                length = self._content_length(self.server.config.limits.max_object_bytes)
                created = publisher.put_object(match.group(1), match.group(2), self.rfile, length)
                return self._send_json(201 if created else 200, {"stored": match.group(2)})
            match = _MANIFEST_UPLOAD.match(path)
            if match:
                body = self._read_body(self.server.config.limits.max_manifest_bytes * 2)
                version = publisher.put_manifest(match.group(1), body)
                return self._send_json(200, {"version": version})
        except UploadRefused as exc:
            raise HttpError(exc.status, exc.message, close=True) from None
        raise HttpError(404, "no such endpoint", close=True)

    # -- static channel files --

    def _serve_static(self, url_path: str, head: bool) -> None:
        found = self.server.files.open(url_path)
        if found is None:
            raise HttpError(404, "no such file")
        applied = None
        if url_path.endswith("/manifest.json"):
            found, applied = self._long_poll(url_path, found)
        headers = {"ETag": found.etag, "Last-Modified": http_date(found.mtime),
                   "Accept-Ranges": "bytes",
                   "Cache-Control": ("public, max-age=31536000, immutable" if found.immutable
                                     else "no-cache")}
        if applied is not None:
            headers["Preference-Applied"] = f"wait={applied}"
        if etag_matches(self.headers.get("If-None-Match"), found.etag):
            return self._send(304, b"", None, headers, head=True)
        byte_range = None
        if_range = self.headers.get("If-Range")
        if if_range is None or if_range.strip() == found.etag:
            try:
                byte_range = parse_range(self.headers.get("Range"), found.size)
            except RangeNotSatisfiable:
                headers["Content-Range"] = f"bytes */{found.size}"
                return self._send(416, b"", "text/plain", headers)
        self._send_file(found, byte_range, headers, head)

    def _long_poll(self, url_path: str, found: StaticFile) -> tuple[StaticFile, int | None]:
        match = _PREFER_WAIT.search(self.headers.get("Prefer") or "")
        if_none_match = self.headers.get("If-None-Match")
        if not match or not if_none_match:
            return found, None
        wait = min(int(match.group(1)), MAX_WAIT)
        deadline = time.monotonic() + wait
        while etag_matches(if_none_match, found.etag) and not self.server.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.server.changes.wait(min(0.5, remaining))
            found = self.server.files.open(url_path) or found
        return found, wait

    def _send_file(self, found: StaticFile, byte_range, headers: dict, head: bool) -> None:
        start, length, status = 0, found.size, 200
        if byte_range is not None:
            start, length, status = byte_range.start, byte_range.length, 206
            headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{found.size}"
        try:
            handle = open(found.path, "rb")
        except OSError:
            raise HttpError(404, "no such file") from None
        with handle:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", found.content_type)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if head:
                return
            handle.seek(start)
            _copy(handle, self.wfile, length)

    # -- bodies and answers --

    def _content_length(self, limit: int) -> int:
        if self.headers.get("Transfer-Encoding"):
            raise HttpError(411, "send a Content-Length (chunked bodies are not accepted)",
                            close=True)
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise HttpError(411, "a Content-Length header is required", close=True) from None
        if length < 0:
            raise HttpError(400, "negative Content-Length", close=True)
        if length > limit:
            raise HttpError(413, f"the body is larger than {limit} bytes", close=True)
        return length

    def _read_body(self, limit: int) -> bytes:
        length = self._content_length(limit)
        body = self.rfile.read(length)
        if len(body) != length:
            raise HttpError(400, "the body ended before Content-Length bytes", close=True)
        return body

    def _drain_or_close(self) -> None:
        self.close_connection = True

    def _client_address(self) -> str:
        peer = self.client_address[0]
        if peer in ("127.0.0.1", "::1"):
            # Behind the documented nginx, the real address comes in X-Real-IP.
            return self.headers.get("X-Real-IP", peer)[:64]
        return peer

    def _wants_json(self) -> bool:
        path = urlsplit(self.path).path
        return path.startswith("/api/") or path.startswith("/channels/") or self.command != "GET"

    def _send_error(self, status: int, message: str) -> None:
        if self._wants_json():
            self._send_json(status, {"error": message}, head=self.command == "HEAD")
        else:
            lang = pages.pick_lang(parse_qs(urlsplit(self.path).query))
            self._send_html(status, pages.render_error(status, message, lang),
                            self.command == "HEAD")

    def _send_json(self, status: int, data: object, head: bool = False) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8",
                   {"Cache-Control": "no-store"}, head)

    def _send_html(self, status: int, text: str, head: bool = False) -> None:
        self._send(status, text.encode(), "text/html; charset=utf-8",
                   {**HTML_HEADERS, "Cache-Control": "no-store"}, head)

    def _send(self, status: int, body: bytes, content_type: str | None,
              headers: dict | None = None, head: bool = False) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


def _days(query: dict) -> int:
    try:
        return min(max(int((query.get("days") or ["7"])[0]), 1), 90)
    except ValueError:
        return 7


def _copy(source, target, length: int) -> None:
    remaining = length
    while remaining:
        chunk = source.read(min(1 << 16, remaining))
        if not chunk:
            break
        target.write(chunk)
        remaining -= len(chunk)


def serve(root: Path, config: HubConfig, host: str, port: int) -> HubServer:
    """Create and start a hub; the caller stops it."""
    server = HubServer((host, port), root, config)
    server.start()
    return server


__all__ = ["HubServer", "serve", "MAX_WAIT"]
