"""The remote worker against hubs that misbehave, served for real on 127.0.0.1: garbage
answers, a lost result, an old hub without remote commands. Nothing crashes, nothing runs
twice, the worker goes on."""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from player.core.config_reader import config_from_data
from player.remote.executor import Executor
from player.remote.record import RECORD_FILE, CommandRecord
from player.remote.worker import RemoteWorker
from tests.remote.test_remote_executor import RecordingSystem

pytestmark = pytest.mark.timeout(120)
GOOD_ID = "command-identify-0001-abcdef"


class ScriptedHub:
    """Answers heartbeat POSTs from a list of (status, body, headers), the last one for ever;
    results and files are noted (the first `refuse_results` answered 500)."""

    def __init__(self, answers: list[tuple[int, bytes, dict]], refuse_results: int = 0):
        self.answers = answers
        self.polls: list[dict] = []
        self.results: list[tuple[str, dict]] = []
        self.refuse_results = refuse_results
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.endswith("/result"):
                    if hub.refuse_results:
                        hub.refuse_results -= 1
                        self.reply(500, b"busy", {})
                        return
                    hub.results.append((self.path.split("/")[-2], json.loads(body)))
                    self.reply(200, b'{"state": "done"}', {})
                    return
                hub.polls.append(json.loads(body))
                status, data, headers = (hub.answers.pop(0) if len(hub.answers) > 1
                                         else hub.answers[0])
                self.reply(status, data, headers)

            def reply(self, status: int, data: bytes, headers: dict) -> None:
                self.send_response(status)
                for key, value in {"Content-Length": str(len(data)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/heartbeats"
        self.thread = threading.Thread(target=self.server.serve_forever, name="scripted-hub",
                                       kwargs={"poll_interval": 0.05})  # a quick stop

    def __enter__(self) -> ScriptedHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def held(commands: list) -> tuple[int, bytes, dict]:
    """The answer of a hub that held the request (it says so in Preference-Applied)."""
    return 200, json.dumps({"ack": [], "commands": commands}).encode(), {
        "Preference-Applied": "wait=1", "Content-Type": "application/json"}


def start_worker(tmp_path: Path, url: str) -> tuple[RemoteWorker, queue.Queue]:
    config = config_from_data({
        "cluster": "bangioc-1", "state_dir": str(tmp_path / "state"),
        "health": {"report_url": url, "token": "t" * 20, "upload_interval": "1s"},
        "remote": {"poll_wait": "1s"}}, str(tmp_path / "player.yaml"))
    inbox: queue.Queue = queue.Queue()
    executor = Executor(config, CommandRecord(config.state_dir / RECORD_FILE),
                        RecordingSystem(), inbox=inbox)
    worker = RemoteWorker(config, executor, backoff=(0.05, 0.2))
    worker.start()
    return worker, inbox


def wait_until(condition, what: str, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"waited in vain for {what}"
        time.sleep(0.02)


def test_a_hub_answering_garbage_does_not_hurt_the_player(tmp_path):
    identify = {"id": GOOD_ID, "kind": "identify", "arguments": {"minutes": 1},
                "expires_in": 600}
    answers = [
        (200, b"<html>captive portal</html>", {}),
        (200, b'{"ack": [], "commands": "run everything"}', {}),
        (200, b"[" * 100000, {}),
        (500, b"oops", {}),
        (200, b'{"ack": [], "commands": [null, 7, {"id": "short"}, '
              b'{"id": "command-shell-0001-abcdef", "kind": "shell", "expires_in": 5}]}', {}),
        (200, b'{"ack": [], "commands": [' + b'"x",' * 100 + b'"y"]}', {}),
        (200, b"x" * (400 * 1024), {}),
        held([identify]),
        held([]),
    ]
    with ScriptedHub(answers) as hub:
        worker, inbox = start_worker(tmp_path, hub.url)
        try:
            wait_until(lambda: len(hub.results) == 2, "the two answers")
        finally:
            worker.stop()
            worker.join(30)
    assert not worker.is_alive()
    answered = dict(hub.results)
    assert answered["command-shell-0001-abcdef"]["state"] == "failed"
    assert "unknown command" in answered["command-shell-0001-abcdef"]["reason"]
    assert answered[GOOD_ID]["state"] == "done"
    assert hub.polls[0] == {"format": 1, "cluster": "bangioc-1", "reports": [], "commands": 1}
    assert inbox.qsize() == 1  # the identification card; nothing else reached the screen


def test_a_lost_result_is_sent_again_and_the_command_not_run_twice(tmp_path):
    identify = {"id": GOOD_ID, "kind": "identify", "arguments": {"minutes": 1},
                "expires_in": 600}
    # the hub never heard the result, so it hands the command out again and again
    with ScriptedHub([held([identify])], refuse_results=2) as hub:
        worker, inbox = start_worker(tmp_path, hub.url)
        try:
            wait_until(lambda: hub.results, "the result to get through")
            wait_until(lambda: len(hub.polls) >= 5, "more polls")
        finally:
            worker.stop()
            worker.join(30)
    assert [cid for cid, _ in hub.results][:1] == [GOOD_ID]
    assert inbox.qsize() == 1  # shown once, however often it came


def test_an_older_hub_without_commands_is_asked_at_the_heartbeat_pace(tmp_path):
    with ScriptedHub([(200, b'{"ack": []}', {"Content-Type": "application/json"})]) as hub:
        worker, _ = start_worker(tmp_path, hub.url)
        try:
            wait_until(lambda: len(hub.polls) >= 2, "a second poll")
            assert not worker.hub_holds
        finally:
            worker.stop()
            worker.join(30)
    assert not worker.is_alive()


def test_the_health_uploader_of_an_old_player_ignores_commands_in_the_answer(tmp_path):
    """An older player's uploader reads only "ack": a hub's extra keys change nothing."""
    from player.health.uploader import Uploader

    answer = json.dumps({"ack": ["r1"], "commands": [{"id": GOOD_ID}], "future": {"x": 1}})
    with ScriptedHub([(200, answer.encode(), {"Content-Type": "application/json"})]) as hub:
        uploader = Uploader(hub.url, "t" * 20, "bangioc-1")
        try:
            assert uploader.send([{"id": "r1", "seq": 1}]) == ["r1"]
        finally:
            uploader.session.close()
    assert "commands" not in hub.polls[0]  # it did not say it takes them


def test_a_stop_cuts_the_poll_the_hub_holds(tmp_path):
    """The hub holds the empty POST until the test lets it go, after the worker has ended:
    only cutting the request can end the worker first."""
    holding, release = threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            self.rfile.read(int(self.headers.get("content-length") or 0))
            holding.set()
            release.wait(120)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    config = config_from_data({
        "cluster": "bangioc-1", "state_dir": str(tmp_path / "state"),
        "health": {"report_url": f"http://127.0.0.1:{server.server_address[1]}/api/v1/heartbeats",
                   "token": "t" * 20},
        "remote": {"poll_wait": "5m"}}, str(tmp_path / "player.yaml"))
    executor = Executor(config, CommandRecord(config.state_dir / RECORD_FILE), RecordingSystem())
    worker = RemoteWorker(config, executor)
    worker.start()
    try:
        assert holding.wait(60)
        worker.stop()
        worker.join(60)  # far less than the hold (5 min) and its read timeout
        assert not worker.is_alive() and not release.is_set()
    finally:
        release.set()
        worker.stop()
        worker.join(10)
        server.shutdown()
        server.server_close()
        serving.join(10)
