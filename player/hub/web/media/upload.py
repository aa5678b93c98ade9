"""An upload to the media library: refused from its headers when it can be, streamed to disk
as it arrives, answered as a page or (for the page's script) as JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from player.hub.accounts import Session, role_allows, same_token
from player.hub.media import MediaItem, MediaRefused, TooLarge, UploadSink
from player.hub.web.media.form_stream import FormStream
from player.hub.web.media.library import library_page
from player.hub.web.media.service import MediaService, media_service
from player.hub.web.media.words import Words, media_page
from player.hub.web.security import (
    Forbidden,
    LoginRequired,
    client_address,
    current_session,
    origin_ok,
    people,
)

log = logging.getLogger(__name__)
FORM_SLACK = 64 * 1024  # bytes of multipart framing and small fields around the file
router = APIRouter()


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/media")
async def upload(request: Request) -> Response:
    session = _uploader(request)
    service = media_service(request)
    page, words = media_page(request, "/media")
    boundary = _boundary(request, words, service.library.settings.max_upload_bytes)
    if isinstance(boundary, Response):
        return boundary
    form = FormStream(boundary, _file_opener(request, service, session))
    try:
        item = await _receive(request, form)
    except MediaRefused as exc:
        return _upload_refused(request, words, form, exc, session)
    except ClientDisconnect:
        # the browser closed the connection mid-upload (page left, network lost): nothing to
        # answer, nothing kept, and no traceback in the hub's log for an everyday event
        if form.sink is not None:
            form.sink.abort()
        log.info("upload of %r by %s cut off: the browser went away before the end",
                 form.filename or "", session.user.name)
        return Response(status_code=400)
    except BaseException:
        if form.sink is not None:
            form.sink.abort()
        raise
    if item is None:
        return _refused(request, words, MediaRefused("form", "no file"), "", 400, key="no_file")
    people(request).audit.record(session.user.name, "media.upload", f"media/{item.id}",
                                 {"name": item.name, "kind": item.kind,
                                  "sha256": item.original_sha256, "size": item.original_size},
                                 client_address(request))
    if _wants_json(request):
        return JSONResponse({"id": item.id, "name": item.name, "kind": item.kind,
                             "state": item.state,
                             "message": words.say("uploaded", name=item.name)}, 201)
    return RedirectResponse(page.link("/media", uploaded=item.name), 303)


def _uploader(request: Request) -> Session:
    """The editor uploading, from a page of this hub; LoginRequired or Forbidden otherwise."""
    session = current_session(request)
    if session is None:
        raise LoginRequired()
    if not role_allows(session.user.role, "editor"):
        raise Forbidden()
    if not origin_ok(request):
        raise Forbidden("csrf")
    return session


def _boundary(request: Request, words: Words, limit: int) -> bytes | Response:
    """The multipart boundary, or the answer refusing the upload from its headers alone."""
    from python_multipart.multipart import parse_options_header

    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + FORM_SLACK:
        # refused from the headers: not a byte of the body is read
        return _refused(request, words, TooLarge("too_large", "too large", limit=limit), "", 413,
                        close=True)
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        return _refused(request, words, MediaRefused("form", "expected multipart/form-data"), "",
                        400)
    return options[b"boundary"]


def _file_opener(request: Request, service: MediaService,
                 session: Session) -> Callable[[str, dict[str, str]], UploadSink]:
    """Opens the library's sink for the file once the CSRF token (sent before it) checks out."""
    header_token = request.headers.get("x-csrf-token")

    def open_file(filename: str, fields: dict[str, str]) -> UploadSink:
        sent = header_token or fields.get("csrf_token")
        if not isinstance(sent, str) or not same_token(sent, session.csrf_token):
            raise Forbidden("csrf")
        return service.library.begin_upload(filename, session.user.name)

    return open_file


async def _receive(request: Request, form: FormStream) -> MediaItem | None:
    """The body streamed through ``form``; the stored item, or None when it held no file."""
    async for chunk in request.stream():
        await run_in_threadpool(form.write, chunk)
    if form.sink is None:
        return None
    return await run_in_threadpool(form.sink.finish)


def _upload_refused(request: Request, words: Words, form: FormStream, exc: MediaRefused,
                    session: Session) -> Response:
    if form.sink is not None:
        form.sink.abort()
    name = form.filename or ""
    log.info("upload of %r by %s refused: %s", name, session.user.name, exc)
    status = 413 if isinstance(exc, TooLarge) else 422
    return _refused(request, words, exc, form.sink.name if form.sink else name, status,
                    close=isinstance(exc, TooLarge))


def _refused(request: Request, words: Words, exc: MediaRefused, name: str, status: int,
             close: bool = False, key: str = "") -> Response:
    message = words.t[key] if key else words.refused(exc, name)
    headers = {"Connection": "close"} if close else {}
    if _wants_json(request):
        return JSONResponse({"error": message, "code": exc.code}, status, headers=headers)
    response = library_page(request, status, message)
    response.headers.update(headers)
    return response


__all__ = ["router"]
