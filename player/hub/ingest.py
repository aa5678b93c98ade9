"""Heartbeat batches: checking them at the door (``heartbeat_store`` keeps them).

A batch is `{"format": 1, "cluster": ID, "reports": [...]}`. Problems with the batch as a whole
refuse it (400 malformed, 413 too large, 422 wrong shape). A single bad report inside a good
batch is kept in the `rejected` table with the reason and acknowledged like the others: the
player would otherwise send it again forever, holding up everything spooled behind it.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from player.hub.config import HubConfig
from player.hub.reports import MAX_ID_LENGTH, REPORT_MODELS, BatchEnvelope, PlayReport

log = logging.getLogger(__name__)

KINDS = tuple(REPORT_MODELS)


class BatchError(Exception):
    """The batch is refused as a whole; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class ReportError(ValueError):
    """One report is malformed; the message names the key."""


@dataclass(frozen=True)
class Report:
    """One validated report, ready to store."""

    id: str
    cluster: str
    kind: str
    seq: int
    boot_id: str
    time: float  # unix seconds, from the device clock
    clock_synced: bool
    body: dict


@dataclass(frozen=True)
class Batch:
    cluster: str
    reports: tuple[Report, ...]
    rejected: tuple[tuple[str, str, Any], ...]  # (id, reason, raw report)
    takes_commands: bool = False  # the player said "commands": 1 (docs/remote.md)


def check_token(config: HubConfig, cluster: str, authorization: str | None) -> None:
    """Raise BatchError(401) unless `authorization` is the bearer token of a known cluster."""
    token = bearer_token(authorization)
    if token is None:
        raise BatchError(401, "missing Authorization: Bearer <token> header")
    entry = config.clusters.get(cluster)
    if entry is None:
        raise BatchError(401, f'unknown cluster "{cluster}": add it to the hub configuration')
    if not hmac.compare_digest(entry.token.encode(), token.encode()):
        raise BatchError(401, f'wrong token for cluster "{cluster}"')


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def read_batch(body: bytes, authorization: str | None, config: HubConfig) -> Batch:
    """Decode, authenticate and validate a batch, in that order; BatchError when refused."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: JSONDecodeError, huge ints
        raise BatchError(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BatchError(422, "expected a JSON object with format, cluster and reports")
    cluster = data.get("cluster")
    if not isinstance(cluster, str) or not cluster:
        raise BatchError(422, "cluster: expected the cluster id as text")
    check_token(config, cluster, authorization)
    try:
        reports = BatchEnvelope.model_validate(data).reports
    except ValidationError as exc:
        raise BatchError(422, _first_problem(exc)) from None
    limit = config.limits.max_batch_reports
    if len(reports) > limit:
        raise BatchError(413, f"reports: at most {limit} reports a batch, got {len(reports)}")
    for index, raw in enumerate(reports):
        if not isinstance(raw, dict) or not _is_id(raw.get("id")):
            raise BatchError(422, f"reports[{index}].id: every report needs an id (text, at "
                                  f"most {MAX_ID_LENGTH} characters)")
    batch = check_batch(cluster, reports)
    if data.get("commands") == 1:  # the player takes remote commands in the answer
        batch = dataclasses.replace(batch, takes_commands=True)
    return batch


def check_batch(cluster: str, raw_reports: list) -> Batch:
    """Validate every report; bad ones are set aside with their reason."""
    good, rejected = [], []
    for index, raw in enumerate(raw_reports):
        try:
            good.append(check_report(raw, cluster))
        except ReportError as exc:
            rejected.append((raw["id"], f"reports[{index}].{exc}", raw))
    return Batch(cluster, tuple(good), tuple(rejected))


def check_report(raw: dict, cluster: str) -> Report:
    """Validate one report against its kind's model; ReportError names the first bad key."""
    if raw.get("cluster") != cluster:
        raise ReportError(f'cluster: expected "{cluster}" like the batch, got '
                          f'{json.dumps(raw.get("cluster"))[:80]}')
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ReportError(f"kind: expected one of {', '.join(KINDS)}, got "
                          f"{json.dumps(kind)[:80]}")
    try:
        model = REPORT_MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        raise ReportError(_first_problem(exc)) from None
    moment = parse_time(model.time, "time")
    if isinstance(model, PlayReport) and parse_time(model.end, "end") < parse_time(model.start,
                                                                                   "start"):
        raise ReportError("end: earlier than start")
    return Report(model.id, cluster, kind, model.seq, model.boot_id, moment, model.clock_synced,
                  raw)


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    path = ".".join(str(part) for part in error["loc"]) or "report"
    return f"{path}: {error['msg']}"[:300]


def parse_time(value: object, key: str) -> float:
    """ISO 8601 (a `Z` or an offset; a naive time is taken as UTC) -> unix seconds."""
    if not isinstance(value, str) or len(value) > 40:
        raise ReportError(f"{key}: expected an ISO 8601 time like 2026-11-26T08:00:00Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ReportError(f'{key}: "{value}" is not an ISO 8601 time') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


__all__ = ["BatchError", "ReportError", "Report", "Batch", "read_batch", "check_batch",
           "check_report", "check_token", "bearer_token", "parse_time"]
