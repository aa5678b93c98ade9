"""Login and logout."""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from player.hub import pages
from player.hub.accounts import MAX_PASSWORD, LoginFailed, LoginThrottled, same_token
from player.hub.web.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    client_address,
    csrf_protect,
    current_session,
    html,
    is_https,
    origin_ok,
    people,
)

log = logging.getLogger(__name__)
router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this hub: never another site (``//evil``, ``https://``, ``/\\evil``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target if all(c.isprintable() for c in target) else "/"


def login_page(request: Request, status: int = 200, message: str = "",
               name: str = "") -> Response:
    lang = pages.pick_lang(request.query_params)
    target = safe_next(request.query_params.get("next"))
    # the language switch keeps where the login leads
    page = pages.Page(lang, path="/login", query={"next": target} if target != "/" else {})
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    text = pages.render("login.html", page, login_token=token, message=message, name=name,
                        next=target,
                        no_users=people(request).accounts.count_users() == 0)
    response = html(text, status)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=is_https(request), path="/login")
    return response


@router.get("/login")
def show_login(request: Request) -> Response:
    if current_session(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), 303)
    key = "login_expired" if request.query_params.get("expired") else ""
    page = pages.Page(pages.pick_lang(request.query_params))
    return login_page(request, message=page.t[key] if key else "")


@router.post("/login")
async def do_login(request: Request) -> Response:
    hub = people(request)
    page = pages.Page(pages.pick_lang(request.query_params))
    form = await request.form()
    name = str(form.get("name") or "")[:200]
    password = str(form.get("password") or "")[:MAX_PASSWORD]
    address = client_address(request)
    if not origin_ok(request) or not same_token(str(form.get("login_token") or ""),
                                                request.cookies.get(LOGIN_COOKIE)):
        return login_page(request, 403, page.t["csrf"], name)
    try:
        user = hub.accounts.authenticate(name, password, address)
    except LoginThrottled as exc:
        # once per name and window: a guessing script must not fill the audit log instead
        last = hub.audit.recent(1, action="login.throttled", target=name[:200])
        if not last or hub.clock() - last[0].at > hub.accounts.login_policy.window:
            hub.audit.record(name, "login.throttled", name, {"wait": round(exc.wait)}, address)
        response = login_page(request, 429, page.text("login_wait", n=int(exc.wait) + 1), name)
        response.headers["Retry-After"] = str(int(exc.wait) + 1)
        return response
    except LoginFailed:
        hub.audit.record(name, "login.failed", name, {}, address)
        return login_page(request, 401, page.t["login_failed"], name)
    # a new token at every login: one planted in the browser before is ended, not adopted
    token, session = hub.accounts.start_session(user, replaces=request.cookies.get(SESSION_COOKIE))
    hub.audit.record(user.name, "login", user.name, {"role": user.role}, address)
    target = safe_next(str(form.get("next") or "/"))
    if page.lang == "en" and "lang=" not in target:
        target += ("&" if "?" in target else "?") + "lang=en"
    response = RedirectResponse(target, 303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(hub.accounts.session_policy.absolute),
                        httponly=True, samesite="lax", secure=is_https(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def do_logout(request: Request) -> Response:
    hub = people(request)
    session = current_session(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        hub.accounts.end_session(token)
    if session is not None:
        hub.audit.record(session.user.name, "logout", session.user.name, {},
                         client_address(request))
    lang = "?lang=en" if request.query_params.get("lang") == "en" else ""
    response = RedirectResponse("/login" + lang, 303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=is_https(request))
    return response
