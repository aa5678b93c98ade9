import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from player.core.emergency import load_emergency
from player.core.playlist_reader import check_playlist, load_playlist, playlist_from_data
from player.core.problems import LoadError
from player.core.yamlfile import parse_yaml


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "media").mkdir()
    Image.new("RGB", (32, 24), "red").save(tmp_path / "media" / "a.jpg")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "playlist.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(folder: Path, text: str) -> list[str]:
    return [str(p) for p in check_playlist(write(folder, text))]


def test_issue_example_loads(folder):
    playlist = load_playlist(write(folder, """
name: ban-gioc
languages: [vi, en, zh]
defaults: {duration: 10s, transition: crossfade}
items:
  - id: welcome
    text: {vi: Chào mừng quý khách đến Thác Bản Giốc, en: Welcome to Ban Gioc Waterfall, zh: 欢迎来到板约瀑布}
    layout: stacked
  - id: geopark
    image: media/a.jpg
    fit: cover
    caption: {vi: Công viên địa chất toàn cầu UNESCO Non nước Cao Bằng, en: Non Nuoc Cao Bang UNESCO Global Geopark}
    when: [{days: [sat, sun], hours: "07:00-18:00"}]
overlays:
  ticker: {text: {vi: Xin chào, en: Hello}}
"""))
    assert [i.id for i in playlist.items] == ["welcome", "geopark"]
    assert playlist.items[1].fit == "cover" and playlist.items[1].duration == 10
    assert playlist.items[1].when[0].days == frozenset({5, 6})
    assert playlist.media_files() == ("media/a.jpg",)
    assert playlist.ticker is not None


def test_text_is_normalised_to_nfc(folder):
    decomposed = unicodedata.normalize("NFD", "Thác Bản Giốc")
    playlist = load_playlist(write(folder, f"items:\n  - text: {{vi: {decomposed}, en: x}}\n"))
    assert playlist.items[0].text["vi"] == unicodedata.normalize("NFC", "Thác Bản Giốc")


@pytest.mark.parametrize("text, expected", [
    ("items: []\n", "items: the playlist has no items"),
    ("name: x\n", "items: a playlist needs a list of items"),
    ("items:\n  - text: {vi: a, en: b}\n    duraton: 5s\n", ':3: items[0].duraton: unknown key (did you mean "duration"?)'),
    ("items:\n  - text: {vi: a, en: b}\n    when: {hours: '25:00-06:00'}\n", ':3: items[0].when.hours: "25:00" is not a time of day'),
    ("items:\n  - image: ../secret.jpg\n", 'items[0].image: "../secret.jpg" leaves the playlist\'s folder'),
    ("items:\n  - image: /etc/passwd\n", "is an absolute path"),
    ("items:\n  - image: media/missing.jpg\n", '"media/missing.jpg" does not exist'),
    ("items:\n  - id: a\n    text: {vi: x}\n  - id: a\n    text: {vi: y}\n", ':4: items[1].id: duplicate id "a" (first used on line 2)'),
    ("items:\n  - text: {vi: x}\n    duration: 0s\n", "items[0].duration: must be longer than 0s"),
    ("items:\n  - text: {vi: x}\n    image: media/a.jpg\n", "exactly one of image, video or text"),
    ("items:\n  - text: {vi: x}\n    transition: wipe\n", "expected crossfade or cut"),
    ("items:\n  - text: {vi: x}\n    when: {days: [funday]}\n", "expected a weekday"),
    ("items:\n  - text: {vi: x}\n    style: {color: purplish}\n", "items[0].style.color: expected a colour"),
    ("items: [\n", "YAML syntax error"),
    ("interrupts:\n  - text: {vi: x}\nitems:\n  - text: {vi: y}\n", 'an interrupt needs "at"'),
    ("items:\n  - text: {vi: x}\n    when: {from: 2026-12-31, until: 2026-12-01}\n", "is before from"),
])
def test_errors_are_precise(folder, text, expected):
    found = messages(folder, text)
    assert any(expected in m for m in found), found
    assert all(m.startswith(str(folder / "playlist.yaml")) for m in found)


def test_missing_language_is_a_warning_not_an_error(folder):
    found = messages(folder, "languages: [vi, en]\nitems:\n  - text: {vi: Xin chào}\n")
    assert found == [f"{folder / 'playlist.yaml'}:3: items[0].text: warning: no text for en"]


def test_symlink_out_of_folder_refused(folder, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "x.jpg"
    Image.new("RGB", (8, 8)).save(outside)
    os.symlink(outside, folder / "media" / "link.jpg")
    found = messages(folder, "items:\n  - image: media/link.jpg\n")
    assert any("points outside the playlist's folder" in m for m in found)


def test_empty_media_file_refused(folder):
    (folder / "media" / "empty.jpg").write_bytes(b"")
    assert any("is empty" in m for m in messages(folder, "items:\n  - image: media/empty.jpg\n"))


def test_yaml_1_1_surprises_stay_strings(folder):
    playlist = load_playlist(write(folder, "languages: [vi, no]\nitems:\n  - text: {vi: a, no: b}\n"
                                           "    when: {hours: 07:00-09:00}\n"))
    assert playlist.languages == ("vi", "no")


def test_interrupts_emergency_fallback(folder):
    playlist = load_playlist(write(folder, """
items:
  - text: {vi: a, en: a}
interrupts:
  - id: hourly
    every: 1h
    text: {vi: Giờ, en: Hour}
    duration: 20s
  - at: ["08:00", "12:30"]
    image: media/a.jpg
emergency:
  text: {vi: Khẩn cấp, en: Emergency}
fallback:
  text: {vi: Trùng Khánh, en: Trung Khanh}
"""))
    assert playlist.interrupts[0].every == 3600 and playlist.interrupts[0].item.duration == 20
    assert len(playlist.interrupts[1].at) == 2
    assert playlist.emergency.style.background == (170, 10, 10)
    assert playlist.emergency.transition.kind == "cut"
    assert playlist.fallback.text["en"] == "Trung Khanh"


def test_emergency_file(folder):
    path = folder / "emergency.yaml"
    path.write_text("text: {vi: Lũ quét – sơ tán ngay, en: Flash flood – leave now}\n", encoding="utf-8")
    item = load_emergency(path, ("vi", "en"))
    assert item.id == "emergency" and item.text["vi"].startswith("Lũ")
    path.write_text("text: [broken\n", encoding="utf-8")
    with pytest.raises(LoadError):
        load_emergency(path, ("vi", "en"))


def test_clock_alignment_needs_video_durations(folder):
    (folder / "media" / "v.mp4").write_bytes(b"not really a video")
    found = messages(folder, "align: clock\nitems:\n  - video: media/v.mp4\n")
    assert any("align: clock needs a fixed duration" in m for m in found)


def test_the_demo_playlist_is_clean():
    demo = Path(__file__).resolve().parents[2] / "playlists" / "ban-gioc" / "playlist.yaml"
    assert check_playlist(demo) == []


keys = st.sampled_from(["name", "languages", "items", "id", "text", "image", "video", "when",
                        "days", "hours", "from", "until", "duration", "transition", "style",
                        "overlays", "ticker", "clock", "interrupts", "at", "every", "vi", "en",
                        "layout", "caption", "emergency", "fallback", "defaults", "type"])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 100000) | st.text(max_size=12)
    | st.sampled_from(["10s", "07:00-18:00", "sat", "crossfade", "media/a.jpg", "../x", "2026-12-01"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(values)
def test_playlist_loader_raises_only_load_error(folder, data):
    try:
        playlist_from_data(data, folder / "playlist.yaml")
    except LoadError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.text(max_size=300))
def test_playlist_text_raises_only_load_error(folder, text):
    try:
        playlist_from_data(parse_yaml(text, "p.yaml"), folder / "playlist.yaml")
    except LoadError:
        pass
