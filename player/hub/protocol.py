"""uvicorn's HTTP protocols with the hub's guards: headers must arrive in time, and be small.

uvicorn closes a keep-alive connection that stays silent after an answer, but a connection that
never sends a request, or sends its headers a byte at a time (slowloris), is kept for ever; a
few thousand of those would fill `limits.max_connections`. Here each request's line and headers
must be complete within `keep_alive_seconds` of the connection opening or the previous answer.

The hub serves with httptools (llhttp, in C) when it is installed: it parses a request in a
fraction of h11's time. llhttp has no limit on the size of a request's headers, so the guard
counts them itself and answers 400 past `limits.max_header_bytes`, as h11 does. Without
httptools the hub falls back to h11 (`h11_max_incomplete_event_size` holds that limit).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)


class _HeadersInTime:
    """Closes connections whose next request's headers do not come in time (a mixin)."""

    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    timeout_keep_alive: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_deadline: asyncio.TimerHandle | None = None
        self._waiting_after: object = None  # the cycle answered last; a new one means headers came

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def on_response_complete(self) -> None:
        answered = self.cycle
        super().on_response_complete()  # type: ignore[misc]  # may start a pipelined request at once
        self._after_response(answered)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _after_data(self) -> None:
        if self.cycle is not None and self.cycle is not self._waiting_after:
            self._disarm()

    def _after_response(self, answered: object) -> None:
        if not self.transport.is_closing():
            self._waiting_after = answered
            if self.cycle is answered:
                self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._headers_deadline = self.loop.call_later(self.timeout_keep_alive, self._too_slow)

    def _disarm(self) -> None:
        if self._headers_deadline is not None:
            self._headers_deadline.cancel()
            self._headers_deadline = None

    def _too_slow(self) -> None:
        self._headers_deadline = None
        if self.cycle is self._waiting_after and not self.transport.is_closing():
            self.transport.close()


class GuardedH11Protocol(_HeadersInTime, H11Protocol):
    """H11Protocol that closes connections whose next request's headers do not come in time."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._after_data()


def guarded_protocol(max_header_bytes: int) -> type[asyncio.Protocol]:
    """The protocol class for uvicorn's `http=`: httptools if installed, else h11."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools (the `hub` extra) missing: uvicorn's import of it fails
        log.info("httptools is not installed: serving HTTP with h11 (slower)")
        return GuardedH11Protocol

    class GuardedHttpToolsProtocol(_HeadersInTime, HttpToolsProtocol):
        """HttpToolsProtocol with the headers-in-time guard and a limit on header size."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_headers = True
            self._header_bytes = 0

        def data_received(self, data: bytes) -> None:
            if self._in_headers:
                self._header_bytes += len(data)
            super().data_received(data)
            if self._in_headers and self._header_bytes > max_header_bytes \
                    and not self.transport.is_closing():
                # Checked after the parser had the chunk: headers completed within it are fine.
                self.send_400_response("Request headers too large.")
                return
            self._after_data()

        def on_headers_complete(self) -> None:
            self._in_headers = False
            self._header_bytes = 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_headers = True  # what comes next is the next request's line and headers

    return GuardedHttpToolsProtocol
