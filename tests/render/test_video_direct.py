"""Pictures converted straight into the screen's pixels on the render thread: right colours in
both 32-bit layouts, odd sizes, a picture narrower or larger than the screen, a target that is
no screen, and a screen that changes mid-clip."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pygame
import pytest

from player.render import video_convert
from player.render.video import VideoSlide

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
XRGB = (0xFF0000, 0x00FF00, 0x0000FF, 0)
XBGR = (0x0000FF, 0x00FF00, 0xFF0000, 0)
BACKGROUND = (40, 40, 40)

pytestmark = pytest.mark.skipif(not video_convert.available(),
                                reason="PyAV's libswscale not found: the decoder converts")


@pytest.fixture(autouse=True)
def screen():
    pygame.init()
    yield pygame.display.set_mode((64, 48))
    pygame.display.quit()


def colour_clip(path: Path, size: tuple[int, int], pix_fmt: str = "yuv420p",
                rotation: int = 0) -> Path:
    """One second each of red, green and blue at 10 fps."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], pix_fmt
        stream.time_base = Fraction(1, 10)
        stream.options = {"preset": "ultrafast"}
        if rotation:
            stream.set_display_rotation(rotation)
        for n in range(30):
            rgb = np.zeros((size[1], size[0], 3), np.uint8)
            rgb[:, :] = COLOURS[n // 10]
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        out.mux(stream.encode())
    return path


def wait_for_frame_at(slide: VideoSlide, canvas: pygame.Surface, t: float) -> None:
    """Draw until the frame for `t` is the one shown (the decoder runs in its own thread)."""
    wait = threading.Event()
    while slide._pending is None and not slide._video_done or \
            (slide._pending is not None and slide._pending.pts <= t - 0.1):
        slide.draw(canvas, t)
        wait.wait(0.002)
        slide._fetch()
    slide.draw(canvas, t)


def colours_at(slide: VideoSlide, canvas: pygame.Surface, point: tuple[int, int]) -> list:
    seen = []
    slide.prepare()
    slide.start(0.0)
    for t in (0.5, 1.5, 2.5):
        wait_for_frame_at(slide, canvas, t)
        seen.append(tuple(canvas.get_at(point))[:3])
    return seen


def assert_pure(seen: list) -> None:
    for got, want in zip(seen, COLOURS, strict=True):
        assert all(abs(c - w) < 24 for c, w in zip(got, want, strict=True)), seen


def screen_of(monkeypatch, size: tuple[int, int], masks: tuple) -> pygame.Surface:
    canvas = pygame.Surface(size, 0, 32, masks)
    monkeypatch.setattr(pygame.display, "get_surface", lambda: canvas)
    return canvas


@pytest.mark.parametrize("masks", [XRGB, XBGR])
@pytest.mark.parametrize("size", [(67, 45), (64, 48), (33, 101)])
def test_odd_and_even_sizes_in_both_layouts_keep_their_colours(tmp_path, monkeypatch, masks, size):
    clip = colour_clip(tmp_path / "rgb.mp4", (64, 48))
    canvas = screen_of(monkeypatch, size, masks)
    slide = VideoSlide("c", clip, size, "stretch", BACKGROUND)
    try:
        assert_pure(colours_at(slide, canvas, (size[0] - 1, size[1] - 1)))
        assert slide._writer is not None and slide._current.pixels is None  # written in place
        corner = tuple(canvas.get_at((0, 0)))[:3]
        assert abs(corner[2] - 255) < 24 and corner[0] < 24  # blue to the very edge
    finally:
        slide.close()


def test_a_clip_at_the_screens_size_goes_through_no_filter_graph(tmp_path, monkeypatch):
    clip = colour_clip(tmp_path / "rgb.mp4", (64, 48))
    canvas = screen_of(monkeypatch, (64, 48), XRGB)
    slide = VideoSlide("c", clip, (64, 48), "contain", BACKGROUND)
    try:
        assert_pure(colours_at(slide, canvas, (32, 24)))
        assert slide._decoder._scaler is None  # the decoded frame itself is converted
    finally:
        slide.close()


@pytest.mark.parametrize("masks", [XRGB, XBGR])
def test_a_portrait_picture_narrower_than_the_screen_leaves_bars(tmp_path, monkeypatch, masks):
    clip = colour_clip(tmp_path / "portrait.mp4", (64, 36), rotation=90)
    canvas = screen_of(monkeypatch, (96, 64), masks)
    slide = VideoSlide("c", clip, (96, 64), "contain", BACKGROUND)
    try:
        assert_pure(colours_at(slide, canvas, (48, 32)))
        placed = slide._decoder.placement
        assert placed.x > 0 and placed.width == 36
        assert tuple(canvas.get_at((placed.x - 1, 32)))[:3] == BACKGROUND
        assert tuple(canvas.get_at((placed.x + placed.width, 32)))[:3] == BACKGROUND
        edge = tuple(canvas.get_at((placed.x, 32)))[:3]
        assert abs(edge[2] - 255) < 24 and edge[0] < 24
    finally:
        slide.close()


def test_a_picture_larger_than_the_screen_is_cropped_by_a_blit(tmp_path, monkeypatch):
    clip = colour_clip(tmp_path / "wide.mp4", (96, 36))
    canvas = screen_of(monkeypatch, (64, 48), XRGB)
    slide = VideoSlide("c", clip, (64, 48), "cover", BACKGROUND)
    try:
        assert_pure(colours_at(slide, canvas, (0, 0)))
        assert slide._decoder.placement.x < 0
        assert slide._surface is not None  # converted into a picture of its own, then blitted
    finally:
        slide.close()


def test_a_target_of_another_layout_gets_the_same_picture(tmp_path, monkeypatch):
    clip = colour_clip(tmp_path / "rgb.mp4", (64, 48))
    screen_of(monkeypatch, (64, 48), XRGB)
    other = pygame.Surface((64, 48), 0, 24)  # a crossfade layer or preview of another kind
    slide = VideoSlide("c", clip, (64, 48), "stretch", BACKGROUND)
    try:
        assert_pure(colours_at(slide, other, (10, 10)))
    finally:
        slide.close()


def test_the_screen_changing_mid_clip_keeps_the_picture_right(tmp_path, monkeypatch):
    clip = colour_clip(tmp_path / "rgb.mp4", (64, 48))
    first = screen_of(monkeypatch, (64, 48), XRGB)
    slide = VideoSlide("c", clip, (64, 48), "stretch", BACKGROUND)
    try:
        slide.prepare()
        slide.start(0.0)
        wait_for_frame_at(slide, first, 0.5)
        assert_pure([tuple(first.get_at((5, 5)))[:3], *COLOURS[1:]])
        # The screen went away and a stand-in of another layout took its place, then one more.
        for target, t, colour in ((pygame.Surface((64, 48), 0, 32, XBGR), 1.5, COLOURS[1]),
                                  (pygame.Surface((64, 48), 0, 24), 2.5, COLOURS[2])):
            wait_for_frame_at(slide, target, t)
            got = tuple(target.get_at((40, 30)))[:3]
            assert all(abs(c - w) < 24 for c, w in zip(got, colour, strict=True)), got
    finally:
        slide.close()


def light_grey(width: int, height: int, pix_fmt: str) -> av.VideoFrame:
    """A picture filled plane by plane (PyAV's own conversion to tiny 10-bit pictures sometimes
    leaves a row unset, which would make this test depend on luck)."""
    picture = av.VideoFrame(width, height, pix_fmt)
    deep = pix_fmt.endswith("10le")
    for index, plane in enumerate(picture.planes):
        level = (800 if deep else 200) if index == 0 else (512 if deep else 128)
        samples = np.full(plane.buffer_size // (2 if deep else 1), level,
                          np.uint16 if deep else np.uint8)
        plane.update(samples.tobytes())
    return picture


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12",
                                     "yuv420p10le"])
@pytest.mark.parametrize("width", [2, 7, 16, 33, 606, 608])
def test_the_writer_stays_within_the_padded_row(pix_fmt, width):
    height, pitch = 5, (video_convert.padded(width) + 8) * 4
    picture = light_grey(width, height, pix_fmt)
    buffer = np.full((height + 1, pitch), 0xAB, np.uint8)
    writer = video_convert.ScreenWriter()
    try:
        writer.write(picture, "bgra", buffer.ctypes.data, pitch)
    finally:
        writer.close()
    assert (buffer[:height, video_convert.padded(width) * 4:] == 0xAB).all()
    assert (buffer[height] == 0xAB).all()
    assert (buffer[:height, :width * 4].reshape(height, width, 4)[:, :, :3] > 150).all()
