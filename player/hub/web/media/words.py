"""The media pages' words, Vietnamese and English, and the sentences for refused files."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from player.hub import pages
from player.hub.media import MediaItem, MediaRefused
from player.hub.web.security import people

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

# values a failure's sentence may name that the stored failure no longer carries
_FILLERS = {"limit": "", "megapixels": "", "end": "", "duration": ""}


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


def media_page(request: Request, path: str) -> tuple[pages.Page, Words]:
    page = pages.Page(pages.pick_lang(request.query_params), people(request).clock(), path)
    return page, Words(page)


__all__ = ["TEXT", "Words", "media_page"]
