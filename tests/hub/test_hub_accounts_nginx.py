"""A login through the nginx of docs/deploy.md over TLS: Secure cookie, real address, forms."""

from __future__ import annotations

import re

import pytest

from player.hub.accounts import Accounts
from player.hub.audit import AuditLog
from player.hub.database import make_engine
from tests.hub.accounttools import FAST_HASHER
from tests.hub.test_hub_nginx import nginx  # noqa: F401 (the fixture)

PASSWORD = "Trùng-Khánh-qua-TLS-2026"


@pytest.mark.timeout(120)
def test_login_behind_tls_gets_a_secure_cookie_and_forms_work(hub, nginx):  # noqa: F811
    https, _http, session = nginx
    engine = make_engine(hub.server.config.database_url(hub.root))
    try:
        Accounts(engine, FAST_HASHER).add_user("quan-tri", PASSWORD, "admin")
        page = session.get(https + "login", timeout=30)
        token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
        origin = https.rstrip("/")  # what a browser sends: scheme, host and the port
        answer = session.post(https + "login", timeout=30, allow_redirects=False,
                              headers={"Origin": origin},
                              data={"name": "quan-tri", "password": PASSWORD,
                                    "login_token": token})
        assert answer.status_code == 303, answer.text[:300]
        cookie = next(c for c in answer.raw.headers.getlist("set-cookie")
                      if c.startswith("hub_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie  # X-Forwarded-Proto from nginx
        users = session.get(https + "admin/users", timeout=30)
        assert users.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', users.text).group(1)
        added = session.post(https + "admin/users", headers={"Origin": origin}, timeout=30,
                             allow_redirects=False,
                             data={"name": "lan", "role": "viewer", "password": PASSWORD,
                                   "password_again": PASSWORD, "csrf_token": csrf})
        assert added.status_code == 303
        foreign = session.post(https + "admin/users", timeout=30,
                               headers={"Origin": "https://evil.example"},
                               data={"name": "x", "role": "admin", "password": PASSWORD,
                                     "password_again": PASSWORD, "csrf_token": csrf})
        assert foreign.status_code == 403
        entries = AuditLog(engine).recent()
        assert [e.action for e in entries][:2] == ["user.add", "login"]
        assert entries[1].address == "127.0.0.1"  # the browser's, as nginx passed it on
    finally:
        engine.dispose()
