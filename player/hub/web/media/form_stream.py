"""A multipart upload read as it arrives, the file streamed to disk, the small fields kept."""

from __future__ import annotations

from typing import Any

from player.hub.media import MediaRefused, UploadSink

MAX_FIELD = 4096  # bytes of a form field other than the file


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


__all__ = ["FormStream", "MAX_FIELD"]
