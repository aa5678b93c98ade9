"""Raising and lifting an emergency message on chosen clusters (signed like an approval)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from player.hub.approval import ApprovalRefused
from player.hub.approvers import PassphraseError
from player.hub.programme_pages import render
from player.hub.upload import UploadRefused
from player.hub.web.programmes.common import Approver, Protected, audit, desk, make_page
from player.hub.web.programmes.refusals import outcome, refusal, refusal_text, signing_refused
from player.hub.web.security import (
    html,
    page_context,
)

log = logging.getLogger(__name__)
router = APIRouter()


def emergency_page(request: Request, status: int = 200, message: str = "",
                   notice: str = "", form: Any = None) -> Response:
    d = desk(request)
    page = make_page(request, "/programmes/emergency")
    clusters = [(c.id, c.label, d.cluster_channel(c.id)) for c in d.config.clusters.values()]
    return html(render("programme_emergency.html", page, clusters=clusters,
                       active=d.emergencies(), message=message, notice=notice,
                       form=form or {}, **page_context(request)), status)


@router.get("/programmes/emergency")
def show_emergency(request: Request, _: Approver) -> Response:
    return emergency_page(request)


@router.post("/programmes/emergency", dependencies=Protected)
async def emergency(request: Request, session: Approver) -> Response:
    form = await request.form()
    d = desk(request)
    page = make_page(request, "/")
    clusters = [str(c) for c in form.getlist("clusters")]
    channels = list(dict.fromkeys(d.cluster_channel(c) for c in clusters if c in d.config.clusters))
    passphrase = str(form.get("passphrase") or "")
    lift = form.get("action") == "lift"
    texts = {lang: str(form.get(f"text-{lang}") or "")[:500] for lang in ("vi", "en", "zh")}
    try:
        if lift:
            published = await run_in_threadpool(d.lift_emergency, channels, session.user.name,
                                                passphrase)
        else:
            published = await run_in_threadpool(d.raise_emergency, texts, channels,
                                                session.user.name, passphrase)
    except (ApprovalRefused, PassphraseError, UploadRefused) as exc:
        signing_refused(request, session, "emergency", ",".join(channels), exc)
        status, message = refusal(page, exc)
        return emergency_page(request, status, message, form={**texts, "clusters": clusters})
    done, refused = outcome(published)
    detail: dict = {"channels": done, "clusters": clusters,
                    **({"refused": refused} if refused else {})}
    if not lift:
        detail["text"] = texts
    audit(request, session, "emergency.lift" if lift else "emergency.raise",
          ",".join(done), detail)
    key = "emergency_lifted" if lift else "emergency_raised"
    return emergency_page(request, notice=page.text(key, channels=", ".join(done)),
                          message=page.error("publish", {"message": refusal_text(refused)})
                          if refused else "")
