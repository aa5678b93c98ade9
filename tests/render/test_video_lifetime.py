"""What a video item leaves behind: FFmpeg filter graphs freed with the clip, not whenever the
garbage collector runs; a cut file reported once per showing."""

import gc
import threading
from pathlib import Path

import av.filter
import pygame
import pytest
from clips import make_clip, truncate
from render_kit import Clock, RecordingBoard, close_display, offscreen

from player.core.config import Config
from player.core.playlist_reader import load_playlist
from player.render.loop import Player
from player.render.mediaslides import MediaFactory
from player.render.text_fonts import FontSet
from player.render.video import VideoSlide

SIZE = (320, 180)
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def screen():
    pygame.init()
    surface = pygame.display.set_mode(SIZE)
    yield surface
    pygame.display.quit()


def live(kind: type) -> int:
    """Objects of `kind` still allocated, counting those only a reference cycle keeps."""
    return sum(1 for obj in gc.get_objects() if type(obj) is kind)


def play_a_little(slide: VideoSlide, canvas: pygame.Surface, frames: int) -> None:
    wait = threading.Event()
    slide.prepare()
    slide.start(0.0)
    for k in range(frames):
        while slide.next_change(k / 30) is not None and slide._pending is None:
            wait.wait(0.002)  # the decoder works in real time; no deadline of our own
        slide.draw(canvas, k / 30 + 0.001)


def test_switching_between_sizes_and_rotations_keeps_filter_graphs_bounded(tmp_path, screen):
    clips = [
        make_clip(tmp_path / "wide.mp4", 0.4, size=(320, 180), audio=False),
        make_clip(tmp_path / "small.mkv", 0.4, size=(160, 96), audio=False),
        make_clip(tmp_path / "portrait.mp4", 0.4, size=(192, 108), rotation=90, audio=False),
        make_clip(tmp_path / "upside.mp4", 0.4, size=(256, 144), rotation=180, audio=False),
        make_clip(tmp_path / "vp9.webm", 0.4, size=(176, 96), codec="libvpx-vp9", audio=False),
    ]
    canvas = pygame.Surface(SIZE)
    # With the collector off, only reference counting frees a graph: one kept alive by a cycle
    # (a slide and its decoder pointing at each other) would pile up here clip after clip.
    gc.collect()
    before = live(av.filter.Graph)
    contexts = []  # the in-place converters' swscale contexts, freed with their slides
    used = 0
    gc.disable()
    most = 0
    try:
        for n in range(60):
            slide = VideoSlide(f"v{n}", clips[n % len(clips)], SIZE, "contain", (0, 0, 0),
                               on_error=lambda message: None)
            play_a_little(slide, canvas if n % 2 else screen, 1 + n % 7)
            writer = slide._writer
            used += writer is not None and writer._context is not None
            slide.close()
            del slide
            most = max(most, live(av.filter.Graph) - before)
            contexts.append(writer._context if writer is not None else None)
    finally:
        gc.enable()
    assert most <= 1, f"{most} filter graphs alive after closing their clips"
    assert used >= 20 and contexts == [None] * 60


def cut_clip(tmp_path: Path, suffix: str = ".mp4") -> Path:
    full = make_clip(tmp_path / f"full{suffix}", 4.0, size=(160, 96), audio=True)
    return truncate(full, 0.5, tmp_path / f"cut{suffix}")


def play_to_end(slide: VideoSlide, canvas: pygame.Surface) -> None:
    wait = threading.Event()
    slide.prepare()
    slide.start(0.0)
    k = 0
    while not slide.natural_end(k / 30):
        while slide.next_change(k / 30) is not None and slide._pending is None:
            wait.wait(0.002)
        slide.draw(canvas, k / 30 + 0.001)
        k += 1
        assert k < 30 * 30, "the clip never ended"


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_cut_file_is_reported_once(tmp_path, screen, suffix):
    cut = cut_clip(tmp_path, suffix)
    canvas = pygame.Surface(SIZE)
    damage: list[str] = []
    truncated: list[str] = []
    slide = VideoSlide("v", cut, SIZE, "contain", (0, 0, 0), on_error=damage.append,
                     on_truncated=truncated.append)
    try:
        play_to_end(slide, canvas)
    finally:
        slide.close()
    assert len(truncated) == 1, truncated
    assert str(cut) in truncated[0] and "cut short" in truncated[0] and "of 4.0 s" in truncated[0]
    assert len(damage) <= 1  # a half-written last packet may also be seen as damaged data


def test_a_whole_file_is_not_reported(tmp_path, screen):
    whole = make_clip(tmp_path / "whole.mp4", 2.0, size=(160, 96), audio=True)
    canvas = pygame.Surface(SIZE)
    reports: list[str] = []
    slide = VideoSlide("v", whole, SIZE, "contain", (0, 0, 0), on_error=reports.append)
    try:
        play_to_end(slide, canvas)
    finally:
        slide.close()
    assert reports == []


def test_a_looping_cut_file_is_reported_once_per_showing(tmp_path, screen):
    cut = cut_clip(tmp_path)
    canvas = pygame.Surface(SIZE)
    reports: list[str] = []
    for showing in range(2):
        slide = VideoSlide("v", cut, SIZE, "contain", (0, 0, 0), loop=True, duration=5.0,
                         on_error=lambda message: None, on_truncated=reports.append)
        try:
            play_to_end(slide, canvas)
        finally:
            slide.close()
        assert len(reports) == showing + 1


def test_the_loop_reports_a_cut_file_as_a_bad_file_and_moves_on(tmp_path):
    display = offscreen(SIZE)
    (tmp_path / "media").mkdir()
    full = make_clip(tmp_path / "full.mp4", 4.0, size=(160, 96), audio=False)
    truncate(full, 0.5, tmp_path / "media" / "cut.mp4")
    path = tmp_path / "playlist.yaml"
    path.write_text("defaults: {transition: cut}\nitems:\n  - {id: film, video: media/cut.mp4}\n"
                    "  - {id: words, text: {en: Welcome}, duration: 1s}\n", encoding="utf-8")
    clock, board = Clock(), RecordingBoard()
    player = Player(display, FontSet.from_config(), load_playlist(path), fallback_text={"en": "x"},
                    board=board, media=MediaFactory(Config(), board), mono=clock.mono,
                    wall=clock.wall)
    wait = threading.Event()
    showings = 0
    try:
        last = None
        while showings < 2:
            player.step()
            item = player.current.entry.item.id
            if item == "film" and last != "film":
                showings += 1
            last = item
            wait.wait(0.003)  # the decoder thread works in real time
            clock.advance(1 / 30)
        while player.current.entry.item.id == "film":
            player.step()
            wait.wait(0.003)
            clock.advance(1 / 30)
    finally:
        player.close()
        close_display()
    bad = [e for e in board.events if e[1] == "file_bad"]
    assert len(bad) == 2, board.events
    assert all("cut.mp4" in e[2] and e[0] == "error" for e in bad)
