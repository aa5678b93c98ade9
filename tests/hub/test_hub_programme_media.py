"""The programmes and the media library joined in the running hub: the editor offers the
library's ready files, approval copies their prepared files into the release, and a file a
programme needs cannot be deleted."""

from __future__ import annotations

import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.ingest import check_batch
from player.hub.preview import PreviewRenderer
from player.hub.programme_media import LibraryMediaSource
from tests.hub.hubtools import hub_config_data
from tests.hub.mediatools import camera_jpeg
from tests.hub.programmetools import fast_keys
from tests.hub.test_hub_programmes_web import approve_form, make_key, new_programme, post_editor
from tests.hub.webtools import PASSWORD, csrf_token, log_in, make_web_hub

MEDIA = {"max_image_bytes": "2MB", "max_video_bytes": "30MB", "screen": "960x540"}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("programme-media")
    hub = make_web_hub(tmp, {**hub_config_data(Ed25519PrivateKey.generate()), "media": MEDIA})
    desk = hub.app.state.programmes
    desk.keys = fast_keys(hub.store.engine, hub.clock)
    desk.publisher.extra_keys = desk.keys.public_keys
    for name, role in (("hoa", "editor"), ("lan", "approver")):
        hub.people.accounts.add_user(name, PASSWORD, role)
    # The heartbeat writer thread starts with the first batch: start it with the module's hub (an
    # empty batch stores nothing), not inside the test that posts first, whose thread check
    # would count it as left running.
    hub.store.store(check_batch("bangioc-1", []))
    try:
        yield hub
    finally:
        hub.close()


def logged_in(web, name):
    client = web.client()
    assert log_in(client, name).status_code == 303
    return client


def upload_photo(web, client, name: str, size=(600, 800)):
    token = csrf_token(client.get("/media").text)
    answer = client.post("/media", data={"csrf_token": token},
                         files={"file": (name, camera_jpeg(size), "image/jpeg")})
    assert answer.status_code == 303
    jobs = web.app.state.media.jobs
    while jobs.run_one():
        pass
    library = web.app.state.media.library
    return next(m for m in library.list_ready() if m.name == name)


def delete(client, media_id: int):
    token = csrf_token(client.get("/media").text)
    return client.post(f"/media/{media_id}/delete", data={"csrf_token": token})


def test_the_running_hub_gives_the_programmes_the_library_and_the_renderer(web):
    desk = web.app.state.programmes
    assert isinstance(desk.media, LibraryMediaSource)
    assert desk.media.library is web.app.state.media.library
    assert isinstance(desk.previewer, PreviewRenderer)
    assert desk.previewer is web.app.state.media.previews


def test_a_library_photo_goes_into_a_programme_is_kept_and_is_published(web):
    hoa = logged_in(web, "hoa")
    photo = upload_photo(web, hoa, "Thác Bản Giốc mùa thu.jpg")
    spare = upload_photo(web, hoa, "không dùng.jpg", (400, 300))
    pid = new_programme(hoa, "Thu 2026")
    page = post_editor(hoa, pid, hoa.get(f"/programmes/{pid}/edit").text, "add-image")
    # the picker: one choice a ready picture, with its thumbnail, and the way to upload more
    choice = re.search(r'<label class="pick"><input type="radio" name="item-0-media" value="'
                       + re.escape(photo.playlist_path) + r'"( checked)?>\s*<img src="([^"]+)"',
                       page.text)
    assert choice and "Thác Bản Giốc mùa thu.jpg" in page.text, page.text
    assert hoa.get(choice.group(2)).content[:3] == b"\xff\xd8\xff"  # a JPEG thumbnail
    assert 'href="/media"' in page.text
    saved = post_editor(hoa, pid, page.text, **{
        "item-0-media": photo.playlist_path, "item-0-duration": "3s",
        "item-0-caption-vi": "Thác", "item-0-caption-en": "Falls", "item-0-caption-zh": "瀑布"})
    assert saved.status_code == 303, saved.text[-2000:]

    # the draft needs the photo: deleting it is refused and names the programme
    refused = delete(hoa, photo.id)
    assert refused.status_code == 409 and "Thu 2026" in refused.text
    assert delete(hoa, spare.id).status_code == 303

    lan = logged_in(web, "lan")
    make_key(lan)
    done = approve_form(lan, pid)
    assert done.status_code == 303, done.text[-2000:]
    channel = web.app.state.hub.root / "channels" / "ban-gioc"
    manifest = json.loads((channel / "manifest.json").read_text())
    shas = {entry["sha256"] for entry in manifest["files"]}
    assert photo.sha256 in shas
    prepared = web.app.state.media.library.prepared_path(photo.id).read_bytes()
    assert (channel / "objects" / photo.sha256).read_bytes() == prepared

    # approved and on air: still kept
    assert delete(hoa, photo.id).status_code == 409

    # the photo's slide, twice: each time a new temporary folder links the same file, which
    # is hashed once for the preview cache
    renderer = web.app.state.media.previews
    number = web.app.state.programmes.store.version(pid).number
    first = hoa.get(f"/programmes/{pid}/v{number}/slide-0.png?size=640x360&rotation=0")
    known = dict(renderer._hashes)
    again = hoa.get(f"/programmes/{pid}/v{number}/slide-0.png?size=640x360&rotation=0")
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert renderer._hashes == known and known


WEEK = """name: Tuần lễ hội
languages: [vi, en]
items:
  - id: chao
    text: {vi: Chào mừng, en: Welcome}
    duration: 3s
  - id: cuoi-tuan
    text: {vi: Chợ phiên cuối tuần, en: Weekend market}
    duration: 3s
    when: {days: [sat, sun], hours: "07:00-11:00"}
interrupts:
  - {id: trua, text: {vi: Giờ nghỉ trưa, en: Lunch break}, duration: 5s, at: ["12:00"]}
"""


def test_slides_at_each_reported_screen_the_side_by_side_and_the_week(web):
    from PIL import Image

    from tests.hub.hubtools import CLUSTER_TOKEN, batch, report

    hoa = logged_in(web, "hoa")
    pid = new_programme(hoa, "Tuần lễ hội")
    version = web.app.state.programmes.store.save(pid, 1, WEEK, "hoa")
    page = hoa.get(f"/programmes/{pid}").text
    # no cluster has reported: the library's screen from hub.yaml (media.screen: 960x540)
    assert f"/programmes/{pid}/v{version.number}/slide-1.png?size=960x540&amp;rotation=0" in page
    # a cluster reports a portrait panel (a 1920x1080 screen turned 90°)
    beat = report(cluster="bangioc-1")
    beat["player"]["display"] = {"driver": "kmsdrm", "size": [1920, 1080], "rotation": 90}
    answer = web.client().post("/api/v1/heartbeats", json=batch(beat),
                               headers={"Authorization": f"Bearer {CLUSTER_TOKEN}"})
    assert answer.status_code in (200, 202), answer.text
    page = hoa.get(f"/programmes/{pid}").text
    address = f"/programmes/{pid}/v{version.number}/slide-1.png?size=1920x1080&amp;rotation=90"
    assert address in page and "Bản Giốc – cổng chính" in page
    slide = hoa.get(address.replace("&amp;", "&"))
    assert slide.status_code == 200, slide.text
    with Image.open(__import__("io").BytesIO(slide.content)) as image:
        assert image.height > image.width  # drawn as people see the turned panel

    # the week, by the player's own schedule: weekend mornings and the noon interrupt
    rows = re.findall(r"<tr><th>(\d\d)–(\d\d)</th>(.*?)</tr>", page, re.S)
    assert rows, page
    by_hour = {int(a): cells for a, b, cells in rows}
    noon = re.findall(r"<td[^>]*>(.*?)</td>", by_hour[12], re.S)
    assert all("⚡trua" in cell for cell in noon) and len(noon) == 7
    morning = re.findall(r"<td[^>]*>(.*?)</td>", by_hour[7], re.S)
    weekend = [n for n, d in enumerate(day_names(page)) if d in ("T7", "CN")]
    assert all((">2<" in cell) == (n in weekend) for n, cell in enumerate(morning)), morning
    english = hoa.get(f"/programmes/{pid}?lang=en").text
    assert "The week: what plays when" in english and "rotated 90°" in english
    assert set(day_names(english)) == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}


def day_names(page: str) -> list[str]:
    head = re.search(r'<table class="week">\s*<thead><tr><th>[^<]*</th>(.*?)</tr>', page, re.S)
    return re.findall(r"<th>([^<]+)<br>", head.group(1))


def test_the_approval_page_shows_changed_slides_beside_the_ones_on_air(web):
    hoa = logged_in(web, "hoa")
    lan = logged_in(web, "lan")
    pid = new_programme(hoa, "Bên cạnh")
    store = web.app.state.programmes.store
    store.save(pid, 1, WEEK, "hoa")
    make_key(lan)
    done = approve_form(lan, pid)
    assert done.status_code == 303, done.text[-1500:]
    draft = store.save(pid, 2, WEEK.replace("Chào mừng", "Xin chào"), "hoa")
    page = lan.get(f"/programmes/{pid}/approve").text
    on_air = re.search(r'<img src="(/programmes/on-air/ban-gioc/slide-0\.png[^"]*)"', page)
    mine = re.search(rf'<img src="(/programmes/{pid}/v{draft.number}/slide-0\.png[^"]*)"', page)
    assert on_air and mine, page
    a = lan.get(on_air.group(1).replace("&amp;", "&"))
    b = lan.get(mine.group(1).replace("&amp;", "&"))
    assert a.status_code == b.status_code == 200 and a.content[:4] == b"\x89PNG"
    assert a.content != b.content  # the changed greeting is drawn differently


def through_the_pages(web, client):
    """Open a playlist's text in the editor's page and save it with the fields as posted."""
    from tests.hub.programmetools import editor_fields

    store = web.app.state.programmes.store

    def round_trip(text: bytes) -> str:
        pid = new_programme(client, "Khứ hồi")
        store.save(pid, 1, text.decode("utf-8"), "hoa")
        page = client.get(f"/programmes/{pid}/edit")
        answer = client.post(f"/programmes/{pid}/edit", data={**editor_fields(page.text),
                                                               "op": "save"})
        assert answer.status_code == 303, answer.text[-1500:]
        return store.version(pid).yaml

    return round_trip


def test_every_bundled_and_documented_playlist_round_trips_through_the_editor_page(web, tmp_path):
    from tests.docs.test_doc_examples import provide_media
    from tests.hub.test_hub_programmes import ROOT, doc_playlists, same_playback

    round_trip = through_the_pages(web, logged_in(web, "hoa"))
    bundled = sorted((ROOT / "playlists").rglob("playlist.yaml"))
    assert bundled
    for path in bundled:
        same_playback(path, round_trip)
    examples = doc_playlists()
    assert examples
    for n, example in enumerate(examples):
        folder = tmp_path / f"example-{n}"
        folder.mkdir()
        text = example.values[1]
        provide_media(folder, text)
        (folder / "playlist.yaml").write_text(text, encoding="utf-8")
        same_playback(folder / "playlist.yaml", round_trip)


class HeldPreviewer:
    """A Previewer (the real interface) that draws nothing until released: a slow worker."""

    def __init__(self, png: bytes):
        import threading

        self.png, self.release, self.calls = png, threading.Event(), 0

    def render_slides(self, playlist_path, size, rotation):
        from pathlib import Path

        from player.hub.preview import PreviewSlide

        self.calls += 1
        assert self.release.wait(120)
        out = Path(playlist_path).with_name("slide.png")
        out.write_bytes(self.png)
        return [PreviewSlide(0, "1", out, "")]

    def contact_sheet(self, playlist_path, size, rotation):
        raise AssertionError("not asked here")


def test_many_slides_waiting_on_the_worker_leave_the_other_pages_served(web):
    """Sixty slide images wait on one slow render; the list of programmes still answers."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.hub.programmetools import PagesClient, wait_until
    from tests.hub.webtools import UvicornThread

    desk = web.app.state.programmes
    real = desk.previewer
    held = HeldPreviewer(b"\x89PNG\r\n\x1a\n")
    desk.previewer = held
    try:
        with UvicornThread(web.app) as server, ThreadPoolExecutor(60) as pool:
            hoa = PagesClient(server.url, "hoa", PASSWORD)
            pid = hoa.create("Nhiều trang")
            web.app.state.programmes.store.save(pid, 1, WEEK, "hoa")
            address = f"{server.url}/programmes/{pid}/v2/slide-0.png?size=640x360&rotation=0"
            slides = [pool.submit(hoa.http.get, address, timeout=300) for _ in range(60)]
            try:
                assert wait_until(lambda: held.calls >= 2, 60)  # two draw, the rest wait
                page = hoa.http.get(server.url + "/programmes", timeout=60)
                assert page.status_code == 200 and "Tuần lễ hội" in page.text
                assert held.calls == 2 and not any(s.done() for s in slides)
            finally:
                held.release.set()
            assert all(s.result().status_code == 200 for s in slides)
    finally:
        held.release.set()
        desk.previewer = real
