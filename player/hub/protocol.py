"""uvicorn's h11 protocol with one more guard: a request's headers must arrive in time.

uvicorn closes a keep-alive connection that stays silent after an answer, but a connection that
never sends a request, or sends its headers a byte at a time (slowloris), is kept for ever; a
few thousand of those would fill `limits.max_connections`. Here each request's line and headers
must be complete within `keep_alive_seconds` of the connection opening or the previous answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class GuardedH11Protocol(H11Protocol):
    """H11Protocol that closes connections whose next request's headers do not come in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_deadline: asyncio.TimerHandle | None = None
        self._waiting_after: object = None  # the cycle answered last; a new one means headers came

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._waiting_after:
            self._disarm()

    def on_response_complete(self) -> None:
        answered = self.cycle
        super().on_response_complete()  # may start a pipelined request at once
        if not self.transport.is_closing():
            self._waiting_after = answered
            if self.cycle is answered:
                self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

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
