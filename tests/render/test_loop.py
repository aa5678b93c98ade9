import queue
from concurrent.futures import wait
from pathlib import Path

import pygame
import pytest
from PIL import Image
from render_kit import Clock, RecordingBoard, close_display, offscreen, pixel, solid_image

from player.core.emergency import EmergencyFile
from player.core.messages import ReleaseReady, StopRequested
from player.core.playlist_reader import load_playlist
from player.render.loop import Player
from player.render.text_fonts import FontSet

RED, BLUE, BG = (255, 0, 0), (0, 0, 255), (12, 44, 56)


@pytest.fixture
def display():
    shown = offscreen((320, 180))
    yield shown
    close_display()


@pytest.fixture(scope="module")
def fonts():
    pygame.font.init()
    return FontSet.from_config()


def make_playlist(folder: Path, body: str) -> Path:
    solid_image(folder / "media" / "red.png", (320, 180), RED)
    solid_image(folder / "media" / "blue.png", (320, 180), BLUE)
    path = folder / "playlist.yaml"
    path.write_text("languages: [vi, en]\n" + body, encoding="utf-8")
    return path


def make_player(display, fonts, path, clock, board=None, **kw) -> Player:
    return Player(display, fonts, load_playlist(path), fallback_text={"vi": "Dự phòng", "en": "Fallback"},
                  board=board, mono=clock.mono, wall=clock.wall, **kw)


def tell_emergency(player: Player, source: EmergencyFile) -> None:
    """What the file watcher does when the emergency file changes: the loop is told."""
    change = source.poll(player.playlist.languages)
    if change is not None:
        player.handle(change)


def wait_ready(player: Player) -> None:
    if player.upcoming is not None and hasattr(player.upcoming[1], "future") and player.upcoming[1].future:
        wait([player.upcoming[1].future], timeout=10)


def frames_through(player: Player, clock: Clock, seconds: float, step: float = 1 / 30):
    """Run the loop on the fake clock, keeping a copy of every frame presented."""
    frames = []
    present = player.display.present

    def capture():
        present()
        frames.append(player.display.screen.copy())

    player.display.present = capture
    end = clock.t + seconds
    while clock.t < end:
        player.step()
        wait_ready(player)
        clock.advance(step)
    player.display.present = present
    return frames


def test_crossfade_midpoint_and_no_blank_frame(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """items:
  - {id: a, image: media/red.png, duration: 2s, transition: {type: crossfade, duration: 1s}}
  - {id: b, image: media/blue.png, duration: 2s, transition: {type: crossfade, duration: 1s}}
""")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        assert pixel(display.screen, 160, 90) == RED
        wait_ready(player)
        clock.advance(2.0)  # a ends, b fades in over 1 s
        player.step()
        clock.advance(0.5)
        player.step()
        mid = pixel(display.screen, 160, 90)
        assert abs(mid[0] - 128) < 12 and abs(mid[2] - 128) < 12 and mid[1] == 0
        clock.advance(0.6)
        player.step()
        assert pixel(display.screen, 160, 90) == BLUE
    finally:
        player.close()


def test_cut_switch_has_no_blank_frame(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """defaults: {transition: cut}
items:
  - {id: a, image: media/red.png, duration: 1s}
  - {id: b, image: media/blue.png, duration: 1s}
""")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        frames = frames_through(player, clock, 3.5)
        colours = [pixel(f, 160, 90) for f in frames]
        assert set(colours) == {RED, BLUE}  # never the background, never black
        switches = sum(1 for a, b in zip(colours, colours[1:]) if a != b)
        assert switches == 3
    finally:
        player.close()


def test_static_content_draws_few_frames(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        frames = frames_through(player, clock, 10.0)
        assert len(frames) == 1  # nothing moves: one frame, then the loop only sleeps
        assert player.next_wake(clock.t, clock.wall()) >= 0.9
    finally:
        player.close()


def test_ticker_moves_across_item_changes(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """defaults: {transition: cut}
items:
  - {id: a, image: media/red.png, duration: 1s}
  - {id: b, image: media/blue.png, duration: 1s}
overlays:
  ticker: {text: {vi: Chào mừng quý khách đến Thác Bản Giốc, en: Welcome to Ban Gioc}, speed: 200}
""")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        offsets = []
        for _ in range(60):
            wait_ready(player)
            clock.advance(1 / 30)
            player.step()
            offsets.append(player.stage.ticker.offset(clock.t))
        steps = [b - a for a, b in zip(offsets, offsets[1:]) if b > a]
        assert len(steps) >= 55 and max(steps) - min(steps) <= 1  # even steps, through the switch
        band = player.stage.ticker.rect
        assert pixel(display.screen, 5, band.centery)[:3] != BLUE
    finally:
        player.close()


def test_broken_image_is_skipped_and_reported(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """defaults: {transition: cut}
items:
  - {id: good, image: media/red.png, duration: 1s}
  - {id: broken, image: media/broken.jpg, duration: 1s}
  - {id: other, image: media/blue.png, duration: 1s}
""")
    (tmp_path / "media" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    clock, board = Clock(), RecordingBoard()
    player = make_player(display, fonts, path, clock, board)
    try:
        frames = frames_through(player, clock, 2.5)
        assert {pixel(f, 160, 90) for f in frames} == {RED, BLUE}
        assert any(e[1] == "file_bad" and "broken.jpg" in e[2] for e in board.events)
        assert [p[0] for p in board.plays][:1] == ["good"]
    finally:
        player.close()


def test_nothing_scheduled_shows_fallback_not_black(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """items:
  - {id: a, image: media/red.png, when: {from: 2000-01-01, until: 2000-01-02}}
""")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        assert player.current.entry.role == "fallback"
        assert pixel(display.screen, 2, 2) == BG
        ink = display.screen.get_bounding_rect()
        assert ink.width > 0
    finally:
        player.close()


def test_emergency_file_overrides_and_goes_away(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    emergency = tmp_path / "emergency.yaml"
    source = EmergencyFile(emergency)
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        assert pixel(display.screen, 160, 90) == RED
        emergency.write_text("text: {vi: Lũ quét – hãy rời khỏi bờ sông, en: Flash flood – leave the riverbank}\n",
                             encoding="utf-8")
        tell_emergency(player, source)
        clock.advance(1)
        player.step()
        assert player.current.entry.role == "emergency"
        assert pixel(display.screen, 2, 2) == (170, 10, 10)
        emergency.unlink()
        tell_emergency(player, source)
        clock.advance(1)
        player.step()
        assert player.current.entry.item.id == "a"
    finally:
        player.close()


def test_interrupt_preempts_then_loop_resumes(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """defaults: {transition: cut}
items:
  - {id: a, image: media/red.png, duration: 20m}
interrupts:
  - {id: hourly, every: 1h, duration: 10s, image: media/blue.png}
""")
    clock = Clock(wall=1_780_000_000.0 - 1_780_000_000.0 % 3600 + 3600 - 5)  # 5 s before the hour
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        assert player.current.entry.item.id == "a"
        frames_through(player, clock, 6)
        assert player.current.entry.item.id == "hourly"
        assert pixel(display.screen, 160, 90) == BLUE
        frames_through(player, clock, 11)
        assert player.current.entry.item.id == "a"
    finally:
        player.close()


def test_new_release_switches_at_item_boundary_and_bad_one_is_refused(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "defaults: {transition: cut}\nitems:\n  - {id: a, image: media/red.png, duration: 2s}\n")
    new = tmp_path / "new"
    new_path = make_playlist(new, "defaults: {transition: cut}\nitems:\n  - {id: z, image: media/blue.png, duration: 2s}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("items: [\n", encoding="utf-8")
    inbox: queue.Queue = queue.Queue()
    clock, board = Clock(), RecordingBoard()
    player = make_player(display, fonts, path, clock, board, inbox=inbox)
    try:
        player.step()
        player.handle(ReleaseReady(7, broken))
        assert any(e[1] == "playlist_bad" for e in board.events)
        player.handle(ReleaseReady(8, new_path))
        clock.advance(1)
        player.step()
        assert player.current.entry.item.id == "a"  # not mid-item
        frames_through(player, clock, 1.5)
        assert player.current.entry.item.id == "z" and player.release == 8
        assert board.playing == ("playlist", 8, "z") or board.playing[1:] == (8, "z")
        inbox.put(StopRequested("test"))
        player.drain_inbox(0)
        assert player.stop_reason == "test"
    finally:
        player.close()


def test_rotation_puts_the_top_of_the_content_on_the_right(tmp_path, fonts):
    image = Image.new("RGB", (180, 320), BLUE)
    image.paste(RED, (0, 0, 180, 160))  # top half red in the portrait content
    (tmp_path / "media").mkdir()
    image.save(tmp_path / "media" / "portrait.png")
    path = tmp_path / "playlist.yaml"
    path.write_text("items:\n  - {image: media/portrait.png, fit: stretch}\n", encoding="utf-8")
    display = offscreen((320, 180), rotation=90)
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        assert display.canvas.get_size() == (180, 320)
        assert pixel(display.screen, 300, 90) == RED  # clockwise: the top is now at the right
        assert pixel(display.screen, 20, 90) == BLUE
    finally:
        player.close()
        close_display()


def test_screenshot_taken_for_the_board(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png}\n")
    clock, board = Clock(), RecordingBoard()
    player = make_player(display, fonts, path, clock, board)
    try:
        player.step()
        assert board.shots and board.shots[0][:2] == b"\xff\xd8"
        assert board.frames[0] == 1
    finally:
        player.close()


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_ticker_only_frames_match_full_frames(tmp_path, fonts, rotation):
    path = make_playlist(tmp_path, """items:
  - {id: a, image: media/red.png, duration: 1m}
overlays:
  ticker: {text: {vi: Chào mừng quý khách đến Thác Bản Giốc, en: Welcome}, speed: 150}
""")
    display = offscreen((320, 180), rotation=rotation)
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        full_draws = []
        present = display.present
        display.present = lambda: (full_draws.append(1), present())[1]
        for _ in range(5):
            clock.advance(1 / 30)
            player.step()
        assert not full_draws  # only the ticker band was redrawn
        partial = pygame.image.tobytes(display.screen, "RGB")
        player.stage.full_frame = False
        player.render(clock.t, clock.wall())
        assert full_draws and pygame.image.tobytes(display.screen, "RGB") == partial
    finally:
        player.close()
        close_display()


class FakePower:
    """The PowerSchedule interface: off while `off` is set; records what it was told."""

    def __init__(self):
        self.off = False
        self.applied: list[bool] = []

    def screen_off(self, now) -> bool:
        return self.off

    def apply(self, off: bool) -> bool:
        """Like PowerSchedule.apply: called every step, acts (here: records) on a change."""
        if self.applied and self.applied[-1] == off:
            return False
        self.applied.append(off)
        return True


def test_screen_off_hours_blank_then_resume_and_emergency_wins(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    emergency = tmp_path / "emergency.yaml"
    clock, power, board = Clock(), FakePower(), RecordingBoard()
    source = EmergencyFile(emergency)
    player = make_player(display, fonts, path, clock, board, power=power)
    try:
        player.step()
        assert pixel(display.screen, 160, 90) == RED
        assert board.screens == [("playing", "")] and board.playing[2] == "a"
        power.off = True
        clock.advance(1)
        player.step()
        assert pixel(display.screen, 160, 90) == (0, 0, 0) and power.applied == [False, True]
        assert [p[0] for p in board.plays] == ["a"]  # proof of play closed at the blanking
        # the status says so from the frame that blanked the screen: no item is playing
        assert board.screens[-1] == ("screen_off", "screen off by schedule") and board.playing[2] == ""
        frames = frames_through(player, clock, 5)
        assert len(frames) == 0  # black and still: nothing drawn
        emergency.write_text("text: {vi: Báo động lũ, en: Flood warning}\n", encoding="utf-8")
        tell_emergency(player, source)
        clock.advance(1)
        player.step()
        assert player.current.entry.role == "emergency" and power.applied == [False, True, False]
        emergency.unlink()
        tell_emergency(player, source)
        clock.advance(1)
        player.step()
        assert pixel(display.screen, 160, 90) == (0, 0, 0)
        power.off = False
        clock.advance(1)
        player.step()
        assert pixel(display.screen, 160, 90) == RED and power.applied[-1] is False
        assert board.screens[-1] == ("playing", "") and board.playing[2] == "a"
    finally:
        player.close()


def test_release_that_cannot_be_shown_falls_back_to_the_previous(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "defaults: {transition: cut}\nitems:\n  - {id: a, image: media/red.png, duration: 1s}\n")
    bad = tmp_path / "bad"
    (bad / "media").mkdir(parents=True)
    (bad / "media" / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken on the way")
    (bad / "playlist.yaml").write_text("items:\n  - {id: x, image: media/x.jpg}\n  - {id: y, image: media/x.jpg}\n",
                                       encoding="utf-8")
    clock, board = Clock(), RecordingBoard()
    player = make_player(display, fonts, path, clock, board, release=4)
    try:
        player.step()
        player.handle(ReleaseReady(5, bad / "playlist.yaml"))
        frames = frames_through(player, clock, 2.5)
        assert player.release == 4 and player.current.entry.item.id == "a"
        assert any(e[1] == "release_bad" and "going back to release 4" in e[2] for e in board.events)
        assert all(pixel(f, 160, 90) != (0, 0, 0) for f in frames)
    finally:
        player.close()


def test_a_release_read_by_the_sender_is_not_read_again_on_the_render_thread(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "defaults: {transition: cut}\nitems:\n  - {id: a, image: media/red.png, duration: 2s}\n")
    new_path = make_playlist(tmp_path / "new", "defaults: {transition: cut}\nitems:\n  - {id: z, image: media/blue.png, duration: 2s}\n")
    loaded = load_playlist(new_path)
    new_path.unlink()  # the loop could not read it now: it must use what the sync worker read
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    try:
        player.step()
        player.handle(ReleaseReady(9, new_path, loaded))
        frames_through(player, clock, 2.5)
        assert player.current.entry.item.id == "z" and player.release == 9
    finally:
        player.close()
