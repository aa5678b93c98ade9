"""The players' side of remote commands: results and files, with the cluster's own token.

  POST /api/v1/commands/ID/result   {"state": "done"|"failed", "reason": "...", "result": {...}}
  PUT  /api/v1/commands/ID/file     the screenshot (JPEG) or the logs (gzip), raw bytes

A token names its cluster; a command of another cluster is answered 404, like one that does not
exist. Bodies are capped before they are read (remote.MAX_RESULT_BYTES, MAX_FILE_BYTES).
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
    from player.hub.app import HttpError, json_answer, read_body, refuse

    async def cluster_of(request: Request) -> str:
        token = bearer_token(request.headers.get("authorization"))
        for entry in hub.config.clusters.values():
            if token and hmac.compare_digest(entry.token.encode(), token.encode()):
                return str(entry.id)
        raise await refuse(request, 401, "unknown cluster token")

    def command_id(request: Request) -> str:
        value = request.path_params["command_id"]
        if not ID_PATTERN.match(value):
            raise HttpError(404, "no such command")
        return str(value)

    async def result(request: Request) -> Response:
        cluster = await cluster_of(request)
        cid = command_id(request)
        body = await read_body(request, MAX_RESULT_BYTES)
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
        command = await run_in_threadpool(hub.commands.finish, cluster, cid, data["state"],
                                          reason, outcome)
        if command is None:
            raise HttpError(404, "no such command")
        people = getattr(request.app.state, "people", None)
        if people is not None:
            await run_in_threadpool(
                people.audit.record, f"cluster:{cluster}", f"command.{data['state']}", cluster,
                {"id": cid, "kind": command.kind, "reason": reason[:300]})
        return json_answer(200, {"id": cid, "state": command.state})

    async def file(request: Request) -> Response:
        cluster = await cluster_of(request)
        cid = command_id(request)
        body = await read_body(request, MAX_FILE_BYTES)
        if not body:
            raise HttpError(422, "the file is empty")
        if not await run_in_threadpool(hub.commands.attach, cluster, cid, body):
            raise HttpError(404, f"no such command taking a file ({', '.join(FILE_TYPES)})")
        return json_answer(200, {"id": cid, "stored": len(body)})

    app.router.routes.append(Route("/api/v1/commands/{command_id}/result", result,
                                   methods=["POST"]))
    app.router.routes.append(Route("/api/v1/commands/{command_id}/file", file, methods=["PUT"]))


__all__ = ["install_remote_api"]
