"""The media library and the previews, attacked as an outsider and as a careless employee would:
forged and cross-site uploads, lower roles, malformed and endless multipart bodies, hostile file
names, pixel bombs, slow uploads and paths that try to leave the hub's folder."""

from __future__ import annotations

import io
import logging
import os
import socket
import struct
import zlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from tests.hub.fleetdata import config_data
from tests.hub.hubtools import public_key_text
from tests.hub.webtools import PASSWORD, UvicornThread, csrf_token, log_in, make_web_hub

MEDIA = {"max_image_bytes": "1MB", "max_video_bytes": "4MB", "screen": "320x180",
         "max_megapixels": 40}
SCRIPT = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("media-attacks")
    data = {**config_data(public_key_text(Ed25519PrivateKey.generate())), "media": MEDIA}
    data["public_fleet"] = False
    hub = make_web_hub(tmp, data)
    hub.people.accounts.add_user("lan", PASSWORD, "editor")
    hub.people.accounts.add_user("xem", PASSWORD, "viewer")
    try:
        yield hub
    finally:
        hub.close()


def logged_in(web, name: str):
    client = web.client()
    assert log_in(client, name).status_code == 303
    return client


def small_png(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 36), color).save(out, "PNG")
    return out.getvalue()


def library(web):
    return web.app.state.media.library


def names(web) -> list[str]:
    return [i.name for i in library(web).list_all()]


def incoming_is_empty(web) -> bool:
    folder = library(web).folder / "incoming"
    return not folder.exists() or not list(folder.iterdir())


def test_an_upload_with_no_wrong_or_late_token_or_from_another_site_stores_nothing(web):
    editor = logged_in(web, "lan")
    token = csrf_token(editor.get("/media").text)
    before = names(web)
    files = {"file": ("forged.png", small_png(), "image/png")}
    assert editor.post("/media", files=files).status_code == 403
    assert editor.post("/media", data={"csrf_token": "A" * len(token)},
                       files=files).status_code == 403
    assert editor.post("/media", data={"csrf_token": token}, files=files,
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert editor.post("/media", data={"csrf_token": token}, files=files,
                       headers={"Origin": "null"}).status_code == 403
    assert editor.post("/media", files=files,
                       headers={"X-CSRF-Token": "nope"}).status_code == 403
    # another person's token is not this session's
    other = logged_in(web, "lan")
    other_token = csrf_token(other.get("/media").text)
    assert other_token != token
    assert editor.post("/media", data={"csrf_token": other_token},
                       files=files).status_code == 403
    assert names(web) == before and incoming_is_empty(web)


def test_a_viewer_an_outsider_and_an_expired_session_cannot_upload_or_delete(web):
    files = {"file": ("viewer.png", small_png(), "image/png")}
    viewer = logged_in(web, "xem")
    token = csrf_token(viewer.get("/media").text)
    assert viewer.post("/media", data={"csrf_token": token}, files=files).status_code == 403
    outsider = web.client()
    assert outsider.post("/media", data={"csrf_token": token}, files=files).status_code == 303
    forged = web.client(cookies={"hub_session": "A" * 43})
    answer = forged.post("/media", data={"csrf_token": token}, files=files)
    assert answer.status_code == 303 and "/login" in answer.headers["location"]
    editor = logged_in(web, "lan")
    token = csrf_token(editor.get("/media").text)
    assert editor.post("/media", data={"csrf_token": token}, files={
        "file": ("keep.png", small_png(), "image/png")}).status_code == 303
    [item] = [i for i in library(web).list_all() if i.name == "keep.png"]
    assert viewer.post(f"/media/{item.id}/delete",
                       data={"csrf_token": csrf_token(viewer.get("/media").text)}
                       ).status_code == 403
    assert editor.post(f"/media/{item.id}/delete", data={}).status_code == 403
    assert editor.post(f"/media/{item.id}/delete", data={"csrf_token": token},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    web.clock.now += 9 * 3600  # past the absolute session lifetime
    expired = editor.post(f"/media/{item.id}/delete", data={"csrf_token": token})
    assert expired.status_code in (303, 403)  # a login page or the refusal: never a delete
    assert library(web).get(item.id) is not None
    assert "viewer.png" not in names(web)


def test_malformed_multipart_bodies_get_a_4xx_and_store_nothing(web):
    editor = logged_in(web, "lan")
    token = csrf_token(editor.get("/media").text)
    headers = {"X-CSRF-Token": token}
    no_boundary = editor.post("/media", content=b"--x\r\n\r\n",
                              headers={**headers, "Content-Type": "multipart/form-data"})
    assert no_boundary.status_code == 400
    assert editor.post("/media", content=b"{}", headers={
        **headers, "Content-Type": "application/json"}).status_code == 400
    garbage = editor.post("/media", content=os.urandom(20000), headers={
        **headers, "Content-Type": "multipart/form-data; boundary=zz"})
    assert 400 <= garbage.status_code < 500
    truncated = (b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.png\"\r\n"
                 b"\r\n" + small_png()[:50])
    cut = editor.post("/media", content=truncated, headers={
        **headers, "Content-Type": "multipart/form-data; boundary=zz"})
    assert 400 <= cut.status_code < 500
    assert incoming_is_empty(web)


def test_ten_thousand_fields_or_an_endless_chunked_form_are_refused(web):
    editor = logged_in(web, "lan")
    token = csrf_token(editor.get("/media").text)
    fields = {f"f{i}": "x" for i in range(10_000)}
    many = editor.post("/media", data={"csrf_token": token, **fields},
                       files={"file": ("many.png", small_png(), "image/png")})
    assert many.status_code in (303, 400, 413, 422)

    def endless():  # chunked (no Content-Length): small fields, far more than any form has
        part = b'--zz\r\nContent-Disposition: form-data; name="n"\r\n\r\n' + b"y" * 4000 + b"\r\n"
        for _ in range(3000):  # 12 MB, three times the largest upload
            yield part
        yield b"--zz--\r\n"

    answer = editor.post("/media", content=endless(), headers={
        "X-CSRF-Token": token, "Content-Type": "multipart/form-data; boundary=zz"})
    assert answer.status_code in (400, 413, 422)
    assert incoming_is_empty(web)


def test_hostile_file_names_stay_in_the_library_and_are_shown_as_text(web):
    editor = logged_in(web, "lan")
    token = csrf_token(editor.get("/media").text)
    hostile = ["../../../../etc/cron.d/evil.png", "..\\..\\win.png", f"{SCRIPT}.png",
               "a\x00b\r\nSet-Cookie: x=1.png", "/absolute/path.png", "ảnh Bản Giốc .png",
               "\u202egnp.exe.png", "n" * 10_000 + ".png"]
    for index, name in enumerate(hostile):
        answer = editor.post("/media", data={"csrf_token": token},
                             files={"file": (name, small_png((index * 40, 0, 0)), "image/png")})
        # a 10,000-letter name is over the multipart header limit: refused, in words
        expected = 422 if len(name) > 1000 else 303
        assert answer.status_code == expected, (name[:40], answer.text[:300])
    listed = names(web)
    assert "evil.png" in listed and "win.png" in listed and "path.png" in listed
    assert not any("/" in n or "\\" in n or "\x00" in n or "\r" in n or "\u202e" in n
                   for n in listed)
    assert max(len(n) for n in listed) <= 300
    folder = library(web).folder.resolve()
    for path in folder.rglob("*"):
        assert path.resolve().is_relative_to(folder)
    page = editor.get("/media").text
    assert SCRIPT not in page and "&lt;img src=x" in page
    json_names = [m["name"] for m in editor.get("/api/v1/media").json()["media"]]
    assert any(n.startswith("<img src=x") for n in json_names)  # JSON keeps the text; it is not HTML
    [item] = [i for i in library(web).list_all() if i.name.startswith("<img")]
    preview = editor.get(f"/media/{item.id}")
    assert preview.status_code == 200 and SCRIPT not in preview.text
    assert "script-src 'self'" in preview.headers["content-security-policy"]
    audit = web.people.audit.recent(50)
    assert any(e.action == "media.upload" and e.detail.get("name", "").startswith("<img")
               for e in audit)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge picture in 100 bytes (its data is a few zeros)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def test_a_pixel_bomb_is_refused_at_upload_in_plain_words(web):
    editor = logged_in(web, "lan")
    token = csrf_token(editor.get("/media").text)
    answer = editor.post("/media?lang=en", data={"csrf_token": token}, headers={
        "Accept": "application/json"}, files={
        "file": ("bomb.png", _png_header_only(60000, 60000), "image/png")})
    assert answer.status_code == 422, answer.text
    assert "bomb.png" in answer.json()["error"]
    assert "bomb.png" not in names(web) and incoming_is_empty(web)


def test_media_ids_that_are_not_ids_are_answered_404_or_422(web):
    viewer = logged_in(web, "xem")
    for path in ("/media/..%2f..%2fhub.yaml", "/media/-1", "/media/99999999999999999999999",
                 "/media/1e3/thumb.jpg", "/media/0/preview.png", "/media/%00"):
        answer = viewer.get(path)
        assert answer.status_code in (404, 422), (path, answer.status_code)


def test_the_contact_sheet_reads_no_path_outside_the_hub(web, tmp_path):
    editor = logged_in(web, "lan")
    root = web.app.state.media.root
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "playlist.yaml").write_text("items: []\n", encoding="utf-8")
    link = root / "linked.yaml"
    link.symlink_to(outside / "playlist.yaml")
    (root / "folder-link").symlink_to(outside, target_is_directory=True)
    for value in ("../secret/playlist.yaml", str(outside / "playlist.yaml"), "/etc/passwd",
                  "linked.yaml", "folder-link/playlist.yaml", "%2e%2e/x.yaml", "",
                  "hub.yaml\x00.png", "a" * 5000 + ".yaml"):
        answer = editor.get("/preview/contact-sheet.png", params={"playlist": value})
        assert answer.status_code == 404, (value[:40], answer.status_code)
    viewer = logged_in(web, "xem")
    assert viewer.get("/preview/contact-sheet.png",
                      params={"playlist": "playlist.yaml"}).status_code == 403
    assert web.client().get("/preview/contact-sheet.png").status_code in (303, 401)
    for size in ("100000x100000", "0x0", "-5x10", "1e9x1", "x"):
        answer = editor.get("/media/1/preview.png", params={"size": size})
        assert answer.status_code in (200, 404, 422), size


def test_a_slow_upload_does_not_stop_the_hub_answering_others(web, caplog):
    """Slowloris: a few bytes of an upload every now and then, on several connections."""
    caplog.set_level(logging.INFO)
    editor = logged_in(web, "lan")
    cookie = "; ".join(f"{k}={v}" for k, v in editor.cookies.items())
    with UvicornThread(web.app) as server:
        slow = []
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall((f"POST /media HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                          f"Cookie: {cookie}\r\nContent-Length: 100000\r\n"
                          "Content-Type: multipart/form-data; boundary=zz\r\n\r\n--zz\r\n"
                          ).encode())
            slow.append(sock)
        try:
            import httpx

            with httpx.Client(base_url=server.url, timeout=30) as client:
                assert client.get("/login").status_code == 200  # while 20 uploads crawl
                for sock in slow:
                    sock.sendall(b"C")
                assert client.get("/login").status_code == 200
        finally:
            for sock in slow:
                sock.close()
    assert incoming_is_empty(web)
    # the cut-off uploads are an everyday event for the log, not an error with a traceback
    assert "Exception in ASGI application" not in caplog.text
    assert "cut off: the browser went away" in caplog.text


def test_html_in_a_slide_is_drawn_as_plain_text_in_the_preview(web, tmp_path):
    """The contact sheet is the player's renderer: markup in a text is letters on the screen."""
    folder = web.app.state.media.root / "attack-preview"
    folder.mkdir(exist_ok=True)
    (folder / "playlist.yaml").write_text(
        "name: thử\nlanguages: [vi, en]\nitems:\n  - id: html\n    duration: 3s\n    text:\n"
        f"      vi: '{SCRIPT} Chào mừng'\n      en: '</textarea><script>alert(2)</script>'\n",
        encoding="utf-8")
    editor = logged_in(web, "lan")
    answer = editor.get("/preview/contact-sheet.png",
                        params={"playlist": "attack-preview/playlist.yaml", "size": "640x360"})
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == "image/png"
    sheet = Image.open(io.BytesIO(answer.content)).convert("L")
    (tmp_path / "sheet.png").write_bytes(answer.content)
    # drawn letters: the tile is not one flat colour
    assert sheet.getextrema()[1] - sheet.getextrema()[0] > 100
