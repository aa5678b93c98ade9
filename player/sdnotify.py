"""sd_notify(3) without a dependency: one datagram to $NOTIFY_SOCKET per message.

Without NOTIFY_SOCKET (not started by systemd, or `Type=simple`) every method does nothing.
A socket name starting with `@` is in the abstract namespace.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

log = logging.getLogger(__name__)


class Notifier:
    """Tells systemd READY, WATCHDOG, STATUS and STOPPING; never raises."""

    def __init__(self, address: str | None) -> None:
        self.address = _address(address) if address else None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def from_environment(cls) -> Notifier:
        return cls(os.environ.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def ready(self, status: str = "") -> None:
        self.send("READY=1" + (f"\nSTATUS={_one_line(status)}" if status else ""))

    def watchdog(self) -> None:
        """Call from the render loop only, and only while frames really advance."""
        self.send("WATCHDOG=1")

    def status(self, text: str) -> None:
        self.send(f"STATUS={_one_line(text)}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def send(self, message: str) -> bool:
        if self.address is None:
            return False
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX,
                                                 socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.sendto(message.encode("utf-8"), self.address)
                return True
            except OSError as exc:
                if not self._warned:  # once: the watchdog would repeat it many times a minute
                    log.warning("cannot notify systemd at %r: %s", self.address, exc)
                    self._warned = True
                return False

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def _address(name: str) -> str | bytes:
    if name.startswith("@"):
        return b"\0" + name[1:].encode()
    return name


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
