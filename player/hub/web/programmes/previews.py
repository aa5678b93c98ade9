"""Previews: each slide of a version (or of what a channel serves now) at each target
screen, the contact sheet, and the week of what plays when."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from player.core.problems import LoadError
from player.hub.preview import PreviewError
from player.hub.programme_check import release_folder
from player.hub.programme_preview import (
    PreviewUnavailable,
    TargetScreen,
    preview_ready,
    target_screens,
    week_rows,
)
from player.hub.programme_sources import MediaItem, media_by_path
from player.hub.releases import on_air
from player.hub.web.programmes.common import Viewer, desk, programme_or_404

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/programmes/{programme_id:int}/contact-sheet.png")
async def contact_sheet(programme_id: int, request: Request, _: Viewer) -> Response:
    """The newest version's contact sheet from the hub's preview renderer (a worker's job)."""
    from player.hub.app import HttpError

    d = desk(request)
    programme_or_404(request, programme_id)
    version = d.store.version(programme_id)
    assert version is not None
    size, rotation = screen_query(request)

    def render_sheet() -> bytes:
        with release_folder(version.yaml, media_by_path(d.media), real=True) as playlist:
            return d.previewer.contact_sheet(playlist, size, rotation).read_bytes()

    try:
        png = await rendering(render_sheet)
    except PreviewUnavailable as exc:
        raise HttpError(404, str(exc)) from None
    except PreviewError as exc:  # the playlist does not load, or the worker failed
        raise HttpError(422, str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


def preview_screens(request: Request) -> list[TargetScreen]:
    """The screens to preview on: the clusters' reported ones, else the library's setting."""
    d, hub = desk(request), request.app.state.hub
    service = getattr(request.app.state, "media", None)
    fallback = service.library.settings.screen if service is not None else (1920, 1080)
    clusters = [(c, d.config.clusters[c].label) for c in d.config.clusters]
    return target_screens(hub.store, clusters, fallback)


def screen_query(request: Request) -> tuple[tuple[int, int], int]:
    """``size=WxH&rotation=R`` of a preview's address (the first target screen without)."""
    try:
        w, h = (int(n) for n in request.query_params.get("size", "").split("x"))
        rotation = int(request.query_params.get("rotation", "0"))
    except ValueError:
        first = preview_screens(request)[0]
        return first.size, first.rotation
    if not (16 <= w <= 7680 and 16 <= h <= 7680) or rotation not in (0, 90, 180, 270):
        first = preview_screens(request)[0]
        return first.size, first.rotation
    return (w, h), rotation


# A page with many slides asks for them all at once; they wait here, holding no thread, so the
# web server's thread pool stays free for the other pages while the worker draws. One limiter
# an event loop (a limiter belongs to the loop it was made in).
_PREVIEW_THREADS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


async def rendering(draw: Callable[[], bytes]) -> bytes:
    import asyncio

    import anyio

    loop = asyncio.get_running_loop()
    limiter = _PREVIEW_THREADS.get(loop)
    if limiter is None:
        limiter = _PREVIEW_THREADS[loop] = anyio.CapacityLimiter(2)
    return await anyio.to_thread.run_sync(draw, limiter=limiter)


def slide_items(data: Any) -> list[dict[str, str]]:
    """id and kind of each item, in order: one slide each."""
    items = data.get("items") if isinstance(data, dict) else None
    found = []
    for n, entry in enumerate(items if isinstance(items, list) else []):
        entry = entry if isinstance(entry, dict) else {}
        kind = "video" if "video" in entry else "image" if "image" in entry else "text"
        found.append({"id": str(entry.get("id") or f"item{n + 1}"), "kind": kind})
    return found


def preview_context(request: Request, version: Any, lang: str,
                    week: bool = True) -> dict[str, Any]:
    """What the preview and week sections of a page need for ``version``."""
    d = desk(request)
    ready = preview_ready(d.previewer)
    return {"preview": ready, "preview_screens": preview_screens(request) if ready else [],
            "slide_items": slide_items(version.data) if version else [],
            "week": week_view(request, version.yaml, lang) if version and week else None}


async def slide_png(request: Request, text: str, media: dict, index: int) -> Response:
    from player.hub.app import HttpError

    d = desk(request)
    size, rotation = screen_query(request)

    def render_one() -> bytes:
        with release_folder(text, media, real=True) as playlist:
            try:
                slides = d.previewer.render_slides(playlist, size, rotation)
            except PreviewError as exc:  # the temporary folder means nothing to the reader
                raise PreviewError(str(exc).replace(str(playlist.parent) + "/", "")) from None
            found = next((s for s in slides if s.index == index), None)
            if found is None:
                raise PreviewError(f"no slide {index + 1}")
            return found.png.read_bytes()  # while the folder a renderer may draw in exists

    try:
        png = await rendering(render_one)
    except PreviewUnavailable as exc:
        raise HttpError(404, str(exc)) from None
    except PreviewError as exc:
        raise HttpError(422, str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get("/programmes/{programme_id:int}/v{number:int}/slide-{index:int}.png")
async def version_slide(programme_id: int, number: int, index: int, request: Request,
                        _: Viewer) -> Response:
    """One slide of one saved version, drawn by the preview worker (cached by content)."""
    from player.hub.app import HttpError

    d = desk(request)
    version = d.store.version(programme_id, number)
    if version is None:
        raise HttpError(404, "no such version")
    return await slide_png(request, version.yaml, media_by_path(d.media), index)


@router.get("/programmes/on-air/{channel}/slide-{index:int}.png")
async def on_air_slide(channel: str, index: int, request: Request, _: Viewer) -> Response:
    """One slide of what a channel serves now, drawn from the channel's own files."""
    from player.hub.app import HttpError
    d = desk(request)
    current = on_air(d.publisher, channel) if channel in d.channels() else None
    if current is None:
        raise HttpError(404, "nothing on air")
    objects = d.publisher.channels / channel / "objects"
    media = {f.path: (MediaItem(f.sha256, f.path, "", f.sha256, ""), objects / f.sha256)
             for f in current.files}
    return await slide_png(request, current.playlist, media, index)


def week_view(request: Request, text: str, lang: str) -> Any:
    """The week from today (the clusters' time zone) of the playlist ``text``, or None."""
    from zoneinfo import ZoneInfo

    from player.core.playlist_reader import load_playlist

    d = desk(request)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    today = datetime.fromtimestamp(d.clock(), tz).date()
    try:
        with release_folder(text, media_by_path(d.media)) as path:
            playlist = load_playlist(path)
    except (LoadError, OSError, ValueError):
        return None
    return week_rows(playlist, today, tz)
