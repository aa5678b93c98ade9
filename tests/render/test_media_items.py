"""Video items and sound on still items, through the real render loop (offscreen, dummy audio)."""

import time
from pathlib import Path

import pytest
from clips import make_clip
from render_kit import Clock, RecordingBoard, close_display, offscreen, pixel, solid_image

from player.core.config import Config
from player.core.playlist_reader import load_playlist
from player.render.loop import Player
from player.render.mediaslides import MediaFactory
from player.render.text_fonts import FontSet


@pytest.fixture
def display():
    shown = offscreen((320, 180))
    yield shown
    close_display()


def play(player: Player, clock: Clock, seconds: float, step: float = 1 / 30) -> list:
    seen = []
    end = clock.t + seconds
    while clock.t < end:
        player.step()
        seen.append(player.current.entry.item.id)
        clock.advance(step)
    return seen


def test_video_item_plays_then_the_loop_moves_on(tmp_path: Path, display):
    (tmp_path / "media").mkdir()
    # No sound track: the loop's fake clock then drives the pictures (sound would follow real time).
    make_clip(tmp_path / "media" / "clip.mp4", seconds=1.0, size=(160, 96), audio=False)
    solid_image(tmp_path / "media" / "red.png", (320, 180), (255, 0, 0))
    path = tmp_path / "playlist.yaml"
    path.write_text("""languages: [vi, en]
defaults: {transition: cut}
items:
  - id: film
    video: media/clip.mp4
    caption: {vi: Phim về thác, en: A film about the falls}
  - {id: still, image: media/red.png, duration: 1s}
""", encoding="utf-8")
    clock, board = Clock(), RecordingBoard()
    media = MediaFactory(Config(), board)
    player = Player(display, FontSet.from_config(), load_playlist(path), fallback_text={"en": "x"},
                    board=board, media=media, mono=clock.mono, wall=clock.wall)
    try:
        player.step()
        assert player.current.entry.item.id == "film"
        # The first frame is on screen at once: frame 0 is black with a grey strip at the bottom.
        assert pixel(display.screen, 20, 178) != (0, 0, 0)
        assert pixel(display.screen, 3, 178) == (0, 0, 0)  # the letterbox beside it
        seen = []
        for _ in range(400):
            time.sleep(0.005)  # the decoder thread works in real time
            clock.advance(1 / 30)
            player.step()
            seen.append(player.current.entry.item.id)
            if seen[-1] == "still":
                break
        assert seen[-1] == "still"
        assert 20 <= seen.count("film") <= 60  # about one second of video at 30 fps
        assert pixel(display.screen, 160, 20) == (255, 0, 0)
    finally:
        player.close()


def test_broken_video_is_skipped(tmp_path: Path, display):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "bad.mp4").write_bytes(b"\x00" * 4096)
    solid_image(tmp_path / "media" / "red.png", (320, 180), (255, 0, 0))
    path = tmp_path / "playlist.yaml"
    path.write_text("defaults: {transition: cut}\nitems:\n  - {id: bad, video: media/bad.mp4}\n"
                    "  - {id: red, image: media/red.png}\n", encoding="utf-8")
    clock, board = Clock(), RecordingBoard()
    player = Player(display, FontSet.from_config(), load_playlist(path), fallback_text={"en": "x"},
                    board=board, media=MediaFactory(Config(), board), mono=clock.mono, wall=clock.wall)
    try:
        player.step()
        assert player.current.entry.item.id == "red"
        assert any("bad.mp4" in e[2] for e in board.events)
    finally:
        player.close()


def test_still_item_with_sound(tmp_path: Path, display):
    (tmp_path / "media").mkdir()
    make_clip(tmp_path / "media" / "voice.mp4", seconds=1.0, size=(64, 36))
    solid_image(tmp_path / "media" / "red.png", (320, 180), (255, 0, 0))
    path = tmp_path / "playlist.yaml"
    path.write_text("items:\n  - {id: notice, image: media/red.png, audio: media/voice.mp4, duration: 2s}\n",
                    encoding="utf-8")
    clock, board = Clock(), RecordingBoard()
    player = Player(display, FontSet.from_config(), load_playlist(path), fallback_text={"en": "x"},
                    board=board, media=MediaFactory(Config(), board), mono=clock.mono, wall=clock.wall)
    try:
        player.step()
        slide = player.current.slide
        assert type(slide).__name__ in ("SoundedSlide", "StillSlide")
        if player.slides.media.output.available:
            assert type(slide).__name__ == "SoundedSlide"
        assert pixel(display.screen, 160, 90) == (255, 0, 0)
        play(player, clock, 0.5)
    finally:
        player.close()


def test_the_sound_crossfades_as_long_as_the_picture(tmp_path: Path):
    from player.render.mediaslides import sound_fade

    path = tmp_path / "playlist.yaml"
    path.write_text("defaults: {transition: {type: crossfade, duration: 1.5s}}\nitems:\n"
                    "  - {id: a, text: {en: A}}\n  - {id: b, text: {en: B}, transition: cut}\n",
                    encoding="utf-8")
    first, second = load_playlist(path).items
    assert sound_fade(first) == 1.5
    assert sound_fade(second) == 0.0
