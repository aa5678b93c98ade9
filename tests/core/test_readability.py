"""The readability rule: how long a text takes to read and whether it fits the screen."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.core.playlist_reader import load_playlist
from player.core.readability import (
    ELLIPSIS,
    LAYOUT_LIMIT,
    MIN_READABLE_PX,
    TICKER_LIMIT,
    columns,
    cut,
    fitting_size,
    format_seconds,
    readability_problems,
    readable_capacity,
    reading_seconds,
    text_findings,
)

DEMO = Path(__file__).resolve().parents[2] / "playlists" / "ban-gioc" / "playlist.yaml"
SENTENCE = "Quý khách vui lòng giữ gìn vệ sinh chung và không bơi qua biên giới. "  # 69 characters


def write(folder: Path, body: str) -> Path:
    path = folder / "playlist.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_demo_playlist_reads_well():
    assert readability_problems(load_playlist(DEMO)) == []


def test_reading_speed_depends_on_the_script():
    assert reading_seconds("a" * 170) == 10.0
    assert reading_seconds("瀑" * 90) == 10.0
    assert reading_seconds("Ấ") == reading_seconds("A")  # NFD marks are not characters read


def test_a_text_too_long_for_its_duration_says_what_would_fit(tmp_path):
    path = write(tmp_path, f"languages: [vi, en]\nitems:\n  - id: notice\n    duration: 10s\n"
                           f"    text: {{vi: \"{SENTENCE * 5}\", en: Keep the site clean.}}\n")
    problems = readability_problems(load_playlist(path))
    assert len(problems) == 1
    problem = problems[0]
    assert problem.severity == "warning" and problem.line == 3
    assert problem.path == "items[0].text.vi"
    text = str(problem)
    assert "item notice" in text and "344 characters" in text and "shows for 10 s" in text
    assert "about 170 characters" in text and "duration: 21s" in text


def test_alternate_layout_gives_each_language_its_share_of_the_time():
    pairs = [("vi", "a" * 100), ("en", "b" * 100)]
    assert text_findings(pairs, 10.0, "stacked") == []
    found = text_findings(pairs, 10.0, "alternate")
    assert [f.path for f in found] == ["text.vi", "text.en"]
    assert all("shows for 5 s" in f.message and "duration: 12s" in f.message for f in found)


def test_more_than_a_screen_at_the_smallest_readable_size_is_a_warning():
    words = ("lorem " * 400).strip()  # 2,399 characters: over the capacity, under the limit
    found = text_findings([("en", words[:1900])], 600.0)
    assert [f.severity for f in found] == ["warning"]
    assert f"below the {MIN_READABLE_PX} px" in found[0].message
    assert f"{readable_capacity():,} characters fit" in found[0].message


def test_longer_than_the_player_lays_out_is_an_error(tmp_path):
    path = write(tmp_path, f"languages: [vi]\nitems:\n  - id: pasted\n    text: \"{SENTENCE * 600}\"\n")
    problems = readability_problems(load_playlist(path))
    assert [(p.severity, p.path) for p in problems] == [("error", "items[0].text.vi")]
    assert "41,400 characters" in problems[0].message and f"{LAYOUT_LIMIT:,}" in problems[0].message


def test_captions_interrupts_and_the_ticker_are_held_to_the_rule(tmp_path):
    path = write(tmp_path, "languages: [vi]\n"
                           "items:\n  - {id: pic, image: a.png, duration: 5s, caption: \"" + SENTENCE * 2 + "\"}\n"
                           "interrupts:\n  - {id: bell, at: ['12:00'], duration: 3s, text: \"" + SENTENCE + "\"}\n"
                           "overlays:\n  ticker: {text: \"" + SENTENCE * 20 + "\"}\n")
    (tmp_path / "a.png").write_bytes(b"x")
    paths = {p.path: p for p in readability_problems(load_playlist(path))}
    assert set(paths) == {"items[0].caption.vi", "interrupts[0].text.vi", "overlays.ticker.text"}
    assert f"first {TICKER_LIMIT:,}" in paths["overlays.ticker.text"].message


def test_emergency_and_fallback_have_no_time_limit(tmp_path):
    path = write(tmp_path, "languages: [vi]\nitems:\n  - {text: Xin chào}\n"
                           f"emergency: {{text: \"{SENTENCE * 3}\"}}\nfallback: {{text: \"{SENTENCE * 3}\"}}\n")
    assert readability_problems(load_playlist(path)) == []


def test_cut_keeps_whole_words_and_marks_the_cut():
    text = SENTENCE * 10
    short = cut(text, 100)
    assert len(short) <= 100 and short.endswith(ELLIPSIS) and text.startswith(short[:-1])
    assert cut("short", 100) == "short"
    chinese = cut("板约瀑布" * 100, 50, wide=True)  # a Chinese character is two columns
    assert columns(chinese) <= 50 and len(chinese) == 25 and chinese.endswith(ELLIPSIS)


def test_the_rule_needs_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, player.core.readability; "
            "assert not {'pygame', 'av', 'PIL', 'requests', 'psutil'} & set(sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=DEMO.parents[2]).returncode == 0


def test_durations_read_as_a_playlist_writes_them():
    assert [format_seconds(s) for s in (0.2, 21, 60, 90.5)] == ["1s", "21s", "1m", "1m31s"]


@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=4000), duration=st.one_of(st.none(), st.floats(0.1, 3600)),
       layout=st.sampled_from(["stacked", "alternate"]))
def test_any_text_gets_an_answer(text, duration, layout):
    for finding in text_findings([("vi", text), ("en", text[:50])], duration, layout):
        assert finding.severity in ("warning", "error") and finding.message


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(shorter=st.integers(1, 3000), extra=st.integers(0, 3000))
def test_more_text_never_fits_larger(shorter, extra):
    assert fitting_size(["a" * (shorter + extra)]) <= fitting_size(["a" * shorter])
