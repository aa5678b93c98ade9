"""Previews drawn by the player's own renderer in a worker process: slides, video strips, the
contact sheet, the cache, and the routes that serve them.

The PNGs land in a folder the test prints (HUB_SCREENSHOTS=/some/folder keeps them); look at
them after a change to what is drawn.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageStat

from player.hub.preview import PreviewError, PreviewRenderer
from tests.hub.fleetdata import config_data
from tests.hub.hubtools import public_key_text
from tests.hub.mediatools import camera_jpeg, phone_clip
from tests.hub.webtools import log_in, make_web_hub

PLAYLIST = """\
name: preview-test
languages: [vi, en, zh]
items:
  - id: welcome
    text:
      vi: "Chào mừng quý khách đến Thác Bản Giốc <b>&amp;</b> <script>alert(1)</script>"
      en: "Welcome to Ban Gioc Waterfall"
      zh: "欢迎来到板约瀑布"
  - id: photo
    image: media/photo.jpg
    caption: {vi: Ảnh chụp bằng điện thoại, en: A phone photo}
  - id: festival
    video: media/festival.mov
    caption: {vi: Lễ hội, en: Festival}
"""


@pytest.fixture(scope="module")
def programme(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("programme")
    (folder / "media").mkdir()
    (folder / "media" / "photo.jpg").write_bytes(camera_jpeg((600, 800)))
    phone_clip(folder / "media" / "festival.mov", seconds=2.0)
    (folder / "playlist.yaml").write_text(PLAYLIST, encoding="utf-8")
    return folder / "playlist.yaml"


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\npreviews in {folder}")
    return folder


def not_blank(image: Image.Image) -> bool:
    """Text or a picture on it: many colours, and not one flat field."""
    rgb = image.convert("RGB")
    colours = rgb.resize((rgb.width // 4, rgb.height // 4)).getcolors(1 << 20) or []
    return len(colours) > 20 and max(ImageStat.Stat(rgb).stddev) > 8


@pytest.mark.timeout(300)
def test_slides_strips_and_contact_sheet_come_from_the_players_renderer(programme, shots,
                                                                        tmp_path):
    renderer = PreviewRenderer(tmp_path / "cache")
    slides = renderer.render_slides(programme, (1920, 1080))
    assert [(s.index, s.kind) for s in slides] == [(0, "text"), (1, "image"), (2, "video")]
    assert slides[0].label.startswith("1. welcome – Chào mừng quý khách")
    for slide in slides:
        assert slide.problems == "", slide.problems
        with Image.open(slide.frame) as frame:
            assert frame.size == (1920, 1080)
            assert not_blank(frame), slide.label
    with Image.open(slides[2].png) as strip:
        assert strip.size == (5 * 480 + 4 * 8, 270)  # five quarter-size frames across the clip
        assert all(not_blank(strip.crop((n * 488, 0, n * 488 + 480, 270))) for n in range(5))
    sheet = renderer.contact_sheet(programme, (1920, 1080))
    with Image.open(sheet) as image:
        assert image.width > 1000 and not_blank(image)
    # a portrait screen: a 1920x1080 panel turned 90 degrees shows 1080x1920 pictures
    portrait = renderer.render_slides(programme, (1920, 1080), 90)
    with Image.open(portrait[0].png) as frame:
        assert frame.size == (1080, 1920) and not_blank(frame)
    for name, path in [("preview-text-1920x1080.png", slides[0].png),
                       ("preview-video-strip.png", slides[2].png),
                       ("preview-text-portrait.png", portrait[0].png),
                       ("preview-contact-sheet.png", sheet)]:
        shutil.copyfile(path, shots / name)
    # the same programme again: from the cache, with no worker to run it
    renderer.python = str(tmp_path / "no-such-python")
    again = renderer.render_slides(programme, (1920, 1080))
    assert [s.png for s in again] == [s.png for s in slides]
    assert renderer.contact_sheet(programme, (1920, 1080)) == sheet
    # a changed media file is a different preview
    with pytest.raises(PreviewError):
        edited = programme.parent / "media" / "photo.jpg"
        edited.write_bytes(camera_jpeg((600, 800)) + b"\0")
        try:
            renderer.render_slides(programme, (1920, 1080))
        finally:
            edited.write_bytes(camera_jpeg((600, 800)))


def test_the_cache_keeps_a_bounded_number_of_previews(programme, tmp_path):
    renderer = PreviewRenderer(tmp_path / "cache", keep=1)
    first = renderer.render_slides(programme, (640, 360))[0].png
    second = renderer.render_slides(programme, (360, 640))[0].png
    assert second.exists() and not first.exists()
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_a_playlist_that_does_not_load_says_where(tmp_path):
    broken = tmp_path / "playlist.yaml"
    broken.write_text("languages: [vi, cn]\nitems:\n  - text: {vi: Xin chào}\n", encoding="utf-8")
    with pytest.raises(PreviewError) as raised:
        PreviewRenderer(tmp_path / "cache").render_slides(broken, (1920, 1080))
    assert "playlist.yaml:1" in str(raised.value) and "zh" in str(raised.value)
    with pytest.raises(PreviewError):
        PreviewRenderer(tmp_path / "cache").render_slides(broken, (1920, 1080), rotation=45)


@pytest.mark.timeout(300)
def test_the_preview_routes(tmp_path, programme):
    hub = make_web_hub(tmp_path, config_data(public_key_text(Ed25519PrivateKey.generate())))
    try:
        hub.people.accounts.add_user("lan", "thác-Bản-Giốc-2026", "editor")
        hub.people.accounts.add_user("xem", "thác-Bản-Giốc-2026", "viewer")
        root = hub.app.state.media.root
        shutil.copytree(programme.parent, root / "programmes" / "thang-12")
        editor = hub.client()
        log_in(editor, "lan")
        sheet = editor.get("/preview/contact-sheet.png",
                           params={"playlist": "programmes/thang-12/playlist.yaml",
                                   "size": "1080x1920"})
        assert sheet.status_code == 200 and sheet.headers["content-type"] == "image/png"
        for outside in ("../../etc/passwd", "/etc/hosts", "programmes/thang-12/media/photo.jpg",
                        ""):
            assert editor.get("/preview/contact-sheet.png",
                              params={"playlist": outside}).status_code == 404
        viewer = hub.client()
        log_in(viewer, "xem")
        assert viewer.get("/preview/contact-sheet.png", params={
            "playlist": "programmes/thang-12/playlist.yaml"}).status_code == 403
        # a ready library item's own preview page and picture
        library = hub.app.state.media.library
        item = library.add_file(programme.parent / "media" / "festival.mov", "Lễ hội.mov", "lan")
        assert editor.get(f"/media/{item.id}/preview.png").status_code == 404  # not ready yet
        while hub.app.state.media.jobs.run_one():
            pass
        page = editor.get(f"/media/{item.id}")
        assert page.status_code == 200 and "Lễ hội.mov" in page.text
        assert "Năm khung hình" in page.text
        picture = editor.get(f"/media/{item.id}/preview.png")
        assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
        assert editor.get("/media/9999").status_code == 404
    finally:
        hub.close()
