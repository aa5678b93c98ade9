"""Where channels come from: an HTTP(S) channel URL, or a local folder such as a USB stick.

Both kinds give the same two things (the raw manifest with its signature, and object bytes), and
what they give is verified the same way by the caller: a stick is trusted no more than a server.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from player.core.manifest import MANIFEST_NAME, SIGNATURE_NAME
from player.core.signing import MAX_SIGNATURE_FILE
from player.sync.fetch import (
    CHUNK,
    AbortableAdapter,
    Aborted,
    FetchError,
    abort_session,
    http_opener,
    make_session,
    read_capped,
    receive,
)

log = logging.getLogger(__name__)


class SourceUnavailable(FetchError):
    """Nothing to read there right now (no stick plugged in): not worth an alarm."""


class Interrupted(FetchError):
    """A held manifest request was cut by `hurry` (a remote sync_now): not a failure."""


@dataclass(frozen=True)
class ManifestFetch:
    """What a source answered for its manifest; `raw` is None when unchanged since `etag`."""

    raw: bytes | None
    signature: bytes
    etag: str | None
    waited: bool = False  # the server held the request (Prefer: wait) until a change or timeout


class HttpSource:
    """A channel served over HTTP(S) by a hub, nginx or a CDN."""

    def __init__(self, url: str, session: requests.Session | None = None, timeout: float = 30.0,
                 max_manifest_bytes: int = 4_000_000, wait: float = 0.0):
        self.name = url
        self.base = url if url.endswith("/") else url + "/"
        self.session = session or make_session()
        self.timeout = timeout
        self.max_manifest_bytes = max_manifest_bytes
        self.wait = int(wait)
        self._lock = threading.Lock()
        self._hurry = False

    def fetch_manifest(self, etag: str | None = None) -> ManifestFetch:
        with self._lock:  # with `hurry`: a request is either not held, or cut once held
            wait = 0 if self._hurry else self.wait
            self._hurry = False
            adapter = self._adapter()
            hold = adapter.begin_hold() if adapter is not None and wait and etag else None
        headers = {"Prefer": f"wait={wait}"} if wait else {}
        if etag:  # a hub holds only a conditional request, until the manifest changes
            headers["If-None-Match"] = etag
        try:
            response = self._get(MANIFEST_NAME, headers, extra_wait=wait if etag else 0)
        except FetchError:
            if hold is not None and hold.cut:
                raise Interrupted(f"{urljoin(self.base, MANIFEST_NAME)}: the held request "
                                  "was cut to ask again at once") from None
            raise
        finally:
            if hold is not None and adapter is not None:
                adapter.end_hold(hold)
        waited = "Preference-Applied" in response.headers
        if response.status_code == 304:
            response.close()
            if not etag:  # "not modified" to a question that named no version: a cache in the way
                raise FetchError(f"{urljoin(self.base, MANIFEST_NAME)}: HTTP 304 to an unconditional "
                                 "request (a proxy or cache is answering instead of the server)")
            return ManifestFetch(None, b"", etag, waited)
        self._expect_ok(response, MANIFEST_NAME)
        new_etag = response.headers.get("ETag")
        raw = read_capped(response, self.max_manifest_bytes, MANIFEST_NAME)
        sig_response = self._get(SIGNATURE_NAME, {})
        self._expect_ok(sig_response, SIGNATURE_NAME)
        signature = read_capped(sig_response, MAX_SIGNATURE_FILE, SIGNATURE_NAME)
        return ManifestFetch(raw, signature, new_etag, waited)

    def fetch_object(self, sha256: str, size: int, partial: Path,
                     on_bytes: Callable[[int], None], should_stop: Callable[[], bool]) -> str:
        opener = http_opener(self.session, urljoin(self.base, f"objects/{sha256}"), size,
                             (self.timeout, self.timeout))
        return receive(partial, size, opener, on_bytes, should_stop)

    def close(self) -> None:
        self.session.close()

    def abort(self) -> None:
        """Cut a request in progress (a held long poll, a stalled transfer) from another thread."""
        abort_session(self.session)

    def hurry(self) -> None:
        """From any thread: cut a held manifest request now (it raises Interrupted), and do not
        let the server hold the next one. A download in progress goes on."""
        with self._lock:
            self._hurry = True
            adapter = self._adapter()
            if adapter is not None:
                adapter.cut_hold()

    def _adapter(self) -> AbortableAdapter | None:
        adapter = self.session.get_adapter(self.base)
        return adapter if isinstance(adapter, AbortableAdapter) else None

    def _get(self, name: str, headers: dict[str, str], extra_wait: float = 0) -> requests.Response:
        url = urljoin(self.base, name)
        try:
            return self.session.get(url, headers=headers, stream=True,
                                    timeout=(self.timeout, self.timeout + extra_wait))
        except (requests.RequestException, Aborted, ValueError) as exc:
            # ValueError: a redirect to an address that cannot be parsed (captive portals)
            raise FetchError(f"{url}: {exc}") from None

    def _expect_ok(self, response: requests.Response, name: str) -> None:
        if response.status_code != 200:
            response.close()
            raise FetchError(f"{urljoin(self.base, name)}: HTTP {response.status_code}")


class FolderSource:
    """A channel folder on a local filesystem: a USB stick's mount point, a network share."""

    def __init__(self, folder: Path, max_manifest_bytes: int = 4_000_000):
        self.folder = Path(folder)
        self.name = str(folder)
        self.max_manifest_bytes = max_manifest_bytes

    def fetch_manifest(self, etag: str | None = None) -> ManifestFetch:
        path = self.folder / MANIFEST_NAME
        try:
            info = path.stat()
        except OSError:
            raise SourceUnavailable(f"{self.folder}: no {MANIFEST_NAME} here") from None
        sig_info = _stat_or_none(self.folder / SIGNATURE_NAME)
        tag = f"{info.st_ino}-{info.st_size}-{info.st_mtime_ns}-{sig_info}"
        if tag == etag:
            return ManifestFetch(None, b"", etag)
        raw = self._read(path, self.max_manifest_bytes)
        signature = self._read(self.folder / SIGNATURE_NAME, MAX_SIGNATURE_FILE)
        return ManifestFetch(raw, signature, tag)

    def fetch_object(self, sha256: str, size: int, partial: Path,
                     on_bytes: Callable[[int], None], should_stop: Callable[[], bool]) -> str:
        path = self.folder / "objects" / sha256

        def open_at(offset: int) -> tuple[int, Iterator[bytes]]:
            try:
                f = open(path, "rb")
            except OSError as exc:
                raise FetchError(f"{path}: {exc.strerror}") from None
            f.seek(offset)
            return offset, _chunks(f)

        return receive(partial, size, open_at, on_bytes, should_stop)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def hurry(self) -> None:
        pass  # a folder is read at once

    @staticmethod
    def _read(path: Path, limit: int) -> bytes:
        try:
            with open(path, "rb") as f:
                data = f.read(limit + 1)
        except OSError as exc:
            raise FetchError(f"{path}: {exc.strerror}") from None
        if len(data) > limit:
            raise FetchError(f"{path} is larger than the {limit} byte limit")
        return data


def _chunks(f) -> Iterator[bytes]:
    try:
        while chunk := f.read(CHUNK):
            yield chunk
    except OSError as exc:  # a stick pulled out mid-copy
        raise FetchError(f"{f.name}: {exc.strerror}") from None
    finally:
        f.close()


def _stat_or_none(path: Path) -> str | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return f"{info.st_size}-{info.st_mtime_ns}"


def make_source(text: str, session: requests.Session | None = None, timeout: float = 30.0,
                max_manifest_bytes: int = 4_000_000,
                wait: float = 0.0) -> HttpSource | FolderSource:
    """A source from a `sync.sources` entry: an http(s) URL or a folder path."""
    if text.startswith(("http://", "https://")):
        return HttpSource(text, session, timeout, max_manifest_bytes, wait)
    return FolderSource(Path(text), max_manifest_bytes)
