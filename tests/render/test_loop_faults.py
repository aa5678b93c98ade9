"""Faults at item boundaries: fallbacks, emergencies, interrupts, clocks, broken items."""

import pygame
import pytest
from render_kit import Clock, RecordingBoard, close_display, offscreen, pixel
from test_loop import RED, FakePower, frames_through, make_playlist, tell_emergency, wait_ready
from test_loop import make_player as make_loop_player

from player.core.emergency import EmergencyFile
from player.core.messages import ReleaseReady
from player.core.playlist_reader import load_playlist
from player.render.loop import Player
from player.render.text_fonts import FontSet

OPEN: list[Player] = []


def make_player(*args, **kwargs) -> Player:
    player = make_loop_player(*args, **kwargs)
    OPEN.append(player)
    return player


@pytest.fixture(autouse=True)
def close_players():
    yield
    while OPEN:
        OPEN.pop().close()


@pytest.fixture
def display():
    d = offscreen((320, 180))
    yield d
    close_display()

@pytest.fixture(scope="module")
def fonts():
    pygame.font.init()
    return FontSet.from_config()


def test_fallback_in_other_languages_is_shown_not_a_crash(tmp_path, display, fonts):
    # A Chinese-only screen; no playlist fallback; items all outside their window -> fallback from config (vi/en)
    path = tmp_path / "playlist.yaml"
    path.write_text("languages: [zh]\nitems:\n  - {id: a, text: {zh: 你好}, when: {from: 2000-01-01, until: 2000-01-02}}\n")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    player.step()  # the config's vi/en fallback on a zh-only screen: shown in its own languages
    assert player.current.entry.role == "fallback"


def test_new_release_lifts_an_emergency_in_the_old_playlist(tmp_path, display, fonts):
    a = tmp_path / "a"
    b = tmp_path / "b"
    p1 = make_playlist(a, "items:\n  - {id: x, image: media/red.png, duration: 2s}\nemergency:\n  text: {vi: Khẩn cấp, en: Emergency}\n")
    p2 = make_playlist(b, "items:\n  - {id: x, image: media/red.png, duration: 2s}\n")
    clock = Clock()
    player = make_player(display, fonts, p1, clock, release=1)
    player.step()
    assert player.current.entry.role == "emergency"
    player.handle(ReleaseReady(version=2, playlist=p2))
    for _ in range(100):
        clock.advance(1.0)
        player.step()
        wait_ready(player)
    assert player.release == 2, (player.release, player.current.entry.role, player.plays.pending is not None)


def test_interrupt_missed_in_screen_off_hours_is_skipped(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 5s}\ninterrupts:\n  - {id: hourly, every: 1h, duration: 20s, text: {vi: Thông báo, en: Notice}}\n")
    clock = Clock(wall=1_780_000_000.0)  # some time
    power = FakePower()
    player = make_player(display, fonts, path, clock, power=power)
    player.step()
    fire = player.plays.next_interrupt[0]
    # go off just before the interrupt, stay off for 5 hours
    clock.advance(fire - clock.wall() - 10)
    player.step()
    power.off = True
    player.step()
    assert player.stage.screen_off
    while clock.wall() < fire + 5 * 3600 + 1800:
        clock.advance(30)
        player.step()
    power.off = False
    player.step()
    wait_ready(player)
    clock.advance(0.1)
    player.step()
    assert player.current.entry.role != "interrupt", ("stale interrupt from", (clock.wall() - player.current.entry.start) / 3600, "hours ago")


def test_screen_off_with_ticker_draws_nothing(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 5s}\noverlays:\n  ticker: {text: {vi: Chào, en: Hello}}\n")
    clock = Clock()
    power = FakePower()
    player = make_player(display, fonts, path, clock, power=power)
    player.step()
    power.off = True
    player.step()
    f0 = player.frames
    for _ in range(300):
        clock.advance(1/30)
        player.step()
    wake = player.next_wake(clock.mono(), clock.wall())
    assert player.frames - f0 < 5, (player.frames - f0, "frames in 10s of black, next_wake", wake)


def test_clock_aligned_join_at_the_end_takes_the_next_item(tmp_path):
    from player.core.playlist import Item
    from player.core.schedule import Schedule
    path = make_playlist(tmp_path, "align: clock\nitems:\n  - {id: a, image: media/red.png, duration: 10s}\n  - {id: b, image: media/blue.png, duration: 10s}\n")
    pl = load_playlist(path)
    s = Schedule(pl, Item(id="fb", kind="text", text={"en": "x"}))
    e = s.first(1_780_000_009.999)
    assert not (e.item.id == "a" and e.end - e.start < 0.1), e


def test_clock_aligned_with_slewed_clock_never_repeats_an_item(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "align: clock\nitems:\n  - {id: a, image: media/red.png, duration: 120s}\n  - {id: b, image: media/blue.png, duration: 120s}\n")
    class SlowWall(Clock):
        def wall(self):
            # wall clock being slewed by NTP: 500 ppm slow
            return self.wall0 + (self.t - 100.0) * 0.9995
    clock = SlowWall(wall=1_780_000_000.0)
    board = RecordingBoard()
    player = make_player(display, fonts, path, clock, board=board)
    for _ in range(int(250 * 30)):
        player.step()
        wait_ready(player)
        clock.advance(1/30)
    short = [(p[0], (p[3]-p[2]).total_seconds()) for p in board.plays if (p[3]-p[2]).total_seconds() < 1]
    assert not short, short


def test_weekday_interrupt_comes_back_on_monday(tmp_path, display, fonts):
    from datetime import datetime
    path = make_playlist(tmp_path, 'items:\n  - {id: a, image: media/red.png, duration: 10s}\ninterrupts:\n  - {id: noon, at: ["12:00", "17:30"], duration: 20s, text: {vi: Trưa, en: Noon}, when: {days: weekdays}}\n')
    fri = datetime(2026, 11, 27, 17, 0).timestamp()  # Friday 17:00 local
    clock = Clock(wall=fri)
    player = make_player(display, fonts, path, clock)
    player.step()
    fired = []
    at_times = [datetime(2026, 11, day, hour, minute).timestamp()
                for day in (27, 28, 29, 30) for hour, minute in ((12, 0), (17, 30))]
    # run until Monday 13:00: in 20 s steps from three minutes before each time an interrupt
    # could fire to two minutes after it, in jumps of up to ten minutes between (each well
    # inside the look-ups' reach; a jump never passes a time it could fire)
    while clock.wall() < datetime(2026, 11, 30, 13, 0).timestamp():
        ahead = [t - clock.wall() for t in at_times if t - clock.wall() > -120]
        clock.advance(20.0 if not ahead or min(ahead) < 180 else min(600.0, min(ahead) - 120))
        player.step()
        wait_ready(player)
        if player.current.entry.role == "interrupt" and (not fired or fired[-1] != player.current.entry.start):
            fired.append(player.current.entry.start)
    # Friday evening's, none at the weekend, Monday noon's
    assert [datetime.fromtimestamp(f) for f in fired] == [datetime(2026, 11, 27, 17, 30),
                                                         datetime(2026, 11, 30, 12, 0)]


def test_emergency_background_image_is_drawn(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/blue.png, duration: 10s}\nemergency:\n  text: {vi: Khẩn cấp, en: Emergency}\n  style: {background_image: media/red.png}\n")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    player.step()
    wait_ready(player)
    clock.advance(0.1)
    player.step()
    assert player.current.entry.role == "emergency"
    assert pixel(display.screen, 2, 2) == RED, pixel(display.screen, 2, 2)


def test_picture_fallback_is_drawn(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/bad.png, duration: 10s}\nfallback:\n  image: media/red.png\n")
    (tmp_path / "media" / "bad.png").write_bytes(b"garbage" * 20)
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    player.step()
    wait_ready(player)
    assert player.current.entry.role == "fallback"
    assert pixel(display.screen, 160, 90) == RED, pixel(display.screen, 160, 90)


def test_item_after_a_video_is_prepared_while_it_plays(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: v, video: media/clip.mp4}\n  - {id: a, image: media/red.png, duration: 5s}\n")
    (tmp_path / "media" / "clip.mp4").write_bytes(b"x" * 100)
    class FakeVideo:
        animated = True
        def __init__(self, item):
            self.item_id = item.id
            self.t0 = None
        def prepare(self):
            pass
        def start(self, now):
            self.t0 = now
        def draw(self, target, now):
            target.fill((0, 255, 0))
        def natural_end(self, now):
            return now - self.t0 >= 5.0
        def next_change(self, now):
            return now + 1/30
        def close(self):
            pass
    class FakeMedia:
        def video(self, item, ctx):
            return FakeVideo(item)
        def length(self, path):
            return 5.0
        def close(self):
            pass
    clock = Clock()
    player = make_player(display, fonts, path, clock, media=FakeMedia())
    seen_upcoming = False
    for _ in range(140):
        player.step()
        clock.advance(1/30)
        seen_upcoming |= player.upcoming is not None
    assert seen_upcoming, "nothing was prepared while the 5 s video played"


def test_still_emergency_over_a_ticker_playlist_draws_once(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 5s}\noverlays:\n  ticker: {text: {vi: Chào, en: Hello}}\nemergency:\n  text: {vi: Khẩn cấp, en: Emergency}\n")
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    player.step()
    f0 = player.frames
    for _ in range(300):
        clock.advance(1/30)
        player.step()
    assert player.frames - f0 < 5, (player.frames - f0, "full frames of a still emergency slide in 10 s")


def test_broken_item_is_not_decoded_again_until_it_changes(tmp_path, display, fonts, monkeypatch):
    import player.render.slides as slides
    calls = []
    real = slides.decode_pictures
    monkeypatch.setattr(slides, "decode_pictures", lambda item, ctx: (calls.append(item.id), real(item, ctx))[1])
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/bad.png, duration: 10s}\n")
    (tmp_path / "media" / "bad.png").write_bytes(b"garbage" * 20)
    clock = Clock()
    player = make_player(display, fonts, path, clock)
    player.step()
    for _ in range(60):
        clock.advance(1)
        player.step()
        wait_ready(player)
    assert len(calls) < 20, (len(calls), "decodes of the one broken file in 60 s")


def test_interrupts_survive_the_clock_going_back(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 10s}\ninterrupts:\n  - {id: hourly, every: 1h, duration: 20s, text: {vi: Thông báo, en: Notice}}\n")
    clock = Clock(wall=1_780_000_000.0)
    player = make_player(display, fonts, path, clock)
    player.step()
    clock.wall0 -= 6 * 3600  # NTP corrects a clock that ran 6 h ahead
    fired = set()
    for _ in range(int(3 * 3600 / 10)):
        clock.advance(10)
        player.step()
        wait_ready(player)
        if player.current.entry.role == "interrupt":
            fired.add(player.current.entry.start)
    assert len(fired) >= 2, (len(fired), "interrupts in 3 h after the clock went back 6 h")


def test_emergency_with_a_broken_picture_shows_its_text_and_stays(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """items:
  - {id: a, image: media/red.png, duration: 10s}
emergency:
  image: media/bad.png
  caption: {vi: Đường bị sạt lở, en: Landslide on the road}
""")
    (tmp_path / "media" / "bad.png").write_bytes(b"not a png at all" * 10)
    clock, board = Clock(), RecordingBoard()
    player = make_player(display, fonts, path, clock, board=board)
    roles = set()
    for _ in range(90):
        player.step()
        wait_ready(player)
        roles.add(player.current.entry.role)
        clock.advance(1 / 30)
    assert roles == {"emergency"}  # shown at once, never flapping back to the loop
    assert pixel(display.screen, 5, 5) == (170, 10, 10)  # its red background, with the caption's text
    assert display.screen.get_bounding_rect(min_alpha=1).width > 0
    assert sum(1 for e in board.events if e[1] == "file_bad") == 1 and not board.plays


def test_the_loop_sleeps_during_screen_off_hours_and_emergencies_with_interrupts_due(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """items:
  - {id: a, image: media/red.png, duration: 1h}
interrupts:
  - {id: hourly, every: 1h, duration: 10s, text: {vi: Giờ, en: Hour}}
""")
    clock, power = Clock(wall=1_780_000_000.0 - 1_780_000_000.0 % 3600 + 3600 - 5), FakePower()
    player = make_player(display, fonts, path, clock, power=power)
    player.step()
    power.off = True
    for _ in range(20):  # across the hour while the screen is off
        clock.advance(1)
        player.step()
        assert player.next_wake(clock.mono(), clock.wall()) >= 0.9  # sleeping, not spinning
    emergency = tmp_path / "emergency.yaml"
    emergency.write_text("text: {vi: Khẩn cấp, en: Emergency}\n", encoding="utf-8")
    tell_emergency(player, EmergencyFile(emergency))
    power.off = False
    clock.advance(3600 - 20)  # the next hour comes while the emergency is up
    for _ in range(10):
        clock.advance(1)
        player.step()
        assert player.current.entry.role == "emergency"
        assert player.next_wake(clock.mono(), clock.wall()) >= 0.9


class FakeKeeper:
    """The DisplayKeeper interface: `check()` answers what a test queued, after changing the
    display the way the real keeper would."""

    def __init__(self, display):
        self.display = display
        self.queued: list[tuple[str, object]] = []
        self.checks = 0

    def lose(self, size=(480, 270)):
        def change():
            close_display()
            standin = offscreen(size)
            standin.away = "no X server answers on DISPLAY=:9"
            self.display.adopt(standin)
        self.queued.append(("changed", change))

    def get_back(self, size=(320, 180)):
        def change():
            close_display()
            self.display.adopt(offscreen(size))
        self.queued.append(("changed", change))

    def check(self) -> str:
        self.checks += 1
        if not self.queued:
            return "same"
        verdict, change = self.queued.pop(0)
        if change is not None:
            change()
        return verdict


def test_display_away_and_back_is_told_and_redrawn(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock, board, keeper = Clock(), RecordingBoard(), FakeKeeper(display)
    player = make_player(display, fonts, path, clock, board, keeper=keeper)
    player.step()
    assert board.screens == [("playing", "")] and len(board.shots) == 1
    board.shots.clear()
    keeper.lose()
    clock.advance(1)
    player.step()
    # drawing goes on off screen at the stand-in's size; the board knows the screen is away
    assert display.size == (480, 270) and pixel(display.screen, 240, 135) == RED
    assert board.screens[-1] == ("display_unavailable", "no X server answers on DISPLAY=:9")
    assert any(e[1] == "display_unavailable" and e[0] == "error" for e in board.events)
    assert board.displays[-1] == ("offscreen", (480, 270))
    clock.advance(1)
    player.step()
    assert not board.shots  # nothing to show on a fleet page: the screen is not there
    keeper.get_back()
    clock.advance(1)
    player.step()
    assert display.size == (320, 180) and pixel(display.screen, 160, 90) == RED
    assert board.screens[-1] == ("playing", "") and board.playing[2] == "a"
    assert any(e[1] == "display_available" and e[0] == "info" for e in board.events)


def test_display_back_at_the_same_size_is_redrawn_at_once(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock, keeper = Clock(), FakeKeeper(display)
    player = make_player(display, fonts, path, clock, RecordingBoard(), keeper=keeper)
    player.step()
    keeper.get_back()  # a new window: black until something draws on it
    clock.advance(1)
    player.step()
    assert pixel(display.screen, 160, 90) == RED


def test_x_server_gone_stops_the_loop_for_a_restart_in_place(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock, keeper = Clock(), FakeKeeper(display)
    player = make_player(display, fonts, path, clock, RecordingBoard(), keeper=keeper)
    player.step()
    keeper.queued.append(("restart", None))
    player.step()
    assert player.stop_reason == "display lost: the X server went away" and player.restart


def test_no_ticker_frames_while_the_screen_is_away(tmp_path, display, fonts):
    path = make_playlist(tmp_path, """items:
  - {id: a, image: media/red.png, duration: 1m}
overlays:
  ticker: {text: {vi: Chào mừng quý khách, en: Welcome}, speed: 200}
""")
    clock, keeper = Clock(), FakeKeeper(display)
    player = make_player(display, fonts, path, clock, RecordingBoard(), keeper=keeper)

    def frames_in(seconds: float) -> int:
        before = player.frames
        frames_through(player, clock, seconds)
        return player.frames - before

    player.step()
    assert frames_in(2) > 30  # the ticker moves at the frame rate
    keeper.lose()
    clock.advance(0.1)
    player.step()
    wait_ready(player)
    player.step()
    assert player.next_wake(clock.mono(), clock.wall()) >= 0.5  # the loop sleeps between looks
    assert frames_in(5) <= 5
    keeper.get_back()
    clock.advance(0.1)
    player.step()
    assert frames_in(2) > 30


def test_a_screen_gone_in_its_off_hours_is_no_fault_until_they_end(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock, board, keeper, power = Clock(), RecordingBoard(), FakeKeeper(display), FakePower()
    player = make_player(display, fonts, path, clock, board, keeper=keeper, power=power)
    player.step()
    power.off = True  # the off command puts the TV to sleep, and its HDMI input goes away
    clock.advance(1)
    player.step()
    keeper.lose()
    clock.advance(1)
    player.step()
    assert board.screens == [("playing", ""), ("screen_off", "screen off by schedule")]
    assert not any(e[1] == "display_unavailable" for e in board.events)
    power.off = False  # the on hours begin and the screen has not come back: now it is a fault
    clock.advance(1)
    player.step()
    assert board.screens[-1][0] == "display_unavailable"
    assert any(e[1] == "display_unavailable" for e in board.events)
