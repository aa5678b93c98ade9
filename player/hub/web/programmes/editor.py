"""The editor: the form, its unsaved operations, saving a new version, and an edit posted
after the session expired kept for the browser that posted it.

No JavaScript (the hub's pages forbid scripts): the editor's buttons post the whole form and
the page comes back with the change made, unsaved until "Save". An edit posted after the
session expired is kept (``ProgrammeStore.stash``) for the browser that posted it and comes
back in the editor after the login.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from player.hub.accounts import Session, same_token
from player.hub.approval import ProgrammeDesk
from player.hub.programme_check import check_text
from player.hub.programme_form import (
    apply_operation,
    document_form,
    dump_yaml,
    form_document,
    posted_form,
)
from player.hub.programme_pages import ProgrammePage, render
from player.hub.programme_sources import media_by_path
from player.hub.programmes import SaveConflict, StashFull
from player.hub.web.programmes.common import Editor, audit, desk, make_page, programme_or_404, redirect
from player.hub.web.programmes.previews import preview_context
from player.hub.web.security import (
    SESSION_COOKIE,
    Forbidden,
    current_session,
    html,
    is_https,
    origin_ok,
    page_context,
)

log = logging.getLogger(__name__)
router = APIRouter()
STASH_COOKIE = "hub_edit_stash"


def editor_page(request: Request, programme_id: int, form: Any, base: int, status: int = 200,
                message: str = "", notice: str = "") -> Response:
    d = desk(request)
    programme = programme_or_404(request, programme_id)
    page = make_page(request, f"/programmes/{programme_id}/edit")
    text = dump_yaml(form_document(form))
    problems = check_text(text, media_by_path(d.media), page.lang)
    media = d.media.list_ready()
    saved = d.store.version(programme_id)
    return html(render("programme_edit.html", page, programme=programme, form=form, base=base,
                       media=media, thumbs=thumbnails(d, media), saved=saved,
                       **preview_context(request, saved, page.lang, week=False),
                       problems=problems, message=message, notice=notice,
                       **page_context(request)), status)


def thumbnails(d: ProgrammeDesk, media: list) -> dict[str, str]:
    """playlist path -> its thumbnail's address, when the media source has thumbnails."""
    url = getattr(d.media, "thumbnail_url", None)
    return {m.playlist_path: url(m.id) for m in media} if url else {}


@router.get("/programmes/{programme_id:int}/edit")
def edit_page(programme_id: int, request: Request, _: Editor) -> Response:
    d = desk(request)
    programme_or_404(request, programme_id)
    version = d.store.version(programme_id)
    assert version is not None
    page = make_page(request, "/")
    token = request.cookies.get(STASH_COOKIE)
    if request.query_params.get("stash") and token:
        kept = d.store.take_stash(programme_id, token)
        if kept is not None:
            base = int(kept["base"]) if str(kept.get("base", "")).isdigit() else version.number
            response = editor_page(request, programme_id, posted_form(kept), base,
                                   notice=page.t["restored"])
            response.delete_cookie(STASH_COOKIE, path="/programmes")
            return response
    saved = request.query_params.get("saved", "")
    return editor_page(request, programme_id, document_form(version.data), version.number,
                       message=page.text("saved", n=saved) if saved.isdigit() else "")


@router.post("/programmes/{programme_id:int}/edit")
async def save_edit(programme_id: int, request: Request) -> Response:
    form = await request.form()
    page = make_page(request, "/")
    session = current_session(request)
    if session is None:
        fields = {k: (form.getlist(k) if k.endswith("-days") else str(v)[:200_000])
                  for k, v in form.items() if k not in ("csrf_token",)}
        return stash_for_login(request, page, programme_id, fields)
    if not session.user.allows("editor"):
        raise Forbidden()
    base_text = str(form.get("base") or "")
    base = int(base_text) if base_text.isdigit() else 0
    posted = posted_form(form)
    if not origin_ok(request) or not same_token(str(form.get("csrf_token") or ""),
                                                session.csrf_token):
        # a form from before a new login: show it back unsaved, never drop what was typed
        return editor_page(request, programme_id, posted, base, 409, notice=page.t["stale_form"])
    operation = str(form.get("op") or "save")
    if operation != "save":
        apply_operation(posted, operation)
        return editor_page(request, programme_id, posted, base, notice=page.t["unsaved"])
    return save_version(request, page, session, programme_id, base, posted)


def stash_for_login(request: Request, page: ProgrammePage, programme_id: int,
                    fields: dict[str, Any]) -> Response:
    """The session ended while this was typed: keep the edit for this browser, then log in."""
    d = desk(request)
    # only a browser that had a session (its cookie outlived it) gets its edit kept
    if (not origin_ok(request) or not request.cookies.get(SESSION_COOKIE)
            or d.store.get(programme_id) is None):
        raise Forbidden("csrf")
    try:
        token = d.store.stash(programme_id, fields)
    except StashFull:
        raise Forbidden("csrf") from None
    target = f"/programmes/{programme_id}/edit?stash=1"
    if page.lang == "en":
        target += "&lang=en"
    response = RedirectResponse(f"/login?next={quote(target, safe='')}&expired=1", 303)
    response.set_cookie(STASH_COOKIE, token, max_age=86400, httponly=True,
                        samesite="strict", secure=is_https(request), path="/programmes")
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def save_version(request: Request, page: ProgrammePage, session: Session, programme_id: int,
                 base: int, posted: Any) -> Response:
    """Save the posted form as the version after ``base``; the editor again on a conflict."""
    programme_or_404(request, programme_id)
    try:
        version = desk(request).store.save(programme_id, base, dump_yaml(form_document(posted)),
                                           session.user.name)
    except SaveConflict as conflict:
        # their text stays on the page, ready to save over the newest version once compared
        return editor_page(request, programme_id, posted, conflict.head, 409,
                           notice=page.text("conflict", author=conflict.author,
                                            head=conflict.head))
    audit(request, session, "programme.save", str(programme_id), {"version": version.number})
    return redirect(page, f"/programmes/{programme_id}/edit", saved=str(version.number))
