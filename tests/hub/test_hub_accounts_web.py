"""Logins, sessions, CSRF and roles tried as an attacker would, through the real app."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.web import PeopleSettings
from tests.hub.hubtools import EVIL_NAME, hub_config_data
from tests.hub.webtools import PASSWORD, csrf_token, log_in, login_token, make_web_hub


@pytest.fixture
def web(tmp_path, hub_database):
    data = hub_config_data(Ed25519PrivateKey.generate())
    if hub_database:
        data["database"] = hub_database
    hub = make_web_hub(tmp_path, data)
    hub.people.accounts.add_user("lan", PASSWORD, "viewer")
    hub.people.accounts.add_user("quan-tri", PASSWORD, "admin")
    yield hub
    hub.close()


def set_cookie_headers(response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_fleet_needs_a_login_and_comes_back_after_it(web):
    client = web.client()
    answer = client.get("/clusters/bangioc-1?lang=en")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fclusters%2Fbangioc-1%3Flang%3Den&lang=en"
    assert client.get("/api/v1/fleet").status_code == 401
    page = client.get(answer.headers["location"])
    assert page.status_code == 200 and 'name="password"' in page.text
    assert 'href="/login?next=%2Fclusters%2Fbangioc-1%3Flang%3Den"' in page.text  # to Vietnamese
    assert client.head("/").status_code == 303  # HEAD is answered like GET
    done = client.post("/login?lang=en", data={"name": "lan", "password": PASSWORD,
                                                "next": "/clusters/bangioc-1?lang=en",
                                                "login_token": page.text.split(
                                                    'name="login_token" value="')[1].split('"')[0]})
    assert done.status_code == 303 and done.headers["location"] == "/clusters/bangioc-1?lang=en"
    assert client.get("/clusters/bangioc-1?lang=en").status_code == 200
    assert client.get("/api/v1/fleet").status_code == 200


def test_session_cookie_flags(web):
    client = web.client()
    answer = log_in(client, "lan")
    assert answer.status_code == 303
    cookie = next(c for c in set_cookie_headers(answer) if c.startswith("hub_session="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http on this hub


def test_cookie_is_secure_behind_a_trusted_tls_proxy_only(tmp_path):
    data = hub_config_data(Ed25519PrivateKey.generate())
    hub = make_web_hub(tmp_path, data, PeopleSettings(trusted_proxies=("testclient",)))
    hub.people.accounts.add_user("lan", PASSWORD, "viewer")
    try:
        client = hub.client(headers={"X-Forwarded-Proto": "https"})
        page = client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()
        # the test client speaks plain http to the app, so it holds a Secure cookie back
        client.cookies.set("hub_login_csrf", login_token(page.text))
        answer = client.post("/login", data={"name": "lan", "password": PASSWORD,
                                             "login_token": login_token(page.text)})
        cookie = next(c for c in set_cookie_headers(answer) if c.startswith("hub_session="))
        assert "secure" in [p.strip().lower() for p in cookie.split(";")]
    finally:
        hub.close()
    hub = make_web_hub(tmp_path / "b", data)  # the same header from an untrusted peer: ignored
    hub.people.accounts.add_user("lan", PASSWORD, "viewer")
    try:
        answer = log_in(hub.client(headers={"X-Forwarded-Proto": "https"}), "lan")
        cookie = next(c for c in set_cookie_headers(answer) if c.startswith("hub_session="))
        assert "secure" not in [p.strip().lower() for p in cookie.split(";")]
    finally:
        hub.close()


def test_wrong_password_is_counted_audited_then_rate_limited(web):
    client = web.client()
    for _ in range(3):
        answer = log_in(client, "lan", "not-the-password")
        assert answer.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in answer.text
        assert "hub_session" not in answer.headers.get("set-cookie", "")
    answer = log_in(client, "lan", PASSWORD)  # the right password, but too late
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 800
    for _ in range(5):  # a script keeps trying
        assert log_in(client, "lan", "guess-guess-guess").status_code == 429
    actions = [e.action for e in web.people.audit.recent()]
    assert actions.count("login.failed") == 3 and actions.count("login.throttled") == 1
    web.clock.now += 901
    assert log_in(client, "lan").status_code == 303


def test_session_fixation_a_planted_token_is_replaced_and_ended(web):
    attacker = web.client()
    assert log_in(attacker, "lan").status_code == 303
    planted = attacker.cookies["hub_session"]
    victim = web.client()
    page = victim.get("/login")
    victim.cookies.set("hub_session", planted)  # set by the attacker (a subdomain, a shared PC)
    answer = victim.post("/login", data={"name": "quan-tri", "password": PASSWORD,
                                         "login_token": login_token(page.text)})
    assert answer.status_code == 303
    new = next(c for c in set_cookie_headers(answer) if c.startswith("hub_session="))
    token = new.split(";")[0].split("=", 1)[1]
    assert token and token != planted
    assert attacker.get("/").status_code == 303  # the planted session is gone
    admin = web.client()
    admin.cookies.set("hub_session", token)
    assert admin.get("/admin/users").status_code == 200


def test_login_form_needs_its_token_and_this_origin(web):
    client = web.client()
    client.get("/login")
    bare = client.post("/login", data={"name": "lan", "password": PASSWORD})
    assert bare.status_code == 403 and "hub_session" not in bare.headers.get("set-cookie", "")
    page = client.get("/login")
    evil = client.post("/login", headers={"Origin": "http://evil.example"},
                       data={"name": "lan", "password": PASSWORD,
                             "login_token": page.text.split('name="login_token" value="')[1]
                             .split('"')[0]})
    assert evil.status_code == 403


def test_csrf_missing_or_wrong_token_or_foreign_origin_is_refused(web):
    client = web.client()
    log_in(client, "quan-tri")
    token = csrf_token(client.get("/admin/users").text)
    new_user = {"name": "minh", "role": "editor", "password": PASSWORD, "password_again": PASSWORD}
    assert client.post("/admin/users", data=new_user).status_code == 403
    assert client.post("/admin/users", data={**new_user, "csrf_token": "x" * 43}).status_code == 403
    assert client.post("/admin/users", data={**new_user, "csrf_token": token},
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/admin/users", data={**new_user, "csrf_token": token},
                       headers={"Referer": "http://evil.example/page"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert web.people.accounts.get_user("minh") is None
    other = web.client()  # another session's token is no good either
    log_in(other, "quan-tri")
    assert other.post("/admin/users", data={**new_user, "csrf_token": token}).status_code == 403
    done = client.post("/admin/users", data={**new_user, "csrf_token": token},
                       headers={"Origin": "http://hub.test"})
    assert done.status_code == 303 and web.people.accounts.get_user("minh").role == "editor"
    entry = web.people.audit.recent(action="user.add")[0]
    assert (entry.user_name, entry.target, entry.detail) == ("quan-tri", "minh", {"role": "editor"})


def test_a_viewer_cannot_reach_admin_pages_or_post_changes(web):
    client = web.client()
    log_in(client, "lan")
    token = csrf_token(client.get("/").text)
    for path in ("/admin/users", "/admin/audit"):
        answer = client.get(path)
        assert answer.status_code == 403 and "không có quyền" in answer.text
    answer = client.post("/admin/users/lan", data={"action": "role", "role": "admin",
                                                  "csrf_token": token})
    assert answer.status_code == 403
    assert web.people.accounts.get_user("lan").role == "viewer"
    assert 'href="/admin/users"' not in client.get("/").text  # no admin links shown to a viewer


def test_expired_session_is_sent_to_the_login(web):
    client = web.client()
    log_in(client, "lan")
    assert client.get("/").status_code == 200
    web.clock.now += 3601  # idle past the limit
    answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2F&expired=1"
    notice = client.get(answer.headers["location"])
    assert "Phiên làm việc đã hết hạn" in notice.text


def test_logout_ends_the_session_on_the_server(web):
    client = web.client()
    log_in(client, "lan")
    token = client.cookies["hub_session"]
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": csrf_token(page.text)}).status_code == 303
    replay = web.client()
    replay.cookies.set("hub_session", token)
    assert replay.get("/").status_code == 303
    assert [e.action for e in web.people.audit.recent()][:2] == ["logout", "login"]


def test_open_redirect_after_login_is_refused(web):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = log_in(web.client(), "lan", next=target)
        assert answer.headers["location"] == "/"


def test_admin_disables_a_user_and_reads_the_audit_log(web):
    admin, viewer = web.client(), web.client()
    log_in(admin, "quan-tri")
    log_in(viewer, "lan")
    token = csrf_token(admin.get("/admin/users").text)
    assert admin.post("/admin/users/lan", data={"action": "disable", "csrf_token": token},
                      headers={"Origin": "http://hub.test"}).status_code == 303
    assert viewer.get("/").status_code == 303  # the disabled user's session ended
    assert log_in(web.client(), "lan").status_code == 401
    audit = admin.get("/admin/audit")
    assert audit.status_code == 200
    assert "user.disable" in audit.text and "login.failed" in audit.text
    refused = admin.post("/admin/users/quan-tri", data={"action": "disable", "csrf_token": token})
    assert refused.status_code == 422  # an admin cannot lock themselves out


def test_public_fleet_needs_no_login_but_admin_pages_still_do(tmp_path):
    data = hub_config_data(Ed25519PrivateKey.generate())
    hub = make_web_hub(tmp_path, data, PeopleSettings(public_fleet=True))
    try:
        client = hub.client()
        assert client.get("/").status_code == 200
        assert client.get("/clusters/bangioc-1").status_code == 200
        assert client.get("/admin/audit").status_code == 303
    finally:
        hub.close()


def test_cluster_names_and_user_names_are_shown_as_text(web):
    client = web.client()
    log_in(client, "quan-tri")
    page = client.get("/").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert EVIL_NAME not in page


@pytest.mark.timeout(120)
def test_end_to_end_on_a_real_uvicorn(web):
    import requests

    from tests.hub.webtools import UvicornThread

    with UvicornThread(web.app) as server, requests.Session() as browser:
        first = browser.get(server.url + "/", timeout=30)  # redirected to the login page
        assert first.url == server.url + "/login?next=%2F" and first.status_code == 200
        answer = browser.post(server.url + "/login", timeout=30, allow_redirects=False, data={
            "name": "lan", "password": PASSWORD, "login_token": login_token(first.text)})
        assert answer.status_code == 303
        raw = answer.raw.headers.getlist("set-cookie")
        session_cookie = next(c for c in raw if c.startswith("hub_session="))
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
        fleet = browser.get(server.url + "/", timeout=30)
        assert fleet.status_code == 200 and "Bản Giốc – cổng chính" in fleet.text
        assert "default-src 'none'" in fleet.headers["content-security-policy"]
        forged = browser.post(server.url + "/logout", data={"csrf_token": "forged"}, timeout=30,
                              headers={"Origin": server.url}, allow_redirects=False)
        assert forged.status_code == 403
        out = browser.post(server.url + "/logout", data={"csrf_token": csrf_token(fleet.text)},
                           headers={"Origin": server.url}, timeout=30, allow_redirects=False)
        assert out.status_code == 303
        assert browser.get(server.url + "/", timeout=30).url.startswith(server.url + "/login")


def test_admin_sets_a_password_and_the_json_carries_the_verdicts(web):
    admin = web.client()
    log_in(admin, "quan-tri")
    token = csrf_token(admin.get("/admin/users").text)
    assert admin.post("/admin/users/lan", data={"action": "password", "csrf_token": token,
                                               "password": PASSWORD + "-2"}).status_code == 303
    assert log_in(web.client(), "lan", PASSWORD + "-2").status_code == 303
    fleet = admin.get("/api/v1/fleet").json()
    verdicts = {c["id"]: c["verdict"] for c in fleet["clusters"]}
    assert verdicts["silent-3"] == {"level": "unknown", "status": "never",
                                    "problems": [{"code": "never", "level": "unknown",
                                                  "values": {}}]}
    assert sum(fleet["verdict_counts"].values()) == 3


def test_every_form_route_for_people_checks_csrf(web):
    """A guard for routes added later: each unsafe route outside the machines' API (tokens) and
    the login form (its own token) depends on csrf_protect."""
    from fastapi.routing import APIRoute

    from player.hub.web.security import csrf_protect

    def calls(dependant) -> set:
        found = {dependant.call}
        for sub in dependant.dependencies:
            found |= calls(sub)
        return found

    from player.hub.web import admin, auth, fleet

    checked = []
    prefixed = [(r, router.prefix) for router in (auth.router, fleet.router, admin.router)
                for r in router.routes]
    for route, prefix in [*((r, "") for r in web.app.routes), *prefixed]:
        if not isinstance(route, APIRoute) or not route.methods & {"POST", "PUT", "PATCH",
                                                                   "DELETE"}:
            continue
        path = route.path if route.path.startswith(prefix) else prefix + route.path
        if path.startswith(("/api/", "/channels/")) or path == "/login":
            continue
        assert csrf_protect in calls(route.dependant), path
        checked.append(path)
    assert {"/logout", "/admin/users", "/admin/users/{name}"} <= set(checked)
