"""The media library's pages: upload (streamed to disk, with progress), the list with the
preparation's progress, a preview of any ready file, delete; and the contact sheet of a
playlist under the hub's folder, for the programme pages to link to.

  GET  /media                     the library (viewer or more); upload and delete: editor
  POST /media                     an upload (multipart: csrf_token first, then the file)
  GET  /media/{id}                a file's preview, drawn by the player's renderer
  GET  /media/{id}/thumb.jpg      its thumbnail; /media/{id}/preview.png: its slide (a video's
                                  strip of frames; ?part=frame: the first frame alone)
  POST /media/{id}/delete
  GET  /api/v1/media              the library as JSON (the page polls it for progress)
  GET  /preview/contact-sheet.png?playlist=PATH&size=1920x1080&rotation=0
                                  PATH relative to the hub's folder (editor or more)

``install(app)`` wires the library, its job queue (started and stopped with the app) and the
preview renderer from ``app.state.hub``; ``app.state.media`` is the ``MediaService``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from player.core.units import UnitError, parse_size
from player.hub import pages
from player.hub.accounts import Session, role_allows, same_token
from player.hub.jobs import JobQueue
from player.hub.media import MediaItem, MediaLibrary, MediaRefused, TooLarge, UploadSink
from player.hub.preview import PreviewError, PreviewRenderer
from player.hub.web.security import (
    HTML_HEADERS,
    Forbidden,
    LoginRequired,
    client_address,
    csrf_protect,
    current_session,
    html,
    origin_ok,
    page_context,
    people,
    require_role,
)

log = logging.getLogger(__name__)

# the upload page's script (progress bar) and its XMLHttpRequest are this hub's own
MEDIA_HEADERS = {**HTML_HEADERS, "Content-Security-Policy": HTML_HEADERS[
    "Content-Security-Policy"].replace("default-src 'none'",
                                       "default-src 'none'; script-src 'self'; connect-src 'self'")}
FORM_SLACK = 64 * 1024  # bytes of multipart framing and small fields around the file
MAX_FIELD = 4096
SCRIPT = Path(__file__).resolve().parent.parent / "static" / "media-upload.js"

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "library": "Thư viện ảnh và video", "upload": "Tải lên", "choose": "Chọn ảnh hoặc video",
        "limits": "Ảnh tối đa {image}, video tối đa {video}. Hub tự xoay ảnh cho đứng, thu nhỏ "
                  "vừa màn hình {screen} và chuyển video sang H.264 + AAC.",
        "uploading": "Đang tải lên…", "uploaded": "Đã tải lên «{name}»; hub đang chuẩn bị tệp.",
        "preparing": "Đang chuẩn bị {n}%", "queued": "Đang chờ chuẩn bị", "ready": "Sẵn sàng",
        "failed": "Lỗi", "name": "Tên tệp", "kind": "Loại", "size": "Dung lượng",
        "state": "Trạng thái", "by": "Người tải lên", "image": "Ảnh", "video": "Video",
        "delete": "Xóa", "preview": "Xem trước", "empty": "Thư viện chưa có tệp nào.",
        "deleted": "Đã xóa «{name}».", "in_use": "Không xóa được «{name}»: đang dùng trong {what}.",
        "confirm_delete": "Xóa tệp này?", "no_such": "Không có tệp này trong thư viện.",
        "not_ready": "Tệp chưa sẵn sàng nên chưa xem trước được.",
        "preview_of": "Xem trước: {name}", "screen": "Màn hình", "apply": "Xem",
        "landscape": "ngang", "portrait": "dọc", "back": "← Thư viện",
        "strip": "Năm khung hình trải đều đoạn video, đúng như màn hình sẽ hiện.",
        "problems": "Cần chú ý", "original": "Tệp gốc", "prepared": "Tệp phát trên màn hình",
        "no_file": "Chưa chọn tệp nào.", "network": "Mất kết nối khi đang tải lên; hãy thử lại.",
        "err_too_large": "«{name}» quá lớn: tối đa {limit}.",
        "err_empty": "«{name}» là tệp rỗng.",
        "err_too_many_pixels": "Ảnh «{name}» quá lớn: {megapixels} megapixel; tối đa {limit} "
                               "megapixel. Hãy thu nhỏ ảnh rồi tải lại.",
        "err_broken_image": "Ảnh «{name}» bị hỏng hoặc chưa tải hết, không đọc được.",
        "err_text_file": "«{name}» là tệp văn bản, không phải ảnh hay video.",
        "err_not_media": "«{name}» không phải ảnh hay video mà hub đọc được (hoặc tệp chưa đầy đủ).",
        "err_no_length": "Video «{name}» bị hỏng hoặc chưa đầy đủ: không rõ độ dài.",
        "err_no_picture": "Video «{name}» bị hỏng: không giải mã được hình nào.",
        "err_truncated": "Video «{name}» chưa đầy đủ: dừng ở giây {end} trên {duration} giây. "
                         "Hãy chép hoặc tải lại tệp.",
        "err_form": "Biểu mẫu tải lên không hợp lệ; hãy tải lại trang và thử lại.",
        "err_ffmpeg_failed": "FFmpeg không chuyển được video này.",
        "err_no_ffmpeg": "Máy chủ hub chưa cài FFmpeg: báo kỹ thuật viên (apt-get install ffmpeg).",
        "err_timeout": "Chuyển đổi video quá lâu nên đã dừng.",
        "err_crashed": "Hub dừng đột ngột nhiều lần khi đang chuẩn bị tệp này; báo kỹ thuật viên.",
        "too_large_js": "«{name}» quá lớn ({size}): tối đa {limit}.",
        "contact_sheet": "Toàn bộ chương trình",
    },
    "en": {
        "library": "Pictures and videos", "upload": "Upload", "choose": "Choose a picture or video",
        "limits": "Pictures up to {image}, videos up to {video}. The hub turns photos upright, "
                  "scales them to the {screen} screen and converts videos to H.264 + AAC.",
        "uploading": "Uploading…", "uploaded": "Uploaded “{name}”; the hub is preparing it.",
        "preparing": "Preparing {n}%", "queued": "Waiting to be prepared", "ready": "Ready",
        "failed": "Failed", "name": "File", "kind": "Kind", "size": "Size", "state": "State",
        "by": "Uploaded by", "image": "Picture", "video": "Video", "delete": "Delete",
        "preview": "Preview", "empty": "The library has no files yet.",
        "deleted": "Deleted “{name}”.", "in_use": "“{name}” cannot be deleted: {what} uses it.",
        "confirm_delete": "Delete this file?", "no_such": "No such file in the library.",
        "not_ready": "The file is not ready yet, so it cannot be previewed.",
        "preview_of": "Preview: {name}", "screen": "Screen", "apply": "Show",
        "landscape": "landscape", "portrait": "portrait", "back": "← Library",
        "strip": "Five frames across the clip, exactly as the screen will show them.",
        "problems": "Needs attention", "original": "Original file",
        "prepared": "File the screens play",
        "no_file": "No file chosen.", "network": "The connection broke during the upload; try again.",
        "err_too_large": "“{name}” is too large: the limit is {limit}.",
        "err_empty": "“{name}” is an empty file.",
        "err_too_many_pixels": "The picture “{name}” is too large: {megapixels} megapixels; "
                               "the limit is {limit}. Make it smaller and upload it again.",
        "err_broken_image": "The picture “{name}” is damaged or incomplete and cannot be read.",
        "err_text_file": "“{name}” is a text file, not a picture or a video.",
        "err_not_media": "“{name}” is not a picture or a video the hub can read (or the file is "
                         "incomplete).",
        "err_no_length": "The video “{name}” is damaged or incomplete: its length is unknown.",
        "err_no_picture": "The video “{name}” is damaged: no picture in it can be decoded.",
        "err_truncated": "The video “{name}” is incomplete: it stops at {end} s of {duration} s. "
                         "Copy or upload the file again.",
        "err_form": "The upload form is not valid; reload the page and try again.",
        "err_ffmpeg_failed": "FFmpeg could not convert this video.",
        "err_no_ffmpeg": "FFmpeg is not installed on the hub: tell the technician (apt-get "
                         "install ffmpeg).",
        "err_timeout": "Converting the video took too long and was stopped.",
        "err_crashed": "The hub stopped several times while preparing this file; tell the "
                       "technician.",
        "too_large_js": "“{name}” is too large ({size}): the limit is {limit}.",
        "contact_sheet": "The whole programme",
    },
}


@dataclass
class MediaService:
    """What the media pages share: the library, its job queue, the preview renderer."""

    library: MediaLibrary
    jobs: JobQueue
    previews: PreviewRenderer
    root: Path
    running: bool = False

    def start(self) -> None:
        if not self.running:
            self.jobs.start()
            self.running = True

    def stop(self) -> None:
        if self.running:
            self.jobs.stop()
            self.running = False


def install(app: FastAPI) -> MediaService:
    """Mount the media pages; the job queue starts and stops with the app's lifespan."""
    hub = app.state.hub
    library = MediaLibrary(hub.store.engine, hub.root, hub.config.media, hub.clock)
    service = MediaService(library, JobQueue(library, hub.clock),
                           PreviewRenderer(hub.root / "cache" / "previews"), hub.root)
    app.state.media = service
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        service.start()
        try:
            async with inner(a) as state:
                yield state
        finally:
            await run_in_threadpool(service.stop)

    app.router.lifespan_context = lifespan
    app.include_router(router)
    return service


# values a failure's sentence may name that the stored failure no longer carries
_FILLERS = {"limit": "", "megapixels": "", "end": "", "duration": ""}
router = APIRouter()
Viewer = Annotated[Session, Depends(require_role("viewer"))]
Editor = Annotated[Session, Depends(require_role("editor"))]


def media_service(request: Request) -> MediaService:
    return request.app.state.media


class Words:
    """The media pages' words in the page's language."""

    def __init__(self, page: pages.Page):
        self.page = page
        self.t = TEXT[page.lang]

    def __getattr__(self, key: str) -> str:
        try:
            return self.t[key]
        except KeyError:
            raise AttributeError(key) from None

    def say(self, key: str, **values: object) -> str:
        return self.t[key].format(**values)

    def refused(self, exc: MediaRefused, name: str) -> str:
        key = f"err_{exc.code}"
        if key not in self.t:
            return str(exc)
        values: dict[str, Any] = {**exc.values, "name": name}
        if exc.code == "too_large":
            values["limit"] = self.page.size(float(values.get("limit", 0)))
        if exc.code == "too_many_pixels":
            values["limit"] = self.page.number(float(values.get("limit", 0)))
        return self.t[key].format(**values)

    def state(self, item: MediaItem) -> str:
        if item.state == "ready":
            return self.t["ready"]
        if item.state == "failed":
            return self.t["failed"]
        if item.progress <= 0:
            return self.t["queued"]
        return self.say("preparing", n=int(item.progress * 100))

    def error(self, item: MediaItem) -> str:
        """Why an item failed, in the page's language when the reason is a known one (the
        English detail stays in the hub's log for the technician)."""
        key = f"err_{item.error_code}"
        if item.error_code and key in self.t:
            return self.t[key].format(name=item.name, **_FILLERS)
        return item.error


def _page(request: Request, path: str) -> tuple[pages.Page, Words]:
    page = pages.Page(pages.pick_lang(request.query_params), people(request).clock(), path)
    return page, Words(page)


def library_page(request: Request, status: int = 200, message: str = "",
                 notice: str = "") -> Response:
    page, words = _page(request, "/media")
    service = media_service(request)
    settings = service.library.settings
    session = current_session(request)
    text = pages.render(
        "media.html", page, m=words, items=service.library.list_all(),
        can_edit=session is not None and role_allows(session.user.role, "editor"),
        limits=words.say("limits", image=page.size(settings.max_image_bytes),
                         video=page.size(settings.max_video_bytes),
                         screen=f"{settings.screen[0]}×{settings.screen[1]}"),
        max_image=settings.max_image_bytes, max_video=settings.max_video_bytes,
        message=message, notice=notice, **page_context(request))
    return HTMLResponse(text, status, headers=MEDIA_HEADERS)


@router.get("/media")
def show_library(request: Request, _: Viewer) -> Response:
    page, words = _page(request, "/media")
    done = request.query_params.get("uploaded", "")
    deleted = request.query_params.get("deleted", "")
    notice = (words.say("uploaded", name=done[:200]) if done else
              words.say("deleted", name=deleted[:200]) if deleted else "")
    return library_page(request, notice=notice)


@router.get("/media/upload.js")
def upload_script() -> Response:
    return FileResponse(SCRIPT, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


class FormStream:
    """A multipart body read as it arrives: small fields kept, the file streamed to a sink.

    The CSRF token must come before the file (the form puts it first, as browsers send fields
    in order), so no byte of a forged upload reaches the disk.
    """

    def __init__(self, boundary: bytes, open_file: Any):
        from python_multipart.multipart import MultipartParser

        self.open_file = open_file
        self.fields: dict[str, str] = {}
        self.sink: UploadSink | None = None
        self.filename: str | None = None
        self._headers: dict[bytes, bytes] = {}
        self._field = self._value = b""
        self._part: str | None = None
        self._data = bytearray()
        self._in_file = False
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done, "on_part_data": self._part_data,
            "on_part_end": self._part_end})

    def write(self, chunk: bytes) -> None:
        from python_multipart.exceptions import MultipartParseError

        try:
            self.parser.write(chunk)
        except MultipartParseError as exc:  # a hand-made or cut body: the sender's fault, a 4xx
            raise MediaRefused("form", f"the form is malformed ({exc})") from None

    def _begin(self) -> None:
        self._headers, self._data, self._in_file, self._part = {}, bytearray(), False, None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_done(self) -> None:
        from python_multipart.multipart import parse_options_header

        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._part = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if self.sink is not None:
                raise MediaRefused("form", "send one file at a time")
            # browsers send the name as UTF-8 bytes: Vietnamese letters and spaces survive
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self._in_file = True
            self.sink = self.open_file(self.filename, self.fields)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            assert self.sink is not None
            self.sink.write(bytes(data[start:end]))
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD:
            raise MediaRefused("form", "a form field is too long")

    def _part_end(self) -> None:
        if not self._in_file and self._part:
            self.fields[self._part] = self._data.decode("utf-8", "replace")


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/media")
async def upload(request: Request) -> Response:
    session = current_session(request)
    if session is None:
        raise LoginRequired()
    if not role_allows(session.user.role, "editor"):
        raise Forbidden()
    if not origin_ok(request):
        raise Forbidden("csrf")
    service = media_service(request)
    page, words = _page(request, "/media")
    length = request.headers.get("content-length", "")
    limit = service.library.settings.max_upload_bytes
    if length.isdigit() and int(length) > limit + FORM_SLACK:
        # refused from the headers: not a byte of the body is read
        return _refused(request, words, TooLarge("too_large", "too large", limit=limit), "", 413,
                        close=True)
    from python_multipart.multipart import parse_options_header

    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        return _refused(request, words, MediaRefused("form", "expected multipart/form-data"), "",
                        400)
    header_token = request.headers.get("x-csrf-token")

    def open_file(filename: str, fields: dict[str, str]) -> UploadSink:
        sent = header_token or fields.get("csrf_token")
        if not isinstance(sent, str) or not same_token(sent, session.csrf_token):
            raise Forbidden("csrf")
        return service.library.begin_upload(filename, session.user.name)

    form = FormStream(options[b"boundary"], open_file)
    try:
        async for chunk in request.stream():
            await run_in_threadpool(form.write, chunk)
        if form.sink is None:
            return _refused(request, words, MediaRefused("form", "no file"), "", 400,
                            key="no_file")
        item = await run_in_threadpool(form.sink.finish)
    except MediaRefused as exc:
        if form.sink is not None:
            form.sink.abort()
        name = form.filename or ""
        log.info("upload of %r by %s refused: %s", name, session.user.name, exc)
        status = 413 if isinstance(exc, TooLarge) else 422
        return _refused(request, words, exc, form.sink.name if form.sink else name, status,
                        close=isinstance(exc, TooLarge))
    except BaseException:
        if form.sink is not None:
            form.sink.abort()
        raise
    people(request).audit.record(session.user.name, "media.upload", f"media/{item.id}",
                                 {"name": item.name, "kind": item.kind,
                                  "sha256": item.original_sha256, "size": item.original_size},
                                 client_address(request))
    if _wants_json(request):
        return JSONResponse({"id": item.id, "name": item.name, "kind": item.kind,
                             "state": item.state,
                             "message": words.say("uploaded", name=item.name)}, 201)
    return RedirectResponse(page.link("/media", uploaded=item.name), 303)


def _refused(request: Request, words: Words, exc: MediaRefused, name: str, status: int,
             close: bool = False, key: str = "") -> Response:
    message = words.t[key] if key else words.refused(exc, name)
    headers = {"Connection": "close"} if close else {}
    if _wants_json(request):
        return JSONResponse({"error": message, "code": exc.code}, status, headers=headers)
    response = library_page(request, status, message)
    response.headers.update(headers)
    return response


@router.get("/api/v1/media")
def media_json(request: Request, _: Viewer) -> Response:
    page, words = _page(request, "/media")
    items = media_service(request).library.list_all()
    return JSONResponse({"media": [{
        "id": i.id, "name": i.name, "kind": i.kind, "state": i.state,
        "progress": round(i.progress, 4), "label": words.state(i), "error": words.error(i),
        "width": i.width, "height": i.height, "duration": i.duration, "size": i.size,
        "sha256": i.sha256, "path": i.playlist_path, "uploaded_by": i.uploaded_by,
        "uploaded_at": i.uploaded_at} for i in items]}, headers={"Cache-Control": "no-store"})


@router.get("/media/{media_id}/thumb.jpg")
def thumbnail(media_id: int, request: Request, _: Viewer) -> Response:
    path = media_service(request).library.thumbnail_path(media_id)
    if not path.exists():
        return Response(status_code=404)
    return FileResponse(path, media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})


def screen_from(request: Request, item: MediaItem | None = None) -> tuple[tuple[int, int], int]:
    """The screen a preview is drawn for: ``size`` (default: the library's screen, turned to
    the file's orientation) and ``rotation``."""
    service = media_service(request)
    default = service.library.settings.screen
    if item is not None and item.height > item.width:
        default = (min(default), max(default))
    try:
        size = parse_size(request.query_params.get("size") or f"{default[0]}x{default[1]}")
    except UnitError:
        size = default
    rotation_text = request.query_params.get("rotation", "0")
    rotation = int(rotation_text) if rotation_text in ("0", "90", "180", "270") else 0
    return size, rotation


def _media_playlist(service: MediaService, item: MediaItem) -> Path:
    """A one-item playlist showing a ready file, as a programme would use it."""
    folder = service.root / "cache" / "media-preview" / item.sha256
    target = folder / item.playlist_path
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        source = service.library.prepared_path(item.id)
        try:
            target.hardlink_to(source)
        except OSError:
            import shutil

            shutil.copyfile(source, target)
    playlist = folder / "playlist.yaml"
    if not playlist.exists():
        playlist.write_text(
            f"name: preview\nlanguages: [vi, en, zh]\nitems:\n  - id: media-{item.id}\n"
            f"    {item.kind}: {item.playlist_path}\n    fit: contain\n", encoding="utf-8")
    return playlist


@router.get("/media/{media_id}")
async def preview_page(media_id: int, request: Request, _: Viewer) -> Response:
    page, words = _page(request, f"/media/{media_id}")
    service = media_service(request)
    item = service.library.get(media_id)
    if item is None:
        text = pages.render_error(404, words.no_such, page.lang, **page_context(request))
        return html(text, 404)
    size, rotation = screen_from(request, item)
    problems = ""
    if item.ready:
        try:
            slides = await run_in_threadpool(service.previews.render_slides,
                                             _media_playlist(service, item), size, rotation)
            problems = slides[0].problems if slides else ""
        except PreviewError as exc:
            problems = str(exc)
    page.query = {"size": f"{size[0]}x{size[1]}", "rotation": str(rotation)}
    text = pages.render("media_preview.html", page, m=words, item=item, size=size,
                        rotation=rotation, problems=problems, **page_context(request))
    return html(text)


@router.get("/media/{media_id}/preview.png")
async def preview_png(media_id: int, request: Request, _: Viewer) -> Response:
    service = media_service(request)
    item = service.library.get(media_id)
    if item is None or not item.ready:
        return Response(status_code=404)
    size, rotation = screen_from(request, item)
    try:
        slides = await run_in_threadpool(service.previews.render_slides,
                                         _media_playlist(service, item), size, rotation)
    except PreviewError as exc:
        return JSONResponse({"error": str(exc)}, 500)
    # a video's strip by default; ``part=frame``: its first frame alone, at the screen's size
    chosen = slides[0].frame if request.query_params.get("part") == "frame" else slides[0].png
    return FileResponse(chosen or slides[0].png, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=600"})


@router.post("/media/{media_id}/delete", dependencies=[Depends(csrf_protect)])
async def delete_media(media_id: int, request: Request, session: Editor) -> Response:
    page, words = _page(request, "/media")
    library = media_service(request).library
    item = library.get(media_id)
    if item is None:
        return library_page(request, 404, words.no_such)
    reasons = library.in_use(item)
    if reasons:
        return library_page(request, 409, words.say("in_use", name=item.name,
                                                    what=", ".join(reasons)))
    await run_in_threadpool(library.delete, media_id)
    people(request).audit.record(session.user.name, "media.delete", f"media/{media_id}",
                                 {"name": item.name, "sha256": item.sha256},
                                 client_address(request))
    return RedirectResponse(page.link("/media", deleted=item.name), 303)


@router.get("/preview/contact-sheet.png")
async def contact_sheet(request: Request, _: Editor) -> Response:
    """The contact sheet of a playlist under the hub's folder (``playlist=`` relative path)."""
    service = media_service(request)
    relative = request.query_params.get("playlist", "")
    root = service.root.resolve()
    try:
        path = (root / relative).resolve()
        found = (bool(relative) and path.suffix in (".yaml", ".yml") and path.is_file()
                 and path.is_relative_to(root))
    except (ValueError, OSError):  # a NUL byte or a name too long for the file system
        found = False
    if not found:
        return JSONResponse({"error": "playlist= must name a playlist file under the hub's "
                                      "folder"}, 404)
    size, rotation = screen_from(request)
    try:
        sheet = await run_in_threadpool(service.previews.contact_sheet, path, size, rotation)
    except PreviewError as exc:
        return JSONResponse({"error": str(exc)}, 422)
    return FileResponse(sheet, media_type="image/png", headers={"Cache-Control": "private"})


__all__ = ["install", "router", "MediaService", "TEXT"]
