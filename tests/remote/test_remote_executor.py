"""The executor and its record: the fixed set, the box's own allow list, at most once across
restarts, expiry, the hourly limit, and logs capped from a real file. Machine actions go to a
recording implementation of SystemActions; everything else (SQLite, files, queues) is real."""

from __future__ import annotations

import gzip
import os
import queue
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.core.config_reader import config_from_data
from player.core.messages import CaptureScreen, ForceScreen, ShowIdentification, StopRequested
from player.remote.executor import (
    BadCommand,
    Executor,
    compress_capped,
    lines_since,
    parse_command,
)
from player.remote.record import RECORD_FILE, CommandRecord, read_recent


class RecordingSystem:
    """SystemActions that only note what they were asked."""

    def __init__(self, journal: bytes | None = None) -> None:
        self.calls: list[str] = []
        self._journal = journal

    def reboot(self) -> None:
        self.calls.append("reboot")

    def journal(self, minutes: int) -> bytes | None:
        self.calls.append(f"journal {minutes}")
        return self._journal


def make(tmp_path: Path, remote: dict | None = None, system=None, **kwargs):
    config = config_from_data({"cluster": "bangioc-1", "state_dir": str(tmp_path / "state"),
                               "remote": remote or {}}, str(tmp_path / "player.yaml"))
    record = CommandRecord(config.state_dir / RECORD_FILE)
    inbox: queue.Queue = queue.Queue()
    executor = Executor(config, record, system or RecordingSystem(), inbox=inbox, **kwargs)
    return executor, inbox


def raw(kind: str, number: int = 1, **arguments) -> dict:
    return {"id": f"command-{kind}-{number:04d}-abcdef", "kind": kind,
            "arguments": arguments, "expires_in": 3600}


def test_reboot_is_refused_by_default_and_runs_only_when_allowed(tmp_path):
    system = RecordingSystem()
    executor, _ = make(tmp_path / "a", system=system)
    outcome = executor.execute(parse_command(raw("reboot")))
    assert outcome.state == "failed" and "remote.allowed" in outcome.reason
    assert "player.yaml" in outcome.reason and outcome.after is None
    off = executor.execute(parse_command(raw("screen", on=False)))
    assert off.state == "failed" and "screen_off" in off.reason
    executor.close()

    allowed, _ = make(tmp_path / "b", {"allowed": ["reboot"]}, system)
    outcome = allowed.execute(parse_command(raw("reboot")))
    assert outcome.state == "done" and system.calls == []  # only once the hub has the result
    outcome.after()
    assert system.calls == ["reboot"]
    allowed.close()


def test_a_command_runs_once_even_across_a_restart(tmp_path):
    executor, inbox = make(tmp_path)
    command = raw("restart_player")
    first = executor.execute(parse_command(command))
    first.after()
    assert isinstance(inbox.get_nowait(), StopRequested)
    assert executor.execute(parse_command(command)) is None  # a replay
    executor.close()
    again, inbox = make(tmp_path)  # the player started again: a new record on the same file
    assert again.execute(parse_command(command)) is None
    assert inbox.empty()
    again.close()


def test_a_command_cut_by_a_crash_is_failed_not_run_again(tmp_path):
    executor, _ = make(tmp_path)
    executor.record.claim("command-logs-0001-abcdef", "logs", {"minutes": 5})  # then: power cut
    executor.close()
    again, _ = make(tmp_path)
    entry = again.record.get("command-logs-0001-abcdef")
    assert entry.state == "failed" and "interrupted" in entry.reason
    assert again.execute(parse_command(raw("logs", minutes=5))) is None
    assert [e.id for e in again.record.unreported()] == ["command-logs-0001-abcdef"]
    again.close()


def test_expired_and_flooding_commands_are_refused(tmp_path):
    executor, inbox = make(tmp_path, {"max_per_hour": 3})
    old = dict(raw("identify", minutes=1), expires_in=0)
    assert "expired" in executor.execute(parse_command(old, monotonic=lambda: 0.0)).reason
    states = [executor.execute(parse_command(raw("screen", n, on=True))).state
              for n in range(2, 6)]
    assert states == ["done", "done", "failed", "failed"]
    assert "max_per_hour" in executor.record.recent(1)[0].reason
    assert [type(m) for m in list(inbox.queue)] == [ForceScreen, ForceScreen]
    executor.close()


@pytest.mark.parametrize("bad", [
    {"id": "x", "kind": "screenshot", "expires_in": 10},
    {"kind": "screenshot"}, "screenshot", None, [1, 2],
    {"id": "../../etc/passwd-aaaaaaaa", "kind": "logs", "expires_in": 5},
])
def test_commands_without_a_usable_id_are_ignored(bad):
    with pytest.raises(BadCommand):
        parse_command(bad)


@pytest.mark.parametrize("bad", [
    {"kind": "shell", "arguments": {"command": "rm -rf /"}},
    {"kind": "logs", "arguments": {"minutes": 100000}},
    {"kind": "logs", "arguments": {"minutes": "5; reboot"}},
    {"kind": "screen", "arguments": {"on": "yes"}},
    {"kind": "logs", "arguments": [], "expires_in": 10},
    {"kind": "logs", "expires_in": "soon"},
])
def test_bad_commands_are_answered_with_the_reason(bad):
    with pytest.raises(ValueError) as caught:
        parse_command({"id": "a" * 20, "expires_in": 60, **bad})
    assert caught.value.args[1] == "a" * 20


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20))
def test_any_json_from_the_hub_is_parsed_or_refused_never_crashes(value):
    try:
        command = parse_command(value)
    except ValueError:
        return
    assert command.kind in ("screenshot", "logs", "sync_now", "restart_player", "identify",
                            "reboot", "screen")


def test_screenshot_goes_through_the_render_loop(tmp_path):
    executor, inbox = make(tmp_path)

    def render_loop() -> None:  # the loop's side of CaptureScreen
        message = inbox.get(timeout=30)
        assert isinstance(message, CaptureScreen)
        message.reply.set_result((b"\xff\xd8jpeg", 640, 360))

    loop = threading.Thread(target=render_loop)
    loop.start()
    outcome = executor.execute(parse_command(raw("screenshot")))
    loop.join()
    assert outcome.state == "done" and outcome.file == b"\xff\xd8jpeg"
    assert outcome.result == {"width": 640, "height": 360, "bytes": 6}
    executor.close()


def test_identify_shows_the_card_with_the_facts(tmp_path):
    executor, inbox = make(tmp_path, release=lambda: 42)
    outcome = executor.execute(parse_command(raw("identify", minutes=2)))
    message = inbox.get_nowait()
    assert isinstance(message, ShowIdentification) and message.seconds == 120
    assert message.lines[0] == "Cụm / Cluster: bangioc-1"
    assert any("release 42" in line for line in message.lines)
    assert outcome.result["lines"] == list(message.lines)
    executor.close()


def test_logs_from_a_real_file_are_the_last_minutes_and_capped(tmp_path):
    log_file = tmp_path / "player.log"
    now = datetime.now(UTC)
    old = [f"{(now - timedelta(hours=2)).isoformat()} INFO old line {i}" for i in range(100)]
    fresh = [f"{(now - timedelta(minutes=1)).isoformat()} INFO fresh line {i} "
             + os.urandom(40).hex() for i in range(20000)]
    log_file.write_text("\n".join(old + fresh) + "\n", encoding="utf-8")
    executor, _ = make(tmp_path, {"log_file": str(log_file)})
    outcome = executor.execute(parse_command(raw("logs", minutes=30)))
    assert outcome.state == "done" and outcome.result["source"] == "file"
    assert len(outcome.file) <= 256 * 1024 and outcome.result["truncated"]
    text = gzip.decompress(outcome.file).decode()
    assert "old line" not in text and text.rstrip().endswith(fresh[-1])
    assert outcome.result["lines"] == len(text.splitlines()) < 20000
    executor.close()


def test_logs_come_from_the_journal_or_from_memory(tmp_path):
    system = RecordingSystem(journal=b"2026-12-03T08:00:00+0700 box player[1]: hello\n")
    executor, _ = make(tmp_path / "a", system=system)
    outcome = executor.execute(parse_command(raw("logs", minutes=7)))
    assert outcome.result["source"] == "journal" and system.calls == ["journal 7"]
    assert b"hello" in gzip.decompress(outcome.file)
    executor.close()

    from player.remote.executor import LogBuffer

    buffer = LogBuffer()
    import logging

    logging.getLogger("player.test").addHandler(buffer)
    try:
        logging.getLogger("player.test").warning("thác Bản Giốc: display back")
    finally:
        logging.getLogger("player.test").removeHandler(buffer)
    executor, _ = make(tmp_path / "b", logs=buffer)
    outcome = executor.execute(parse_command(raw("logs", minutes=7)))
    assert outcome.result["source"] == "memory"
    assert "thác Bản Giốc" in gzip.decompress(outcome.file).decode()
    executor.close()


def test_a_missing_log_file_is_a_failure_with_the_reason(tmp_path):
    executor, _ = make(tmp_path, {"log_file": str(tmp_path / "nowhere.log")})
    outcome = executor.execute(parse_command(raw("logs")))
    assert outcome.state == "failed" and "no log" in outcome.reason
    executor.close()


def test_compress_capped_keeps_the_newest_lines():
    lines = [os.urandom(30).hex() for _ in range(5000)]
    data, kept, cut = compress_capped(lines, 20_000)
    assert len(data) <= 20_000 and cut and 0 < kept < 5000
    assert gzip.decompress(data).decode().splitlines() == lines[-kept:]
    assert compress_capped([], 100)[1:] == (0, False)


def test_lines_without_a_time_are_kept(tmp_path):
    path = tmp_path / "plain.log"
    path.write_text("INFO player.app: started\nWARNING player.sync: slow\n", encoding="utf-8")
    assert lines_since(path, datetime.now(UTC).timestamp()) == [
        "INFO player.app: started", "WARNING player.sync: slow"]


def test_status_reads_the_record_without_the_player(tmp_path):
    executor, _ = make(tmp_path)
    executor.execute(parse_command(raw("screen", on=True)))
    executor.close()
    [entry] = read_recent(tmp_path / "state")
    assert entry.kind == "screen" and entry.state == "done"
    assert read_recent(tmp_path / "nowhere") == []
