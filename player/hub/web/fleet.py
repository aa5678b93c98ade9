"""The fleet page, the cluster pages, screenshots and their JSON, for people.

Behind a login (viewer or more) unless hub.yaml sets ``public_fleet: true``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from player.hub import page_text, pages, triage
from player.hub.web import remote
from player.hub.web.security import FleetReader, html, page_context, people

router = APIRouter()


def _not_found(request: Request, message: str, key: str) -> Response:
    """404: the English message for scripts, the page's language for people."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, 404)
    lang = pages.pick_lang(request.query_params)
    text = page_text.TEXT[lang][key]
    return html(pages.render_error(404, text, lang, **page_context(request)), 404)


@router.api_route("/", methods=["GET", "HEAD"])
def fleet_page(request: Request, _: FleetReader) -> Response:
    hub = people(request)
    text = pages.render_fleet(hub.fleet.fleet(), pages.pick_lang(request.query_params),
                              hub.settings.alerts, **page_context(request))
    return html(text)


@router.api_route("/clusters/{cluster_id}", methods=["GET", "HEAD"])
def cluster_page(cluster_id: str, request: Request,
                 _: FleetReader) -> Response:
    hub = people(request)
    range_key = pages.pick_range(request.query_params)
    detail = hub.fleet.cluster(cluster_id, pages.RANGES[range_key])
    if detail is None:
        return _not_found(request, "no such cluster", "no_cluster")
    text = pages.render_cluster(detail, pages.pick_lang(request.query_params), hub.clock(),
                                hub.settings.alerts, range_key, **page_context(request),
                                remote=remote.panel_context(request, cluster_id))
    return html(text)


@router.api_route("/clusters/{cluster_id}/screenshot.jpg", methods=["GET", "HEAD"])
def screenshot(cluster_id: str, request: Request,
               _: FleetReader) -> Response:
    found = people(request).fleet.screenshot(cluster_id)
    if found is None:
        return _not_found(request, "no screenshot yet", "no_screenshot")
    return Response(found[0], media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=60",
                             "X-Content-Type-Options": "nosniff"})


@router.api_route("/api/v1/fleet", methods=["GET", "HEAD"])
def fleet_json(request: Request, _: FleetReader) -> Response:
    hub = people(request)
    fleet = hub.fleet.fleet()
    data = fleet.to_json()
    verdicts = {c.id: v for c, v in triage.order(fleet.clusters, hub.settings.alerts)}
    for cluster in data["clusters"]:  # the page's combined status, for scripts and monitors
        cluster["verdict"] = verdict_json(verdicts[cluster["id"]])
    data["verdict_counts"] = triage.counts(list(verdicts.values()))
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


def verdict_json(verdict: triage.Verdict) -> dict:
    return {"level": verdict.level, "status": verdict.status,
            "problems": [{"code": p.code, "level": p.level, "values": p.values}
                         for p in verdict.problems]}


@router.api_route("/api/v1/clusters/{cluster_id}", methods=["GET", "HEAD"])
def cluster_json(cluster_id: str, request: Request,
                 _: FleetReader) -> Response:
    days = request.query_params.get("days", "7")
    range_key = request.query_params.get("range")
    count = pages.RANGES[range_key] if range_key in pages.RANGES else (
        min(max(int(days), 1), 366) if days.isdigit() and len(days) < 4 else 7)
    detail = people(request).fleet.cluster(cluster_id, count)
    if detail is None:
        return _not_found(request, "no such cluster", "no_cluster")
    return JSONResponse(detail.to_json(), headers={"Cache-Control": "no-store"})
