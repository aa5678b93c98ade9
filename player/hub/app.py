"""The hub as one ASGI application (FastAPI on Starlette): channels, heartbeats, uploads, pages.

Endpoints (see docs/hub.md):
  GET/HEAD /channels/NAME/...            static channel files (ETag, 304, Range, long-poll)
  POST     /api/v1/heartbeats            heartbeat batches (per-cluster bearer token)
  PUT      /api/v1/channels/NAME/objects/SHA256, /api/v1/channels/NAME/manifest   (upload token)
  GET      /, /clusters/ID, /clusters/ID/screenshot.jpg   HTML (?lang=en for English)
  GET      /api/v1/fleet, /api/v1/clusters/ID             the same data as JSON
  GET      /healthz

Tokens are checked from the headers before a body is read, and a body is read only up to its
limit (Content-Length first, then while streaming), never parsed before both checks passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from player.hub import pages
from player.hub.changes import ManifestChanges, listen_postgresql, watch_manifest_files
from player.hub.config import HubConfig
from player.hub.database import make_engine, migrate
from player.hub.files import ChannelFiles
from player.hub.fleet import FleetView, PublishedVersions
from player.hub.heartbeat_store import HeartbeatStore
from player.hub.ingest import BatchError, bearer_token, read_batch
from player.hub.notify import ManifestNotifier
from player.hub.remote import CommandStore
from player.hub.remote_api import install_remote_api
from player.hub.static import serve_channel_file
from player.hub.upload import ChannelPublisher, UploadRefused, clean_channels
from player.hub.web import install, open_people

log = logging.getLogger(__name__)

HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class HttpError(Exception):
    """Answer with `status` and `message` (JSON for machines, a page for people)."""

    def __init__(self, status: int, message: str, close: bool = False):
        super().__init__(message)
        self.status, self.message, self.close = status, message, close


@dataclass
class Hub:
    """What the endpoints share; one per process, reached as `app.state.hub`."""

    root: Path
    config: HubConfig
    clock: Callable[[], float]
    store: HeartbeatStore
    view: FleetView
    publisher: ChannelPublisher
    changes: ManifestChanges
    notifier: ManifestNotifier
    database_url: str
    tokens: frozenset[str]
    files: ChannelFiles
    commands: CommandStore

    def close(self) -> None:
        self.store.close()


def open_hub(config: HubConfig, root: Path, clock: Callable[[], float] = time.time) -> Hub:
    """Migrate the database, clean what a killed upload left, and wire the parts together."""
    (root / "channels").mkdir(parents=True, exist_ok=True)
    clean_channels(root / "channels")
    url = config.database_url(root)
    engine = make_engine(url)
    migrate(engine)
    store = HeartbeatStore(url, clock, config.limits.history_days, engine=engine)
    changes = ManifestChanges()
    notifier = ManifestNotifier(engine, changes)
    return Hub(root=root, config=config, clock=clock, store=store,
               view=FleetView(config, store, PublishedVersions(root), clock),
               publisher=ChannelPublisher(root, config, notifier.published, clock),
               changes=changes, notifier=notifier, database_url=url,
               tokens=frozenset(c.token for c in config.clusters.values()),
               files=ChannelFiles(root),
               commands=CommandStore(engine, lambda: set(config.clusters), clock))


def create_app(config: HubConfig, root: Path, clock: Callable[[], float] = time.time,
               hub: Hub | None = None) -> FastAPI:
    """The hub's ASGI application over `root` (channels/ and, by default, hub.sqlite)."""
    hub = hub or open_hub(config, root, clock)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.changes.bind(asyncio.get_running_loop())
        tasks = [asyncio.create_task(watch_manifest_files(
            root / "channels", hub.changes, config.limits.manifest_check_seconds))]
        if hub.notifier.postgresql:
            listening = asyncio.Event()
            tasks.append(asyncio.create_task(listen_postgresql(hub.database_url, hub.changes,
                                                               listening.set)))
            # Serve only once other processes' publishes can reach this one's long-polls.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listening.wait(), 30)
        try:
            yield
        finally:
            hub.changes.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            hub.close()

    app = FastAPI(title="signage-player hub", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.hub = hub
    _add_error_handlers(app)
    _add_channel_routes(app, hub)
    _add_report_routes(app, hub)
    _add_upload_routes(app, hub)
    install_remote_api(app, hub)  # remote commands: results and files from the players
    _add_page_routes(app, hub)
    return app


# -- errors ------------------------------------------------------------------------------------

def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/channels/")) or request.method not in ("GET", "HEAD")


def error_response(request: Request, status: int, message: str, close: bool = False) -> Response:
    headers = {"Connection": "close"} if close else None
    if _wants_json(request):
        return JSONResponse({"error": message}, status, headers=headers)
    lang = pages.pick_lang({k: request.query_params.getlist(k) for k in request.query_params})
    return HTMLResponse(pages.render_error(status, message, lang), status,
                        headers={**HTML_HEADERS, **(headers or {})})


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HttpError)
    async def hub_error(request: Request, exc: HttpError) -> Response:
        return error_response(request, exc.status, exc.message, exc.close)

    @app.exception_handler(UploadRefused)
    async def refused(request: Request, exc: UploadRefused) -> Response:
        return error_response(request, exc.status, exc.message, close=True)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "no such page", 405: "method not allowed"}.get(exc.status_code,
                                                                       str(exc.detail))
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "; ".join(str(e.get("msg")) for e in exc.errors()))

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> Response:
        log.error("the database refused a request: %s", exc)
        return error_response(request, 503, "the hub cannot store reports right now; send them "
                                             "later")

    @app.exception_handler(OSError)
    async def disk_error(request: Request, exc: OSError) -> Response:
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(request, 507 if exc.errno == 28 else 500,
                              f"the hub cannot write: {exc.strerror or exc}", close=True)


# -- bodies --------------------------------------------------------------------------------------

def content_length(request: Request, limit: int) -> int | None:
    """The declared length (None for a chunked body); 413 before reading when over `limit`."""
    text = request.headers.get("content-length")
    if text is None:
        if request.headers.get("transfer-encoding"):
            return None
        raise HttpError(411, "a Content-Length header is required", close=True)
    if not text.isdigit() or len(text) > 18:
        raise HttpError(400, "Content-Length is not a number of bytes", close=True)
    length = int(text)
    if length > limit:
        raise HttpError(413, f"the body is larger than {limit} bytes", close=True)
    return length


DRAIN_LIMIT = 64 * 1024  # a refused body up to this size is read and dropped, keeping the connection


async def refuse(request: Request, status: int, message: str) -> HttpError:
    """An error to raise for a request whose body was not wanted.

    A small body is read and thrown away so the answer is not lost to a TCP reset (closing a
    socket with unread data resets it); a large or unsized one closes the connection instead.
    """
    text = request.headers.get("content-length") or ""
    if text.isdigit() and len(text) < 10 and int(text) <= DRAIN_LIMIT:
        async for _chunk in request.stream():
            pass
        return HttpError(status, message)
    return HttpError(status, message, close=True)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it passes `limit` bytes."""
    content_length(request, limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"the body is larger than {limit} bytes", close=True)
        chunks.append(chunk)
    return b"".join(chunks)


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else ""
    if peer in ("127.0.0.1", "::1"):
        # Behind the documented nginx, the real address comes in X-Real-IP.
        return request.headers.get("x-real-ip", peer)[:64]
    return peer


def json_answer(status: int, data: object) -> Response:
    return Response(json.dumps(data, ensure_ascii=False).encode(), status,
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


# -- routes ------------------------------------------------------------------------------------

# The two paths the players hit are plain Starlette routes: they take only the request, and
# FastAPI's parameter machinery would cost a tenth of a heartbeat's time for nothing.

def _add_channel_routes(app: FastAPI, hub: Hub) -> None:
    async def channel_file(request: Request) -> Response:
        return await serve_channel_file(request, request.path_params["url_path"], hub.files,
                                        hub.changes)

    app.router.routes.append(Route("/channels/{url_path:path}", channel_file,
                                   methods=["GET", "HEAD"]))


def _add_report_routes(app: FastAPI, hub: Hub) -> None:
    async def heartbeats(request: Request) -> Response:
        authorization = request.headers.get("authorization")
        token = bearer_token(authorization)
        if token is None:
            raise await refuse(request, 401, "missing Authorization: Bearer <token> header")
        if token not in hub.tokens:  # before a byte of the body is parsed
            raise await refuse(request, 401, "unknown cluster token")
        body = await read_body(request, hub.config.limits.max_batch_bytes)
        try:
            batch = read_batch(body, authorization, hub.config)
        except BatchError as exc:
            raise HttpError(exc.status, exc.message) from None
        ids: list = []
        if batch.reports or batch.rejected:  # an empty batch only asks for remote commands
            ids = await asyncio.wrap_future(hub.store.submit(batch, client_address(request)))
        answer: dict = {"ack": ids}
        if batch.rejected:
            answer["rejected"] = [{"id": rid, "error": reason} for rid, reason, _ in batch.rejected]
        headers = await hub.commands.add_to_answer(  # docs/remote.md
            answer, batch.cluster, batch.takes_commands, request.headers.get("prefer"),
            run_in_threadpool, request.is_disconnected)
        response = json_answer(200, answer)
        response.headers.update(headers)
        return response

    app.router.routes.append(Route("/api/v1/heartbeats", heartbeats, methods=["POST"]))


def _add_upload_routes(app: FastAPI, hub: Hub) -> None:
    publisher = hub.publisher

    async def check_token(request: Request) -> None:
        try:
            publisher.check_token(request.headers.get("authorization"))
        except UploadRefused as exc:
            raise await refuse(request, exc.status, exc.message) from None

    @app.put("/api/v1/channels/{channel}/objects/{name}")
    async def put_object(channel: str, name: str, request: Request) -> Response:
        await check_token(request)
        length = content_length(request, hub.config.limits.max_object_bytes)
        if length is None:
            raise HttpError(411, "send a Content-Length (chunked bodies are not accepted)",
                            close=True)
        writer = await run_in_threadpool(publisher.begin_object, channel, name, length)
        try:
            async for chunk in request.stream():
                await run_in_threadpool(writer.write, chunk)
            created = await run_in_threadpool(writer.finish)
        finally:
            writer.abort()
        return json_answer(201 if created else 200, {"stored": name})

    @app.put("/api/v1/channels/{channel}/manifest")
    async def put_manifest(channel: str, request: Request) -> Response:
        await check_token(request)
        body = await read_body(request, hub.config.limits.max_manifest_bytes * 2)
        version = await run_in_threadpool(publisher.put_manifest, channel, body)
        return json_answer(200, {"version": version})


def _add_page_routes(app: FastAPI, hub: Hub) -> None:
    @app.api_route("/healthz", methods=["GET", "HEAD"])
    def healthz() -> Response:
        return Response(b"ok\n", media_type="text/plain; charset=utf-8")

    # the fleet pages, login, users and audit log: player.hub.web
    install(app, open_people(hub.store.engine, hub.config, hub.view, hub.clock))


__all__ = ["Hub", "HttpError", "create_app", "open_hub"]
