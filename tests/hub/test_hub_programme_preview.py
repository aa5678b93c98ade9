"""The screens previews are drawn for, and the week view computed by the player's schedule."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

from player.core.playlist_reader import load_playlist
from player.hub.programme_preview import TargetScreen, target_screens, week_rows

VN = ZoneInfo("Asia/Ho_Chi_Minh")


class Reports:
    """The heartbeat store's ``latest`` table, as a fake of its ``query``."""

    def __init__(self, bodies: dict[str, object]):
        self.bodies = bodies

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        assert "FROM latest" in sql
        body = self.bodies.get(params[0])
        return [] if body is None else [{"body": body if isinstance(body, str)
                                         else json.dumps(body)}]


def beat(size, rotation=None) -> dict:
    display = {"driver": "kmsdrm", "size": size}
    if rotation is not None:
        display["rotation"] = rotation
    return {"player": {"display": display}}


def test_screens_come_from_heartbeats_with_the_hub_setting_for_the_silent():
    reports = Reports({"a": beat([1920, 1080]), "b": beat([1920, 1080], 90),
                       "c": beat([1920, 1080]), "d": "not json", "e": beat([0, "x"], 45)})
    screens = target_screens(reports, [(c, c.upper()) for c in "abcdef"], (1280, 720))
    assert screens == [
        TargetScreen((1280, 720), 0, ("D", "E", "F"), False),
        TargetScreen((1920, 1080), 0, ("A", "C"), True),
        TargetScreen((1920, 1080), 90, ("B",), True),
    ]
    assert screens[2].shown == (1080, 1920)
    assert target_screens(Reports({}), []) == [TargetScreen((1920, 1080), 0, (), False)]


def test_the_week_by_the_players_schedule_with_interrupts_every_minute(tmp_path):
    path = tmp_path / "playlist.yaml"
    path.write_text("""name: Tuần
languages: [vi]
items:
  - {id: luon, text: {vi: Luôn phát}, duration: 3s}
  - id: cho-phien
    text: {vi: Chợ phiên}
    duration: 3s
    when: {days: [sat, sun], hours: "22:00-02:00"}
interrupts:
  - {id: phut, text: {vi: Mỗi phút}, duration: 3s, every: 1m, when: {hours: "08:00-09:00"}}
  - {id: trua, text: {vi: Trưa}, duration: 3s, at: ["12:30"]}
""", encoding="utf-8")
    days, rows = week_rows(load_playlist(path), date(2026, 12, 3), VN)  # a Thursday
    assert [d.weekday() for d in days] == [3, 4, 5, 6, 0, 1, 2]
    by_hour = {h: r.cells for r in rows for h in range(r.start, r.end)}
    assert len(by_hour) == 24
    assert all(cell[0] == "1" for cells in by_hour.values() for cell in cells)
    assert by_hour[8] == (("1", "⚡phut 08:00…"),) * 7
    assert by_hour[12] == (("1", "⚡trua 12:30"),) * 7
    # overnight on Saturday and Sunday: 22-24 those days, and the small hours after them
    sat, sun, mon = 2, 3, 4
    assert [("2" in c) for c in by_hour[23]] == [n in (sat, sun) for n in range(7)]
    assert [("2" in c) for c in by_hour[1]] == [n in (sun, mon) for n in range(7)]
    assert by_hour[13] == (("1",),) * 7
    assert any(r.end - r.start > 1 for r in rows)  # alike hours are merged


def test_a_players_heartbeat_says_its_panel_and_rotation_as_the_previews_read_them():
    from player.health.board import StatusBoard
    from player.hub.programme_preview import reported_screen

    board = StatusBoard()
    board.set_display("kmsdrm", (1920, 1080), 90)
    assert reported_screen({"player": board.snapshot()}) == ((1920, 1080), 90)
    board.set_display("offscreen", (320, 180))
    assert reported_screen({"player": board.snapshot()}) == ((320, 180), 0)
