"""VideoSlide on clips encoded by the tests: timing by timestamps, duration and loop, fit and
rotation, damaged files, and the first frame ready at the switch."""

from __future__ import annotations

import threading
from pathlib import Path

import pygame
import pytest

from player.media.probe import MediaError, probe_media
from player.render.video import QUEUE_FRAMES, Placement, VideoSlide, place
from tests.render.clips import (
    corrupt_middle,
    frame_picture,
    is_flash,
    make_clip,
    read_frame_number,
    truncate,
)

SIZE = (320, 192)  # the clips are 160x96: an exact 2x scale with contain
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def screen():
    pygame.init()
    pygame.display.set_mode(SIZE)
    yield
    pygame.display.quit()


@pytest.fixture(autouse=True)
def no_decoder_threads():
    yield
    alive = [t.name for t in threading.enumerate() if t.name.startswith(("video:", "audio:"))]
    assert not alive, f"decoder threads left running: {alive}"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "one.mp4", 1.0, audio=False)


def settle(slide: VideoSlide, media: float) -> None:
    """Wait (without a time limit of our own) until the decoder has the frame for `media`."""
    event = threading.Event()
    while True:
        slide._fetch()
        if slide._video_done or (slide._pending is not None and slide._pending.pts > media):
            return
        if slide._pending is not None:  # due already: show it so the decoder can go on
            return
        event.wait(0.005)


def shown_at(slide: VideoSlide, canvas: pygame.Surface, t0: float, media: float) -> int:
    settle(slide, media)
    slide.draw(canvas, t0 + media)
    return read_frame_number(canvas)


def play_through(slide: VideoSlide, canvas: pygame.Surface, t0: float, step: float = 1 / 30,
                 limit: float = 30.0) -> list[int]:
    numbers = []
    k = 0
    while k * step < limit:
        settle(slide, k * step + 0.001)  # the decoder's end marker may still be on its way
        if slide.natural_end(t0 + k * step + 0.001):
            break
        numbers.append(shown_at(slide, canvas, t0, k * step + 0.001))
        k += 1
    return numbers


def test_frames_are_shown_by_their_timestamps(clip):
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    try:
        slide.prepare()
        slide.start(100.0)
        numbers = [shown_at(slide, canvas, 100.0, k / 30 + 0.001) for k in range(30)]
        assert numbers == list(range(30))
        assert slide.frames == 30 and slide.late_frames == 0
    finally:
        slide.close()


def queue_filled(slide: VideoSlide) -> None:
    """Wait (without a time limit of our own) until the decoder has filled its queue, so what a
    draw finds there does not depend on how fast this machine decodes."""
    event = threading.Event()
    while len(slide._frames._items) < QUEUE_FRAMES and slide._decoder._thread.is_alive():
        event.wait(0.005)


def test_late_frames_are_dropped_not_queued(clip):
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    try:
        slide.prepare()
        slide.start(0.0)
        slide.draw(canvas, 0.0)
        # The loop stalled for a third of a second: each draw shows the newest frame that is due
        # and drops the older ones; the queue is short, so it takes two draws to catch up (one
        # frame waiting and a full queue each time: show one, drop four).
        numbers = []
        while not numbers or numbers[-1] != 10:
            settle(slide, 10 / 30 + 0.001)
            queue_filled(slide)
            slide.draw(canvas, 10 / 30 + 0.001)
            numbers.append(read_frame_number(canvas))
        assert numbers == [5, 10]
        assert slide.late_frames == 8
        assert slide.frames + slide.late_frames == 11
        assert shown_at(slide, canvas, 0.0, 11 / 30 + 0.001) == 11
    finally:
        slide.close()


def test_variable_frame_rate_follows_each_timestamp(tmp_path):
    times = [0.0, 0.1, 0.15, 0.5, 0.52, 0.9]
    clip = make_clip(tmp_path / "vfr.mkv", 1.0, frame_times=times, audio=False)
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    try:
        slide.prepare()
        slide.start(0.0)
        for n, t in enumerate(times):
            assert shown_at(slide, canvas, 0.0, t + 0.001) == n
            if n + 1 < len(times):
                middle = (t + times[n + 1]) / 2
                assert shown_at(slide, canvas, 0.0, middle) == n
                assert slide.next_change(middle) == pytest.approx(times[n + 1], abs=1e-6)
    finally:
        slide.close()


def test_a_hole_in_the_timestamps_is_skipped_not_waited_out(tmp_path):
    times = [0.0, 0.1, 0.2, 600.0, 600.1]
    clip = make_clip(tmp_path / "hole.mkv", 1.0, frame_times=times, audio=False)
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    try:
        slide.prepare()
        slide.start(0.0)
        numbers = play_through(slide, canvas, 0.0, step=0.25, limit=120)
        assert numbers[:1] == [0]
        assert numbers[-1] == 4
        assert len(numbers) < 200  # about the 30 s allowed for a still scene, not 600 s
    finally:
        slide.close()


def test_timestamps_need_not_start_at_zero(tmp_path):
    clip = make_clip(tmp_path / "late.mp4", 0.5, start=2.0, audio=False)
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0), duration=0.4)
    try:
        slide.prepare()
        slide.start(0.0)
        assert play_through(slide, canvas, 0.0) == list(range(12))
    finally:
        slide.close()


def test_first_frame_is_ready_before_the_switch(clip):
    canvas = pygame.Surface(SIZE)
    canvas.fill((255, 0, 0))
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    try:
        # Decoding starts when the slide is made; the loop's prepare() finds the frame waiting.
        assert slide._decoder.first.wait(30)
        slide.prepare()
        slide.start(5.0)
        slide.draw(canvas, 5.0)
        assert canvas.get_at((SIZE[0] // 2, SIZE[1] - 2))[:3] != (255, 0, 0)
        assert read_frame_number(canvas) == 0
        assert slide.frames == 1
    finally:
        slide.close()


def test_plays_the_whole_clip_then_ends(clip):
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    try:
        slide.prepare()
        slide.start(0.0)
        numbers = play_through(slide, canvas, 0.0)
        assert numbers == list(range(30))
        assert slide.natural_end(1.0)
        assert slide.next_change(1.0) is None
    finally:
        slide.close()


def test_duration_cuts_the_clip(clip):
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0), duration=0.5)
    try:
        slide.prepare()
        slide.start(0.0)
        numbers = play_through(slide, canvas, 0.0)
        assert numbers == list(range(15))
        assert slide.natural_end(0.5)
    finally:
        slide.close()


def test_longer_duration_holds_the_last_frame(tmp_path):
    clip = make_clip(tmp_path / "short.mp4", 0.5, audio=False)
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0), duration=1.0)
    try:
        slide.prepare()
        slide.start(0.0)
        numbers = play_through(slide, canvas, 0.0)
        assert numbers[:15] == list(range(15))
        assert set(numbers[15:]) == {14}
        assert len(numbers) == 30
    finally:
        slide.close()


def test_loop_repeats_a_short_clip_to_fill_the_duration(tmp_path):
    clip = make_clip(tmp_path / "short.mp4", 0.5, audio=False)
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0), loop=True, duration=1.2)
    try:
        slide.prepare()
        slide.start(0.0)
        numbers = play_through(slide, canvas, 0.0)
        assert numbers == (list(range(15)) * 3)[:36]
        assert slide.natural_end(1.2)
        assert slide.late_frames == 0
    finally:
        slide.close()


@pytest.mark.parametrize("fit, expected", [
    ("contain", Placement(320, 120, 0, 36)),
    ("cover", Placement(512, 192, -96, 0)),
    ("stretch", Placement(320, 192, 0, 0)),
])
def test_fit_modes(fit, expected):
    assert place((1920, 720), SIZE, fit) == expected


def test_contain_letterboxes_with_the_background(tmp_path):
    clip = make_clip(tmp_path / "wide.mp4", 0.2, size=(320, 96), audio=False)
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 200))
    try:
        slide.prepare()
        slide.start(0.0)
        slide.draw(canvas, 0.0)
        assert canvas.get_at((5, 5))[:3] == (0, 0, 200)
        assert canvas.get_at((5, SIZE[1] - 5))[:3] == (0, 0, 200)
        assert canvas.get_at((5, SIZE[1] // 2))[:3] != (0, 0, 200)
    finally:
        slide.close()


@pytest.mark.parametrize("rotation, grey_side", [(90, "right"), (270, "left"), (180, "top")])
def test_rotation_metadata_is_honoured(tmp_path, rotation, grey_side):
    # Frame 0 is black with a grey strip along its stored bottom edge; turned upright the strip
    # moves to the side the display matrix says.
    clip = make_clip(tmp_path / "rotated.mp4", 0.2, rotation=rotation, audio=False)
    assert probe_media(clip).rotation == rotation
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 200))
    try:
        slide.prepare()
        slide.start(0.0)
        slide.draw(canvas, 0.0)
        placed = slide._decoder.placement
        if rotation in (90, 270):
            assert (placed.width, placed.height) == (115, 192)  # 96x160 upright, scaled
        rect = pygame.Rect(placed.x, placed.y, placed.width, placed.height)
        inner = canvas.subsurface(rect)
        w, h = inner.get_size()
        spots = {"left": (1, h // 2), "right": (w - 2, h // 2), "top": (w // 2, 1),
                 "bottom": (w // 2, h - 2)}
        grey = inner.get_at(spots[grey_side])[:3]
        assert all(100 < c < 160 for c in grey), (grey_side, grey)
        for side, spot in spots.items():
            if side != grey_side:
                assert max(inner.get_at(spot)[:3]) < 60, (side, inner.get_at(spot))
    finally:
        slide.close()


def test_truncated_file_plays_what_it_can(tmp_path):
    clip = make_clip(tmp_path / "full.mp4", 2.0, audio=False)
    broken = truncate(clip, 0.5, tmp_path / "truncated.mp4")
    errors: list[str] = []
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", broken, SIZE, "contain", (0, 0, 0), on_error=errors.append)
    try:
        slide.prepare()
        slide.start(0.0)
        numbers = play_through(slide, canvas, 0.0)
        assert 5 < len(set(numbers)) < 60
        assert numbers == sorted(numbers)
        assert slide.natural_end(len(numbers) / 30 + 1)
    finally:
        slide.close()


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".ts"])
def test_garbage_in_the_middle_is_survived(tmp_path, suffix):
    clip = make_clip(tmp_path / f"full{suffix}", 3.0, size=(320, 192), audio=True)
    broken = corrupt_middle(clip, target=tmp_path / f"broken{suffix}")
    errors: list[str] = []
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", broken, SIZE, "contain", (0, 0, 0), on_error=errors.append)
    try:
        slide.prepare()
        slide.start(0.0)
        numbers = play_through(slide, canvas, 0.0, step=0.1)
        assert numbers[0] == 0
        assert slide.frames > 5
        assert slide.natural_end(len(numbers) * 0.1 + 5)
        assert len(errors) <= 1  # one decode_failed report per showing at most
        if suffix == ".mp4":
            assert "broken.mp4" in errors[0]
    finally:
        slide.close()


def test_zero_length_file_is_refused_by_name(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    slide = VideoSlide("v", empty, SIZE, "contain", (0, 0, 0))
    with pytest.raises(MediaError, match="empty.mp4"):
        slide.prepare()
    slide.close()


@pytest.mark.parametrize("content", [b"not a video at all\n" * 100, None])
def test_unreadable_file_is_refused_by_name(tmp_path, content):
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    slide = VideoSlide("v", path, SIZE, "contain", (0, 0, 0))
    with pytest.raises(MediaError, match="clip.mp4"):
        slide.prepare()
    with pytest.raises(MediaError):
        probe_media(path)
    slide.close()


def test_close_before_start_stops_the_decoder(clip):
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    decoder = slide._decoder._thread
    assert decoder.is_alive() or decoder.ident is not None  # decoding began at once
    slide.close()
    assert not decoder.is_alive()  # stopped and joined by close(), not left to finish the file
    slide.close()  # twice is harmless
    assert not decoder.is_alive()


def test_crossfade_draws_two_videos_in_one_frame(clip, tmp_path):
    other = make_clip(tmp_path / "other.mp4", 0.5, flashes=[0.0], audio=False)
    canvas = pygame.Surface(SIZE)
    old = VideoSlide("a", clip, SIZE, "contain", (0, 0, 0))
    new = VideoSlide("b", other, SIZE, "contain", (0, 0, 0))
    try:
        old.prepare()
        old.start(0.0)
        new.prepare()
        new.start(0.5)
        old.draw(canvas, 0.5)
        assert not is_flash(canvas)
        layer = pygame.Surface(SIZE)
        new.draw(layer, 0.5)
        assert is_flash(layer)
    finally:
        old.close()
        new.close()


@pytest.mark.parametrize("codec, suffix, audio_codec, name", [
    ("libx265", ".mkv", "aac", "hevc"),
    ("libvpx-vp9", ".webm", "libopus", "vp9"),
    ("libsvtav1", ".mkv", "libopus", "av1"),
    ("mpeg2video", ".ts", "mp2", "mpeg2video"),
])
def test_other_codecs_and_containers(tmp_path, codec, suffix, audio_codec, name):
    clip = make_clip(tmp_path / f"clip{suffix}", 0.5, codec=codec, audio_codec=audio_codec)
    assert probe_media(clip).video_codec == name
    canvas = pygame.Surface(SIZE)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0))
    try:
        slide.prepare()
        slide.start(0.0)
        assert play_through(slide, canvas, 0.0) == list(range(15))
    finally:
        slide.close()


def test_probe_reports_streams_and_duration(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", 1.0, audio=True)
    info = probe_media(clip)
    assert info.has_video and info.has_audio
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (160, 96)
    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert info.rotation == 0


def test_frame_picture_round_trip():
    picture = frame_picture(0b10100101, 160, 96)
    surface = pygame.image.frombuffer(picture.tobytes(), (160, 96), "RGB")
    assert read_frame_number(surface) == 0b10100101


@pytest.mark.parametrize("target_size, letterbox", [((320, 192), 0), ((320, 240), 24)])
def test_a_picture_is_written_into_the_screen_as_a_blit_would_draw_it(
        tmp_path, target_size, letterbox):
    clip = make_clip(tmp_path / "bars.mp4", 0.2, size=(160, 96), audio=False)
    screen = pygame.display.set_mode(target_size)
    slide = VideoSlide("v", clip, target_size, "contain", (9, 9, 9))
    try:
        slide.prepare()
        slide.start(0.0)
        slide.draw(screen, 0.0)
        placed = slide._decoder.placement
        assert (placed.y, placed.width) == (letterbox, target_size[0])
        # the screen's own layout: converted straight into its pixels
        assert slide._write_into(screen, slide._current, placed)
        blitted = pygame.Surface(target_size, depth=24)  # another layout: converted and blitted
        slide.draw(blitted, 0.0)
        assert not slide._write_into(blitted, slide._current, placed)
        for y in range(0, target_size[1], 7):
            for x in range(0, target_size[0], 11):
                assert screen.get_at((x, y)) == blitted.get_at((x, y)), (x, y)
        assert tuple(screen.get_at((5, 2)))[:3] == ((9, 9, 9) if letterbox else (0, 0, 0))
    finally:
        slide.close()


@pytest.mark.parametrize("placed, bars", [
    (Placement(100, 60, 0, 0), []),
    (Placement(60, 60, 20, 0), [(0, 0, 20, 60), (80, 0, 20, 60)]),
    (Placement(100, 40, 0, 10), [(0, 0, 100, 10), (0, 50, 100, 10)]),
    (Placement(120, 80, -10, -10), []),
    (Placement(10, 10, 200, 200), [(0, 0, 100, 60)]),
])
def test_only_the_bars_beside_a_picture_are_filled(placed, bars):
    assert sorted(placed.bars((100, 60))) == sorted(bars)
