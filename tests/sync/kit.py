"""Test helpers: channels published for real, and an HTTP server on 127.0.0.1 that misbehaves."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel import keys
from player.channel.publish import PublishResult, publish
from player.core.config import Config, SyncConfig
from player.sync.fetch import make_session
from player.sync.sources import FolderSource, HttpSource
from player.sync.syncer import Syncer

PLAYLIST = b"name: Test\nitems:\n  - image: media/a.jpg\n"


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def publish_files(src: Path, out: Path, key: Ed25519PrivateKey, files: dict[str, bytes],
                  channel: str = "test", expires: timedelta = timedelta(days=30),
                  now: datetime | None = None) -> PublishResult:
    """Publish `files` (playlist.yaml + media) from a fresh source folder into `out`."""
    if src.exists():
        for path in sorted(src.rglob("*"), reverse=True):
            path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
    files = {"playlist.yaml": PLAYLIST, **files}
    write_tree(src, files)
    media = [name for name in files if name != "playlist.yaml"]
    return publish(src, out, channel, key, expires, now=now, list_media=lambda _p: media)


def yaml_check(playlist: Path) -> None:
    """Stands in for the playlist loader: the file must be there and be YAML."""
    yaml.safe_load(playlist.read_text(encoding="utf-8"))


def sync_config(key: Ed25519PrivateKey, sources: list[str], **changes) -> SyncConfig:
    changes.setdefault("min_free", 0)
    return dataclasses.replace(SyncConfig(), sources=tuple(sources),
                               public_keys=(keys.public_key_text(key),), **changes)


def device_config(state_dir: Path, sync: SyncConfig) -> Config:
    return Config(cluster="test", state_dir=state_dir, sync=sync)


def make_syncer(state_dir: Path, key: Ed25519PrivateKey, url_or_folder: str | Path,
                events: list | None = None, timeout: float = 2.0,
                sync: SyncConfig | None = None, **options) -> Syncer:
    """A Syncer with one source, quick retries and a YAML-only playlist check."""
    text = str(url_or_folder)
    sync = sync or sync_config(key, [text], timeout=timeout)
    if text.startswith("http"):
        source = HttpSource(text, make_session(retries=2, backoff=0.01), timeout=timeout)
    else:
        source = FolderSource(Path(text))
    sink = (lambda *e: events.append(e)) if events is not None else None
    options.setdefault("check_playlist", yaml_check)
    options.setdefault("retry_wait", 0.01)
    return Syncer(sync, state_dir, [source], on_event=sink, **options)


def event_names(events: list) -> list[str]:
    return [e[1] for e in events]


@dataclasses.dataclass
class Fault:
    kind: str  # extra, ignore_range, status, stall, drop, bad_range, tamper
    times: int = 1_000_000
    status: int = 500


class ChannelServer:
    """Serves a channel folder on 127.0.0.1 with Range and ETag support, and chosen faults.

    HTTP/1.0 (one request a connection), so stopping never waits for an idle keep-alive.
    """

    def __init__(self, root: Path, rate: int = 0):
        self.root = root
        self.rate = rate  # bytes per second for bodies; 0: as fast as possible
        self.faults: dict[str, Fault] = {}
        self.log: list[tuple[str, dict[str, str], int]] = []  # (path, headers, status)
        self.body_bytes = 0
        self.bytes_by_path: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                server.handle(self)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="channel-server",
                                       kwargs={"poll_interval": 0.05})  # a quick stop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self) -> ChannelServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()  # joins the request threads
        self.thread.join()

    def fault(self, path: str, kind: str, times: int = 1_000_000, status: int = 500) -> None:
        self.faults[path] = Fault(kind, times, status)

    def requests_for(self, prefix: str = "") -> list[tuple[str, dict[str, str], int]]:
        return [r for r in self.log if r[0].startswith(prefix)]

    def reset_counts(self) -> None:
        with self.lock:
            self.log.clear()
            self.body_bytes = 0
            self.bytes_by_path.clear()

    # The request handler -----------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0].lstrip("/")
        headers = {k.lower(): v for k, v in h.headers.items()}
        fault = self._take_fault(path)
        file = (self.root / path).resolve()
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            return self._answer(h, path, headers, 404, b"not found")
        if fault and fault.kind == "status":
            return self._answer(h, path, headers, fault.status, b"broken")
        data = file.read_bytes()
        info = file.stat()
        etag = f'"{info.st_size:x}-{info.st_mtime_ns:x}"'
        if headers.get("if-none-match") == etag:
            return self._answer(h, path, headers, 304, b"", {"ETag": etag})
        if fault and fault.kind == "tamper":
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        status, extra = 200, {"ETag": etag}
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", headers.get("range", ""))
        if match and not (fault and fault.kind == "ignore_range"):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(data) - 1
            if start >= len(data):
                return self._answer(h, path, headers, 416, b"")
            shown = start + 1 if fault and fault.kind == "bad_range" else start
            extra["Content-Range"] = f"bytes {shown}-{end}/{len(data)}"
            data, status = data[start:end + 1], 206
        if fault and fault.kind == "extra":
            data = data + b"X" * 100_000
        cut = None
        if fault and fault.kind in ("drop", "stall"):
            cut = len(data) // 2
        self._answer(h, path, headers, status, data, extra, cut=cut,
                     stall=bool(fault and fault.kind == "stall"))

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get(path)
            if fault is None or fault.times <= 0:
                return None
            fault.times -= 1
            return fault

    def _answer(self, h: BaseHTTPRequestHandler, path: str, headers: dict[str, str], status: int,
                body: bytes, extra: dict[str, str] | None = None, cut: int | None = None,
                stall: bool = False) -> None:
        with self.lock:
            self.log.append((path, headers, status))
        try:
            h.send_response(status)
            for name, value in (extra or {}).items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            sent = body if cut is None else body[:cut]
            self._write(h, path, sent)
            if stall:
                self.stopping.wait(30)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _write(self, h: BaseHTTPRequestHandler, path: str, data: bytes) -> None:
        step = 16 * 1024
        for i in range(0, len(data), step):
            chunk = data[i:i + step]
            h.wfile.write(chunk)
            with self.lock:
                self.body_bytes += len(chunk)
                self.bytes_by_path[path] = self.bytes_by_path.get(path, 0) + len(chunk)
            if self.rate:
                time.sleep(len(chunk) / self.rate)
            if self.stopping.is_set():
                return


def object_files(state_dir: Path) -> dict[str, bytes]:
    folder = state_dir / "store" / "objects"
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


def release_tree(playlist: Path) -> dict[str, bytes]:
    content = playlist.parent
    return {p.relative_to(content).as_posix(): p.read_bytes()
            for p in content.rglob("*") if p.is_file()}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)



NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONFIG = """
daemon off;
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    log_format short '$request_uri $status $body_bytes_sent "$http_range"';
    access_log {tmp}/access.log short;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


class NginxError(Exception):
    """nginx is missing or would not start; the message says why."""


class NginxServer:
    """Debian's nginx serving `root` on a free loopback port, run as a child (daemon off)."""

    def __init__(self, root: Path, tmp: Path):
        self.root, self.tmp = root, tmp
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> NginxServer:
        if not os.access(NGINX, os.X_OK):
            raise NginxError("nginx is not installed (apt install nginx)")
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # As root, nginx drops its workers to "nobody", who cannot read a private tmp folder.
        user = "user root;" if os.geteuid() == 0 else ""
        conf = self.tmp / "nginx.conf"
        conf.write_text(NGINX_CONFIG.format(user=user, tmp=self.tmp, port=self.port,
                                            root=self.root))
        self.process = subprocess.Popen([NGINX, "-p", str(self.tmp), "-c", str(conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    log = self.tmp / "error.log"
                    raise NginxError("nginx did not start: " + (
                        log.read_text() if log.exists() else "no error log")) from None
                time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            if self.process.stderr:
                self.process.stderr.close()
