"""One round of heartbeat uploads: what the spool holds goes to the hub, with backoff, and the
outcome is kept for status.json."""

from __future__ import annotations

import logging
import sqlite3
import threading

from player.health.handoff import SpoolHandoff
from player.health.reports import iso
from player.health.uploader import MAX_REPORTS, Backoff, Uploader, UploadError

log = logging.getLogger(__name__)


class UploadRound:
    """The uploader (None when no report URL is set) and what status.json says of it."""

    def __init__(self, report_url: str, interval: float) -> None:
        self.interval = interval
        self.uploader: Uploader | None = None
        self.backoff = Backoff(base=min(30.0, interval), cap=1800.0)
        self.state: dict = {"enabled": bool(report_url), "url": report_url, "last_ok": None,
                            "last_attempt": None, "error": None, "status": None,
                            "failing_since": None, "sent_total": 0}

    def connect(self, uploader: Uploader | None) -> None:
        self.uploader = uploader
        if uploader is not None:
            self.state["url"] = uploader.url
        self.backoff = Backoff(base=min(30.0, self.interval), cap=1800.0)

    def close(self) -> None:
        if self.uploader is not None:
            self.uploader.session.close()

    @property
    def sent_total(self) -> int:
        return self.uploader.sent_total if self.uploader else 0

    def run(self, handoff: SpoolHandoff, stop: threading.Event) -> float:
        """Upload what is waiting; returns the seconds until the next try."""
        state, uploader = self.state, self.uploader
        if uploader is None:
            return self.interval
        sent_before = uploader.sent_total
        try:
            uploader.upload_all(handoff.open_spool, max_batches=10, stop=stop)
        except UploadError as exc:
            delay = self.backoff.next_delay()
            if state["error"] != str(exc):
                log.warning("heartbeat upload failed: %s (next try in %.0f s)", exc, delay)
            if not state["error"]:
                state["failing_since"] = iso()
            state.update(error=str(exc), status=exc.status, last_attempt=iso())
            self._note_sent(sent_before)
            return delay
        except sqlite3.Error as exc:
            log.error("cannot read the spool: %s", exc)
            return self.backoff.next_delay()
        self.backoff.reset()
        if handoff.failing:
            self.send_from_memory(uploader, handoff)
        if uploader.posted:  # nothing waiting is not an upload: last_ok stays truthful
            if state["error"]:
                log.info("heartbeat uploads work again")
            state.update(error=None, status=None, failing_since=None, last_attempt=iso())
        self._note_sent(sent_before)
        more = handoff.open_spool.stats().reports > 0
        return 1.0 if more else self.interval

    def send_from_memory(self, uploader: Uploader, handoff: SpoolHandoff) -> None:
        """The spool cannot be written (a full or read-only card): send what waits in memory
        straight to the hub, so that it hears of the failing card now, not after the repair."""
        reports = handoff.take_waiting()
        if not reports:
            return
        numbered = handoff.open_spool.number(reports[-MAX_REPORTS:])
        try:
            acked = set(uploader.send(numbered))
        except UploadError as exc:
            log.info("reports kept in memory not sent either: %s", exc)
            acked = set()
        left = reports[:-MAX_REPORTS] + [r for r in numbered if r["id"] not in acked]
        if left:  # events and plays wait on the board again; routine ones are let go
            handoff.board.give_back(left, sum(1 for r in left if r.get("severity") == "error"))

    def _note_sent(self, before: int) -> None:
        if self.uploader is not None and self.uploader.sent_total > before:
            self.state.update(last_ok=iso(), sent_total=self.uploader.sent_total)
