"""Admin pages: users (add, disable, enable, role, password) and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from player.hub import pages
from player.hub.accounts import ROLES, AccountError
from player.hub.web.security import (
    AdminSession,
    client_address,
    csrf_protect,
    html,
    page_context,
    people,
)

# every change here carries the session's CSRF token (a no-op for GET)
router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])


def users_page(request: Request, status: int = 200, message: str = "") -> Response:
    page = pages.Page(pages.pick_lang(request.query_params), path="/admin/users")
    text = pages.render("users.html", page, users=people(request).accounts.list_users(),
                        roles=ROLES, message=message, **page_context(request))
    return html(text, status)


@router.get("/users")
def list_users(request: Request, _: AdminSession) -> Response:
    return users_page(request)


@router.post("/users")
async def add_user(request: Request, session: AdminSession) -> Response:
    form = await request.form()
    name, role = str(form.get("name") or ""), str(form.get("role") or "viewer")
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    hub = people(request)
    try:
        if password != again:
            raise AccountError("the two passwords differ")
        hub.accounts.add_user(name, password, role)
    except AccountError as exc:
        return users_page(request, 422, str(exc))
    hub.audit.record(session.user.name, "user.add", name, {"role": role},
                     client_address(request))
    return RedirectResponse(pages.Page(pages.pick_lang(request.query_params))
                            .link("/admin/users"), 303)


@router.post("/users/{name}")
async def change_user(name: str, request: Request,
                      session: AdminSession) -> Response:
    form = await request.form()
    action = str(form.get("action") or "")
    hub = people(request)
    detail: dict = {}
    try:
        if action == "disable":
            if name == session.user.name:
                raise AccountError("you cannot disable yourself")
            hub.accounts.set_disabled(name, True)
        elif action == "enable":
            hub.accounts.set_disabled(name, False)
        elif action == "role":
            detail["role"] = str(form.get("role") or "")
            if name == session.user.name and detail["role"] != "admin":
                raise AccountError("you cannot take away your own admin role")
            hub.accounts.set_role(name, detail["role"])
        elif action == "password":
            hub.accounts.set_password(name, str(form.get("password") or ""))
        else:
            raise AccountError(f'unknown action "{action[:40]}"')
    except AccountError as exc:
        return users_page(request, 422, str(exc))
    hub.audit.record(session.user.name, f"user.{action}", name, detail, client_address(request))
    return RedirectResponse(pages.Page(pages.pick_lang(request.query_params))
                            .link("/admin/users"), 303)


@router.get("/audit")
def audit_page(request: Request, _: AdminSession) -> Response:
    before_text = request.query_params.get("before", "")
    before = int(before_text) if before_text.isdigit() and len(before_text) < 19 else None
    entries = people(request).audit.recent(200, before)
    page = pages.Page(pages.pick_lang(request.query_params), people(request).clock(),
                      "/admin/audit")
    older = str(entries[-1].id) if len(entries) == 200 else ""
    return html(pages.render("audit.html", page, entries=entries, older=older,
                             **page_context(request)))
