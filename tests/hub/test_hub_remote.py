"""Remote commands on the hub: the cluster page's forms, roles, limits, the heartbeat answer
and the players' result and file endpoints, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.remote import RATE_LIMIT
from tests.hub.hubtools import CLUSTER_TOKEN, OTHER_TOKEN, batch, hub_config_data, report
from tests.hub.webtools import PASSWORD, csrf_token, log_in, make_web_hub

AUTH = {"Authorization": f"Bearer {CLUSTER_TOKEN}"}


@pytest.fixture
def web(tmp_path, hub_database):
    data = hub_config_data(Ed25519PrivateKey.generate())
    data["public_fleet"] = False
    if hub_database:
        data["database"] = hub_database
    hub = make_web_hub(tmp_path, data)
    for name, role in (("xem", "viewer"), ("bien-tap", "editor"), ("duyet", "approver")):
        hub.people.accounts.add_user(name, PASSWORD, role)
    yield hub
    hub.close()


def logged_in(web, name):
    client = web.client()
    assert log_in(client, name).status_code == 303
    return client


def send(client, kind: str, cluster: str = "bangioc-1", **fields):
    page = client.get(f"/clusters/{cluster}")
    form = {"csrf_token": csrf_token(page.text), "kind": kind, **fields}
    ids = re.findall(r'name="command_id" value="([^"]+)"', page.text)
    form.setdefault("command_id", ids[0] if ids else "x" * 20)
    return client.post(f"/clusters/{cluster}/commands", data=form)


def fetch_commands(client, cluster="bangioc-1", wait=None, token=CLUSTER_TOKEN):
    headers = {"Authorization": f"Bearer {token}"}
    if wait is not None:
        headers["Prefer"] = f"wait={wait}"
    answer = client.post("/api/v1/heartbeats", json={**batch(cluster=cluster), "commands": 1},
                         headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["commands"]


def test_an_editor_queues_a_screenshot_and_the_player_brings_the_picture(web):
    editor = logged_in(web, "bien-tap")
    page = editor.get("/clusters/bangioc-1")
    assert 'id="remote"' in page.text and "Chụp màn hình" in page.text
    assert "Khởi động lại máy" not in page.text  # reboot: approvers only
    answer = send(editor, "screenshot")
    assert answer.status_code == 303 and answer.headers["location"].endswith("#remote")
    assert "Đang chờ gửi" in editor.get("/clusters/bangioc-1").text

    player = web.client()
    [command] = fetch_commands(player)
    assert command["kind"] == "screenshot" and command["arguments"] == {}
    assert 0 < command["expires_in"] <= 3600
    assert "Đã gửi tới cụm" in editor.get("/clusters/bangioc-1").text
    # a lost answer: the delivered command comes again until the player answers
    assert [c["id"] for c in fetch_commands(player)] == [command["id"]]
    jpeg = b"\xff\xd8\xff\xe0" + b"picture" * 100 + b"\xff\xd9"
    assert player.put(f"/api/v1/commands/{command['id']}/file", content=jpeg,
                      headers=AUTH).status_code == 200
    done = player.post(f"/api/v1/commands/{command['id']}/result", headers=AUTH,
                       json={"state": "done", "result": {"width": 1280}})
    assert done.status_code == 200 and done.json()["state"] == "done"
    assert fetch_commands(player) == []
    page = editor.get("/clusters/bangioc-1?lang=en").text
    assert "Done" in page and f"/clusters/bangioc-1/commands/{command['id']}/file" in page
    picture = editor.get(f"/clusters/bangioc-1/commands/{command['id']}/file")
    assert picture.content == jpeg and picture.headers["content-type"] == "image/jpeg"
    actions = [e.action for e in web.people.audit.recent(20)]
    assert "command.screenshot" in actions and "command.done" in actions


def test_sending_the_same_form_twice_queues_one_command(web):
    editor = logged_in(web, "bien-tap")
    page = editor.get("/clusters/bangioc-1")
    form = {"csrf_token": csrf_token(page.text), "kind": "sync_now",
            "command_id": re.findall(r'name="command_id" value="([^"]+)"', page.text)[0]}
    assert editor.post("/clusters/bangioc-1/commands", data=form).status_code == 303
    assert editor.post("/clusters/bangioc-1/commands", data=form).status_code == 303
    assert len(fetch_commands(web.client())) == 1


def test_roles_decide_who_may_send_what(web):
    viewer = logged_in(web, "xem")
    assert 'name="kind"' not in viewer.get("/clusters/bangioc-1").text
    assert send(viewer, "screenshot").status_code == 403
    editor = logged_in(web, "bien-tap")
    assert send(editor, "reboot").status_code == 403
    assert send(editor, "restart_player").status_code == 403
    approver = logged_in(web, "duyet")
    assert 'value="reboot"' in approver.get("/clusters/bangioc-1").text
    assert send(approver, "screen", on="off").status_code == 303
    [command] = fetch_commands(web.client())
    assert command["kind"] == "screen" and command["arguments"] == {"on": False}
    refused = [e for e in web.people.audit.recent(20) if e.action == "command.refused"]
    assert len(refused) == 2  # the viewer never got past the login role check


def test_bad_commands_are_refused_with_a_reason(web):
    editor = logged_in(web, "bien-tap")
    assert send(editor, "shell", command_id="a" * 20).status_code == 422
    bad = send(editor, "logs", minutes="100000")
    assert bad.status_code == 422 and "minutes" in bad.text
    page = editor.get("/clusters/bangioc-1")
    unknown = editor.post("/clusters/no-such-box/commands", data={
        "csrf_token": csrf_token(page.text), "kind": "screenshot", "command_id": "b" * 20})
    assert unknown.status_code == 404 and "Không có cụm này" in unknown.text
    no_csrf = editor.post("/clusters/bangioc-1/commands", data={"kind": "screenshot",
                                                                  "command_id": "c" * 20})
    assert no_csrf.status_code == 403
    assert fetch_commands(web.client()) == []


def test_a_flood_of_commands_is_rate_limited(web):
    editor = logged_in(web, "bien-tap")
    codes = [send(editor, "screenshot").status_code for _ in range(RATE_LIMIT + 3)]
    assert codes == [303] * RATE_LIMIT + [429] * 3
    assert "Quá nhiều lệnh" in send(editor, "screenshot").text
    # another cluster is not held up by this one's flood
    assert send(editor, "screenshot", cluster="cuakhau-2").status_code == 303


def test_commands_expire_while_the_cluster_is_away(web):
    editor = logged_in(web, "bien-tap")
    send(editor, "screenshot")
    web.clock.now += 3601
    assert fetch_commands(web.client()) == []
    page = logged_in(web, "bien-tap").get("/clusters/bangioc-1?lang=en").text  # session idled out
    assert "Expired" in page


def test_a_player_sees_only_its_own_commands(web):
    editor = logged_in(web, "bien-tap")
    send(editor, "screenshot")
    player = web.client()
    assert fetch_commands(player, cluster="cuakhau-2", token=OTHER_TOKEN) == []
    [command] = fetch_commands(player)
    other = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    assert player.post(f"/api/v1/commands/{command['id']}/result", headers=other,
                       json={"state": "done"}).status_code == 404
    assert player.put(f"/api/v1/commands/{command['id']}/file", content=b"x",
                      headers=other).status_code == 404
    assert player.post(f"/api/v1/commands/{command['id']}/result",
                       json={"state": "done"}).status_code == 401


def test_an_old_player_gets_its_ack_and_no_commands(web):
    editor = logged_in(web, "bien-tap")
    send(editor, "screenshot")
    player = web.client()
    answer = player.post("/api/v1/heartbeats", json=batch(report()), headers=AUTH)
    assert answer.status_code == 200 and "commands" not in answer.json()
    assert len(answer.json()["ack"]) == 1
    # the command was not handed to a player that cannot take it: still queued
    assert "Đang chờ gửi" in editor.get("/clusters/bangioc-1").text


def test_logs_come_back_compressed_and_can_be_searched(web):
    editor = logged_in(web, "bien-tap")
    send(editor, "logs", minutes="15")
    player = web.client()
    [command] = fetch_commands(player)
    assert command["arguments"] == {"minutes": 15}
    text = "".join(f"08:{i:02d} sync: poll {i} ok\n" for i in range(50)) + "08:59 lỗi giải mã\n"
    player.put(f"/api/v1/commands/{command['id']}/file", content=gzip.compress(text.encode()),
               headers=AUTH)
    player.post(f"/api/v1/commands/{command['id']}/result", headers=AUTH,
                json={"state": "done", "result": {"lines": 51}})
    log_page = editor.get(f"/clusters/bangioc-1/commands/{command['id']}/log")
    assert log_page.status_code == 200 and "poll 17 ok" in log_page.text
    found = editor.get(f"/clusters/bangioc-1/commands/{command['id']}/log", params={"q": "LỖI"})
    assert "lỗi giải mã" in found.text and "poll 17" not in found.text
    too_big = player.put(f"/api/v1/commands/{command['id']}/file", content=b"x" * (3 << 20),
                         headers=AUTH)
    assert too_big.status_code == 413


def test_a_failure_shows_the_players_reason(web):
    approver = logged_in(web, "duyet")
    send(approver, "reboot")
    player = web.client()
    [command] = fetch_commands(player)
    player.post(f"/api/v1/commands/{command['id']}/result", headers=AUTH, json={
        "state": "failed", "reason": "remote.allowed on this box does not include reboot"})
    page = approver.get("/clusters/bangioc-1").text
    assert "Thất bại" in page and "does not include reboot" in page
