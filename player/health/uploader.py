"""Sends spooled reports to the hub in order and deletes only what the hub acknowledged.

The hub answers `200 {"ack": [ids]}`; ids not in the ack stay in the spool and go again first
next time, so the order is kept. Failures back off exponentially with jitter.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

import requests

from player.health.reports import FORMAT
from player.health.spool import Spool

log = logging.getLogger(__name__)

MAX_REPORTS = 500
MAX_BYTES = 2_000_000


class UploadError(Exception):
    """A batch was not acknowledged; `status` is the HTTP status when there was an answer."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Backoff:
    """Exponential delays with full jitter between `base` and `cap` seconds."""

    def __init__(self, base: float = 10.0, cap: float = 900.0, rng: random.Random | None = None):
        self.base = base
        self.cap = cap
        self.failures = 0
        self.rng = rng or random.Random()

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next try."""
        self.failures += 1
        ceiling = min(self.cap, self.base * 2 ** min(self.failures - 1, 20))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


class Uploader:
    """Posts batches of reports with the cluster's token (one `requests.Session`, passed in)."""

    def __init__(self, url: str, token: str, cluster: str, session: requests.Session | None = None,
                 timeout: float | tuple[float, float] = 30.0,
                 on_answer: Callable[[dict], None] | None = None):
        self.url = normalise_url(url)
        self.token = token
        self.cluster = cluster
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_reports = MAX_REPORTS
        self.sent_total = 0
        self.posted = 0  # batches the hub answered with an ack list in the last upload_all
        # Told every answer, when set: then the batch says it takes remote commands
        # ("commands": 1) and the answer may carry some (docs/remote.md).
        self.on_answer = on_answer

    def upload_all(self, spool: Spool, max_batches: int = 20,
                   stop: threading.Event | None = None) -> int:
        """Upload until the spool is empty, `max_batches` went or `stop` is set; returns the
        number of reports acknowledged.

        Raises UploadError when a batch fails (what was acknowledged before stays deleted).
        """
        acked = 0
        self.posted = 0
        for _ in range(max_batches):
            if stop is not None and stop.is_set():
                break
            batch = spool.batch(self.max_reports, MAX_BYTES)
            if not batch:
                break
            acked += self.upload_batch(spool, batch)
        return acked

    def upload_batch(self, spool: Spool, batch: list[dict]) -> int:
        try:
            ids = self._post(batch)
        except UploadError as exc:
            if exc.status in (400, 413, 422):
                self._isolate(spool, batch, exc)
                return 0
            raise
        self.posted += 1
        wanted = {report["id"] for report in batch}
        acked = [i for i in ids if i in wanted]
        spool.delete(acked)
        self.sent_total += len(acked)
        if len(acked) < len(batch):
            log.warning("hub acknowledged %d of %d reports; the rest go again",
                        len(acked), len(batch))
        if self.max_reports < MAX_REPORTS:
            self.max_reports = min(MAX_REPORTS, self.max_reports * 2)
        return len(acked)

    def send(self, batch: list[dict]) -> list[str]:
        """Post reports that are in no spool (numbered by `Spool.number`); returns the ids
        the hub acknowledged. Raises UploadError."""
        ids = self._post(batch)
        self.posted += 1
        wanted = {report["id"] for report in batch}
        acked = [i for i in ids if i in wanted]
        self.sent_total += len(acked)
        return acked

    def _isolate(self, spool: Spool, batch: list[dict], exc: UploadError) -> None:
        """Halve the batch until the refused report is alone, then set it aside (kept)."""
        if len(batch) > 1:
            self.max_reports = max(1, len(batch) // 2)
            log.warning("hub refused a batch of %d (%s); retrying with %d", len(batch), exc,
                        self.max_reports)
            return
        log.error("hub refused report seq %s (%s); kept in the spool, no longer sent",
                  batch[0]["seq"], exc)
        spool.reject(batch[0]["id"])

    def _post(self, batch: list[dict]) -> list[str]:
        body: dict[str, Any] = {"format": FORMAT, "cluster": self.cluster, "reports": batch}
        if self.on_answer is not None:
            body["commands"] = 1
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self.session.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except (requests.RequestException, ValueError) as exc:
            # ValueError: a redirect to an address that cannot be parsed (captive portals)
            raise UploadError(f"cannot reach {self.url}: {type(exc).__name__}") from exc
        if response.status_code == 401:
            raise UploadError("the hub refused the token (401): check health.token", 401)
        if response.status_code != 200:
            raise UploadError(f"hub answered {response.status_code}: {_error_text(response)}",
                              response.status_code)
        try:
            answer = response.json()
            ack = answer["ack"]
            if not isinstance(ack, list):
                raise TypeError("ack is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise UploadError(f"hub answered 200 without an ack list ({exc})", 200) from exc
        if self.on_answer is not None:
            try:
                self.on_answer(answer)
            except Exception:  # the reports were acknowledged whatever the commands are
                log.exception("handing on the hub's answer failed")
        return [str(i) for i in ack]


def normalise_url(url: str) -> str:
    """The report URL without trailing slashes: the hub's endpoint is `/api/v1/heartbeats`,
    and `/api/v1/heartbeats/` answers 404 to every upload."""
    base, sep, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    if "/" in rest.strip("/"):  # a path beyond the host: drop the slashes that end it
        base = f"{scheme}://{rest.rstrip('/')}"
    return base + sep + query


def _error_text(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", ""))[:200]
    except (ValueError, AttributeError):
        return response.text[:200].strip()
