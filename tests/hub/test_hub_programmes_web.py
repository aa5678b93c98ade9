"""The programme pages through the real app: editing, concurrent saves, a session that expires
mid-edit, import, approval with the passphrase, the override and the emergency, all audited."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel import keys
from player.hub.programme_check import check_text
from player.hub.programme_preview import NoPreview
from player.hub.programme_sources import media_by_path
from tests.hub.hubtools import hub_config_data
from tests.hub.programmetools import PASSPHRASE, editor_fields, fast_keys, item, make_media
from tests.hub.webtools import PASSWORD, csrf_token, log_in, make_web_hub

EVIL = '<script>alert("x")</script> & <b>đậm</b>'


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return make_media(tmp_path_factory.mktemp("media"))


@pytest.fixture
def web(tmp_path, media):
    hub = make_web_hub(tmp_path, hub_config_data(Ed25519PrivateKey.generate()))
    desk = hub.app.state.programmes
    desk.media = media
    desk.previewer = NoPreview()  # the preview hook's own test hands in a fake
    desk.keys = fast_keys(hub.store.engine, hub.clock)
    desk.publisher.extra_keys = desk.keys.public_keys
    for name, role in (("hoa", "editor"), ("minh", "editor"), ("lan", "approver"),
                       ("xem", "viewer")):
        hub.people.accounts.add_user(name, PASSWORD, role)
    yield hub
    hub.close()


def logged_in(web, name):
    client = web.client()
    assert log_in(client, name).status_code == 303
    return client


def post_editor(client, programme_id, html, op="save", **changes):
    data = {**editor_fields(html), **changes, "op": op}
    return client.post(f"/programmes/{programme_id}/edit", data=data)


def new_programme(client, name="Bản Giốc tháng 12"):
    page = client.get("/programmes")
    answer = client.post("/programmes", data={"name": name, "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 303
    return int(answer.headers["location"].split("/")[2])


def write_slide(client, pid, media, zh="欢迎"):
    page = client.get(f"/programmes/{pid}/edit")
    page = post_editor(client, pid, page.text, "add-text")
    assert page.status_code == 200 and 'name="item-0-text-vi"' in page.text
    page = post_editor(client, pid, page.text, "add-image")
    photo = item(media, "thac-ban-gioc.jpg")
    assert photo.playlist_path in page.text and "thac-ban-gioc.jpg" in page.text  # the picker
    return post_editor(client, pid, page.text, **{
        "item-0-text-vi": "Chào mừng đến thác Bản Giốc " + EVIL,
        "item-0-text-en": "Welcome to Ban Gioc", "item-0-text-zh": zh,
        "item-0-duration": "3s", "item-1-duration": "3s", "item-1-media": photo.playlist_path,
        "item-1-caption-vi": "Thác", "item-1-caption-en": "Falls", "item-1-caption-zh": "瀑布"})


def test_an_editor_writes_a_trilingual_slide_that_passes_check(web, media):
    client = logged_in(web, "hoa")
    pid = new_programme(client)
    saved = write_slide(client, pid, media, zh="")
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=2")
    page = client.get(saved.headers["location"])
    assert "Đã lưu bản 2." in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(" in page.text
    version = web.app.state.programmes.store.version(pid)
    assert [p for p in check_text(version.yaml, media_by_path(media)) if p.severity == "error"] == []
    overview = client.get(f"/programmes/{pid}")
    assert overview.status_code == 200 and "thiếu" in overview.text  # zh flagged
    assert "xem trước chưa sẵn sàng" in overview.text and "<script>alert" not in overview.text
    english = client.get(f"/programmes/{pid}?lang=en")
    assert "missing" in english.text and "preview not ready" in english.text
    entries = web.people.audit.recent(10, action="programme.save")
    assert entries[0].user_name == "hoa" and entries[0].detail == {"version": 2}


def test_structural_buttons_reorder_duplicate_and_remove_without_saving(web, media):
    client = logged_in(web, "hoa")
    pid = new_programme(client)
    page = client.get(f"/programmes/{pid}/edit")
    for op in ("add-text", "add-video"):
        page = post_editor(client, pid, page.text, op)
    page = post_editor(client, pid, page.text, "up-1")
    assert page.text.index('value="video"') < page.text.index('value="text"')
    page = post_editor(client, pid, page.text, "dup-0")
    assert page.text.count('value="video"') == 2
    page = post_editor(client, pid, page.text, "remove-2")
    assert page.text.count('value="text"') == 0 and "Chưa lưu" in page.text
    assert web.app.state.programmes.store.get(pid).head == 1  # nothing saved yet


def test_the_second_of_two_editors_is_told_and_keeps_their_text(web, media):
    hoa, minh = logged_in(web, "hoa"), logged_in(web, "minh")
    pid = new_programme(hoa)
    first = hoa.get(f"/programmes/{pid}/edit")
    second = minh.get(f"/programmes/{pid}/edit")
    assert post_editor(hoa, pid, first.text, name="Bản của Hoa").status_code == 303
    refused = post_editor(minh, pid, second.text, name="Bản của Minh – giữ lại")
    assert refused.status_code == 409
    assert "hoa vừa lưu bản 2" in refused.text and "Bản của Minh – giữ lại" in refused.text
    assert 'name="base" value="2"' in refused.text  # saving again goes over version 2, knowingly
    assert web.app.state.programmes.store.get(pid).name == "Bản của Hoa"
    again = post_editor(minh, pid, refused.text)
    assert again.status_code == 303 and web.app.state.programmes.store.get(pid).head == 3


def test_an_edit_posted_after_the_session_expired_comes_back_after_login(web, media):
    client = logged_in(web, "hoa")
    pid = new_programme(client)
    page = client.get(f"/programmes/{pid}/edit")
    web.clock.now += 2 * 3600  # idle longer than the session allows
    answer = post_editor(client, pid, page.text, name="Gõ trong lúc phiên hết hạn")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    login = client.get(answer.headers["location"])
    assert "hết hạn" in login.text
    done = log_in(client, "hoa", next=f"/programmes/{pid}/edit?stash=1")
    restored = client.get(done.headers["location"])
    assert restored.status_code == 200 and "Gõ trong lúc phiên hết hạn" in restored.text
    assert "được giữ lại" in restored.text
    assert post_editor(client, pid, restored.text).status_code == 303
    assert web.app.state.programmes.store.get(pid).name == "Gõ trong lúc phiên hết hạn"
    other = logged_in(web, "minh")  # another browser cannot pull that stash
    assert "được giữ lại" not in other.get(f"/programmes/{pid}/edit?stash=1").text


def test_import_of_a_notepad_utf16_file_says_what_to_do(web):
    client = logged_in(web, "hoa")
    page = client.get("/programmes")
    answer = client.post("/programmes/import", data={"csrf_token": csrf_token(page.text)},
                         files={"file": ("playlist.yaml",
                                         "name: Bản Giốc\nitems: []\n".encode("utf-16"))})
    assert answer.status_code == 422 and "UTF-16" in answer.text and "hãy lưu lại" in answer.text
    huge = client.post("/programmes/import", data={"csrf_token": csrf_token(page.text)},
                       files={"file": ("anh.jpg", b"\xff\xd8" + bytes(2_000_000))})
    assert huge.status_code == 413 and "anh.jpg: tệp lớn hơn 1000 kB" in huge.text
    good = client.post("/programmes/import", data={"csrf_token": csrf_token(page.text)},
                       files={"file": ("playlist.yaml", "name: Cửa khẩu Trà Lĩnh\nlanguages: "
                                       "[vi, en]\nitems:\n  - text: {vi: Xin chào, en: Hi}\n"
                                       .encode())})
    assert good.status_code == 303
    opened = client.get(good.headers["location"].rstrip("/") + "/edit")
    assert "Xin chào" in opened.text and "Cửa khẩu Trà Lĩnh" in opened.text


def test_viewers_cannot_edit_and_forms_need_their_token(web):
    viewer = logged_in(web, "xem")
    assert viewer.get("/programmes").status_code == 200
    pid = new_programme(logged_in(web, "hoa"))
    assert viewer.get(f"/programmes/{pid}/edit").status_code == 403
    assert viewer.post(f"/programmes/{pid}/edit", data={"op": "save"}).status_code == 403
    hoa = logged_in(web, "hoa")
    assert hoa.post("/programmes", data={"name": "x"}).status_code == 403  # no CSRF token
    assert hoa.get(f"/programmes/{pid}/approve").status_code == 403
    stranger = web.client()  # never logged in: nothing of theirs is kept
    assert stranger.post(f"/programmes/{pid}/edit", data={"name": "x"}).status_code == 403


def approve_form(client, pid, **extra):
    page = client.get(f"/programmes/{pid}/approve")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    data = {"csrf_token": csrf_token(page.text), "version": version, "channels": ["ban-gioc"],
            "passphrase": PASSPHRASE, **extra}
    return client.post(f"/programmes/{pid}/approve", data=data)


def make_key(client):
    page = client.get("/programmes/keys")
    answer = client.post("/programmes/keys", data={
        "csrf_token": csrf_token(page.text), "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE})
    assert answer.status_code == 200 and "ed25519:" in answer.text
    return re.search(r'<code class="key">(ed25519:[^<]+)</code>', answer.text).group(1)


def test_approval_with_the_passphrase_publishes_a_signed_release(web, media, tmp_path):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    write_slide(hoa, pid, media)
    lan = logged_in(web, "lan")
    public = make_key(lan)
    page = lan.get(f"/programmes/{pid}/approve")
    assert "text-1 · thêm mới" in page.text and "image-1 · thêm mới" in page.text
    assert "<script>alert" not in page.text
    wrong = approve_form(lan, pid, passphrase="not my passphrase at all")
    assert wrong.status_code == 403 and "Sai mật khẩu ký" in wrong.text
    assert PASSPHRASE not in str(web.people.audit.recent(50))
    done = approve_form(lan, pid)
    assert done.status_code == 303 and "approved=2" in done.headers["location"]
    channel = tmp_path / "hub" / "channels" / "ban-gioc"
    manifest = (channel / "manifest.json").read_bytes()
    assert keys.verify([keys.parse_public_key(public)], manifest,
                       (channel / "manifest.json.sig").read_bytes())
    actions = [e.action for e in web.people.audit.recent(20)]
    assert "programme.approve" in actions and "programme.approve.refused" in actions
    shown = lan.get(done.headers["location"])
    assert "Đã ký duyệt bản 2" in shown.text


def test_own_draft_refused_and_missing_language_override_is_audited(web, media):
    web.people.accounts.add_user("tu", PASSWORD, "approver")
    tu = logged_in(web, "tu")
    make_key(tu)
    pid = new_programme(tu)
    write_slide(tu, pid, media, zh="")
    refused = approve_form(tu, pid)
    assert refused.status_code == 409 and "tự duyệt" in refused.text
    lan = logged_in(web, "lan")
    make_key(lan)
    blocked = approve_form(lan, pid)
    assert blocked.status_code == 409 and "thiếu bản dịch" in blocked.text
    done = approve_form(lan, pid, override="1")
    assert done.status_code == 303
    override = web.people.audit.recent(5, action="programme.override_missing")[0]
    assert override.user_name == "lan" and override.detail["missing"] == ["text-1.text: zh"]


def test_emergency_raised_on_chosen_clusters_and_lifted(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    write_slide(hoa, pid, media)
    lan = logged_in(web, "lan")
    make_key(lan)
    assert approve_form(lan, pid).status_code == 303
    page = lan.get("/programmes/emergency")
    raised = lan.post("/programmes/emergency", data={
        "csrf_token": csrf_token(page.text), "clusters": ["bangioc-1"], "action": "raise",
        "text-vi": "Lũ lớn: " + EVIL, "text-en": "Flood", "passphrase": PASSPHRASE})
    assert raised.status_code == 200 and "đã được phát tới: ban-gioc" in raised.text
    assert "đang có thông báo khẩn" in raised.text
    lifted = lan.post("/programmes/emergency", data={
        "csrf_token": csrf_token(page.text), "clusters": ["bangioc-1"], "action": "lift",
        "passphrase": PASSPHRASE})
    assert lifted.status_code == 200 and "Đã gỡ" in lifted.text
    actions = [e.action for e in web.people.audit.recent(10)]
    assert actions.index("emergency.lift") < actions.index("emergency.raise")


def test_language_codes_are_checked_in_the_page_language(web):
    client = logged_in(web, "hoa")
    pid = new_programme(client)
    page = client.get(f"/programmes/{pid}/edit")
    page = post_editor(client, pid, page.text, "add-text", languages="vi, en, cn")
    assert '&#34;cn&#34; không phải mã ngôn ngữ (có phải ý bạn là &#34;zh&#34;?)' in page.text
    english = client.get(f"/programmes/{pid}/edit?lang=en")
    english = client.post(f"/programmes/{pid}/edit?lang=en",
                          data={**editor_fields(english.text), "op": "add-text",
                                "languages": "vi, en, cn"})
    assert '&#34;cn&#34; is not a language code (did you mean &#34;zh&#34;?)' in english.text
    assert "Not saved" in english.text and "Save draft" in english.text


def test_a_wrong_passphrase_is_refused_in_english_too_and_then_throttled(web, media):
    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa)
    write_slide(hoa, pid, media)
    lan = logged_in(web, "lan")
    make_key(lan)
    page = lan.get(f"/programmes/{pid}/approve?lang=en")
    data = {"csrf_token": csrf_token(page.text), "version": "2", "channels": ["ban-gioc"],
            "passphrase": "wrong wrong wrong"}
    for _ in range(3):
        wrong = lan.post(f"/programmes/{pid}/approve?lang=en", data=data)
        assert wrong.status_code == 403 and "Wrong signing passphrase" in wrong.text
    throttled = lan.post(f"/programmes/{pid}/approve?lang=en",
                         data={**data, "passphrase": PASSPHRASE})
    assert throttled.status_code == 429 and "Try again in" in throttled.text
    refused = web.people.audit.recent(10, action="programme.approve.refused")
    assert [e.detail["reason"] for e in refused] == ["passphrase_wait"] + ["wrong_passphrase"] * 3


class SheetPreviewer:
    """A Previewer that draws one tile per item's first text line (a fake of the real
    interface): enough to see the hook hand it a playlist beside its real media."""

    def __init__(self, folder):
        self.folder = folder
        self.seen: list = []

    def contact_sheet(self, playlist_path, size, rotation):
        from PIL import Image

        from player.core.playlist_reader import load_playlist

        playlist = load_playlist(playlist_path)  # its media are real files here
        self.seen.append(([i.id for i in playlist.items], size, rotation))
        for entry in playlist.items:
            if entry.source:
                Image.open(playlist_path.parent / entry.source).verify()
        out = self.folder / "sheet.png"
        Image.new("RGB", (size[0] // 10, size[1] // 10), (30, 90, 160)).save(out)
        return out


def test_the_preview_hook_renders_a_contact_sheet_or_says_it_is_not_ready(web, media, tmp_path):
    client = logged_in(web, "hoa")
    pid = new_programme(client)
    write_slide(client, pid, media)
    assert client.get(f"/programmes/{pid}/contact-sheet.png").status_code == 404
    previewer = SheetPreviewer(tmp_path)
    web.app.state.programmes.previewer = previewer
    page = client.get(f"/programmes/{pid}")
    assert "xem trước chưa sẵn sàng" not in page.text and "contact-sheet.png" in page.text
    sheet = client.get(f"/programmes/{pid}/contact-sheet.png?size=1080x1920&rotation=90")
    assert sheet.status_code == 200 and sheet.content[:4] == b"\x89PNG"
    assert previewer.seen == [(["text-1", "image-1"], (1080, 1920), 90)]
