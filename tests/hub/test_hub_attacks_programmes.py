"""The programme pages attacked: every state-changing form forged, cross-site, from a lower role
or an expired session; hostile text in every field; hostile imports; passphrase guessing, one
after another and all at once; two approvers at the same moment."""

from __future__ import annotations

import re
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel import keys
from tests.hub.hubtools import hub_config_data
from tests.hub.programmetools import (
    PASSPHRASE,
    PagesClient,
    editor_fields,
    fast_keys,
    item,
    make_media,
)
from tests.hub.webtools import PASSWORD, UvicornThread, csrf_token, log_in, make_web_hub

HOSTILE = '<img src=x onerror="alert(1)">'
SCRIPT = "</textarea><script>alert(2)</script>"


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return make_media(tmp_path_factory.mktemp("media"))


@pytest.fixture
def web(tmp_path, media):
    hub = make_web_hub(tmp_path, hub_config_data(Ed25519PrivateKey.generate()))
    desk = hub.app.state.programmes
    desk.media = media
    desk.keys = fast_keys(hub.store.engine, hub.clock)
    desk.publisher.extra_keys = desk.keys.public_keys
    for name, role in (("hoa", "editor"), ("lan", "approver"), ("vy", "approver"),
                       ("xem", "viewer"), ("quan-tri", "admin")):
        hub.people.accounts.add_user(name, PASSWORD, role)
    hub.channel = tmp_path / "hub" / "channels" / "ban-gioc"
    yield hub
    hub.close()


def logged_in(web, name):
    client = web.client()
    assert log_in(client, name).status_code == 303
    return client


def new_programme(client, name="Bản Giốc tháng 12"):
    page = client.get("/programmes")
    answer = client.post("/programmes", data={"name": name, "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 303, answer.text[:300]
    return int(answer.headers["location"].split("/")[2])


def post_editor(client, pid, html, op="save", **changes):
    return client.post(f"/programmes/{pid}/edit", data={**editor_fields(html), **changes,
                                                         "op": op})


def write_slide(client, pid, media, text="Chào mừng đến thác Bản Giốc"):
    page = client.get(f"/programmes/{pid}/edit")
    page = post_editor(client, pid, page.text, "add-text")
    page = post_editor(client, pid, page.text, "add-image")
    photo = item(media, "thac-ban-gioc.jpg")
    answer = post_editor(client, pid, page.text, **{
        "item-0-text-vi": text, "item-0-text-en": "Welcome " + HOSTILE,
        "item-0-text-zh": "欢迎", "item-0-duration": "3s", "item-1-duration": "3s",
        "item-1-media": photo.playlist_path, "item-1-caption-vi": "Thác " + SCRIPT,
        "item-1-caption-en": "Falls", "item-1-caption-zh": "瀑布"})
    assert answer.status_code == 303, answer.text[:2000]
    return int(answer.headers["location"].rsplit("saved=", 1)[1])


def make_key(client):
    page = client.get("/programmes/keys")
    answer = client.post("/programmes/keys", data={
        "csrf_token": csrf_token(page.text), "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE})
    assert answer.status_code == 200 and "ed25519:" in answer.text
    return re.search(r'<code class="key">(ed25519:[^<]+)</code>', answer.text).group(1)


def changes(web) -> list[str]:
    """The audit log's entries that record a change (logins are not changes)."""
    return [e.action for e in web.people.audit.recent(500) if e.action != "login"]


def manifest(web) -> bytes:
    path = web.channel / "manifest.json"
    return path.read_bytes() if path.exists() else b""


def test_every_state_changing_programme_form_refuses_forgery_and_lower_roles(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    number = write_slide(hoa, pid, media)
    lan = logged_in(web, "lan")
    make_key(lan)
    token = csrf_token(lan.get(f"/programmes/{pid}/approve").text)
    before_manifest, before_audit = manifest(web), changes(web)
    forms = {
        "/programmes": {"name": "forged"},
        f"/programmes/{pid}/approve": {"version": str(number), "channels": ["ban-gioc"],
                                       "passphrase": PASSPHRASE, "override": "1"},
        f"/programmes/{pid}/publish": {"version": str(number), "channels": ["ban-gioc"],
                                       "passphrase": PASSPHRASE},
        "/programmes/keys": {"passphrase": "x" * 20, "passphrase_again": "x" * 20},
        "/programmes/emergency": {"clusters": ["bangioc-1"], "action": "raise",
                                  "text-vi": "giả", "passphrase": PASSPHRASE},
    }
    for path, form in forms.items():
        assert lan.post(path, data=form).status_code == 403, path  # no token
        assert lan.post(path, data={**form, "csrf_token": "A" * len(token)}
                        ).status_code == 403, path
        for origin in ("https://evil.example", "null"):
            assert lan.post(path, data={**form, "csrf_token": token},
                            headers={"Origin": origin}).status_code == 403, (path, origin)
        assert lan.post(path, data={**form, "csrf_token": token},
                        headers={"Referer": "http://evil.example/x"}).status_code == 403, path
        forged = web.client(cookies={"hub_session": "forged"})
        assert forged.post(path, data={**form, "csrf_token": token}
                           ).status_code in (303, 403), path
    approver_only = [p for p in forms if p not in ("/programmes",)]
    for name in ("hoa", "xem"):
        client = logged_in(web, name)
        own = csrf_token(client.get("/programmes").text)
        for path in approver_only:
            answer = client.post(path, data={**forms[path], "csrf_token": own})
            assert answer.status_code == 403, (name, path)
    viewer = logged_in(web, "xem")
    assert viewer.post("/programmes", data={
        "name": "x", "csrf_token": csrf_token(viewer.get("/programmes").text)}).status_code == 403
    assert manifest(web) == before_manifest
    assert web.app.state.programmes.emergencies() in ({}, {"ban-gioc": False})
    assert "forged" not in [p.name for p in web.app.state.programmes.store.all()]
    assert web.app.state.programmes.keys.get("hoa") is None
    assert changes(web) == before_audit


def test_the_editor_form_after_a_forged_or_foreign_post_saves_nothing(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    number = write_slide(hoa, pid, media)
    page = hoa.get(f"/programmes/{pid}/edit")
    fields = {**editor_fields(page.text), "op": "save", "name": "đổi tên"}
    cross = hoa.post(f"/programmes/{pid}/edit", data=fields,
                     headers={"Origin": "https://evil.example"})
    assert cross.status_code in (403, 409)
    assert hoa.post(f"/programmes/{pid}/edit",
                    data={**fields, "csrf_token": "nope"}).status_code == 409
    stranger = web.client()
    assert stranger.post(f"/programmes/{pid}/edit", data=fields).status_code == 403
    planted = web.client(cookies={"hub_session": "planted"})
    kept = planted.post(f"/programmes/{pid}/edit", data=fields,
                        headers={"Origin": "https://evil.example"})
    assert kept.status_code == 403
    assert web.app.state.programmes.store.version(pid).number == number
    # a forged base version: told it is not the newest, the text stays on the page
    for base in ("9" * 30, "2147483647", "-1"):
        forged = post_editor(hoa, pid, hoa.get(f"/programmes/{pid}/edit").text,
                             base=base, name="đổi tên")
        assert forged.status_code in (303, 409), (base, forged.status_code)
        assert forged.status_code == 303 or "đổi tên" in forged.text
    for fields in ({"item_count": "999999"}, {"op": "dup-99999999999999999999"},
                   {"extra": "[" * 100_000}, {"item-0-days": ["mon"] * 5000}):
        answer = post_editor(hoa, pid, hoa.get(f"/programmes/{pid}/edit").text, **fields)
        assert answer.status_code in (200, 303, 400, 409, 422), (fields, answer.status_code)


def test_hostile_text_in_every_field_is_shown_as_text_everywhere(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa, name="Tên " + HOSTILE)
    write_slide(hoa, pid, media, text="Chào " + SCRIPT)
    lan = logged_in(web, "lan")
    make_key(lan)
    approve = lan.get(f"/programmes/{pid}/approve")
    version = re.search(r'name="version" value="(\d+)"', approve.text).group(1)
    done = lan.post(f"/programmes/{pid}/approve", data={
        "csrf_token": csrf_token(approve.text), "version": version, "channels": ["ban-gioc"],
        "passphrase": PASSPHRASE, "override": "1"})
    assert done.status_code == 303
    raised = lan.post("/programmes/emergency", data={
        "csrf_token": csrf_token(approve.text), "clusters": ["bangioc-1"], "action": "raise",
        "text-vi": "Khẩn " + HOSTILE, "text-en": SCRIPT, "text-zh": "紧急",
        "passphrase": PASSPHRASE})
    assert raised.status_code == 200
    pages = {path: lan.get(path).text for path in (
        "/programmes", f"/programmes/{pid}", f"/programmes/{pid}/edit",
        f"/programmes/{pid}/approve", "/programmes/emergency", "/programmes/keys",
        done.headers["location"])}
    pages["/admin/audit"] = logged_in(web, "quan-tri").get("/admin/audit").text
    pages["emergency answer"] = raised.text
    for path, text in pages.items():
        assert HOSTILE not in text, path
        assert "<script>alert(2)" not in text, path
    assert "&lt;img src=x" in pages["/programmes"]
    assert "&lt;/textarea&gt;&lt;script&gt;" in pages[f"/programmes/{pid}/edit"]
    assert "Khẩn &lt;img src=x" in pages["/admin/audit"]  # the emergency message, as text


def test_hostile_imports_are_refused_with_a_message_and_never_a_500(web):
    hoa = logged_in(web, "hoa")
    token = csrf_token(hoa.get("/programmes").text)
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}]\n" for i in range(8)) + "items: *i\n"
    cases = {
        "..": b"items: []\n", ".": b"items: []\n", "../../etc/passwd": b"items: []\n",
        "nul\x00.yaml": b"items: []\n",
        "bomb.yaml": laughs.encode(),
        "deep.yaml": b"items: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "utf16.yaml": "items: []\n".encode("utf-16"),
        "binary.yaml": bytes(range(256)) * 10,
        "python.yaml": b"items: !!python/object/apply:os.system ['touch /tmp/pwned-by-import']\n",
        f"{HOSTILE}.yaml": b"name: '" + HOSTILE.encode() + b"'\nitems: []\n",
    }
    for name, data in cases.items():
        answer = hoa.post("/programmes/import", data={"csrf_token": token},
                          files={"file": (name, data, "application/x-yaml")})
        assert answer.status_code in (303, 413, 422), (name, answer.status_code)
        assert HOSTILE not in answer.text
    huge = hoa.post("/programmes/import", data={"csrf_token": token},
                    files={"file": ("big.yaml", b"# " + b"x" * (3 << 20), "text/yaml")})
    assert huge.status_code == 413
    import os

    assert not os.path.exists("/tmp/pwned-by-import")
    assert HOSTILE not in hoa.get("/programmes").text


def test_path_like_ids_and_huge_numbers_in_programme_urls_are_404(web):
    lan = logged_in(web, "lan")
    for path in ("/programmes/99999999999999999999999",
                 "/programmes/99999999999999999999999/edit",
                 "/programmes/99999999999999999999999/approve",
                 "/programmes/99999999999999999999999/contact-sheet.png",
                 "/programmes/..%2F..%2Fhub.yaml", "/programmes/-1", "/programmes/0"):
        answer = lan.get(path)
        assert answer.status_code in (404, 422), (path, answer.status_code)
    token = csrf_token(lan.get("/programmes").text)
    answer = lan.post("/programmes/99999999999999999999999/approve", data={
        "csrf_token": token, "version": "9" * 40, "channels": ["../../etc"],
        "passphrase": PASSPHRASE})
    assert answer.status_code in (404, 409, 422), answer.status_code


def test_unknown_and_traversing_channel_names_are_refused(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    number = write_slide(hoa, pid, media)
    lan = logged_in(web, "lan")
    make_key(lan)
    before = manifest(web)
    page = lan.get(f"/programmes/{pid}/approve")
    for channel in ("../../../tmp/evil", "/etc", "ban-gioc/../x", "", "ban-gioc\x00"):
        answer = lan.post(f"/programmes/{pid}/approve", data={
            "csrf_token": csrf_token(page.text), "version": str(number), "channels": [channel],
            "passphrase": PASSPHRASE, "override": "1"})
        assert answer.status_code in (409, 422), (channel, answer.status_code)
    assert manifest(web) == before
    channels = web.channel.parent
    assert sorted(p.name for p in channels.iterdir()) == sorted(
        p.name for p in channels.iterdir() if (p / "manifest.json").exists() or p.is_dir())
    assert not (web.channel.parent.parent.parent / "tmp").exists()


def test_passphrase_guessing_is_counted_across_forms_and_audited(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    number = write_slide(hoa, pid, media)
    lan = logged_in(web, "lan")
    make_key(lan)
    token = csrf_token(lan.get("/programmes").text)
    right = {"csrf_token": token, "passphrase": PASSPHRASE, "version": str(number),
             "channels": ["ban-gioc"], "override": "1"}
    assert lan.post(f"/programmes/{pid}/approve", data=right).status_code == 303
    wrong = {"csrf_token": token, "passphrase": "đoán mò " * 3}
    assert lan.post(f"/programmes/{pid}/publish", data={
        **wrong, "version": str(number), "channels": ["ban-gioc"]}).status_code == 403
    assert lan.post("/programmes/emergency", data={
        **wrong, "clusters": ["bangioc-1"], "action": "raise", "text-vi": "x"}).status_code == 403
    other_session = logged_in(web, "lan")
    assert other_session.post("/programmes/emergency", data={
        **wrong, "csrf_token": csrf_token(other_session.get("/programmes").text),
        "clusters": ["bangioc-1"], "action": "lift"}).status_code == 403
    # the limit (3 here) is reached across forms and sessions: the right passphrase waits too
    held = lan.post("/programmes/emergency", data={
        **right, "clusters": ["bangioc-1"], "action": "raise", "text-vi": "x"})
    assert held.status_code == 429
    reasons = [e.detail.get("reason") for e in web.people.audit.recent(20)
               if e.action.endswith(".refused")]
    assert reasons.count("wrong_passphrase") == 3 and "passphrase_wait" in reasons
    assert "đoán mò" not in str(web.people.audit.recent(50))
    assert PASSPHRASE not in str(web.people.audit.recent(50))
    long_guess = lan.post("/programmes/emergency", data={
        **wrong, "passphrase": "x" * 1_000_000, "clusters": ["bangioc-1"], "action": "raise",
        "text-vi": "x"})
    assert long_guess.status_code in (413, 429)


def test_guesses_sent_all_at_once_are_held_to_the_limit(web, media):
    """Twenty wrong passphrases in parallel: no more than the limit (3) are tried."""
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    number = write_slide(hoa, pid, media)
    make_key(logged_in(web, "lan"))
    with UvicornThread(web.app) as server:
        lan = PagesClient(server.url, "lan", PASSWORD)
        token = lan.csrf(f"/programmes/{pid}/approve")
        data = {"csrf_token": token, "version": str(number), "channels": ["ban-gioc"],
                "passphrase": "wrong wrong wrong", "override": "1"}
        codes: list[int] = []
        start = threading.Barrier(20)

        def guess() -> None:
            start.wait()
            codes.append(lan.post(f"/programmes/{pid}/approve", data).status_code)

        threads = [threading.Thread(target=guess) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert sorted(set(codes)) <= [403, 429] and len(codes) == 20
    assert codes.count(403) <= 3, codes


def test_two_approvers_at_the_same_moment_leave_one_verifiable_channel(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    number = write_slide(hoa, pid, media)
    public = [keys.parse_public_key(make_key(logged_in(web, name))) for name in ("lan", "vy")]
    with UvicornThread(web.app) as server:
        clients = [PagesClient(server.url, name, PASSWORD) for name in ("lan", "vy")]
        forms = [{"csrf_token": c.csrf(f"/programmes/{pid}/approve"), "version": str(number),
                  "channels": ["ban-gioc"], "passphrase": PASSPHRASE, "override": "1"}
                 for c in clients]
        codes: list[int] = []
        start = threading.Barrier(2)

        def approve(index: int) -> None:
            start.wait()
            codes.append(clients[index].post(f"/programmes/{pid}/approve",
                                             forms[index]).status_code)

        threads = [threading.Thread(target=approve, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert sorted(codes) in ([303, 303], [303, 409]), codes
    assert keys.verify(public, manifest(web), (web.channel / "manifest.json.sig").read_bytes())
    approvals = web.people.audit.recent(20, action="programme.approve")
    assert 1 <= len(approvals) == codes.count(303)


def test_an_unapproved_draft_cannot_be_put_on_air_by_rollback_or_emergency_tricks(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    first = write_slide(hoa, pid, media)
    lan = logged_in(web, "lan")
    make_key(lan)
    token = csrf_token(lan.get("/programmes").text)
    right = {"csrf_token": token, "passphrase": PASSPHRASE, "channels": ["ban-gioc"]}
    assert lan.post(f"/programmes/{pid}/approve", data={
        **right, "version": str(first), "override": "1"}).status_code == 303
    on_air = manifest(web)
    draft = write_slide(hoa, pid, media, text="Bản nháp chưa duyệt")
    # "put back" a version that was never approved: refused, nothing published
    for number in (str(draft), "1", "-1", "abc", ""):
        answer = lan.post(f"/programmes/{pid}/publish", data={**right, "version": number})
        assert answer.status_code == 409, (number, answer.status_code)
    assert manifest(web) == on_air
    # an emergency on clusters that do not exist, or with no message, publishes nothing
    for clusters, text in ((["../../ban-gioc"], "x"), (["no-such-box"], "x"), ([], "x"),
                           (["bangioc-1"], "   ")):
        answer = lan.post("/programmes/emergency", data={
            **right, "clusters": clusters, "action": "raise", "text-vi": text})
        assert answer.status_code in (409, 422), (clusters, answer.status_code)
    assert manifest(web) == on_air
    long = lan.post("/programmes/emergency", data={
        **right, "clusters": ["bangioc-1"], "action": "raise", "text-vi": "Lũ " * 100_000})
    assert long.status_code == 200
    raised = web.people.audit.recent(5, action="emergency.raise")[0]
    assert len(raised.detail["text"]["vi"]) <= 500


@pytest.mark.parametrize("number", ["3000000000", "9" * 30])
def test_ids_past_the_databases_integers_are_404_on_sqlite_and_postgresql(
        tmp_path, hub_database, number):
    data = hub_config_data(Ed25519PrivateKey.generate())
    if hub_database:
        data["database"] = hub_database
    hub = make_web_hub(tmp_path, data)
    try:
        hub.people.accounts.add_user("lan", PASSWORD, "approver")
        lan = logged_in(hub, "lan")
        for path in (f"/programmes/{number}", f"/programmes/{number}/edit",
                     f"/programmes/{number}/approve", f"/media/{number}",
                     f"/media/{number}/preview.png", f"/media/{number}/thumb.jpg"):
            assert lan.get(path).status_code == 404, path
        token = csrf_token(lan.get("/programmes").text)
        answer = lan.post(f"/programmes/{number}/approve", data={
            "csrf_token": token, "version": number, "channels": ["ban-gioc"],
            "passphrase": PASSPHRASE})
        assert answer.status_code in (404, 409), answer.status_code
        assert lan.post(f"/media/{number}/delete",
                        data={"csrf_token": token}).status_code == 404
    finally:
        hub.close()
