"""Remote commands on a cluster's page: the buttons, each command's state and its result.

Who may send what (docs/remote.md): screenshot, logs, identify and sync_now need an editor (or
more); restart_player, reboot and screen on/off need an approver (or an admin). Viewers see the
list. Every queued command is in the audit log. The panel works without JavaScript (forms and
the page's own refresh); /static/remote.js refreshes it every two seconds while a command is
open and filters a log as one types.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from player.hub import pages
from player.hub.accounts import Session, role_allows
from player.hub.remote import KINDS, CommandRefused, CommandStore, new_id
from player.hub.web.security import (
    FleetReader,
    client_address,
    csrf_protect,
    current_session,
    html,
    page_context,
    people,
    require_role,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])
EditorSession = Annotated[Session, Depends(require_role("editor"))]
SCRIPT = (Path(__file__).resolve().parent.parent / "static" / "remote.js").read_bytes()
MAX_LOG_LINES = 5000  # lines shown on the log page (the rest: download the file)

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "heading": "Điều khiển từ xa",
        "intro": "Lệnh được gửi tới cụm ở lần liên lạc kế tiếp (vài giây khi cụm có mạng).",
        "kind_screenshot": "Chụp màn hình", "kind_logs": "Lấy nhật ký",
        "kind_sync_now": "Đồng bộ ngay", "kind_identify": "Hiện thông tin nhận dạng",
        "kind_restart_player": "Khởi động lại trình phát", "kind_reboot": "Khởi động lại máy",
        "kind_screen": "Bật / tắt màn hình", "screen_on": "Bật màn hình",
        "screen_off": "Tắt màn hình", "minutes": "phút",
        "state_queued": "Đang chờ gửi", "state_delivered": "Đã gửi tới cụm",
        "state_done": "Xong", "state_failed": "Thất bại", "state_expired": "Hết hạn",
        "none": "Chưa có lệnh nào.", "by": "bởi", "reason": "Lý do",
        "view_log": "Xem nhật ký", "download": "Tải tệp nén", "search": "Tìm",
        "search_placeholder": "Tìm trong nhật ký…", "lines": "{n} dòng",
        "no_log": "Chưa có nhật ký.", "sync_result": "Kết quả đồng bộ",
        "identify_result": "Đang hiện trên màn hình", "careful": "Cần quyền duyệt",
        "queued_ok": "Đã xếp lệnh.", "log_title": "Nhật ký của cụm",
        "back": "← Về trang cụm", "expires": "hết hạn",
        "remote_rate": "Quá nhiều lệnh cho cụm này; hãy chờ vài phút.",
        "remote_bad_kind": "Lệnh không hợp lệ.",
        "remote_bad_arguments": "Tham số của lệnh không hợp lệ.",
        "remote_bad_id": "Biểu mẫu đã cũ; hãy tải lại trang.",
        "no_cluster": "Không có cụm này.", "forbidden": "Bạn không có quyền gửi lệnh này.",
    },
    "en": {
        "heading": "Remote commands",
        "intro": "A command reaches the cluster at its next contact (seconds while it is online).",
        "kind_screenshot": "Screenshot now", "kind_logs": "Send the logs",
        "kind_sync_now": "Sync now", "kind_identify": "Show identification",
        "kind_restart_player": "Restart the player", "kind_reboot": "Reboot the box",
        "kind_screen": "Screen on / off", "screen_on": "Screen on",
        "screen_off": "Screen off", "minutes": "minutes",
        "state_queued": "Queued", "state_delivered": "Delivered",
        "state_done": "Done", "state_failed": "Failed", "state_expired": "Expired",
        "none": "No commands yet.", "by": "by", "reason": "Reason",
        "view_log": "View the log", "download": "Download (gzip)", "search": "Search",
        "search_placeholder": "Search the log…", "lines": "{n} lines",
        "no_log": "No log yet.", "sync_result": "Sync outcome",
        "identify_result": "On screen", "careful": "Needs an approver",
        "queued_ok": "Command queued.", "log_title": "Cluster log",
        "back": "← Back to the cluster", "expires": "expires",
        "remote_rate": "Too many commands for this cluster; wait a few minutes.",
        "remote_bad_kind": "Not a known command.",
        "remote_bad_arguments": "The command's arguments are not valid.",
        "remote_bad_id": "The form was stale; reload the page.",
        "no_cluster": "No such cluster.", "forbidden": "You may not send this command.",
    },
}


def commands(request: Request) -> CommandStore:
    store: CommandStore = request.app.state.hub.commands
    return store


def panel_context(request: Request, cluster_id: str) -> dict[str, Any]:
    """What remote_panel.html needs; empty (no panel) for a visitor without a login."""
    session = current_session(request)
    if session is None or not hasattr(request.app.state, "hub"):
        return {}
    lang = pages.pick_lang(request.query_params)
    role = session.user.role
    buttons = [{"kind": k.name, "id": new_id(), "arguments": k.arguments,
                "careful": k.role != "editor"}
               for k in KINDS.values() if role_allows(role, k.role)]
    listed = commands(request).recent(cluster_id)
    base = f"/clusters/{quote(cluster_id, safe='')}/commands"
    return {"t": TEXT[lang], "buttons": buttons, "commands": listed, "base": base,
            "open": any(c.open for c in listed), "cluster_id": cluster_id,
            "lang_query": "?lang=en" if lang == "en" else ""}


def _refused(request: Request, status: int, key: str, detail: str = "") -> Response:
    lang = pages.pick_lang(request.query_params)
    page = pages.Page(lang, path=request.url.path)
    message = TEXT[lang].get(key, key) + (f" ({detail})" if detail else "")
    return html(pages.render("error.html", page, status=status, heading=page.t["error"],
                             message=message, **page_context(request)), status)


@router.post("/clusters/{cluster_id}/commands")
async def queue_command(cluster_id: str, request: Request, session: EditorSession) -> Response:
    form = await request.form()
    kind_name = str(form.get("kind") or "")
    hub = people(request)
    kind = KINDS.get(kind_name)
    address = client_address(request)
    if kind is not None and not role_allows(session.user.role, kind.role):
        hub.audit.record(session.user.name, "command.refused", cluster_id,
                         {"kind": kind_name, "reason": "role"}, address)
        return _refused(request, 403, "forbidden")
    arguments = {k: str(form.get(k) or "") for k in (kind.arguments if kind else {})}
    try:
        command, new = commands(request).queue(cluster_id, kind_name, arguments,
                                               session.user.name, str(form.get("command_id") or ""))
    except CommandRefused as exc:
        hub.audit.record(session.user.name, "command.refused", cluster_id[:200],
                         {"kind": kind_name[:40], "reason": exc.message}, address)
        return _refused(request, exc.status, exc.key, exc.message if exc.status == 422 else "")
    if new:
        hub.audit.record(session.user.name, f"command.{command.kind}", cluster_id,
                         {"id": command.id, "arguments": command.arguments}, address)
    page = pages.Page(pages.pick_lang(request.query_params))
    return RedirectResponse(page.cluster_link(cluster_id) + "#remote", 303)


@router.get("/clusters/{cluster_id}/commands/panel")
def panel(cluster_id: str, request: Request, _: FleetReader) -> Response:
    """The panel alone, for the page's script to swap in."""
    if cluster_id not in commands(request).clusters():
        return _refused(request, 404, "no_cluster")
    page = pages.Page(pages.pick_lang(request.query_params), people(request).clock())
    text = pages.environment().get_template("remote_panel.html").render(
        p=page, remote=panel_context(request, cluster_id), **page_context(request))
    return html(text)


@router.get("/clusters/{cluster_id}/commands/{command_id}/file")
def command_file(cluster_id: str, command_id: str, request: Request,
                 _: FleetReader) -> Response:
    found = commands(request).file(cluster_id, command_id)
    if found is None:
        return _refused(request, 404, "no_log")
    data, media_type = found
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    if media_type != "image/jpeg":
        headers["Content-Disposition"] = f'attachment; filename="{cluster_id}-{command_id}.log.gz"'
    return Response(data, media_type=media_type, headers=headers)


@router.get("/clusters/{cluster_id}/commands/{command_id}/log")
def command_log(cluster_id: str, command_id: str, request: Request,
                _: FleetReader) -> Response:
    """The log a `logs` command brought back, filtered by ``?q=`` (also without JavaScript)."""
    store = commands(request)
    command = store.get(cluster_id, command_id)
    found = store.file(cluster_id, command_id)
    lang = pages.pick_lang(request.query_params)
    query = (request.query_params.get("q") or "")[:200]
    lines = _log_lines(found[0]) if found and found[1] == "application/gzip" else []
    if query:
        lines = [line for line in lines if query.casefold() in line.casefold()]
    page = pages.Page(lang, people(request).clock(), request.url.path,
                      {"q": query} if query else {})
    return html(pages.render(
        "remote_log.html", page, t=TEXT[lang], command=command, lines=lines[-MAX_LOG_LINES:],
        query=query, cluster_id=cluster_id, base=f"/clusters/{quote(cluster_id, safe='')}/commands",
        **page_context(request)))


@router.get("/static/remote.js")
def script() -> Response:
    return Response(SCRIPT, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def _log_lines(data: bytes) -> list[str]:
    try:  # at most 16 MB out of whatever came in: a small file may unpack to gigabytes
        text = zlib.decompressobj(wbits=31).decompress(data, 16 * 1024 * 1024)
    except zlib.error:
        return []
    return text.decode("utf-8", errors="replace").splitlines()


__all__ = ["router", "panel_context", "TEXT"]
