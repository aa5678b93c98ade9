"""Remote commands attacked from both ends: forged, cross-site and under-privileged forms on the
hub, replayed and foreign command ids, results and files over the caps, hostile text coming
back from a box; and on the player, a hub answering hostile commands. Nothing outside the fixed
set runs, nothing runs twice, everything hostile is shown as text."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.remote.executor import parse_command
from tests.hub.hubtools import CLUSTER_TOKEN, OTHER_TOKEN, batch, hub_config_data
from tests.hub.webtools import PASSWORD, csrf_token, log_in, make_web_hub
from tests.remote.test_remote_worker import ScriptedHub, held, start_worker, wait_until

AUTH = {"Authorization": f"Bearer {CLUSTER_TOKEN}"}
OTHER = {"Authorization": f"Bearer {OTHER_TOKEN}"}
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture
def web(tmp_path):
    data = hub_config_data(Ed25519PrivateKey.generate())
    data["public_fleet"] = False
    hub = make_web_hub(tmp_path, data)
    for name, role in (("xem", "viewer"), ("bien-tap", "editor"), ("duyet", "approver"),
                       ("quan-tri", "admin")):
        hub.people.accounts.add_user(name, PASSWORD, role)
    yield hub
    hub.close()


def logged_in(web, name):
    client = web.client()
    assert log_in(client, name).status_code == 303
    return client


def form_for(client, cluster: str = "bangioc-1") -> dict:
    page = client.get(f"/clusters/{cluster}").text
    ids = re.findall(r'name="command_id" value="([^"]+)"', page)
    return {"csrf_token": csrf_token(page), "command_id": ids[0] if ids else "x" * 20}


def handed_out(web, cluster="bangioc-1", headers=AUTH) -> list:
    answer = web.client().post("/api/v1/heartbeats", json={**batch(cluster=cluster),
                                                           "commands": 1}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["commands"]


def test_forged_cross_site_and_underprivileged_command_forms_queue_nothing(web):
    editor = logged_in(web, "bien-tap")
    form = form_for(editor)
    url = "/clusters/bangioc-1/commands"
    assert editor.post(url, data={**form, "csrf_token": "A" * 43,
                                  "kind": "screenshot"}).status_code == 403
    for origin in ("http://evil.example", "null", "http://hub.test.evil.example"):
        assert editor.post(url, data={**form, "kind": "screenshot"},
                           headers={"Origin": origin}).status_code == 403
    assert editor.post(url, data={**form, "kind": "screenshot"},
                       headers={"Referer": "http://evil.example/page"}).status_code == 403
    assert editor.post(url, data={**form, "kind": "reboot"}).status_code == 403
    assert editor.post(url, data={**form, "kind": "screen", "on": "off"}).status_code == 403
    forged = web.client(cookies={"hub_session": "forged-session-value"})
    assert forged.post(url, data={**form, "kind": "screenshot"}).status_code in (303, 403)
    viewer = logged_in(web, "xem")
    assert viewer.post(url, data={**form_for(viewer), "kind": "screenshot"}).status_code == 403
    web.clock.now += 9 * 3600  # the editor's session is past its lifetime
    assert editor.post(url, data={**form, "kind": "screenshot"}).status_code in (303, 403)
    assert handed_out(web) == []
    refused = [e for e in web.people.audit.recent(50) if e.action == "command.refused"]
    assert any(e.detail.get("kind") == "reboot" for e in refused)


def test_hostile_ids_kinds_and_arguments_are_refused(web):
    approver = logged_in(web, "duyet")
    form = form_for(approver)
    url = "/clusters/bangioc-1/commands"
    for command_id in ("../../../etc/passwd", "a" * 65, "short", "id with spaces-0001",
                       "x;rm -rf /;" + "y" * 16):
        answer = approver.post(url, data={**form, "kind": "screenshot",
                                          "command_id": command_id})
        assert answer.status_code == 422, command_id
    for kind in ("shell", "screenshot; reboot", "../reboot", "", "SCREENSHOT", "x" * 100000):
        answer = approver.post(url, data={**form, "kind": kind})
        assert answer.status_code in (413, 422), kind[:40]
    for minutes in ("$(reboot)", "-1", "1e9", "99999999999999999999999", "1; reboot"):
        answer = approver.post(url, data={**form, "kind": "logs", "minutes": minutes})
        assert answer.status_code == 422, minutes
    assert approver.post(url, data={**form, "kind": "screen", "on": "rm"}).status_code == 422
    extra = approver.post(url, data={**form, "kind": "sync_now", "path": "/etc/shadow",
                                     "shell": "reboot"})
    assert extra.status_code == 303
    [command] = handed_out(web)
    assert command["kind"] == "sync_now" and command["arguments"] == {}
    for path in ("/clusters/..%2F..%2Fetc/commands", "/clusters/no-such-box/commands"):
        assert approver.post(path, data={**form, "kind": "screenshot"}).status_code == 404


def test_a_replayed_or_foreign_command_id_never_makes_a_second_command(web):
    approver = logged_in(web, "duyet")
    form = form_for(approver)
    url = "/clusters/bangioc-1/commands"
    assert approver.post(url, data={**form, "kind": "screenshot"}).status_code == 303
    # the same id again, now asking for a reboot: the first command stands, nothing new
    assert approver.post(url, data={**form, "kind": "reboot"}).status_code == 303
    # the same id for another cluster: refused, the id belongs to the first
    other = form_for(approver, "cuakhau-2")
    assert approver.post("/clusters/cuakhau-2/commands", data={
        **other, "command_id": form["command_id"], "kind": "screenshot"}).status_code == 409
    [command] = handed_out(web)
    assert command["kind"] == "screenshot" and command["id"] == form["command_id"]
    assert handed_out(web, "cuakhau-2", OTHER) == []
    player = web.client()
    url = f"/api/v1/commands/{command['id']}/result"
    assert player.post(url, headers=AUTH, json={"state": "done", "result": {"n": 1}}
                       ).status_code == 200
    replay = player.post(url, headers=AUTH, json={"state": "failed", "reason": "replayed"})
    assert replay.status_code == 200 and replay.json()["state"] == "done"
    assert handed_out(web) == []


def test_a_cluster_cannot_touch_another_clusters_command_or_an_unknown_one(web):
    editor = logged_in(web, "bien-tap")
    assert editor.post("/clusters/bangioc-1/commands", data={
        **form_for(editor), "kind": "logs"}).status_code == 303
    [command] = handed_out(web)
    player = web.client()
    result = f"/api/v1/commands/{command['id']}/result"
    file = f"/api/v1/commands/{command['id']}/file"
    assert player.post(result, headers=OTHER, json={"state": "done"}).status_code == 404
    assert player.put(file, headers=OTHER, content=gzip.compress(b"other")).status_code == 404
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eA=="},
                    {"Authorization": f"Bearer {CLUSTER_TOKEN}x"}):
        assert player.post(result, headers=headers, json={"state": "done"}).status_code == 401
    assert player.post("/api/v1/heartbeats", json={**batch(cluster="bangioc-1"), "commands": 1},
                       headers={"Authorization": "Bearer unknown"}).status_code == 401
    for bad_id in ("..%2F..%2Fetc%2Fpasswd", "a" * 200, "short", "%00" * 20):
        assert player.post(f"/api/v1/commands/{bad_id}/result", headers=AUTH,
                           json={"state": "done"}).status_code == 404
    assert "Đã gửi tới cụm" in editor.get("/clusters/bangioc-1").text  # still open


def test_results_and_files_over_their_caps_or_malformed_are_refused(web):
    editor = logged_in(web, "bien-tap")
    assert editor.post("/clusters/bangioc-1/commands", data={
        **form_for(editor), "kind": "logs"}).status_code == 303
    [command] = handed_out(web)
    player = web.client()
    result = f"/api/v1/commands/{command['id']}/result"
    file = f"/api/v1/commands/{command['id']}/file"
    big = {"state": "done", "result": {"x": "y" * (70 * 1024)}}
    assert player.post(result, headers=AUTH, json=big).status_code == 413

    def chunks(total: int, size: int = 65536):
        for _ in range(total // size):
            yield b"z" * size

    assert player.post(result, headers=AUTH, content=chunks(1 << 20)).status_code == 413
    assert player.put(file, headers=AUTH, content=chunks(3 << 20)).status_code == 413
    assert player.put(file, headers=AUTH, content=b"").status_code == 422
    for body in (b"[" * 50000, b"\xff\xfe", b"null", b'{"state": "running"}',
                 b'{"state": "done", "reason": 5}', b'{"state": "done", "result": [1]}'):
        answer = player.post(result, headers={**AUTH, "Content-Type": "application/json"},
                             content=body)
        assert 400 <= answer.status_code < 500, body[:20]
    # a gzip bomb as the log: the page reads a bounded part of it and answers
    bomb = gzip.compress(b"A" * (64 << 20), compresslevel=9)
    assert len(bomb) < (2 << 20)
    assert player.put(file, headers=AUTH, content=bomb).status_code == 200
    page = editor.get(f"/clusters/bangioc-1/commands/{command['id']}/log")
    assert page.status_code == 200 and len(page.content) < (40 << 20)


def test_text_a_box_sends_back_is_shown_as_text_on_every_page(web):
    approver = logged_in(web, "duyet")
    for kind in ("logs", "identify", "reboot"):
        assert approver.post("/clusters/bangioc-1/commands", data={
            **form_for(approver), "kind": kind}).status_code == 303
    commands = {c["kind"]: c for c in handed_out(web)}
    player = web.client()

    def answer(kind, **body):
        return player.post(f"/api/v1/commands/{commands[kind]['id']}/result", headers=AUTH,
                           json=body)

    log_text = f"08:00 {HOSTILE}\n08:01 </pre><script>alert(2)</script>\n"
    assert player.put(f"/api/v1/commands/{commands['logs']['id']}/file", headers=AUTH,
                      content=gzip.compress(log_text.encode())).status_code == 200
    assert answer("logs", state="done", result={"source": HOSTILE}).status_code == 200
    assert answer("identify", state="done", result={"lines": [HOSTILE, "IP: 1.2.3.4"]}
                  ).status_code == 200
    assert answer("reboot", state="failed", reason=HOSTILE).status_code == 200
    pages = [approver.get("/clusters/bangioc-1").text,
             approver.get("/clusters/bangioc-1/commands/panel").text,
             approver.get(f"/clusters/bangioc-1/commands/{commands['logs']['id']}/log").text,
             approver.get(f"/clusters/bangioc-1/commands/{commands['logs']['id']}/log",
                          params={"q": "<script>"}).text,
             logged_in(web, "quan-tri").get("/admin/audit").text]
    for text in pages:
        assert HOSTILE not in text and "<script>alert(2)" not in text
    assert "&lt;img src=x" in pages[0] and "&lt;img src=x" in pages[2]
    assert "&lt;img src=x" in pages[4]  # the reboot's reason, in the audit log
    # a "screenshot" that is really a page: served as a picture, never sniffed as HTML
    assert approver.post("/clusters/bangioc-1/commands", data={
        **form_for(approver), "kind": "screenshot"}).status_code == 303
    [shot] = [c for c in handed_out(web) if c["kind"] == "screenshot"]
    player.put(f"/api/v1/commands/{shot['id']}/file", headers=AUTH,
               content=f"<html>{HOSTILE}</html>".encode())
    served = approver.get(f"/clusters/bangioc-1/commands/{shot['id']}/file")
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"


def test_a_held_heartbeat_cannot_be_held_past_the_cap_or_by_an_unknown_cluster(web):
    player = web.client()
    answer = player.post("/api/v1/heartbeats", json={**batch(), "commands": 1},
                         headers={**AUTH, "Prefer": "wait=0"})
    assert answer.status_code == 200 and answer.json()["commands"] == []
    for prefer in ("wait=" + "9" * 5000, "wait=-5", "wait=abc", "respond-async, wait=1e9"):
        answer = player.post("/api/v1/heartbeats", json={**batch(), "commands": 1},
                             headers={**AUTH, "Prefer": prefer})
        assert answer.status_code == 200, prefer[:20]
    assert player.post("/api/v1/heartbeats", json={**batch(cluster="bangioc-1"), "commands": 1},
                       headers={**OTHER, "Prefer": "wait=60"}).status_code in (400, 401, 403, 422)


# -- the player's side ------------------------------------------------------------------------

def hostile(number: int, **fields) -> dict:
    return {"id": f"hostile-command-{number:04d}-abcdef", "expires_in": 600, **fields}


HOSTILE_COMMANDS = [
    hostile(1, kind="shell", arguments={"command": "rm -rf /"}),
    hostile(2, kind="screenshot; reboot"),
    hostile(3, kind="../../bin/sh"),
    hostile(4, kind=["reboot"]),
    hostile(5, kind="logs", arguments={"minutes": "$(reboot)"}),
    hostile(6, kind="logs", arguments={"minutes": 10 ** 100}),
    hostile(7, kind="logs", arguments={"minutes": 5, "path": "/etc/shadow"}),
    hostile(8, kind="identify", arguments={"minutes": True}),
    hostile(9, kind="reboot"),  # not in remote.allowed on this box (the default)
    hostile(10, kind="screen", arguments={"on": "yes"}),
    hostile(11, kind="identify", arguments="x" * 100_000),
    hostile(12, kind="identify", expires_in="forever"),
    hostile(13, kind="identify", expires_in=-5),
    {"id": "../../../../etc/passwd-00000", "kind": "identify", "expires_in": 600},
    {"id": "x" * 10_000, "kind": "identify", "expires_in": 600},
]


def test_the_player_runs_nothing_outside_the_fixed_set_and_keeps_going(tmp_path):
    good = {"id": "good-identify-command-0001", "kind": "identify",
            "arguments": {"minutes": 1}, "expires_in": 600}
    answers = [held(HOSTILE_COMMANDS[:8]), held(HOSTILE_COMMANDS[8:]), held(HOSTILE_COMMANDS),
               held([good]), held([good]), held([])]
    with ScriptedHub(answers) as hub:
        worker, inbox = start_worker(tmp_path, hub.url)
        try:
            wait_until(lambda: any(i == good["id"] for i, _ in hub.results), "the good command")
            wait_until(lambda: worker.polls >= 7, "more polls")
        finally:
            worker.stop()
            worker.join(30)
    assert not worker.is_alive()
    # no reboot; the one journal read is the well-formed logs command, its extra path ignored
    assert worker.executor.system.calls == ["journal 5"]
    by_id: dict[str, list] = {}
    for command_id, body in hub.results:
        by_id.setdefault(command_id, []).append(body)
    assert all(len(bodies) == 1 for bodies in by_id.values()), by_id  # each answered once
    for command in HOSTILE_COMMANDS[:13]:
        [body] = by_id[command["id"]]
        if command["id"] != "hostile-command-0007-abcdef":  # a plain logs command, see above
            assert body["state"] == "failed", (command["id"], body)
    assert "/etc/shadow" not in json.dumps(by_id["hostile-command-0007-abcdef"])
    assert "remote.allowed" in by_id["hostile-command-0009-abcdef"][0]["reason"]
    assert by_id[good["id"]][0]["state"] == "done"
    shown = [m for m in list(inbox.queue) if type(m).__name__ == "ShowIdentification"]
    assert len(shown) == 1  # the one good command, once


@pytest.mark.parametrize("expires_in", [float("inf"), float("nan"), 1e308, 10 ** 400])
def test_a_command_that_would_never_expire_is_refused(expires_in):
    raw = {"id": "never-expiring-command-01", "kind": "identify",
           "arguments": {"minutes": 1}, "expires_in": expires_in}
    with pytest.raises(ValueError) as refused:
        parse_command(raw)
    assert refused.value.args[1] == raw["id"]


def test_a_hub_answering_non_finite_expiries_does_not_stall_the_worker(tmp_path):
    body = (b'{"ack": [], "commands": [{"id": "infinite-expiry-command-1", "kind": "identify", '
            b'"arguments": {"minutes": 1}, "expires_in": 1' + b"0" * 400 + b'}, '
            b'{"id": "nan-expiry-command-000001", "kind": "identify", '
            b'"arguments": {"minutes": 1}, "expires_in": NaN}, '
            b'{"id": "good-after-the-bad-ones-1", "kind": "identify", '
            b'"arguments": {"minutes": 1}, "expires_in": 600}]}')
    answers = [(200, body, {"Preference-Applied": "wait=1"}), held([])]
    with ScriptedHub(answers) as hub:
        worker, inbox = start_worker(tmp_path, hub.url)
        try:
            wait_until(lambda: len(hub.results) >= 3, "three answers")
        finally:
            worker.stop()
            worker.join(30)
    states = {command_id: json_body["state"] for command_id, json_body in hub.results}
    assert states == {"infinite-expiry-command-1": "failed", "nan-expiry-command-000001": "failed",
                      "good-after-the-bad-ones-1": "done"}
    assert json.dumps(hub.results, allow_nan=False)


def test_one_cluster_token_cannot_hold_more_than_a_few_requests(web):
    """Thirty held heartbeat POSTs with one token: MAX_HELD are held, the rest answered at once,
    so a stolen token cannot take the hub's connections and database looks."""
    import threading

    import httpx

    from player.hub.remote import MAX_HELD
    from tests.hub.webtools import UvicornThread

    bell = web.app.state.hub.commands.bell
    answers: list[httpx.Response] = []
    with UvicornThread(web.app) as server:
        def hold() -> None:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                answers.append(client.post(
                    "/api/v1/heartbeats", json={**batch(), "commands": 1},
                    headers={**AUTH, "Prefer": "wait=60"}))

        threads = [threading.Thread(target=hold) for _ in range(30)]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(answers) == 30 - MAX_HELD and bell.listeners("bangioc-1")
                   == MAX_HELD, "all but the held ones answered")
        editor = logged_in(web, "bien-tap")
        assert editor.post("/clusters/bangioc-1/commands", data={
            **form_for(editor), "kind": "sync_now"}).status_code == 303
        for thread in threads:
            thread.join(120)
    assert len(answers) == 30 and all(a.status_code == 200 for a in answers)
    woken = [a for a in answers if a.json()["commands"]]
    assert len(woken) == MAX_HELD
    assert all("preference-applied" in a.headers for a in woken)


def test_a_flood_of_commands_from_a_hub_runs_at_most_the_hourly_cap(tmp_path):
    """A hub (or whoever answers in its place) sends 200 distinct commands, again and again:
    the box runs at most remote.max_per_hour (30) and refuses the rest with the reason."""
    flood = [{"id": f"flood-command-{n:05d}-abcdef", "kind": "identify",
              "arguments": {"minutes": 1}, "expires_in": 600} for n in range(200)]
    answers = [held(flood[i:i + 20]) for i in range(0, 200, 20)] + [held([])]
    with ScriptedHub(answers) as hub:
        worker, inbox = start_worker(tmp_path, hub.url)
        try:
            wait_until(lambda: len(hub.results) >= 200, "an answer to each command", 120)
        finally:
            worker.stop()
            worker.join(30)
    states = [body["state"] for _, body in hub.results]
    assert states.count("done") == 30 and states.count("failed") == 170
    assert all("max_per_hour" in body["reason"] for _, body in hub.results
               if body["state"] == "failed")
    shown = [m for m in list(inbox.queue) if type(m).__name__ == "ShowIdentification"]
    assert len(shown) == 30


def test_path_like_command_ids_on_the_pages_find_nothing(web):
    viewer = logged_in(web, "xem")
    for command_id in ("..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e", "x" * 5000, "%00"):
        for part in ("file", "log"):
            answer = viewer.get(f"/clusters/bangioc-1/commands/{command_id}/{part}")
            assert answer.status_code in (200, 404), (command_id[:20], part)
            assert b"root:" not in answer.content
    # another cluster's command is not reachable through this cluster's address
    editor = logged_in(web, "bien-tap")
    assert editor.post("/clusters/cuakhau-2/commands", data={
        **form_for(editor, "cuakhau-2"), "kind": "screenshot"}).status_code == 303
    [command] = handed_out(web, "cuakhau-2", OTHER)
    web.client().put(f"/api/v1/commands/{command['id']}/file", headers=OTHER,
                     content=b"\xff\xd8\xff\xd9")
    assert viewer.get(f"/clusters/bangioc-1/commands/{command['id']}/file").status_code == 404
    assert viewer.get(f"/clusters/cuakhau-2/commands/{command['id']}/file").status_code == 200
    assert web.client().get(
        f"/clusters/cuakhau-2/commands/{command['id']}/file").status_code in (303, 401)
