"""Downloading with resume, a byte cap, a bandwidth cap and hashing while the bytes arrive.

`receive` is the one place a file is written from a stream: it resumes from what a partial file
already holds, never writes past the size the signed manifest promised, and returns the sha256 of
the whole file. HTTP specifics (Range, 206 checks, retries) are in `http_opener` and `make_session`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
RETRY_STATUS = (429, 500, 502, 503, 504)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")

Opener = Callable[[int], tuple[int, Iterator[bytes]]]


class FetchError(Exception):
    """A download failed; what was received so far is kept for a resume."""


class RangeRefused(FetchError):
    """The server will not resume from the partial file's length (416): start over."""


class Stopped(Exception):
    """The worker was asked to stop in the middle of a transfer."""


class RateLimiter:
    """Caps the average transfer rate (bytes/s), with up to a quarter second of burst.

    `wait(seconds)` returns True when the wait was cut short by a stop request (Event.wait).
    """

    def __init__(self, rate: int, wait: Callable[[float], bool],
                 clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self._wait = wait
        self._clock = clock
        self._due = clock()

    def consume(self, count: int) -> None:
        if self.rate <= 0:
            return
        now = self._clock()
        self._due = max(self._due, now - 0.25) + count / self.rate
        if self._due > now and self._wait(self._due - now):
            raise Stopped()


class Aborted(Exception):  # noqa: N818
    """A new connection refused by `abort_session`: deliberately not an OSError, which urllib3
    would retry."""


class Hold:
    """One request a server may hold open (a long poll); `cut` once another thread cut it."""

    def __init__(self) -> None:
        self.cut = False


class AbortableAdapter(HTTPAdapter):
    """An HTTPAdapter whose open connections another thread can cut.

    A hub may hold a manifest request for many seconds; stopping the player (`abort`) must not
    wait for it, and neither must a remote `sync_now` (`cut_hold`). Shutting the socket down
    makes the blocked read return at once: requests has no other way to cancel a request from
    another thread.
    """

    def __init__(self, *args, **kwargs):
        self._live: weakref.WeakSet = weakref.WeakSet()
        self._aborted = threading.Event()
        self._lock = threading.Lock()
        self._hold: Hold | None = None
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        adapter = self

        def tracked(base: type[HTTPConnection]) -> type:
            def connect(conn: HTTPConnection) -> None:
                adapter._refuse_if_cut()
                base.connect(conn)
                adapter._track(conn)
            return type(f"Tracked{base.__name__}", (base,), {"connect": connect})

        self.poolmanager.pool_classes_by_scheme = {
            "http": type("TrackedPool", (HTTPConnectionPool,),
                         {"ConnectionCls": tracked(HTTPConnection)}),
            "https": type("TrackedHTTPSPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": tracked(HTTPSConnection)}),
        }

    def _refuse_if_cut(self) -> None:
        # not an OSError: urllib3 must not retry it
        if self._aborted.is_set():
            raise Aborted("the sync is stopping")
        hold = self._hold
        if hold is not None and hold.cut:
            raise Aborted("the held request was cut")

    def _track(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._live.add(conn)
            cut = self._aborted.is_set() or (self._hold is not None and self._hold.cut)
        if cut:  # cut while this connection was being made: it would escape the cut
            _shut(conn)

    def abort(self) -> None:
        """Cut open connections and refuse new ones (the session is done with)."""
        with self._lock:
            self._aborted.set()
            live = list(self._live)
        for conn in live:
            _shut(conn)

    def begin_hold(self) -> Hold:
        """Mark the request about to be sent as one `cut_hold` may cut (one at a time)."""
        hold = Hold()
        with self._lock:
            self._hold = hold
        return hold

    def end_hold(self, hold: Hold) -> None:
        with self._lock:
            if self._hold is hold:
                self._hold = None

    def cut_hold(self) -> bool:
        """Cut the held request, if one is in flight (any thread); True when one was."""
        with self._lock:
            hold = self._hold
            if hold is None:
                return False
            hold.cut = True
            live = list(self._live)
        # every connection of the session: the pool hands the held one out unnamed, and an
        # idle one is only reopened
        for conn in live:
            _shut(conn)
        return True


def _shut(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def abort_session(session: requests.Session) -> None:
    """Cut every connection `session` has open (from any thread)."""
    for adapter in session.adapters.values():
        if isinstance(adapter, AbortableAdapter):
            adapter.abort()


def make_session(retries: int = 3, backoff: float = 1.0) -> requests.Session:
    """A session whose connection errors and 5xx answers are retried with backoff and jitter."""
    retry = Retry(total=retries, connect=retries, read=retries, status=retries,
                  backoff_factor=backoff, backoff_jitter=backoff, backoff_max=60,
                  status_forcelist=RETRY_STATUS, allowed_methods=frozenset({"GET"}),
                  respect_retry_after_header=False, raise_on_status=False)
    session = requests.Session()
    adapter = AbortableAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # Compressed bodies would break byte offsets and sizes: ask for the bytes as stored.
    session.headers.update({"Accept-Encoding": "identity",
                            "User-Agent": "signage-player-sync/1"})
    return session


def read_capped(response: requests.Response, limit: int, what: str) -> bytes:
    """The whole body, or FetchError if it is longer than `limit` bytes."""
    data = bytearray()
    try:
        while chunk := response.raw.read1(CHUNK, decode_content=False):
            data += chunk
            if len(data) > limit:
                raise FetchError(f"{what} is larger than the {limit} byte limit")
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise FetchError(f"{what}: connection failed ({exc})") from None
    finally:
        response.close()
    return bytes(data)


def receive(partial: Path, size: int, open_at: Opener,
            on_bytes: Callable[[int], None] = lambda n: None,
            should_stop: Callable[[], bool] = lambda: False) -> str:
    """Complete `partial` to `size` bytes from `open_at(offset)`; return the sha256 of the whole.

    `open_at(offset)` returns (start, chunks): start is `offset` when the source resumed, or 0
    when it sends the file from the beginning. Bytes beyond `size` are never read. The partial
    file is fsynced before returning; on an error it keeps what arrived, for the next resume.
    """
    digest = hashlib.sha256()
    offset = _resume_point(partial, size, digest)
    if offset == size:
        if size == 0 and not partial.exists():
            partial.touch()  # an empty file is a file too: the store installs it like any other
        return digest.hexdigest()
    try:
        start, chunks = open_at(offset)
    except RangeRefused:
        partial.unlink(missing_ok=True)
        digest, offset = hashlib.sha256(), 0
        start, chunks = open_at(0)
    with open(partial, "r+b" if partial.exists() else "wb") as out:
        if start != offset:  # the source ignored the range: start again from zero
            digest = hashlib.sha256()
            offset = start
        out.seek(offset)
        out.truncate()
        try:
            offset = _copy(chunks, out, offset, size, digest, on_bytes, should_stop)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
            out.flush()
            os.fsync(out.fileno())
    if offset < size:
        raise FetchError(f"the transfer ended after {offset} of {size} bytes")
    return digest.hexdigest()


def _copy(chunks: Iterable[bytes], out: BinaryIO, offset: int, size: int,
          digest: hashlib._Hash, on_bytes: Callable[[int], None],
          should_stop: Callable[[], bool]) -> int:
    """Append `chunks` to `out` up to `size` bytes in all, hashing them; the offset reached
    (an interrupted copy keeps what was written: `out` is flushed by the caller)."""
    try:
        for chunk in chunks:
            if not chunk:
                continue
            chunk = chunk[:size - offset]
            out.write(chunk)
            digest.update(chunk)
            offset += len(chunk)
            on_bytes(len(chunk))
            if offset >= size:
                break
            if should_stop():
                raise Stopped()
    except (urllib3.exceptions.HTTPError, requests.RequestException) as exc:
        raise FetchError(f"connection failed after {offset} of {size} bytes ({exc})") from exc
    return offset


def _resume_point(partial: Path, size: int, digest: hashlib._Hash) -> int:
    """Hash what the partial file already holds; a partial longer than `size` starts over."""
    try:
        have = partial.stat().st_size
    except FileNotFoundError:
        return 0
    if have > size:
        partial.unlink()
        return 0
    with open(partial, "rb") as f:
        while chunk := f.read(CHUNK * 4):
            digest.update(chunk)
    return have


def http_opener(session: requests.Session, url: str, size: int,
                timeout: tuple[float, float]) -> Opener:
    """An `open_at` for `receive` that asks an HTTP server for the bytes from an offset."""

    def open_at(offset: int) -> tuple[int, Iterator[bytes]]:
        headers = {"Range": f"bytes={offset}-{size - 1}"} if offset else {}
        try:
            response = session.get(url, headers=headers, stream=True, timeout=timeout)
        except (requests.RequestException, Aborted, ValueError) as exc:
            raise FetchError(f"{url}: {exc}") from None
        start = _start_of(response, offset, url)
        return start, _stream(response)

    return open_at


def _start_of(response: requests.Response, offset: int, url: str) -> int:
    """Where the body starts, accepting only a 200 (whole file) or a 206 starting at `offset`."""
    if response.status_code == 200:
        return 0
    if response.status_code == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if match and int(match.group(1)) == offset:
            return offset
        response.close()
        raise FetchError(f"{url}: 206 answer with Content-Range "
                         f"{response.headers.get('Content-Range')!r}, expected bytes {offset}-")
    response.close()
    if response.status_code == 416:
        raise RangeRefused(f"{url}: the server refused the range from byte {offset}")
    raise FetchError(f"{url}: HTTP {response.status_code}")


def _stream(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: read1 hands over what came in, so a stall keeps every byte."""
    try:
        while chunk := response.raw.read1(CHUNK, decode_content=False):
            yield chunk
    finally:
        response.close()
