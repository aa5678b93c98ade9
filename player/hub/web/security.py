"""Sessions, roles and CSRF for the people's pages, as FastAPI dependencies.

- ``current_session``: the live session of the request's cookie, or None.
- ``require_role("editor")``: a dependency giving the session of a user with at least that role;
  without a session an HTML page redirects to the login (an API answers 401), with too small a
  role it answers 403.
- ``csrf_protect``: on every unsafe method, the form's ``csrf_token`` must be the session's, and
  an ``Origin`` (or ``Referer``) header, when the browser sends one, must be this hub.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from player.hub import pages
from player.hub.accounts import Session, role_allows, same_token
from player.hub.web.context import People

log = logging.getLogger(__name__)

SESSION_COOKIE = "hub_session"
LOGIN_COOKIE = "hub_login_csrf"  # before login there is no session: a double-submit token
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                               "script-src 'self'; connect-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY", "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """No live session where one is needed."""


class Forbidden(Exception):
    """A session whose role is too small, or a refused CSRF check."""

    def __init__(self, key: str = "forbidden"):
        super().__init__(key)
        self.key = key


def people(request: Request) -> People:
    return request.app.state.people


def client_address(request: Request) -> str:
    """The person's address: the peer, or what a trusted proxy says the peer was."""
    peer = request.client.host if request.client else ""
    if peer in people(request).settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        real = forwarded.split(",")[-1].strip() or request.headers.get("x-real-ip", "")
        return (real or peer)[:64]
    return peer[:64]


def is_https(request: Request) -> bool:
    """Whether the browser reached the hub over TLS (then cookies are Secure)."""
    if people(request).settings.secure_cookies or request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return (peer in people(request).settings.trusted_proxies
            and request.headers.get("x-forwarded-proto", "").lower() == "https")


def _host_and_port(netloc: str) -> tuple[str, str]:
    host, _, port = netloc.lower().strip().rpartition(":")
    if not host or "]" in port:  # no port, or a bare IPv6 address
        return netloc.lower().strip(), ""
    return host, port


def origin_ok(request: Request) -> bool:
    """A browser names the page a form came from: it must be this hub. The host names must
    match, and the ports when the Host header names one (nginx's ``$host`` drops it). A client
    that sends neither header (a script) still needs the token."""
    origin = request.headers.get("origin")
    if origin is None:
        origin = request.headers.get("referer")
        if not origin:
            return True
    if origin == "null":  # a sandboxed frame or a file: page
        return False
    sent_host, sent_port = _host_and_port(urlsplit(origin).netloc)
    host = request.headers.get("host", "")
    peer = request.client.host if request.client else ""
    if peer in people(request).settings.trusted_proxies:
        host = request.headers.get("x-forwarded-host", host).split(",")[0]
    own_host, own_port = _host_and_port(host)
    if not sent_host or sent_host != own_host:
        return False
    return not own_port or own_port == (sent_port or ("443" if origin.startswith("https:")
                                                      else "80"))


def current_session(request: Request) -> Session | None:
    if hasattr(request.state, "session"):  # looked up once per request
        cached: Session | None = request.state.session
        return cached
    session = people(request).accounts.session(request.cookies.get(SESSION_COOKIE))
    request.state.session = session
    return session


def require_role(role: str) -> Callable[[Request], Session]:
    """A dependency: the session of a user with at least ``role`` (viewer < editor < approver <
    admin)."""

    def dependency(request: Request) -> Session:
        session = current_session(request)
        if session is None:
            raise LoginRequired()
        if not role_allows(session.user.role, role):
            raise Forbidden()
        return session

    return dependency


def fleet_reader(request: Request) -> Session | None:
    """The fleet pages: anyone when ``public_fleet`` is on, else a viewer or more."""
    if people(request).settings.public_fleet:
        return current_session(request)
    return require_role("viewer")(request)


async def csrf_protect(request: Request,
                       session: Annotated[Session | None, Depends(current_session)]) -> None:
    """Refuse an unsafe request without this session's CSRF token or from another origin."""
    if request.method not in UNSAFE:
        return
    if not origin_ok(request):
        log.warning("refused %s %s: Origin %s is not this hub", request.method, request.url.path,
                    request.headers.get("origin") or request.headers.get("referer"))
        raise Forbidden("csrf")
    form = await request.form()
    sent = form.get("csrf_token")
    expected = session.csrf_token if session else None
    if not isinstance(sent, str) or not same_token(sent, expected):
        raise Forbidden("csrf")


FleetReader = Annotated[Session | None, Depends(fleet_reader)]
AdminSession = Annotated[Session, Depends(require_role("admin"))]


def html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status, headers=HTML_HEADERS)


def page_context(request: Request) -> dict:
    session = current_session(request)
    return {"user": session.user if session else None,
            "csrf_token": session.csrf_token if session else ""}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    lang = "&lang=en" if request.query_params.get("lang") == "en" else ""
    return f"/login?next={quote(target, safe='')}{lang}"


def install_handlers(app: FastAPI) -> None:
    async def login_required(request: Request, exc: Exception) -> Response:
        if wants_json(request):
            return JSONResponse({"error": "log in first"}, 401)
        response = RedirectResponse(login_url(request), 303)
        if request.cookies.get(SESSION_COOKIE):  # it had a session: say why it must log in
            response.headers["location"] += "&expired=1"
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def forbidden(request: Request, exc: Exception) -> Response:
        key = exc.key if isinstance(exc, Forbidden) else "forbidden"
        if wants_json(request):
            return JSONResponse({"error": key}, 403)
        lang = pages.pick_lang(request.query_params)
        page = pages.Page(lang, path=request.url.path)
        text = pages.render("error.html", page, status=403, heading=page.t["error"],
                            message=page.t[key], **page_context(request))
        return html(text, 403)

    handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
        LoginRequired: login_required, Forbidden: forbidden}
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
