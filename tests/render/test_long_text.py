"""Text of any length is laid out in bounded work: cut cleanly, never a hang."""

import os
import subprocess
import sys
from pathlib import Path

import pygame
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render_kit import close_display, offscreen

from player.core.messages import StopRequested
from player.core.playlist import Ticker
from player.core.playlist_reader import load_playlist
from player.core.readability import ELLIPSIS, LAYOUT_LIMIT, TICKER_LIMIT
from player.fonts import cjk_font
from player.render.loop import Player
from player.render.overlays import TickerOverlay
from player.render.text import TextLayout
from player.render.text_fit import Block
from player.render.text_fonts import MAX_FACES, FontSet
from player.render.text_wrap import drawable

ROOT = Path(__file__).resolve().parents[2]
PARAGRAPH = ("Thác Bản Giốc nằm trên sông Quây Sơn, xã Đàm Thủy, huyện Trùng Khánh, tỉnh Cao Bằng. "
             "Quý khách vui lòng giữ gìn vệ sinh chung và không bơi qua biên giới. ")
LONG = (PARAGRAPH * 300)[:40_000]
needs_cjk = pytest.mark.skipif(cjk_font() is None, reason="no CJK font (apt install fonts-noto-cjk)")


@pytest.fixture(scope="module")
def layout():
    offscreen()
    yield TextLayout(FontSet.from_config())
    close_display()


def inside(layout: TextLayout, fitted, width: int, height: int) -> bool:
    widths = [layout.line_width(line, part.size) for part in fitted.laid for line in part.lines]
    return fitted.height <= height and all(w <= width for w in widths)


def test_a_pasted_document_is_cut_with_an_ellipsis(layout):
    fitted = layout.fit([Block(LONG)], 600, 300, 1.15)
    assert fitted.cut and fitted.total == 40_000
    assert 0 < fitted.shown <= LAYOUT_LIMIT
    last = fitted.laid[-1].lines[-1]
    assert last.endswith(ELLIPSIS)
    assert inside(layout, fitted, 600, 300)


def test_text_that_fits_is_not_cut(layout):
    fitted = layout.fit([Block(PARAGRAPH), Block("Welcome to Ban Gioc", 0.62)], 600, 300, 1.15)
    assert not fitted.cut
    assert "".join(fitted.laid[0].lines).replace(" ", "") == PARAGRAPH.replace(" ", "")


def test_a_word_wider_than_any_box_is_broken_not_dropped(layout):
    fitted = layout.fit([Block("a" * 40_000)], 300, 200, 1.15)
    lines = [line for part in fitted.laid for line in part.lines]
    assert len(lines) > 1 and all(set(line) <= {"a", ELLIPSIS} for line in lines)
    assert fitted.size >= 8 and fitted.height > 200 * 0.75  # as large as fits, not the smallest
    assert inside(layout, fitted, 300, 200)


def test_a_long_address_is_broken_when_that_makes_the_text_much_larger(layout):
    text = "Xem thêm: https://" + "bangioc" * 40 + ".vn"
    broken = layout.fit([Block(text)], 600, 300, 1.15)
    assert broken.size > 20 and len(broken.laid[0].lines) > 2
    # Slightly too wide at the largest size: a smaller size keeps the word whole.
    whole = layout.fit([Block("Thác Bản Giốc")], 600, 300, 1.15)
    assert [line.split() for line in whole.laid[0].lines] in ([["Thác", "Bản", "Giốc"]],
                                                             [["Thác", "Bản"], ["Giốc"]],
                                                             [["Thác"], ["Bản", "Giốc"]],
                                                             [["Thác"], ["Bản"], ["Giốc"]])


def test_thousands_of_empty_lines_end_at_the_box(layout):
    fitted = layout.fit([Block("\n" * 40_000 + "cuối")], 300, 200, 1.15)
    assert fitted.cut and fitted.height <= 200


@needs_cjk
def test_long_chinese_is_cut_inside_the_box(layout):
    fitted = layout.fit([Block("欢迎来到板约瀑布" * 5000)], 500, 250, 1.15)
    assert fitted.cut and fitted.laid[-1].lines[-1].endswith(ELLIPSIS)
    assert inside(layout, fitted, 500, 250)


def test_small_text_in_a_wide_band_stays_inside_it(layout):
    # At 8 px every word's width is rounded to whole pixels: over a 230-word line that adds up.
    fitted = layout.fit([Block("Ban Gioc Waterfall " * 300, 0.75)], 1790, 60, 1.05, max_size=20)
    assert fitted.laid[0].size == 8 and fitted.cut
    assert inside(layout, fitted, 1790, 60)


def test_a_layout_shown_again_is_remembered(layout):
    first = layout.fit([Block(LONG)], 640, 320, 1.15)
    assert layout.fit([Block(LONG)], 640, 320, 1.15) is first


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=3000), width=st.integers(20, 700), height=st.integers(10, 400))
def test_any_text_lands_inside_any_box(layout, text, width, height):
    surface, fitted = layout.render_fitted([Block(text)], width, height)
    assert surface.get_size() == (width, height)
    assert fitted.height <= height
    if not fitted.cut:  # every character drawn, in order
        drawn = "".join(line for part in fitted.laid for line in part.lines)
        assert "".join(drawn.split()) == "".join(drawable(text).split())


@needs_cjk
def test_mixed_scripts_keep_their_order(layout):
    # FreeType measures a character's ink, narrower than its advance: whole lines come out wider
    # than their characters added up, and the words a line gives back must stay in order.
    text = "板约瀑布位于中越边境，是亚洲最大的跨国瀑布。Thác Bản Giốc, 请保持环境卫生。" * 6
    for width in range(120, 640, 23):
        lines = layout.wrap(text, 24, width)
        assert lines is not None and "".join("".join(lines).split()) == "".join(text.split())
        assert all(layout.line_width(line, 24) <= width for line in lines)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.integers(1, 300), width=st.integers(80, 900), height=st.integers(30, 500),
       second=st.booleans())
def test_automatic_size_is_the_largest_that_fits(layout, words, width, height, second):
    blocks = [Block(" ".join(PARAGRAPH.split()[:words] * (1 + words // 30)))]
    if second:
        blocks.append(Block("Please keep the site clean and do not swim across the border.", 0.62))
    fitted = layout.fit(blocks, width, height, 1.15)
    if fitted.cut or fitted.size >= min(400, height):
        return
    assert layout.measure(blocks, fitted.size, width, 1.15, height) is not None
    assert layout.measure(blocks, fitted.size + 1, width, 1.15, height) is None


def test_a_long_ticker_is_cut_to_its_limit(layout):
    ticker = TickerOverlay(Ticker(text={"vi": LONG}), layout, (640, 360), ("vi",), 0.0)
    size = int(ticker.band_height * 0.58)
    full = layout.line_width(LONG[:TICKER_LIMIT * 4], size)
    assert 0 < ticker.strip.get_width() < full / 3  # about a quarter: TICKER_LIMIT of 4x that


def open_font_files(*paths: Path) -> int:
    names = {str(p.resolve()) for p in paths}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.path.realpath(f"/proc/self/fd/{fd}") in names:
                count += 1
        except OSError:
            continue  # closed while we looked
    return count


def test_open_font_files_stay_bounded_across_many_sizes(layout):
    fonts = FontSet(layout.fonts.latin, layout.fonts.cjk)
    paths = [p.path for p in (fonts.latin, fonts.cjk) if p is not None]
    before = open_font_files(*paths)
    text = TextLayout(fonts)
    for size in range(8, 308):
        text.line_width("Bản Giốc 板约瀑布", size)
        text.fit([Block(f"Thác Bản Giốc {size}")], 400, 200, 1.15, size=size)
    assert fonts.open_faces <= MAX_FACES
    assert open_font_files(*paths) - before <= MAX_FACES
    del text, fonts
    assert open_font_files(*paths) <= before


class PingingNotifier:
    """The systemd notifier's interface; asks the loop to stop once it has pinged a few times
    while the long item is on screen."""

    def __init__(self, inbox, item_id: str, pings: int = 3):
        self.inbox, self.item_id, self.wanted = inbox, item_id, pings
        self.player: Player | None = None
        self.pings: list[str] = []

    def watchdog(self) -> None:
        assert self.player is not None
        current = self.player.current.entry.item.id if self.player.current else ""
        self.pings.append(current)
        if self.pings.count(self.item_id) == self.wanted:
            self.inbox.put(StopRequested("asked while the long text shows"))

    def ready(self) -> None:
        pass


@pytest.mark.timeout(300)
def test_the_loop_keeps_stepping_and_stops_on_request_during_a_long_text(tmp_path):
    import queue

    path = tmp_path / "playlist.yaml"
    path.write_text("languages: [vi]\nitems:\n  - {id: short, text: Xin chào, duration: 1s}\n"
                    f"  - id: pasted\n    duration: 1h\n    text: \"{LONG}\"\n"
                    f"overlays:\n  ticker: {{text: \"{LONG}\"}}\n", encoding="utf-8")
    display = offscreen((640, 360))
    try:
        inbox: queue.Queue = queue.Queue()
        notifier = PingingNotifier(inbox, "pasted")
        player = Player(display, FontSet.from_config(), load_playlist(path), fallback_text={"vi": "x"},
                        inbox=inbox, notifier=notifier)
        notifier.player = player
        frames_before = player.frames
        # --exit-after only as a safety net: the reason shows which ended the run.
        reason = player.run(exit_after=240)
    finally:
        close_display()
    assert reason == "asked while the long text shows"
    assert notifier.pings.count("pasted") == 3
    assert player.frames > frames_before + 3  # the ticker kept moving: frames went on


@pytest.mark.timeout(180)
def test_sigterm_is_honoured_while_a_long_text_shows(tmp_path):
    path = tmp_path / "playlist.yaml"
    path.write_text(f"languages: [vi]\nitems:\n  - id: pasted\n    duration: 1h\n    text: \"{LONG}\"\n",
                    encoding="utf-8")
    config = tmp_path / "player.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    process = subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config),
                                "--playlist", str(path), "--headless", "--size", "640x360"],
                               stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        seen = []
        for line in process.stderr:
            seen.append(line)
            if "item pasted: too much text for the screen" in line:
                break
        assert any("40,000 characters" in line for line in seen)
        process.terminate()
        assert process.wait(timeout=60) == 0
        assert "stopped: signal SIGTERM" in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_preview_of_a_long_text_shows_text_across_the_box(tmp_path):
    from player.render.preview import render_preview

    path = tmp_path / "playlist.yaml"
    path.write_text(f"languages: [vi]\nitems:\n  - id: pasted\n    text: \"{LONG}\"\n", encoding="utf-8")
    out = tmp_path / "long.png"
    assert render_preview(load_playlist(path), out, item_id="pasted", size=(960, 540)) == "pasted"
    image = pygame.image.load(str(out))
    ink = pygame.mask.from_threshold(image, (255, 255, 255), (60, 60, 60, 255)).get_bounding_rects()
    box = ink[0].unionall(ink[1:]) if ink else pygame.Rect(0, 0, 0, 0)
    assert box.width > 960 * 0.7 and box.height > 540 * 0.6  # filled, not one tiny line


def test_a_text_slide_is_prepared_a_piece_per_loop_step(layout):
    from concurrent.futures import ThreadPoolExecutor

    from player.core.playlist import Item
    from player.render.slides import PendingSlide, SlideContext

    offscreen((640, 360))  # tests before may have closed the display
    item = Item(id="pasted", kind="text", text={"vi": LONG, "en": "Please keep the site clean."})
    ctx = SlideContext((640, 360), layout, ("vi", "en"), ROOT)
    with ThreadPoolExecutor(1) as executor:
        pending = PendingSlide(item, ctx, executor)
        calls = 1
        while not pending.ready():
            calls += 1
            assert calls < 10
        slide = pending.result()
    assert calls == 3  # the layout, then the drawing, each in a step of its own
    assert slide.frames[0].get_size() == (640, 360)
