"""Programme pages: list, import, editor, approval, rollback and staging, keys, emergency.

No JavaScript (the hub's pages forbid scripts): the editor's buttons post the whole form and
the page comes back with the change made, unsaved until "Save". An edit posted after the
session expired is kept (``ProgrammeStore.stash``) for the browser that posted it and comes
back in the editor after the login.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from player.core.problems import LoadError
from player.hub.accounts import Session, same_token
from player.hub.approval import ApprovalRefused, ProgrammeDesk
from player.hub.approvers import ApproverKeys, PassphraseError
from player.hub.preview import PreviewError
from player.hub.programme_check import check_text, load_document, read_upload, release_folder
from player.hub.programme_diff import diff_items
from player.hub.programme_form import (
    apply_operation,
    document_form,
    dump_yaml,
    form_document,
    posted_form,
)
from player.hub.programme_media import connect
from player.hub.programme_pages import ProgrammePage, render
from player.hub.programme_preview import PreviewUnavailable, TargetScreen, preview_ready, target_screens, week_rows
from player.hub.programme_sources import FolderMediaSource, MediaItem, media_by_path
from player.hub.programme_translations import missing_translations, translation_table
from player.hub.programmes import ProgrammeStore, SaveConflict, StashFull
from player.hub.releases import on_air
from player.hub.upload import UploadRefused
from player.hub.web.security import (
    SESSION_COOKIE,
    Forbidden,
    client_address,
    csrf_protect,
    current_session,
    html,
    is_https,
    origin_ok,
    page_context,
    people,
    require_role,
)

log = logging.getLogger(__name__)
STASH_COOKIE = "hub_edit_stash"
MAX_IMPORT = 1_000_000

router = APIRouter()
Viewer = Annotated[Session, Depends(require_role("viewer"))]
Editor = Annotated[Session, Depends(require_role("editor"))]
Approver = Annotated[Session, Depends(require_role("approver"))]
Protected = [Depends(csrf_protect)]


def install(app: FastAPI) -> None:
    """Mount the programme pages; the desk is built over the hub of ``app.state.hub``."""
    hub = app.state.hub
    engine = hub.store.engine
    keys = ApproverKeys(engine, hub.clock)
    # approvers' keys are accepted on every channel: the upload API and the hub's own releases
    hub.publisher.extra_keys = keys.public_keys
    store = ProgrammeStore(engine, hub.clock)
    service = getattr(app.state, "media", None)
    if service is not None:  # the media library and its preview renderer (docs/hub-media.md)
        app.state.programmes = ProgrammeDesk(
            store, keys, hub.publisher, hub.config, connect(service.library, store),
            service.previews, clock=hub.clock)
    else:
        app.state.programmes = ProgrammeDesk(
            store, keys, hub.publisher, hub.config, FolderMediaSource(Path(hub.root) / "media"),
            clock=hub.clock)
    app.include_router(router)


def desk(request: Request) -> ProgrammeDesk:
    return request.app.state.programmes


def make_page(request: Request, path: str, **query: str) -> ProgrammePage:
    from player.hub import pages

    return ProgrammePage(pages.pick_lang(request.query_params), desk(request).clock(), path,
                         {k: v for k, v in query.items() if v})


def audit(request: Request, session: Session, action: str, target: str,
          detail: dict | None = None) -> None:
    people(request).audit.record(session.user.name, action, target, detail or {},
                                 client_address(request))


def redirect(page: ProgrammePage, path: str, **params: str) -> Response:
    return RedirectResponse(page.link(path, **params), 303)


def programme_or_404(request: Request, programme_id: int) -> Any:
    from player.hub.app import HttpError

    programme = desk(request).store.get(programme_id)
    if programme is None:
        raise HttpError(404, "no such programme")
    return programme


# -- list, create, import --------------------------------------------------------------------

def list_page(request: Request, status: int = 200, problems: list[str] | None = None) -> Response:
    page = make_page(request, "/programmes")
    d = desk(request)
    rows = [(p, d.store.version(p.id)) for p in d.store.all()]
    return html(render("programmes.html", page, rows=rows, problems=problems or [],
                       screens=screens(request), **page_context(request)), status)


@router.get("/programmes")
def programmes_page(request: Request, _: Viewer) -> Response:
    return list_page(request)


@router.post("/programmes", dependencies=Protected)
async def create_programme(request: Request, session: Editor) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()[:200] or "Chương trình mới"
    programme = desk(request).store.create(name, session.user.name)
    audit(request, session, "programme.create", str(programme.id), {"name": name})
    return redirect(make_page(request, "/"), f"/programmes/{programme.id}/edit")


@router.post("/programmes/import", dependencies=Protected)
async def import_programme(request: Request, session: Editor) -> Response:
    form = await request.form()
    upload = form.get("file")
    page = make_page(request, "/programmes")
    if upload is None or isinstance(upload, str):
        return list_page(request, 422, [page.t["import_file"]])
    data = await upload.read(MAX_IMPORT + 1)
    file = Path((upload.filename or "").replace("\x00", "")).name[:100]
    if file in ("", ".", ".."):  # no name part: it would be the temporary folder itself
        file = "playlist.yaml"
    if len(data) > MAX_IMPORT:
        return list_page(request, 413, [page.text("import_large", file=file,
                                                  limit=MAX_IMPORT // 1000)])
    try:
        text, parsed = read_upload(data, page.lang, file)
    except LoadError as exc:
        return list_page(request, 422, [str(p) for p in exc.problems])
    name = str(parsed.get("name") if isinstance(parsed, dict) and parsed.get("name") else file)
    programme = desk(request).store.create(name[:200], session.user.name, text)
    audit(request, session, "programme.import", str(programme.id), {"file": file})
    return redirect(page, f"/programmes/{programme.id}")


# -- one programme ---------------------------------------------------------------------------

def screens(request: Request) -> list:
    return desk(request).screens(people(request).fleet)


@router.get("/programmes/{programme_id:int}")
def programme_page(programme_id: int, request: Request, _: Viewer) -> Response:
    programme = programme_or_404(request, programme_id)
    d = desk(request)
    page = make_page(request, f"/programmes/{programme_id}")
    version = d.store.version(programme_id)
    assert version is not None
    langs, rows = translation_table(version.data, version.basis)
    text = render("programme.html", page, programme=programme, version=version,
                  versions=d.store.versions(programme_id),
                  problems=check_text(version.yaml, media_by_path(d.media), page.lang),
                  langs=langs, rows=rows, screens=screens(request),
                  channels=channel_choices(d), message=message_for(request, page),
                  **preview_context(request, version, page.lang), **page_context(request))
    return html(text)


def message_for(request: Request, page: ProgrammePage) -> str:
    q = request.query_params
    text = done_message(q, page)
    if text and q.get("refused"):
        text += " " + page.error("publish", {"message": q.get("refused", "")})
    return text


def done_message(q: Any, page: ProgrammePage) -> str:
    if q.get("approved"):
        return page.text("approved", n=q.get("approved", ""), channels=q.get("channels", ""))
    if q.get("rolled_back"):
        return page.text("rolled_back", n=q.get("rolled_back", ""), old=q.get("old", ""))
    if q.get("staged"):
        return page.text("staged", n=q.get("staged", ""), channels=q.get("channels", ""))
    return ""


def channel_choices(d: ProgrammeDesk) -> list[tuple[str, list[str]]]:
    return [(c, [d.config.clusters[x].label for x in d.clusters_of(c)]) for c in d.channels()]


@router.get("/programmes/{programme_id:int}/contact-sheet.png")
async def contact_sheet(programme_id: int, request: Request, _: Viewer) -> Response:
    """The newest version's contact sheet from the hub's preview renderer (a worker's job)."""
    from player.hub.app import HttpError

    d = desk(request)
    programme_or_404(request, programme_id)
    version = d.store.version(programme_id)
    assert version is not None
    size, rotation = screen_query(request)

    def render_sheet() -> bytes:
        with release_folder(version.yaml, media_by_path(d.media), real=True) as playlist:
            return d.previewer.contact_sheet(playlist, size, rotation).read_bytes()

    try:
        png = await rendering(render_sheet)
    except PreviewUnavailable as exc:
        raise HttpError(404, str(exc)) from None
    except PreviewError as exc:  # the playlist does not load, or the worker failed
        raise HttpError(422, str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


# -- previews: each slide at each target screen, and the week ------------------------------

def preview_screens(request: Request) -> list[TargetScreen]:
    """The screens to preview on: the clusters' reported ones, else the library's setting."""
    d, hub = desk(request), request.app.state.hub
    service = getattr(request.app.state, "media", None)
    fallback = service.library.settings.screen if service is not None else (1920, 1080)
    clusters = [(c, d.config.clusters[c].label) for c in d.config.clusters]
    return target_screens(hub.store, clusters, fallback)


def screen_query(request: Request) -> tuple[tuple[int, int], int]:
    """``size=WxH&rotation=R`` of a preview's address (the first target screen without)."""
    try:
        w, h = (int(n) for n in request.query_params.get("size", "").split("x"))
        rotation = int(request.query_params.get("rotation", "0"))
    except ValueError:
        first = preview_screens(request)[0]
        return first.size, first.rotation
    if not (16 <= w <= 7680 and 16 <= h <= 7680) or rotation not in (0, 90, 180, 270):
        first = preview_screens(request)[0]
        return first.size, first.rotation
    return (w, h), rotation


def item_positions(data: Any) -> dict[str, int]:
    """item id (as ``diff_items`` names it) -> its position, which is its slide's number."""
    items = data.get("items") if isinstance(data, dict) else None
    return {str(i.get("id") or f"item{n + 1}"): n for n, i in
            enumerate(items if isinstance(items, list) else []) if isinstance(i, dict)}


# A page with many slides asks for them all at once; they wait here, holding no thread, so the
# web server's thread pool stays free for the other pages while the worker draws. One limiter
# an event loop (a limiter belongs to the loop it was made in).
_PREVIEW_THREADS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


async def rendering(draw: Callable[[], bytes]) -> bytes:
    import asyncio

    import anyio

    loop = asyncio.get_running_loop()
    limiter = _PREVIEW_THREADS.get(loop)
    if limiter is None:
        limiter = _PREVIEW_THREADS[loop] = anyio.CapacityLimiter(2)
    return await anyio.to_thread.run_sync(draw, limiter=limiter)


def slide_items(data: Any) -> list[dict[str, str]]:
    """id and kind of each item, in order: one slide each."""
    items = data.get("items") if isinstance(data, dict) else None
    found = []
    for n, entry in enumerate(items if isinstance(items, list) else []):
        entry = entry if isinstance(entry, dict) else {}
        kind = "video" if "video" in entry else "image" if "image" in entry else "text"
        found.append({"id": str(entry.get("id") or f"item{n + 1}"), "kind": kind})
    return found


def preview_context(request: Request, version: Any, lang: str,
                    week: bool = True) -> dict[str, Any]:
    """What the preview and week sections of a page need for ``version``."""
    d = desk(request)
    ready = preview_ready(d.previewer)
    return {"preview": ready, "preview_screens": preview_screens(request) if ready else [],
            "slide_items": slide_items(version.data) if version else [],
            "week": week_view(request, version.yaml, lang) if version and week else None}


async def slide_png(request: Request, text: str, media: dict, index: int) -> Response:
    from player.hub.app import HttpError

    d = desk(request)
    size, rotation = screen_query(request)

    def render_one() -> bytes:
        with release_folder(text, media, real=True) as playlist:
            try:
                slides = d.previewer.render_slides(playlist, size, rotation)
            except PreviewError as exc:  # the temporary folder means nothing to the reader
                raise PreviewError(str(exc).replace(str(playlist.parent) + "/", "")) from None
            found = next((s for s in slides if s.index == index), None)
            if found is None:
                raise PreviewError(f"no slide {index + 1}")
            return found.png.read_bytes()  # while the folder a renderer may draw in exists

    try:
        png = await rendering(render_one)
    except PreviewUnavailable as exc:
        raise HttpError(404, str(exc)) from None
    except PreviewError as exc:
        raise HttpError(422, str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get("/programmes/{programme_id:int}/v{number:int}/slide-{index:int}.png")
async def version_slide(programme_id: int, number: int, index: int, request: Request,
                        _: Viewer) -> Response:
    """One slide of one saved version, drawn by the preview worker (cached by content)."""
    from player.hub.app import HttpError

    d = desk(request)
    version = d.store.version(programme_id, number)
    if version is None:
        raise HttpError(404, "no such version")
    return await slide_png(request, version.yaml, media_by_path(d.media), index)


@router.get("/programmes/on-air/{channel}/slide-{index:int}.png")
async def on_air_slide(channel: str, index: int, request: Request, _: Viewer) -> Response:
    """One slide of what a channel serves now, drawn from the channel's own files."""
    from player.hub.app import HttpError
    d = desk(request)
    current = on_air(d.publisher, channel) if channel in d.channels() else None
    if current is None:
        raise HttpError(404, "nothing on air")
    objects = d.publisher.channels / channel / "objects"
    media = {f.path: (MediaItem(f.sha256, f.path, "", f.sha256, ""), objects / f.sha256)
             for f in current.files}
    return await slide_png(request, current.playlist, media, index)


def week_view(request: Request, text: str, lang: str) -> Any:
    """The week from today (the clusters' time zone) of the playlist ``text``, or None."""
    from zoneinfo import ZoneInfo

    from player.core.playlist_reader import load_playlist

    d = desk(request)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    today = datetime.fromtimestamp(d.clock(), tz).date()
    try:
        with release_folder(text, media_by_path(d.media)) as path:
            playlist = load_playlist(path)
    except (LoadError, OSError, ValueError):
        return None
    return week_rows(playlist, today, tz)


# -- the editor ------------------------------------------------------------------------------

def editor_page(request: Request, programme_id: int, form: Any, base: int, status: int = 200,
                message: str = "", notice: str = "") -> Response:
    d = desk(request)
    programme = programme_or_404(request, programme_id)
    page = make_page(request, f"/programmes/{programme_id}/edit")
    text = dump_yaml(form_document(form))
    problems = check_text(text, media_by_path(d.media), page.lang)
    media = d.media.list_ready()
    saved = d.store.version(programme_id)
    return html(render("programme_edit.html", page, programme=programme, form=form, base=base,
                       media=media, thumbs=thumbnails(d, media), saved=saved,
                       **preview_context(request, saved, page.lang, week=False),
                       problems=problems, message=message, notice=notice,
                       **page_context(request)), status)


def thumbnails(d: ProgrammeDesk, media: list) -> dict[str, str]:
    """playlist path -> its thumbnail's address, when the media source has thumbnails."""
    url = getattr(d.media, "thumbnail_url", None)
    return {m.playlist_path: url(m.id) for m in media} if url else {}


@router.get("/programmes/{programme_id:int}/edit")
def edit_page(programme_id: int, request: Request, _: Editor) -> Response:
    d = desk(request)
    programme_or_404(request, programme_id)
    version = d.store.version(programme_id)
    assert version is not None
    page = make_page(request, "/")
    token = request.cookies.get(STASH_COOKIE)
    if request.query_params.get("stash") and token:
        kept = d.store.take_stash(programme_id, token)
        if kept is not None:
            base = int(kept["base"]) if str(kept.get("base", "")).isdigit() else version.number
            response = editor_page(request, programme_id, posted_form(kept), base,
                                   notice=page.t["restored"])
            response.delete_cookie(STASH_COOKIE, path="/programmes")
            return response
    saved = request.query_params.get("saved", "")
    return editor_page(request, programme_id, document_form(version.data), version.number,
                       message=page.text("saved", n=saved) if saved.isdigit() else "")


@router.post("/programmes/{programme_id:int}/edit")
async def save_edit(programme_id: int, request: Request) -> Response:
    form = await request.form()
    d = desk(request)
    page = make_page(request, "/")
    session = current_session(request)
    fields = {k: (form.getlist(k) if k.endswith("-days") else str(v)[:200_000])
              for k, v in form.items() if k not in ("csrf_token",)}
    if session is None:
        # only a browser that had a session (its cookie outlived it) gets its edit kept
        if (not origin_ok(request) or not request.cookies.get(SESSION_COOKIE)
                or d.store.get(programme_id) is None):
            raise Forbidden("csrf")
        # the session ended while this was typed: keep it for this browser, then log in
        try:
            token = d.store.stash(programme_id, fields)
        except StashFull:
            raise Forbidden("csrf") from None
        target = f"/programmes/{programme_id}/edit?stash=1"
        if page.lang == "en":
            target += "&lang=en"
        response = RedirectResponse(f"/login?next={quote(target, safe='')}&expired=1", 303)
        response.set_cookie(STASH_COOKIE, token, max_age=86400, httponly=True,
                            samesite="strict", secure=is_https(request), path="/programmes")
        if request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    if not session.user.allows("editor"):
        raise Forbidden()
    base_text = str(form.get("base") or "")
    base = int(base_text) if base_text.isdigit() else 0
    posted = posted_form(form)
    if not origin_ok(request) or not same_token(str(form.get("csrf_token") or ""),
                                                session.csrf_token):
        # a form from before a new login: show it back unsaved, never drop what was typed
        return editor_page(request, programme_id, posted, base, 409, notice=page.t["stale_form"])
    operation = str(form.get("op") or "save")
    if operation != "save":
        apply_operation(posted, operation)
        return editor_page(request, programme_id, posted, base, notice=page.t["unsaved"])
    programme_or_404(request, programme_id)
    try:
        version = d.store.save(programme_id, base, dump_yaml(form_document(posted)),
                               session.user.name)
    except SaveConflict as conflict:
        # their text stays on the page, ready to save over the newest version once compared
        return editor_page(request, programme_id, posted, conflict.head, 409,
                           notice=page.text("conflict", author=conflict.author,
                                            head=conflict.head))
    audit(request, session, "programme.save", str(programme_id), {"version": version.number})
    return redirect(page, f"/programmes/{programme_id}/edit", saved=str(version.number))


# -- approval --------------------------------------------------------------------------------

def approve_page(request: Request, programme_id: int, status: int = 200,
                 message: str = "") -> Response:
    d = desk(request)
    programme = programme_or_404(request, programme_id)
    page = make_page(request, f"/programmes/{programme_id}/approve")
    version = d.store.version(programme_id)
    assert version is not None
    channel = d.channels()[0] if d.channels() else ""
    current = on_air(d.publisher, channel) if channel else None
    before = load_document(current.playlist) if current else {}
    changes = diff_items(before, version.data)
    langs, rows = translation_table(version.data, version.basis)
    text = render("programme_approve.html", page, programme=programme, version=version,
                  changes=changes, channel=channel, on_air_version=current.version
                  if current else None, langs=langs, rows=rows,
                  missing=missing_translations(version.data),
                  problems=check_text(version.yaml, media_by_path(d.media), page.lang),
                  channels=channel_choices(d),
                  media_names={m.playlist_path: m.name for m in d.media.list_ready()},
                  on_air_positions=item_positions(before) if current else {},
                  draft_positions=item_positions(version.data),
                  **preview_context(request, version, page.lang),
                  has_key=d.keys.get(current_name(request))
                  is not None, message=message, **page_context(request))
    return html(text, status)


def current_name(request: Request) -> str:
    session = current_session(request)
    return session.user.name if session else ""


@router.get("/programmes/{programme_id:int}/approve")
def show_approve(programme_id: int, request: Request, _: Approver) -> Response:
    return approve_page(request, programme_id)


def refusal(page: ProgrammePage, exc: Exception) -> tuple[int, str]:
    if isinstance(exc, PassphraseError):
        status = 429 if exc.key == "passphrase_wait" else 403
        return status, page.error(exc.key, {"wait": int(exc.wait) + 1})
    if isinstance(exc, ApprovalRefused):
        return 409, page.error(exc.key, exc.values)
    if isinstance(exc, UploadRefused):
        return 422, page.error("publish", {"message": exc.message})
    raise exc


def outcome(published: list) -> tuple[dict[str, int], dict[str, str]]:
    """(channel -> version published, channel -> why it refused)."""
    return ({p.channel: p.version for p in published if not p.error},
            {p.channel: p.error for p in published if p.error})


def refusal_text(refused: dict[str, str]) -> str:
    return "; ".join(f"{channel}: {why}" for channel, why in refused.items())[:500]


def signing_refused(request: Request, session: Session, action: str, target: str,
                    exc: Exception) -> None:
    key = getattr(exc, "key", type(exc).__name__)
    audit(request, session, f"{action}.refused", target, {"reason": key})


@router.post("/programmes/{programme_id:int}/approve", dependencies=Protected)
async def approve(programme_id: int, request: Request, session: Approver) -> Response:
    form = await request.form()
    d = desk(request)
    page = make_page(request, "/")
    number = str(form.get("version") or "")
    channels = [str(c) for c in form.getlist("channels")]
    override = bool(form.get("override"))
    try:
        version, published, missing = await run_in_threadpool(
            d.approve, programme_id, int(number) if number.isdigit() else -1, session.user.name,
            str(form.get("passphrase") or ""), channels, override, page.lang)
    except (ApprovalRefused, PassphraseError, UploadRefused) as exc:
        signing_refused(request, session, "programme.approve", str(programme_id), exc)
        status, message = refusal(page, exc)
        return approve_page(request, programme_id, status, message)
    done, refused = outcome(published)
    audit(request, session, "programme.approve", str(programme_id),
          {"version": version.number, "channels": done, "author": version.author,
           **({"refused": refused} if refused else {})})
    if missing:
        audit(request, session, "programme.override_missing", str(programme_id),
              {"version": version.number, "missing": missing})
    return redirect(page, f"/programmes/{programme_id}", approved=str(version.number),
                    channels=", ".join(done), refused=refusal_text(refused))


@router.post("/programmes/{programme_id:int}/publish", dependencies=Protected)
async def publish_version(programme_id: int, request: Request, session: Approver) -> Response:
    form = await request.form()
    d = desk(request)
    page = make_page(request, "/")
    number = str(form.get("version") or "")
    try:
        version, published, rollback = await run_in_threadpool(
            d.publish_version, programme_id, int(number) if number.isdigit() else -1,
            session.user.name, str(form.get("passphrase") or ""),
            [str(c) for c in form.getlist("channels")])
    except (ApprovalRefused, PassphraseError, UploadRefused) as exc:
        signing_refused(request, session, "programme.publish", str(programme_id), exc)
        status, message = refusal(page, exc)
        return approve_page(request, programme_id, status, message)
    done, refused = outcome(published)
    action = "programme.rollback" if rollback else "programme.stage"
    audit(request, session, action, str(programme_id),
          {"version": version.number, "from_version": int(number), "channels": done,
           **({"refused": refused} if refused else {})})
    if rollback:
        return redirect(page, f"/programmes/{programme_id}", rolled_back=str(version.number),
                        old=number, refused=refusal_text(refused))
    return redirect(page, f"/programmes/{programme_id}", staged=str(version.number),
                    channels=", ".join(done), refused=refusal_text(refused))


# -- keys ------------------------------------------------------------------------------------

def keys_page(request: Request, status: int = 200, message: str = "",
              created: bool = False) -> Response:
    d = desk(request)
    page = make_page(request, "/programmes/keys")
    session = current_session(request)
    mine = d.keys.get(session.user.name) if session else None
    return html(render("programme_keys.html", page, mine=mine, keys=d.keys.all(),
                       message=message, created=created, **page_context(request)), status)


@router.get("/programmes/keys")
def show_keys(request: Request, _: Viewer) -> Response:
    return keys_page(request)


@router.post("/programmes/keys", dependencies=Protected)
async def create_key(request: Request, session: Approver) -> Response:
    form = await request.form()
    page = make_page(request, "/")
    passphrase = str(form.get("passphrase") or "")
    if passphrase != str(form.get("passphrase_again") or ""):
        return keys_page(request, 422, page.error("passphrase_differ"))
    try:
        key = await run_in_threadpool(desk(request).keys.create, session.user.name, passphrase)
    except PassphraseError as exc:
        return keys_page(request, 422, page.error(exc.key))
    audit(request, session, "key.create", session.user.name, {"public_key": key.public_key})
    return keys_page(request, created=True)


# -- emergency -------------------------------------------------------------------------------

def emergency_page(request: Request, status: int = 200, message: str = "",
                   notice: str = "", form: Any = None) -> Response:
    d = desk(request)
    page = make_page(request, "/programmes/emergency")
    clusters = [(c.id, c.label, d.cluster_channel(c.id)) for c in d.config.clusters.values()]
    return html(render("programme_emergency.html", page, clusters=clusters,
                       active=d.emergencies(), message=message, notice=notice,
                       form=form or {}, **page_context(request)), status)


@router.get("/programmes/emergency")
def show_emergency(request: Request, _: Approver) -> Response:
    return emergency_page(request)


@router.post("/programmes/emergency", dependencies=Protected)
async def emergency(request: Request, session: Approver) -> Response:
    form = await request.form()
    d = desk(request)
    page = make_page(request, "/")
    clusters = [str(c) for c in form.getlist("clusters")]
    channels = list(dict.fromkeys(d.cluster_channel(c) for c in clusters if c in d.config.clusters))
    passphrase = str(form.get("passphrase") or "")
    lift = form.get("action") == "lift"
    texts = {lang: str(form.get(f"text-{lang}") or "")[:500] for lang in ("vi", "en", "zh")}
    try:
        if lift:
            published = await run_in_threadpool(d.lift_emergency, channels, session.user.name,
                                                passphrase)
        else:
            published = await run_in_threadpool(d.raise_emergency, texts, channels,
                                                session.user.name, passphrase)
    except (ApprovalRefused, PassphraseError, UploadRefused) as exc:
        signing_refused(request, session, "emergency", ",".join(channels), exc)
        status, message = refusal(page, exc)
        return emergency_page(request, status, message, form={**texts, "clusters": clusters})
    done, refused = outcome(published)
    detail: dict = {"channels": done, "clusters": clusters,
                    **({"refused": refused} if refused else {})}
    if not lift:
        detail["text"] = texts
    audit(request, session, "emergency.lift" if lift else "emergency.raise",
          ",".join(done), detail)
    key = "emergency_lifted" if lift else "emergency_raised"
    return emergency_page(request, notice=page.text(key, channels=", ".join(done)),
                          message=page.error("publish", {"message": refusal_text(refused)})
                          if refused else "")


__all__ = ["router", "install"]
