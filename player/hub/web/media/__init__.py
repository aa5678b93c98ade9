"""The media library's pages: upload (streamed to disk, with progress), the list with the
preparation's progress, a preview of any ready file, delete; and the contact sheet of a
playlist under the hub's folder, for the programme pages to link to.

  GET  /media                     the library (viewer or more); upload and delete: editor
  POST /media                     an upload (multipart: csrf_token first, then the file)
  GET  /media/{id}                a file's preview, drawn by the player's renderer
  GET  /media/{id}/thumb.jpg      its thumbnail; /media/{id}/preview.png: its slide (a video's
                                  strip of frames; ?part=frame: the first frame alone)
  POST /media/{id}/delete
  GET  /api/v1/media              the library as JSON (the page polls it for progress)
  GET  /preview/contact-sheet.png?playlist=PATH&size=1920x1080&rotation=0
                                  PATH relative to the hub's folder (editor or more)

``install(app)`` wires the library, its job queue (started and stopped with the app) and the
preview renderer from ``app.state.hub``; ``app.state.media`` is the ``MediaService``.
The routes live by idea: ``library`` (list, JSON, thumbnails, delete), ``upload``, ``previews``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from player.hub.jobs import JobQueue
from player.hub.media import MediaLibrary
from player.hub.preview import PreviewRenderer
from player.hub.web.media.library import router as library_router
from player.hub.web.media.previews import router as previews_router
from player.hub.web.media.service import MediaService
from player.hub.web.media.upload import router as upload_router


def install(app: FastAPI) -> MediaService:
    """Mount the media pages; the job queue starts and stops with the app's lifespan."""
    hub = app.state.hub
    library = MediaLibrary(hub.store.engine, hub.root, hub.config.media, hub.clock)
    service = MediaService(library, JobQueue(library, hub.clock),
                           PreviewRenderer(hub.root / "cache" / "previews"), hub.root)
    app.state.media = service
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        service.start()
        try:
            async with inner(a) as state:
                yield state
        finally:
            await run_in_threadpool(service.stop)

    app.router.lifespan_context = lifespan
    # the library's routes first: /media/upload.js before /media/{media_id}
    for router in (library_router, upload_router, previews_router):
        app.include_router(router)
    return service


__all__ = ["install"]
