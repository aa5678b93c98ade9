"""The media library's list, its JSON for the progress bars, thumbnails and delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from player.hub import pages
from player.hub.accounts import Session, role_allows
from player.hub.web.media.service import media_service
from player.hub.web.media.words import media_page
from player.hub.web.security import (
    HTML_HEADERS,
    client_address,
    csrf_protect,
    current_session,
    page_context,
    people,
    require_role,
)

# the upload page's script (progress bar) and its XMLHttpRequest are this hub's own
MEDIA_HEADERS = {**HTML_HEADERS, "Content-Security-Policy": HTML_HEADERS[
    "Content-Security-Policy"].replace("default-src 'none'",
                                       "default-src 'none'; script-src 'self'; connect-src 'self'")}
SCRIPT = Path(__file__).resolve().parents[2] / "static" / "media-upload.js"
router = APIRouter()
Viewer = Annotated[Session, Depends(require_role("viewer"))]
Editor = Annotated[Session, Depends(require_role("editor"))]


def library_page(request: Request, status: int = 200, message: str = "",
                 notice: str = "") -> Response:
    page, words = media_page(request, "/media")
    service = media_service(request)
    settings = service.library.settings
    session = current_session(request)
    text = pages.render(
        "media.html", page, m=words, items=service.library.list_all(),
        can_edit=session is not None and role_allows(session.user.role, "editor"),
        limits=words.say("limits", image=page.size(settings.max_image_bytes),
                         video=page.size(settings.max_video_bytes),
                         screen=f"{settings.screen[0]}×{settings.screen[1]}"),
        max_image=settings.max_image_bytes, max_video=settings.max_video_bytes,
        message=message, notice=notice, **page_context(request))
    return HTMLResponse(text, status, headers=MEDIA_HEADERS)


@router.get("/media")
def show_library(request: Request, _: Viewer) -> Response:
    page, words = media_page(request, "/media")
    done = request.query_params.get("uploaded", "")
    deleted = request.query_params.get("deleted", "")
    notice = (words.say("uploaded", name=done[:200]) if done else
              words.say("deleted", name=deleted[:200]) if deleted else "")
    return library_page(request, notice=notice)


@router.get("/media/upload.js")
def upload_script() -> Response:
    return FileResponse(SCRIPT, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@router.get("/api/v1/media")
def media_json(request: Request, _: Viewer) -> Response:
    page, words = media_page(request, "/media")
    items = media_service(request).library.list_all()
    return JSONResponse({"media": [{
        "id": i.id, "name": i.name, "kind": i.kind, "state": i.state,
        "progress": round(i.progress, 4), "label": words.state(i), "error": words.error(i),
        "width": i.width, "height": i.height, "duration": i.duration, "size": i.size,
        "sha256": i.sha256, "path": i.playlist_path, "uploaded_by": i.uploaded_by,
        "uploaded_at": i.uploaded_at} for i in items]}, headers={"Cache-Control": "no-store"})


@router.get("/media/{media_id}/thumb.jpg")
def thumbnail(media_id: int, request: Request, _: Viewer) -> Response:
    path = media_service(request).library.thumbnail_path(media_id)
    if not path.exists():
        return Response(status_code=404)
    return FileResponse(path, media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})


@router.post("/media/{media_id}/delete", dependencies=[Depends(csrf_protect)])
async def delete_media(media_id: int, request: Request, session: Editor) -> Response:
    page, words = media_page(request, "/media")
    library = media_service(request).library
    item = library.get(media_id)
    if item is None:
        return library_page(request, 404, words.no_such)
    reasons = library.in_use(item)
    if reasons:
        return library_page(request, 409, words.say("in_use", name=item.name,
                                                    what=", ".join(reasons)))
    await run_in_threadpool(library.delete, media_id)
    people(request).audit.record(session.user.name, "media.delete", f"media/{media_id}",
                                 {"name": item.name, "sha256": item.sha256},
                                 client_address(request))
    return RedirectResponse(page.link("/media", deleted=item.name), 303)


__all__ = ["router", "library_page", "MEDIA_HEADERS"]
