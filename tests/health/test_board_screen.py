"""The render loop's word on the screen as a whole reaches the heartbeat's player section."""

from player.health.board import StatusBoard


def test_screen_state_is_in_the_snapshot():
    board = StatusBoard()
    assert board.snapshot()["screen"] == "starting"
    board.set_screen("screen_off", "screen off by schedule")
    board.set_playing("demo", 3, "")
    snapshot = board.snapshot()
    assert (snapshot["screen"], snapshot["screen_detail"], snapshot["item"]) == \
        ("screen_off", "screen off by schedule", None)
    board.set_screen("display_unavailable", "no X server answers on DISPLAY=:0")
    assert board.snapshot()["screen"] == "display_unavailable"
