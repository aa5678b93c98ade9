"""Approving a version (signed with the approver's passphrase), rolling back or staging an
older one."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from player.hub.approval import ApprovalRefused
from player.hub.approvers import PassphraseError
from player.hub.programme_check import check_text, load_document
from player.hub.programme_diff import diff_items
from player.hub.programme_pages import render
from player.hub.programme_sources import media_by_path
from player.hub.programme_translations import missing_translations, translation_table
from player.hub.releases import on_air
from player.hub.upload import UploadRefused
from player.hub.web.programmes.common import (
    Approver,
    Protected,
    audit,
    channel_choices,
    desk,
    make_page,
    programme_or_404,
    redirect,
)
from player.hub.web.programmes.previews import preview_context
from player.hub.web.programmes.refusals import outcome, refusal, refusal_text, signing_refused
from player.hub.web.security import (
    current_session,
    html,
    page_context,
)

log = logging.getLogger(__name__)
router = APIRouter()


def approve_page(request: Request, programme_id: int, status: int = 200,
                 message: str = "") -> Response:
    d = desk(request)
    programme = programme_or_404(request, programme_id)
    page = make_page(request, f"/programmes/{programme_id}/approve")
    version = d.store.version(programme_id)
    assert version is not None
    channel = d.channels()[0] if d.channels() else ""
    current = on_air(d.publisher, channel) if channel else None
    before = load_document(current.playlist) if current else {}
    changes = diff_items(before, version.data)
    langs, rows = translation_table(version.data, version.basis)
    text = render("programme_approve.html", page, programme=programme, version=version,
                  changes=changes, channel=channel, on_air_version=current.version
                  if current else None, langs=langs, rows=rows,
                  missing=missing_translations(version.data),
                  problems=check_text(version.yaml, media_by_path(d.media), page.lang),
                  channels=channel_choices(d),
                  media_names={m.playlist_path: m.name for m in d.media.list_ready()},
                  on_air_positions=item_positions(before) if current else {},
                  draft_positions=item_positions(version.data),
                  **preview_context(request, version, page.lang),
                  has_key=d.keys.get(current_name(request))
                  is not None, message=message, **page_context(request))
    return html(text, status)


def current_name(request: Request) -> str:
    session = current_session(request)
    return session.user.name if session else ""


@router.get("/programmes/{programme_id:int}/approve")
def show_approve(programme_id: int, request: Request, _: Approver) -> Response:
    return approve_page(request, programme_id)


def item_positions(data: Any) -> dict[str, int]:
    """item id (as ``diff_items`` names it) -> its position, which is its slide's number."""
    items = data.get("items") if isinstance(data, dict) else None
    return {str(i.get("id") or f"item{n + 1}"): n for n, i in
            enumerate(items if isinstance(items, list) else []) if isinstance(i, dict)}


@router.post("/programmes/{programme_id:int}/approve", dependencies=Protected)
async def approve(programme_id: int, request: Request, session: Approver) -> Response:
    form = await request.form()
    d = desk(request)
    page = make_page(request, "/")
    number = str(form.get("version") or "")
    channels = [str(c) for c in form.getlist("channels")]
    override = bool(form.get("override"))
    try:
        version, published, missing = await run_in_threadpool(
            d.approve, programme_id, int(number) if number.isdigit() else -1, session.user.name,
            str(form.get("passphrase") or ""), channels, override, page.lang)
    except (ApprovalRefused, PassphraseError, UploadRefused) as exc:
        signing_refused(request, session, "programme.approve", str(programme_id), exc)
        status, message = refusal(page, exc)
        return approve_page(request, programme_id, status, message)
    done, refused = outcome(published)
    audit(request, session, "programme.approve", str(programme_id),
          {"version": version.number, "channels": done, "author": version.author,
           **({"refused": refused} if refused else {})})
    if missing:
        audit(request, session, "programme.override_missing", str(programme_id),
              {"version": version.number, "missing": missing})
    return redirect(page, f"/programmes/{programme_id}", approved=str(version.number),
                    channels=", ".join(done), refused=refusal_text(refused))


@router.post("/programmes/{programme_id:int}/publish", dependencies=Protected)
async def publish_version(programme_id: int, request: Request, session: Approver) -> Response:
    form = await request.form()
    d = desk(request)
    page = make_page(request, "/")
    number = str(form.get("version") or "")
    try:
        version, published, rollback = await run_in_threadpool(
            d.publish_version, programme_id, int(number) if number.isdigit() else -1,
            session.user.name, str(form.get("passphrase") or ""),
            [str(c) for c in form.getlist("channels")])
    except (ApprovalRefused, PassphraseError, UploadRefused) as exc:
        signing_refused(request, session, "programme.publish", str(programme_id), exc)
        status, message = refusal(page, exc)
        return approve_page(request, programme_id, status, message)
    done, refused = outcome(published)
    action = "programme.rollback" if rollback else "programme.stage"
    audit(request, session, action, str(programme_id),
          {"version": version.number, "from_version": int(number), "channels": done,
           **({"refused": refused} if refused else {})})
    if rollback:
        return redirect(page, f"/programmes/{programme_id}", rolled_back=str(version.number),
                        old=number, refused=refusal_text(refused))
    return redirect(page, f"/programmes/{programme_id}", staged=str(version.number),
                    channels=", ".join(done), refused=refusal_text(refused))
