"""What every programme page shares: the desk, the page's words and links, the audit log,
the roles a route needs."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from player.hub.accounts import Session
from player.hub.approval import ProgrammeDesk
from player.hub.programme_pages import ProgrammePage
from player.hub.web.security import (
    client_address,
    csrf_protect,
    people,
    require_role,
)

log = logging.getLogger(__name__)
Viewer = Annotated[Session, Depends(require_role("viewer"))]
Editor = Annotated[Session, Depends(require_role("editor"))]
Approver = Annotated[Session, Depends(require_role("approver"))]
Protected = [Depends(csrf_protect)]


def desk(request: Request) -> ProgrammeDesk:
    return request.app.state.programmes


def make_page(request: Request, path: str, **query: str) -> ProgrammePage:
    from player.hub import pages

    return ProgrammePage(pages.pick_lang(request.query_params), desk(request).clock(), path,
                         {k: v for k, v in query.items() if v})


def audit(request: Request, session: Session, action: str, target: str,
          detail: dict | None = None) -> None:
    people(request).audit.record(session.user.name, action, target, detail or {},
                                 client_address(request))


def redirect(page: ProgrammePage, path: str, **params: str) -> Response:
    return RedirectResponse(page.link(path, **params), 303)


def programme_or_404(request: Request, programme_id: int) -> Any:
    from player.hub.app import HttpError

    programme = desk(request).store.get(programme_id)
    if programme is None:
        raise HttpError(404, "no such programme")
    return programme


def screens(request: Request) -> list:
    return desk(request).screens(people(request).fleet)


def channel_choices(d: ProgrammeDesk) -> list[tuple[str, list[str]]]:
    return [(c, [d.config.clusters[x].label for x in d.clusters_of(c)]) for c in d.channels()]
