"""Approvers' signing keys: the list, and making one's own (sealed with a passphrase)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from player.hub.approvers import PassphraseError
from player.hub.programme_pages import render
from player.hub.web.programmes.common import Approver, Protected, Viewer, audit, desk, make_page
from player.hub.web.security import (
    current_session,
    html,
    page_context,
)

log = logging.getLogger(__name__)
router = APIRouter()


def keys_page(request: Request, status: int = 200, message: str = "",
              created: bool = False) -> Response:
    d = desk(request)
    page = make_page(request, "/programmes/keys")
    session = current_session(request)
    mine = d.keys.get(session.user.name) if session else None
    return html(render("programme_keys.html", page, mine=mine, keys=d.keys.all(),
                       message=message, created=created, **page_context(request)), status)


@router.get("/programmes/keys")
def show_keys(request: Request, _: Viewer) -> Response:
    return keys_page(request)


@router.post("/programmes/keys", dependencies=Protected)
async def create_key(request: Request, session: Approver) -> Response:
    form = await request.form()
    page = make_page(request, "/")
    passphrase = str(form.get("passphrase") or "")
    if passphrase != str(form.get("passphrase_again") or ""):
        return keys_page(request, 422, page.error("passphrase_differ"))
    try:
        key = await run_in_threadpool(desk(request).keys.create, session.user.name, passphrase)
    except PassphraseError as exc:
        return keys_page(request, 422, page.error(exc.key))
    audit(request, session, "key.create", session.user.name, {"public_key": key.public_key})
    return keys_page(request, created=True)
