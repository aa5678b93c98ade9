"""The remote worker thread: asks the hub for commands, runs them, posts the results back.

While online it holds an empty heartbeat POST open (``Prefer: wait=remote.poll_wait``): the hub
answers it as soon as a command is queued, so a command arrives within a second or two. The
health worker's own heartbeat answers carry the same commands (``offer``); the record makes
sure each id runs once, whichever way it came. Results go to ``commands/ID/result`` beside the
report URL (the player builds that address itself; it takes no address from the hub), a
screenshot or a log first to ``commands/ID/file``. A result the hub did not take is sent again.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urljoin

import requests

from player.core.config import Config
from player.health.uploader import Backoff, normalise_url
from player.remote.executor import BadCommand, Executor, Outcome, parse_command
from player.remote.record import Entry

log = logging.getLogger(__name__)

MAX_ANSWER = 256 * 1024  # bytes of a hub's answer read at most
FORMAT = 1


class RemoteWorker(threading.Thread):
    """A daemon thread (a held request must not hold the process); ``stop()`` cuts it."""

    def __init__(self, config: Config, executor: Executor,
                 session: requests.Session | None = None,
                 backoff: tuple[float, float] = (5.0, 300.0)) -> None:
        super().__init__(name="remote", daemon=True)
        from player.sync.fetch import make_session

        self.config = config
        self.executor = executor
        self.url = normalise_url(config.health.report_url)
        self.session = session or make_session(retries=0)
        self.session.headers["Authorization"] = f"Bearer {config.health.token}"
        self.backoff = Backoff(*backoff)
        self._stopped = threading.Event()
        self._offered: queue.Queue = queue.Queue()
        self.polls = 0  # answers from the hub (for tests and the benchmark)
        self.hub_holds = True  # False: an older hub that answers at once; poll less often

    def stop(self) -> None:
        from player.sync.fetch import abort_session

        self._stopped.set()
        self._offered.put(None)
        abort_session(self.session)

    def offer(self, answer: dict) -> None:
        """Commands from a heartbeat answer the health worker got (any thread)."""
        commands = answer.get("commands") if isinstance(answer, dict) else None
        if isinstance(commands, list) and commands:
            self._offered.put(commands)

    def run(self) -> None:
        log.info("remote commands: asking %s (allowed here: %s)", self.url,
                 ", ".join(self.config.remote.allowed) or "none")
        try:
            while not self._stopped.is_set():
                try:
                    self._round()
                except requests.RequestException as exc:
                    if self._stopped.is_set():
                        break
                    delay = self.backoff.next_delay()
                    log.info("remote commands: the hub cannot be reached (%s); again in %.0f s",
                             type(exc).__name__, delay)
                    self._wait(delay)
                except Exception:  # the next round may work: commands must not stop for good
                    delay = self.backoff.next_delay()
                    log.exception("remote worker failed; going on in %.0f s", delay)
                    self._wait(delay)
        finally:
            self.session.close()
            self.executor.close()

    def _round(self) -> None:
        self.report_results()
        self._run_offered()
        commands = self.poll()
        self.backoff.reset()
        self.run_commands(commands)
        if not self.hub_holds:
            self._wait(self.config.health.upload_interval)

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake for commands the health worker got, or a stop."""
        try:
            offered = self._offered.get(timeout=max(0.0, seconds))
        except queue.Empty:
            return
        if offered is not None:
            self.run_commands(offered)

    def _run_offered(self) -> None:
        while True:
            try:
                offered = self._offered.get_nowait()
            except queue.Empty:
                return
            if offered is not None:
                self.run_commands(offered)

    def poll(self) -> list:
        """One empty heartbeat POST, held by the hub until a command comes; its commands."""
        wait = int(self.config.remote.poll_wait)
        headers = {"Prefer": f"wait={wait}"} if wait else {}
        body = json.dumps({"format": FORMAT, "cluster": self.config.cluster, "reports": [],
                           "commands": 1}).encode()
        headers["Content-Type"] = "application/json"
        response = self.session.post(self.url, data=body, headers=headers, stream=True,
                                     timeout=(10.0, wait + 20.0))
        try:
            data = _read_json(response)
        finally:
            response.close()
        self.polls += 1
        if response.status_code != 200 or not isinstance(data, dict):
            raise requests.RequestException(f"the hub answered {response.status_code}")
        # only a hub that held the request may be asked again at once
        self.hub_holds = bool(wait) and "Preference-Applied" in response.headers
        commands = data.get("commands")
        if commands is None:
            self.hub_holds = False  # a hub without remote commands
            return []
        if not isinstance(commands, list):
            log.warning("remote commands: the hub's answer has commands that are not a list")
            return []
        return commands

    def run_commands(self, commands: list) -> None:
        for raw in commands[:20]:
            if self._stopped.is_set():
                return
            self.run_one(raw)

    def run_one(self, raw: object) -> None:
        try:
            command = parse_command(raw)
        except BadCommand as exc:
            log.warning("remote commands: ignored %s", exc)
            return
        except ValueError as exc:
            reason, command_id = exc.args[0], exc.args[1]
            kind = str(raw.get("kind", "?"))[:40] if isinstance(raw, dict) else "?"
            outcome = self.executor.refuse(command_id, kind, f"refused: {reason}")
            if outcome is not None:
                self.send(command_id, kind, outcome)
            return
        outcome = self.executor.execute(command)
        if outcome is None:  # taken before: the hub may not have the result yet
            entry = self.executor.record.get(command.id)
            if entry is not None and not entry.reported and entry.state != "running":
                self.send_entry(entry)
            return
        self.send(command.id, command.kind, outcome)

    def send(self, command_id: str, kind: str, outcome: Outcome) -> None:
        try:
            if outcome.file is not None:
                self._post_file(command_id, outcome.file)
            self._post_result(command_id, outcome.state, outcome.reason, outcome.result)
            self.executor.record.reported(command_id)
        except requests.RequestException as exc:
            log.info("remote command %s: result not delivered yet (%s)", command_id, exc)
        finally:
            if outcome.after is not None:
                outcome.after()

    def send_entry(self, entry: Entry) -> None:
        """A result from the record that the hub has not acknowledged (files are not kept:
        a screenshot or a log whose upload failed is reported failed)."""
        state, reason = entry.state, entry.reason
        if entry.kind in ("screenshot", "logs") and state == "done":
            state, reason = "failed", "the file could not be sent; ask again"
        try:
            self._post_result(entry.id, state, reason, entry.result)
            self.executor.record.reported(entry.id)
        except requests.RequestException as exc:
            log.info("remote command %s: result not delivered yet (%s)", entry.id, exc)

    def report_results(self) -> None:
        for entry in self.executor.record.unreported():
            if self._stopped.is_set():
                return
            self.send_entry(entry)

    def _command_url(self, command_id: str, part: str) -> str:
        return urljoin(self.url, f"commands/{quote(command_id, safe='')}/{part}")

    def _post_result(self, command_id: str, state: str, reason: str, result: dict) -> None:
        body = json.dumps({"state": state, "reason": reason, "result": result},
                          ensure_ascii=False).encode()
        response = self.session.post(self._command_url(command_id, "result"), data=body,
                                     headers={"Content-Type": "application/json"},
                                     timeout=(10.0, 30.0))
        response.close()
        _accept(response, command_id)

    def _post_file(self, command_id: str, data: bytes) -> None:
        response = self.session.put(self._command_url(command_id, "file"), data=data,
                                    headers={"Content-Type": "application/octet-stream"},
                                    timeout=(10.0, 120.0))
        response.close()
        _accept(response, command_id)


def _accept(response: requests.Response, command_id: str) -> None:
    if response.status_code == 404:  # the hub forgot it (or it was never this cluster's)
        log.warning("remote command %s: the hub no longer knows it", command_id)
        return
    if response.status_code != 200:
        raise requests.RequestException(f"the hub answered {response.status_code}")


def _read_json(response: requests.Response) -> Any:
    """The answer's JSON, read up to MAX_ANSWER bytes; None when it is not JSON."""
    data = bytearray()
    for chunk in response.iter_content(16384):
        data += chunk
        if len(data) > MAX_ANSWER:
            return None
    try:
        return json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def make_remote(config: Config, inbox: queue.Queue | None, sync_now: Callable[[], str] | None,
                release: Callable[[], Any], system: Any = None) -> RemoteWorker | None:
    """The worker for `run`, or None when remote commands are off or there is no hub."""
    if not config.remote.enabled or not config.health.report_url:
        return None
    from player.remote.executor import LogBuffer
    from player.remote.record import RECORD_FILE, CommandRecord
    from player.remote.system import LinuxSystem

    buffer = LogBuffer()
    logging.getLogger().addHandler(buffer)
    record = CommandRecord(config.state_dir / RECORD_FILE)
    executor = Executor(config, record, system or LinuxSystem(), inbox=inbox, sync_now=sync_now,
                        logs=buffer, release=release)
    return RemoteWorker(config, executor)


__all__ = ["RemoteWorker", "make_remote"]
