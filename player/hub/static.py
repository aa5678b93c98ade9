"""Channel files over HTTP: ETag/304, a single Range (206/416), and the manifest long-poll.

Players rely on exactly this: a 206 whose Content-Range starts at the offset asked, 200 with the
whole body when Range is absent, several ranges or a stale If-Range; objects are immutable and
cacheable for a year, the manifest `no-cache`. A conditional manifest GET with `Prefer: wait=N`
is held (a coroutine, not a thread) until the manifest changes or N seconds (at most MAX_WAIT).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from player.core.manifest import MANIFEST_NAME
from player.hub.changes import ManifestChanges
from player.hub.files import (
    ByteRange,
    ChannelFiles,
    RangeNotSatisfiable,
    StaticFile,
    etag_matches,
    http_date,
    parse_range,
)

MAX_WAIT = 90  # seconds a long-poll is held at most; proxies must allow more (docs/deploy.md)
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,9})(?!\d)", re.IGNORECASE)
CHUNK = 1 << 16


async def serve_channel_file(request: Request, url_path: str, files: ChannelFiles,
                             changes: ManifestChanges) -> Response:
    """Answer a GET or HEAD of `/channels/<url_path>`."""
    found = await run_in_threadpool(files.open, url_path)
    if found is None:
        return JSONResponse({"error": "no such file"}, 404, headers={"Cache-Control": "no-store"})
    applied = None
    if url_path.endswith(f"/{MANIFEST_NAME}"):
        found, applied = await _long_poll(request, files, url_path, found, changes)
    headers = {"ETag": found.etag, "Last-Modified": http_date(found.mtime),
               "Accept-Ranges": "bytes",
               "Cache-Control": ("public, max-age=31536000, immutable" if found.immutable
                                 else "no-cache")}
    if applied is not None:
        headers["Preference-Applied"] = f"wait={applied}"
    if etag_matches(request.headers.get("if-none-match"), found.etag):
        return Response(status_code=304, headers=headers)
    byte_range = None
    if_range = request.headers.get("if-range")
    if if_range is None or if_range.strip() == found.etag:
        try:
            byte_range = parse_range(request.headers.get("range"), found.size)
        except RangeNotSatisfiable:
            headers["Content-Range"] = f"bytes */{found.size}"
            return Response(b"", 416, headers=headers, media_type="text/plain")
    return _file_response(found, byte_range, headers, request.method == "HEAD")


async def _long_poll(request: Request, files: ChannelFiles, url_path: str, found: StaticFile,
                     changes: ManifestChanges) -> tuple[StaticFile, int | None]:
    match = _PREFER_WAIT.search(request.headers.get("prefer") or "")
    if_none_match = request.headers.get("if-none-match")
    if not match or not if_none_match:
        return found, None
    wait = min(int(match.group(1)), MAX_WAIT)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while etag_matches(if_none_match, found.etag) and not changes.stopping:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await changes.wait(remaining)
        again: StaticFile | None = await run_in_threadpool(files.open, url_path)
        found = again or found
    return found, wait


def _file_response(found: StaticFile, byte_range: ByteRange | None, headers: dict[str, str],
                   head: bool) -> Response:
    start, length, status = 0, found.size, 200
    if byte_range is not None:
        start, length, status = byte_range.start, byte_range.length, 206
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{found.size}"
    headers["Content-Length"] = str(length)
    if head:
        return Response(status_code=status, headers=headers, media_type=found.content_type)
    if length <= CHUNK:  # most manifests and signatures: one read, no streaming machinery
        try:
            data = _read_at(found.path, start, length)
        except OSError:
            return JSONResponse({"error": "no such file"}, 404)
        return Response(data, status, headers=headers, media_type=found.content_type)
    return StreamingResponse(_stream(found.path, start, length), status, headers=headers,
                             media_type=found.content_type)


def _read_at(path: Path, start: int, length: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(length)


async def _stream(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    handle = await run_in_threadpool(open, path, "rb")
    try:
        await run_in_threadpool(handle.seek, start)
        remaining = length
        while remaining:
            chunk = await run_in_threadpool(handle.read, min(1 << 20, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


__all__ = ["MAX_WAIT", "serve_channel_file"]
