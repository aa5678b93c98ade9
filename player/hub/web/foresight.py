"""The maintenance log (record a visit: editor or more) and the monthly availability reports (per
cluster and for the district), for people.

Reading follows the fleet pages' rule (a viewer, or anyone with ``public_fleet``); recording a
visit needs an editor, the session's CSRF token, and goes in the audit log.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from player.hub import page_text, pages
from player.hub.accounts import Session
from player.hub.availability import AvailabilityView, Day, month_days, total
from player.hub.foresight_page import Section
from player.hub.maintenance import PARTS, MaintenanceLog, VisitError, check_visit
from player.hub.web.security import (
    FleetReader,
    client_address,
    csrf_protect,
    html,
    page_context,
    people,
    require_role,
)

log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(csrf_protect)])
EditorSession = Annotated[Session, Depends(require_role("editor"))]


def _hub(request: Request):  # the application's Hub (player/hub/app.py)
    return request.app.state.hub


def _availability(request: Request) -> AvailabilityView:
    """One view per application: it keeps computed months for a while."""
    state = request.app.state
    if getattr(state, "availability", None) is None:
        hub = _hub(request)
        state.availability = AvailabilityView(hub.store.engine, pages.LOCAL, hub.clock)
    view: AvailabilityView = state.availability
    return view


def _cluster_name(request: Request, cluster_id: str) -> str | None:
    entry = _hub(request).config.clusters.get(cluster_id)
    return None if entry is None else entry.label


def _not_found(request: Request) -> Response:
    lang = pages.pick_lang(request.query_params)
    text = pages.render_error(404, page_text.TEXT[lang]["no_cluster"], lang, **page_context(request))
    return html(text, 404)


# -- maintenance -------------------------------------------------------------------------------

def _maintenance_page(request: Request, cluster_id: str, name: str, status: int = 200,
                      message: str = "", form: dict | None = None) -> Response:
    hub = _hub(request)
    lang = pages.pick_lang(request.query_params)
    page = pages.Page(lang, hub.clock(), f"/clusters/{cluster_id}/maintenance")
    context = page_context(request)
    user = context.get("user")
    from player.hub.accounts import role_allows

    visits = tuple(MaintenanceLog(hub.store.engine, hub.clock).visits(cluster_id))
    section = Section((), visits, bool(user and role_allows(user.role, "editor")))
    today = datetime.fromtimestamp(hub.clock(), pages.LOCAL).date().isoformat()
    text = pages.render("maintenance.html", page, cluster_id=cluster_id, cluster_name=name,
                        foresight=section, parts=PARTS, today=today, message=message,
                        saved=request.query_params.get("saved") == "1",
                        form=form or {"date": today, "found": "", "note": "", "replaced": ()},
                        **context)
    return html(text, status)


@router.get("/clusters/{cluster_id}/maintenance")
def maintenance_page(cluster_id: str, request: Request, _: FleetReader) -> Response:
    name = _cluster_name(request, cluster_id)
    if name is None:
        return _not_found(request)
    return _maintenance_page(request, cluster_id, name)


@router.post("/clusters/{cluster_id}/maintenance")
async def record_visit(cluster_id: str, request: Request, session: EditorSession) -> Response:
    name = _cluster_name(request, cluster_id)
    if name is None:
        return _not_found(request)
    hub = _hub(request)
    form = await request.form()
    day, found, note = (str(form.get(key) or "") for key in ("date", "found", "note"))
    replaced = [str(v) for v in form.getlist("replaced")]
    fields = {"date": day, "found": found, "note": note, "replaced": tuple(replaced)}
    today = datetime.fromtimestamp(hub.clock(), pages.LOCAL).date()
    try:
        visited, found, parts, note = check_visit(day, found, replaced, note, today,
                                                  pages.LOCAL)
    except VisitError as exc:
        lang = pages.pick_lang(request.query_params)
        message = page_text.TEXT[lang][f"visit_bad_{exc}"]
        return _maintenance_page(request, cluster_id, name, 422, message, fields)
    visit_id = MaintenanceLog(hub.store.engine, hub.clock).add(
        cluster_id, visited, found, parts, note, session.user.name)
    hub.view.foresight.forget(cluster_id)  # a replaced part restarts its forecasts now
    people(request).audit.record(session.user.name, "maintenance.add", cluster_id,
                                 {"visit": visit_id, "date": day,
                                  "replaced": list(parts), "found": found[:200]},
                                 client_address(request))
    page = pages.Page(pages.pick_lang(request.query_params))
    return RedirectResponse(page.link(f"/clusters/{cluster_id}/maintenance", saved="1"), 303)


# -- availability ------------------------------------------------------------------------------

def pick_month(query: object, now: float) -> tuple[int, int]:
    """``?month=2026-11``; this month otherwise (or for anything unreadable)."""
    text = query.get("month") if hasattr(query, "get") else None
    today = datetime.fromtimestamp(now, pages.LOCAL).date()
    if isinstance(text, str) and len(text) == 7:
        try:
            chosen = date.fromisoformat(text + "-01")
        except ValueError:
            chosen = None
        if chosen is not None and 2000 <= chosen.year <= today.year + 1:
            return chosen.year, chosen.month
    return today.year, today.month


def _other_months(year: int, month: int) -> tuple[str, str]:
    before = f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    after = f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"
    return before, after


def _report(request: Request, title: str, rows: list[tuple[str, Day]], days: list[Day],
            path: str, year: int, month: int) -> Response:
    from player.hub.availability_page import bars

    hub = _hub(request)
    lang = pages.pick_lang(request.query_params)
    label = f"{month:02d}/{year}"
    page = pages.Page(lang, hub.clock(), path, {"month": f"{year}-{month:02d}"})
    before, after = _other_months(year, month)
    text = pages.render("availability.html", page, heading=title, month_label=label,
                        rows=rows, overall=total(days, date(year, month, 1)),
                        plot=bars(rows, page), path=path, before=before, after=after,
                        **page_context(request))
    return html(text)


@router.get("/clusters/{cluster_id}/availability")
def cluster_availability(cluster_id: str, request: Request, _: FleetReader) -> Response:
    name = _cluster_name(request, cluster_id)
    if name is None:
        return _not_found(request)
    hub = _hub(request)
    year, month = pick_month(request.query_params, hub.clock())
    days = _availability(request).month(cluster_id, year, month)
    rows = [(d.day.strftime("%d/%m"), d) for d in days]
    return _report(request, name, rows, days, f"/clusters/{cluster_id}/availability", year,
                   month)


@router.get("/availability")
def district_availability(request: Request, _: FleetReader) -> Response:
    hub = _hub(request)
    year, month = pick_month(request.query_params, hub.clock())
    view = _availability(request)
    first = month_days(year, month)[0]
    rows = []
    for entry in sorted(hub.config.clusters.values(), key=lambda e: e.label.lower()):
        rows.append((entry.label, total(view.month(entry.id, year, month), first)))
    lang = pages.pick_lang(request.query_params)
    return _report(request, page_text.TEXT[lang]["district"], rows, [d for _, d in rows],
                   "/availability", year, month)


__all__ = ["router", "pick_month"]
