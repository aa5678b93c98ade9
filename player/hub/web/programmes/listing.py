"""The programme list, creating and importing one, and one programme's page."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from player.core.problems import LoadError
from player.hub.programme_check import check_text, read_upload
from player.hub.programme_pages import ProgrammePage, render
from player.hub.programme_sources import media_by_path
from player.hub.programme_translations import translation_table
from player.hub.web.programmes.common import (
    Editor,
    Protected,
    Viewer,
    audit,
    channel_choices,
    desk,
    make_page,
    programme_or_404,
    redirect,
    screens,
)
from player.hub.web.programmes.previews import preview_context
from player.hub.web.security import (
    html,
    page_context,
)

log = logging.getLogger(__name__)
router = APIRouter()
MAX_IMPORT = 1_000_000


def list_page(request: Request, status: int = 200, problems: list[str] | None = None) -> Response:
    page = make_page(request, "/programmes")
    d = desk(request)
    rows = [(p, d.store.version(p.id)) for p in d.store.all()]
    return html(render("programmes.html", page, rows=rows, problems=problems or [],
                       screens=screens(request), **page_context(request)), status)


@router.get("/programmes")
def programmes_page(request: Request, _: Viewer) -> Response:
    return list_page(request)


@router.post("/programmes", dependencies=Protected)
async def create_programme(request: Request, session: Editor) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()[:200] or "Chương trình mới"
    programme = desk(request).store.create(name, session.user.name)
    audit(request, session, "programme.create", str(programme.id), {"name": name})
    return redirect(make_page(request, "/"), f"/programmes/{programme.id}/edit")


@router.post("/programmes/import", dependencies=Protected)
async def import_programme(request: Request, session: Editor) -> Response:
    form = await request.form()
    upload = form.get("file")
    page = make_page(request, "/programmes")
    if upload is None or isinstance(upload, str):
        return list_page(request, 422, [page.t["import_file"]])
    data = await upload.read(MAX_IMPORT + 1)
    file = Path((upload.filename or "").replace("\x00", "")).name[:100]
    if file in ("", ".", ".."):  # no name part: it would be the temporary folder itself
        file = "playlist.yaml"
    if len(data) > MAX_IMPORT:
        return list_page(request, 413, [page.text("import_large", file=file,
                                                  limit=MAX_IMPORT // 1000)])
    try:
        text, parsed = read_upload(data, page.lang, file)
    except LoadError as exc:
        return list_page(request, 422, [str(p) for p in exc.problems])
    name = str(parsed.get("name") if isinstance(parsed, dict) and parsed.get("name") else file)
    programme = desk(request).store.create(name[:200], session.user.name, text)
    audit(request, session, "programme.import", str(programme.id), {"file": file})
    return redirect(page, f"/programmes/{programme.id}")


@router.get("/programmes/{programme_id:int}")
def programme_page(programme_id: int, request: Request, _: Viewer) -> Response:
    programme = programme_or_404(request, programme_id)
    d = desk(request)
    page = make_page(request, f"/programmes/{programme_id}")
    version = d.store.version(programme_id)
    assert version is not None
    langs, rows = translation_table(version.data, version.basis)
    text = render("programme.html", page, programme=programme, version=version,
                  versions=d.store.versions(programme_id),
                  problems=check_text(version.yaml, media_by_path(d.media), page.lang),
                  langs=langs, rows=rows, screens=screens(request),
                  channels=channel_choices(d), message=message_for(request, page),
                  **preview_context(request, version, page.lang), **page_context(request))
    return html(text)


def message_for(request: Request, page: ProgrammePage) -> str:
    q = request.query_params
    text = done_message(q, page)
    if text and q.get("refused"):
        text += " " + page.error("publish", {"message": q.get("refused", "")})
    return text


def done_message(q: Any, page: ProgrammePage) -> str:
    if q.get("approved"):
        return page.text("approved", n=q.get("approved", ""), channels=q.get("channels", ""))
    if q.get("rolled_back"):
        return page.text("rolled_back", n=q.get("rolled_back", ""), old=q.get("old", ""))
    if q.get("staged"):
        return page.text("staged", n=q.get("staged", ""), channels=q.get("channels", ""))
    return ""
