"""Previews drawn by the player's renderer: a library file on a chosen screen, and the
contact sheet of a playlist under the hub's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from player.core.units import UnitError, parse_size
from player.hub import pages
from player.hub.accounts import Session
from player.hub.media import MediaItem
from player.hub.preview import PreviewError
from player.hub.web.media.service import MediaService, media_service
from player.hub.web.media.words import media_page
from player.hub.web.security import html, page_context, require_role

router = APIRouter()
Viewer = Annotated[Session, Depends(require_role("viewer"))]
Editor = Annotated[Session, Depends(require_role("editor"))]


def screen_from(request: Request, item: MediaItem | None = None) -> tuple[tuple[int, int], int]:
    """The screen a preview is drawn for: ``size`` (default: the library's screen, turned to
    the file's orientation) and ``rotation``."""
    service = media_service(request)
    default = service.library.settings.screen
    if item is not None and item.height > item.width:
        default = (min(default), max(default))
    try:
        size = parse_size(request.query_params.get("size") or f"{default[0]}x{default[1]}")
    except UnitError:
        size = default
    rotation_text = request.query_params.get("rotation", "0")
    rotation = int(rotation_text) if rotation_text in ("0", "90", "180", "270") else 0
    return size, rotation


def _media_playlist(service: MediaService, item: MediaItem) -> Path:
    """A one-item playlist showing a ready file, as a programme would use it."""
    folder = service.root / "cache" / "media-preview" / item.sha256
    target = folder / item.playlist_path
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        source = service.library.prepared_path(item.id)
        try:
            target.hardlink_to(source)
        except OSError:
            import shutil

            shutil.copyfile(source, target)
    playlist = folder / "playlist.yaml"
    if not playlist.exists():
        playlist.write_text(
            f"name: preview\nlanguages: [vi, en, zh]\nitems:\n  - id: media-{item.id}\n"
            f"    {item.kind}: {item.playlist_path}\n    fit: contain\n", encoding="utf-8")
    return playlist


@router.get("/media/{media_id}")
async def preview_page(media_id: int, request: Request, _: Viewer) -> Response:
    page, words = media_page(request, f"/media/{media_id}")
    service = media_service(request)
    item = service.library.get(media_id)
    if item is None:
        text = pages.render_error(404, words.no_such, page.lang, **page_context(request))
        return html(text, 404)
    size, rotation = screen_from(request, item)
    problems = ""
    if item.ready:
        try:
            slides = await run_in_threadpool(service.previews.render_slides,
                                             _media_playlist(service, item), size, rotation)
            problems = slides[0].problems if slides else ""
        except PreviewError as exc:
            problems = str(exc)
    page.query = {"size": f"{size[0]}x{size[1]}", "rotation": str(rotation)}
    text = pages.render("media_preview.html", page, m=words, item=item, size=size,
                        rotation=rotation, problems=problems, **page_context(request))
    return html(text)


@router.get("/media/{media_id}/preview.png")
async def preview_png(media_id: int, request: Request, _: Viewer) -> Response:
    service = media_service(request)
    item = service.library.get(media_id)
    if item is None or not item.ready:
        return Response(status_code=404)
    size, rotation = screen_from(request, item)
    try:
        slides = await run_in_threadpool(service.previews.render_slides,
                                         _media_playlist(service, item), size, rotation)
    except PreviewError as exc:
        return JSONResponse({"error": str(exc)}, 500)
    # a video's strip by default; ``part=frame``: its first frame alone, at the screen's size
    chosen = slides[0].frame if request.query_params.get("part") == "frame" else slides[0].png
    return FileResponse(chosen or slides[0].png, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=600"})


@router.get("/preview/contact-sheet.png")
async def contact_sheet(request: Request, _: Editor) -> Response:
    """The contact sheet of a playlist under the hub's folder (``playlist=`` relative path)."""
    service = media_service(request)
    relative = request.query_params.get("playlist", "")
    root = service.root.resolve()
    try:
        path = (root / relative).resolve()
        found = (bool(relative) and path.suffix in (".yaml", ".yml") and path.is_file()
                 and path.is_relative_to(root))
    except (ValueError, OSError):  # a NUL byte or a name too long for the file system
        found = False
    if not found:
        return JSONResponse({"error": "playlist= must name a playlist file under the hub's "
                                      "folder"}, 404)
    size, rotation = screen_from(request)
    try:
        sheet = await run_in_threadpool(service.previews.contact_sheet, path, size, rotation)
    except PreviewError as exc:
        return JSONResponse({"error": str(exc)}, 422)
    return FileResponse(sheet, media_type="image/png", headers={"Cache-Control": "private"})


__all__ = ["router", "screen_from"]
