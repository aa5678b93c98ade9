"""The words of the programme pages (Vietnamese by default, English with ``?lang=en``).

They extend the hub's own words (``player.hub.page_text.TEXT``) for these pages only, so the
programme pages and the rest of the hub switch language the same way.
"""

from __future__ import annotations

from typing import Any

from player.hub import page_text, pages

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "programmes": "Chương trình", "new_programme": "Tạo chương trình mới",
        "programme_name": "Tên chương trình", "create": "Tạo",
        "import": "Nhập tệp playlist.yaml", "import_file": "Tệp playlist.yaml",
        "import_button": "Nhập", "import_failed": "Không nhập được tệp:",
        "import_large": "{file}: tệp lớn hơn {limit} kB, không phải một playlist.yaml.",
        "no_programmes": "Chưa có chương trình nào.",
        "version": "Bản", "versions": "Các bản đã lưu", "author": "Người lưu",
        "state_draft": "bản nháp", "state_approved": "đã duyệt", "saved_at": "Lưu lúc",
        "edit": "Soạn", "approve": "Duyệt", "open": "Mở",
        "editor": "Soạn chương trình", "items_title": "Các mục (theo thứ tự phát)",
        "item": "Mục", "kind_text": "Chữ", "kind_image": "Ảnh", "kind_video": "Video",
        "item_id": "Mã mục", "media": "Tệp ảnh/video", "media_keep": "(giữ tệp hiện tại)",
        "media_pick_image": "Chọn ảnh trong thư viện", "media_pick_video": "Chọn video trong thư viện",
        "media_none": "Thư viện chưa có tệp nào loại này đã sẵn sàng.",
        "media_upload": "Tải ảnh/video mới lên thư viện →",
        "texts": "Chữ trên màn hình", "caption": "Chú thích", "duration": "Thời lượng",
        "duration_hint": "ví dụ 10s, 1m30s", "transition": "Chuyển cảnh",
        "transition_default": "mặc định", "transition_crossfade": "mờ dần",
        "transition_cut": "chuyển ngay",
        "schedule": "Lịch phát", "date_from": "Từ ngày", "date_until": "Đến ngày",
        "days": "Các thứ", "hours": "Giờ", "hours_hint": "ví dụ 07:00-18:00",
        "complex_schedule": "Mục này có lịch phức tạp viết tay; lịch đó được giữ nguyên.",
        "day_mon": "T2", "day_tue": "T3", "day_wed": "T4", "day_thu": "T5", "day_fri": "T6",
        "day_sat": "T7", "day_sun": "CN",
        "add_text": "+ Chữ", "add_image": "+ Ảnh", "add_video": "+ Video",
        "duplicate": "Nhân đôi", "move_up": "Lên", "move_down": "Xuống", "remove": "Xóa",
        "general": "Thông tin chung", "languages": "Ngôn ngữ (mã, cách nhau dấu phẩy)",
        "ticker": "Dòng chữ chạy", "clock": "Hiện đồng hồ", "interrupts": "Thông báo giờ cố định",
        "add_interrupt": "+ Thông báo", "at_times": "Lúc (giờ, cách nhau dấu phẩy)",
        "every": "Lặp lại mỗi", "save_draft": "Lưu bản nháp",
        "saved": "Đã lưu bản {n}.", "unsaved": "Chưa lưu: các thay đổi chỉ có trên trang này.",
        "conflict": "Không lưu được: {author} vừa lưu bản {head} trong khi bạn đang soạn. "
                    "Nội dung bạn gõ vẫn còn dưới đây; mở bản mới nhất ở thẻ khác, so sánh, "
                    "rồi bấm Lưu để lưu đè lên bản {head}.",
        "stale_form": "Biểu mẫu đã cũ (bạn vừa đăng nhập lại). Nội dung bạn gõ vẫn còn dưới "
                      "đây: kiểm tra rồi bấm Lưu.",
        "restored": "Phiên làm việc đã hết hạn khi bạn bấm Lưu. Nội dung bạn gõ được giữ lại "
                    "dưới đây: kiểm tra rồi bấm Lưu.",
        "problems": "Cần sửa", "no_problems": "Không có lỗi: chương trình này phát được.",
        "translations": "Bản dịch", "field": "Nội dung",
        "tr_missing": "thiếu", "tr_stale": "tiếng Việt đã đổi sau khi dịch", "tr_ok": "đã dịch",
        "tr_source": "gốc", "tr_unused": "không dùng",
        "screens": "Các cụm đang phát gì", "cluster": "Cụm", "on_screen": "Trên màn hình",
        "served": "Bản mới nhất của kênh", "channel_version": "bản kênh {n}",
        "programme_version": "{name}, bản {n}", "other_content": "nội dung khác",
        "nothing_yet": "chưa có", "kind_emergency": "thông báo khẩn", "kind_lift": "đã gỡ khẩn",
        "preview": "Xem trước", "preview_unavailable": "xem trước chưa sẵn sàng",
        "screen": "Màn hình", "rotated": "xoay {deg}°",
        "screen_assumed": "chưa có cụm nào báo kích thước: dùng cỡ đặt trong hub.yaml",
        "frame_strip": "năm khung hình của video", "contact_sheet": "Tờ xem trước cả chương trình (PNG)",
        "slides_of": "Từng trang như trên màn hình · bản {n}",
        "week": "Lịch phát trong tuần", "week_hours": "Giờ",
        "week_note": "Số là số thứ tự mục đang được phát trong giờ đó (theo lịch của từng mục); "
                     "⚡ là thông báo giờ cố định và lúc nó phát (… : còn phát nữa trong giờ đó). Giờ Việt Nam.",
        "week_unavailable": "Chưa xem được lịch tuần: chương trình còn lỗi.",
        "slide_on_air": "Đang phát", "slide_draft": "Bản nháp",
        "editor_preview": "Xem trước bản đã lưu (bản {n}); bấm Lưu để xem thay đổi mới.",
        "preview_note": "Hub này chưa có bộ dựng hình xem trước; nội dung vẫn duyệt được.",
        "yaml": "Tệp playlist.yaml của bản này",
        "approve_title": "Duyệt và phát", "changes": "Thay đổi so với chương trình đang phát",
        "on_air": "Đang phát (kênh {channel})", "draft": "Bản nháp {n}",
        "ch_added": "thêm mới", "ch_removed": "bỏ đi", "ch_changed": "sửa", "ch_same": "giữ nguyên",
        "channels": "Phát tới kênh", "channel_clusters": "cụm: {names}",
        "passphrase": "Mật khẩu ký duyệt", "override": "Tôi biết chương trình còn thiếu bản "
        "dịch và vẫn duyệt ({count} chỗ thiếu)", "approve_button": "Ký duyệt và phát",
        "approved": "Đã ký duyệt bản {n} và phát: {channels}.",
        "err_own_draft": "Bạn không thể tự duyệt bản nháp do chính mình lưu. Hãy nhờ một "
                         "người duyệt khác (hoặc quản trị bật programmes.self_approval).",
        "err_draft_moved": "Bản nháp đã thay đổi (bản mới nhất là {newest}); tải lại trang "
                           "và xem lại trước khi duyệt.",
        "err_has_errors": "Chương trình còn {count} lỗi; hãy sửa trước khi duyệt.",
        "err_missing_translations": "Còn {count} chỗ thiếu bản dịch. Điền bản dịch, hoặc đánh "
                                    "dấu ô xác nhận để vẫn duyệt.",
        "err_no_channel": "Hãy chọn ít nhất một kênh.",
        "err_not_approved": "Chỉ phát lại được một bản đã duyệt.",
        "err_channel_empty": "Kênh {channel} chưa có nội dung nào để thêm thông báo.",
        "err_emergency_empty": "Hãy nhập nội dung thông báo bằng tiếng Việt.",
        "err_wrong_passphrase": "Sai mật khẩu ký duyệt. Lần sai được ghi lại.",
        "err_passphrase_wait": "Sai mật khẩu ký quá nhiều lần. Hãy thử lại sau {wait} giây.",
        "err_no_key": "Bạn chưa có khóa ký duyệt: tạo khóa ở trang Khóa ký duyệt trước.",
        "err_key_damaged": "Khóa ký duyệt lưu trên hub bị hỏng; hãy tạo khóa mới.",
        "err_passphrase_short": "Mật khẩu ký cần ít nhất 12 ký tự.",
        "err_passphrase_differ": "Hai lần nhập mật khẩu ký khác nhau.",
        "err_publish": "Hub từ chối bản phát hành: {message}",
        "rollback": "Phát lại bản này", "stage_more": "Phát bản này tới kênh khác",
        "rolled_back": "Đã phát lại nội dung bản {old} (thành bản {n}).",
        "staged": "Đã phát bản {n} tới: {channels}.",
        "keys_page": "Khóa ký duyệt", "my_key": "Khóa của bạn", "no_my_key": "Bạn chưa có khóa.",
        "create_key": "Tạo khóa mới", "passphrase_again": "Nhập lại mật khẩu ký",
        "key_created": "Đã tạo khóa. Dán khóa công khai dưới đây vào sync.public_keys của "
                       "các cụm.",
        "key_note": "Mật khẩu ký chỉ bạn biết; hub chỉ giữ khóa đã mã hóa bằng mật khẩu này. "
                    "Quên mật khẩu thì tạo khóa mới và dán lại khóa công khai vào các cụm.",
        "public_keys": "Khóa công khai của người duyệt (dán vào sync.public_keys)",
        "approver": "Người duyệt",
        "emergency": "Thông báo khẩn", "emergency_text": "Nội dung thông báo",
        "emergency_clusters": "Hiện trên các cụm", "emergency_raise": "Ký và phát thông báo khẩn",
        "emergency_lift": "Gỡ thông báo khẩn", "emergency_on": "đang có thông báo khẩn",
        "emergency_off": "không có", "emergency_raised": "Thông báo khẩn đã được phát tới: {channels}.",
        "emergency_lifted": "Đã gỡ thông báo khẩn trên: {channels}.",
        "shared_channel": "Các cụm cùng một kênh nhận cùng một nội dung.",
        "back_programmes": "← Các chương trình", "back_programme": "← Về chương trình",
        "note_created": "tạo mới", "note_rollback": "phát lại nội dung bản {n}",
    },
    "en": {
        "programmes": "Programmes", "new_programme": "New programme",
        "programme_name": "Programme name", "create": "Create",
        "import": "Import a playlist.yaml file", "import_file": "playlist.yaml file",
        "import_button": "Import", "import_failed": "The file could not be imported:",
        "import_large": "{file}: larger than {limit} kB, not a playlist.yaml.",
        "no_programmes": "No programmes yet.",
        "version": "Version", "versions": "Saved versions", "author": "Saved by",
        "state_draft": "draft", "state_approved": "approved", "saved_at": "Saved at",
        "edit": "Edit", "approve": "Approve", "open": "Open",
        "editor": "Edit programme", "items_title": "Items (in playing order)",
        "item": "Item", "kind_text": "Text", "kind_image": "Picture", "kind_video": "Video",
        "item_id": "Item id", "media": "Picture/video file", "media_keep": "(keep current file)",
        "media_pick_image": "Choose a picture from the library",
        "media_pick_video": "Choose a video from the library",
        "media_none": "The library has no ready file of this kind yet.",
        "media_upload": "Upload a new picture or video to the library →",
        "texts": "Text on screen", "caption": "Caption", "duration": "Duration",
        "duration_hint": "like 10s, 1m30s", "transition": "Transition",
        "transition_default": "default", "transition_crossfade": "crossfade",
        "transition_cut": "cut",
        "schedule": "Schedule", "date_from": "From", "date_until": "Until",
        "days": "Days", "hours": "Hours", "hours_hint": "like 07:00-18:00",
        "complex_schedule": "This item has a hand-written schedule; it is kept as it is.",
        "day_mon": "Mon", "day_tue": "Tue", "day_wed": "Wed", "day_thu": "Thu", "day_fri": "Fri",
        "day_sat": "Sat", "day_sun": "Sun",
        "add_text": "+ Text", "add_image": "+ Picture", "add_video": "+ Video",
        "duplicate": "Duplicate", "move_up": "Up", "move_down": "Down", "remove": "Remove",
        "general": "General", "languages": "Languages (codes, comma separated)",
        "ticker": "Ticker", "clock": "Show the clock", "interrupts": "Announcements at set times",
        "add_interrupt": "+ Announcement", "at_times": "At (times, comma separated)",
        "every": "Repeat every", "save_draft": "Save draft",
        "saved": "Version {n} saved.", "unsaved": "Not saved: the changes are on this page only.",
        "conflict": "Not saved: {author} saved version {head} while you were editing. What "
                    "you typed is still below; open the newest version in another tab, compare, "
                    "then press Save to save over version {head}.",
        "stale_form": "The form was stale (you logged in again). What you typed is still "
                      "below: check it and press Save.",
        "restored": "Your session expired when you pressed Save. What you typed was kept and "
                    "is below: check it and press Save.",
        "problems": "To fix", "no_problems": "No problems: this programme can play.",
        "translations": "Translations", "field": "Text",
        "tr_missing": "missing", "tr_stale": "Vietnamese changed after translation",
        "tr_ok": "translated", "tr_source": "source", "tr_unused": "not used",
        "screens": "What each cluster shows", "cluster": "Cluster", "on_screen": "On screen",
        "served": "Newest in its channel", "channel_version": "channel version {n}",
        "programme_version": "{name}, version {n}", "other_content": "other content",
        "nothing_yet": "nothing yet", "kind_emergency": "emergency message",
        "kind_lift": "emergency lifted",
        "preview": "Preview", "preview_unavailable": "preview not ready",
        "screen": "Screen", "rotated": "rotated {deg}°",
        "screen_assumed": "no cluster has reported its size: the size set in hub.yaml",
        "frame_strip": "five frames of the video", "contact_sheet": "Contact sheet of the whole programme (PNG)",
        "slides_of": "Each slide as the screen shows it · version {n}",
        "week": "The week: what plays when", "week_hours": "Hours",
        "week_note": "Numbers are the items playing in that hour (by each item's schedule); "
                     "⚡ is an interrupt and when it fires (…: again within the hour). Vietnam time.",
        "week_unavailable": "The week view needs a programme without errors.",
        "slide_on_air": "On air", "slide_draft": "Draft",
        "editor_preview": "Preview of the saved version ({n}); save to see new changes.",
        "preview_note": "This hub has no preview renderer yet; content can still be approved.",
        "yaml": "This version's playlist.yaml",
        "approve_title": "Approve and publish", "changes": "Changes against the programme on air",
        "on_air": "On air (channel {channel})", "draft": "Draft {n}",
        "ch_added": "added", "ch_removed": "removed", "ch_changed": "changed", "ch_same": "same",
        "channels": "Publish to channels", "channel_clusters": "clusters: {names}",
        "passphrase": "Signing passphrase", "override": "I know translations are missing and "
        "approve anyway ({count} missing)", "approve_button": "Sign, approve and publish",
        "approved": "Version {n} signed and published: {channels}.",
        "err_own_draft": "You cannot approve a draft you saved yourself. Ask another approver "
                         "(or an admin sets programmes.self_approval).",
        "err_draft_moved": "The draft changed (the newest is version {newest}); reload the page "
                           "and review it before approving.",
        "err_has_errors": "The programme has {count} errors; fix them before approving.",
        "err_missing_translations": "{count} translations are missing. Fill them in, or tick "
                                    "the box to approve anyway.",
        "err_no_channel": "Choose at least one channel.",
        "err_not_approved": "Only an approved version can be published again.",
        "err_channel_empty": "Channel {channel} has no content to add a message to yet.",
        "err_emergency_empty": "Type the message in Vietnamese.",
        "err_wrong_passphrase": "Wrong signing passphrase. The attempt was recorded.",
        "err_passphrase_wait": "Too many wrong passphrases. Try again in {wait} seconds.",
        "err_no_key": "You have no signing key yet: create one on the Signing keys page.",
        "err_key_damaged": "Your stored signing key is damaged; create a new one.",
        "err_passphrase_short": "A signing passphrase needs at least 12 characters.",
        "err_passphrase_differ": "The two passphrases differ.",
        "err_publish": "The hub refused the release: {message}",
        "rollback": "Put this version back", "stage_more": "Publish to more channels",
        "rolled_back": "The content of version {old} is back on air (as version {n}).",
        "staged": "Version {n} published to: {channels}.",
        "keys_page": "Signing keys", "my_key": "Your key", "no_my_key": "You have no key yet.",
        "create_key": "Create a new key", "passphrase_again": "Signing passphrase again",
        "key_created": "Key created. Paste the public key below into the clusters' "
                       "sync.public_keys.",
        "key_note": "Only you know the passphrase; the hub keeps the key encrypted with it. "
                    "If you forget it, create a new key and paste the new public key into the "
                    "clusters.",
        "public_keys": "Approvers' public keys (for sync.public_keys)",
        "approver": "Approver",
        "emergency": "Emergency message", "emergency_text": "Message",
        "emergency_clusters": "Show on clusters", "emergency_raise": "Sign and show the message",
        "emergency_lift": "Lift the message", "emergency_on": "emergency message on",
        "emergency_off": "none", "emergency_raised": "The emergency message is published to: "
                                                     "{channels}.",
        "emergency_lifted": "Emergency message lifted on: {channels}.",
        "shared_channel": "Clusters on one channel receive the same content.",
        "back_programmes": "← Programmes", "back_programme": "← Back to the programme",
        "note_created": "created", "note_rollback": "the content of version {n} put back",
    },
}


class ProgrammePage(pages.Page):
    """A hub page whose words include the programme pages'."""

    def __init__(self, lang: str, now: float | None = None, path: str = "/",
                 query: dict[str, str] | None = None):
        super().__init__(lang, now, path, query)
        self.t = {**page_text.TEXT[self.lang], **TEXT[self.lang]}

    def error(self, key: str, values: dict[str, Any] | None = None) -> str:
        text = self.t.get("err_" + key, key)
        try:
            return text.format(**(values or {}))
        except (KeyError, IndexError):
            return text


    def note(self, note: str) -> str:
        """A version's note (``created``, ``rollback:N``) in the page's language."""
        kind, _, number = note.partition(":")
        if kind == "rollback":
            return self.text("note_rollback", n=number)
        return self.t.get("note_" + kind, note)

    def annotate(self, text: str, names: dict[str, str]) -> str:
        """YAML text with each ``media/<sha256><ext>`` followed by the file's name."""
        for path, name in names.items():
            text = text.replace(path, f"{path}  # {name}")
        return text


def render(template: str, page: ProgrammePage, **context: Any) -> str:
    return pages.render(template, page, **context)


__all__ = ["TEXT", "ProgrammePage", "render"]
