"""Remote commands that need the screen, as the render loop carries them out: a screenshot
now, the identification card for a while, the screen off and on from the hub until the power
schedule next changes."""

from concurrent.futures import Future

import pygame
import pytest
from render_kit import Clock, RecordingBoard, close_display, offscreen, pixel
from test_loop import FakePower, make_player, make_playlist

from player.core.messages import CaptureScreen, ForceScreen, ShowIdentification
from player.render.text_fonts import FontSet

RED = (255, 0, 0)


@pytest.fixture
def display():
    shown = offscreen((320, 180))
    yield shown
    close_display()


@pytest.fixture(scope="module")
def fonts():
    pygame.font.init()
    return FontSet.from_config()


def test_screenshot_and_identification_card(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock = Clock()
    player = make_player(display, fonts, path, clock, RecordingBoard())
    try:
        player.step()
        reply: Future = Future()
        player.handle(CaptureScreen(reply, 160))
        jpeg, width, height = reply.result(0)
        assert jpeg[:3] == b"\xff\xd8\xff" and (width, height) == (160, 90)

        player.handle(ShowIdentification(("Cụm / Cluster: ban-gioc-1", "IP: eth0 10.0.0.7"), 60))
        clock.advance(0.1)
        player.step()
        assert pixel(display.screen, 160, 90) != RED  # the card covers the middle
        assert pixel(display.screen, 5, 5) == RED
        pygame.image.save(display.screen, str(tmp_path / "card.png"))
        clock.advance(61)
        player.step()
        assert player.card is None and pixel(display.screen, 160, 90) == RED
    finally:
        player.close()


def test_screen_off_from_the_hub_holds_until_the_schedule_changes(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock, power = Clock(), FakePower()
    player = make_player(display, fonts, path, clock, RecordingBoard(), power=power)
    try:
        player.step()
        player.handle(ForceScreen(False))
        clock.advance(1)
        player.step()
        assert pixel(display.screen, 160, 90) == (0, 0, 0) and power.applied == [False, True]
        player.handle(ForceScreen(True))
        clock.advance(1)
        player.step()
        assert pixel(display.screen, 160, 90) == RED and power.applied[-1] is False
        player.handle(ForceScreen(False))
        clock.advance(1)
        player.step()
        power.off = True  # the off hours begin: the schedule rules again
        clock.advance(1)
        player.step()
        assert player.screen.forced is None and player.screen_off
        power.off = False  # and end: the screen comes back by itself
        clock.advance(1)
        player.step()
        assert pixel(display.screen, 160, 90) == RED
    finally:
        player.close()


def test_the_status_says_who_turned_the_screen_off(tmp_path, display, fonts):
    path = make_playlist(tmp_path, "items:\n  - {id: a, image: media/red.png, duration: 1m}\n")
    clock, board = Clock(), RecordingBoard()
    player = make_player(display, fonts, path, clock, board)
    try:
        player.step()
        player.handle(ForceScreen(False))
        clock.advance(1)
        player.step()
        assert board.screens[-1] == ("screen_off", "screen off by a remote command")
    finally:
        player.close()
