"""The players' side of remote commands: results and files, with the cluster's own token.

  POST /api/v1/commands/ID/result   {"state": "done"|"failed", "reason": "...", "result": {...}}
  PUT  /api/v1/commands/ID/file     the screenshot (JPEG) or the logs (gzip), raw bytes

A token names its cluster; a command of another cluster is answered 404, like one that does not
exist. Bodies are capped before they are read (remote.MAX_RESULT_BYTES, MAX_FILE_BYTES).
The hub's app imports this module, so its helpers (HttpError, read_body, ...) are imported
when a request comes.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from player.hub.ingest import bearer_token
from player.hub.remote import FILE_TYPES, ID_PATTERN, MAX_FILE_BYTES, MAX_RESULT_BYTES

log = logging.getLogger(__name__)


def install_remote_api(app: FastAPI, hub: Any) -> None:
    """Add the result and file routes to the hub's app."""
    api = RemoteApi(hub)
    app.router.routes.append(Route("/api/v1/commands/{command_id}/result", api.result,
                                   methods=["POST"]))
    app.router.routes.append(Route("/api/v1/commands/{command_id}/file", api.file,
                                   methods=["PUT"]))


class RemoteApi:
    """The players' two endpoints over one hub (``hub.config`` for tokens, ``hub.commands``)."""

    def __init__(self, hub: Any):
        self.hub = hub

    async def result(self, request: Request) -> Response:
        from player.hub.app import HttpError, json_answer, read_body

        cluster = await self.cluster_of(request)
        cid = command_id(request)
        state, reason, outcome = read_result(await read_body(request, MAX_RESULT_BYTES))
        command = await run_in_threadpool(self.hub.commands.finish, cluster, cid, state,
                                          reason, outcome)
        if command is None:
            raise HttpError(404, "no such command")
        people = getattr(request.app.state, "people", None)
        if people is not None:
            await run_in_threadpool(
                people.audit.record, f"cluster:{cluster}", f"command.{state}", cluster,
                {"id": cid, "kind": command.kind, "reason": reason[:300]})
        return json_answer(200, {"id": cid, "state": command.state})

    async def file(self, request: Request) -> Response:
        from player.hub.app import HttpError, json_answer, read_body

        cluster = await self.cluster_of(request)
        cid = command_id(request)
        body = await read_body(request, MAX_FILE_BYTES)
        if not body:
            raise HttpError(422, "the file is empty")
        if not await run_in_threadpool(self.hub.commands.attach, cluster, cid, body):
            raise HttpError(404, f"no such command taking a file ({', '.join(FILE_TYPES)})")
        return json_answer(200, {"id": cid, "stored": len(body)})

    async def cluster_of(self, request: Request) -> str:
        """The cluster whose token the request bears; refused with 401 otherwise."""
        from player.hub.app import refuse

        token = bearer_token(request.headers.get("authorization"))
        for entry in self.hub.config.clusters.values():
            if token and hmac.compare_digest(entry.token.encode(), token.encode()):
                return str(entry.id)
        raise await refuse(request, 401, "unknown cluster token")


def command_id(request: Request) -> str:
    from player.hub.app import HttpError

    value = request.path_params["command_id"]
    if not ID_PATTERN.match(value):
        raise HttpError(404, "no such command")
    return str(value)


def read_result(body: bytes) -> tuple[str, str, dict]:
    """(state, reason, result) of a result's JSON body; HttpError 400 or 422 when malformed."""
    from player.hub.app import HttpError

    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HttpError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict) or data.get("state") not in ("done", "failed"):
        raise HttpError(422, 'state: expected "done" or "failed"')
    reason = data.get("reason") or ""
    outcome = data.get("result") or {}
    if not isinstance(reason, str) or not isinstance(outcome, dict):
        raise HttpError(422, "reason: expected text; result: expected an object")
    return data["state"], reason, outcome


__all__ = ["install_remote_api"]
