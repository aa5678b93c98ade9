"""Rate-limits repeated warnings: the same broken file warned about every loop would flood
the journal (and the SD card). The first one passes, repeats within `interval` are counted,
and the next one to pass says how many were held back."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable


class RateLimitFilter(logging.Filter):
    """A handler filter: one record per (logger, level, message, arguments) per interval."""

    def __init__(self, interval: float = 300.0, level: int = logging.WARNING,
                 monotonic: Callable[[], float] = time.monotonic, max_keys: int = 2000) -> None:
        super().__init__()
        self.interval = interval
        self.level = level
        self.monotonic = monotonic
        self.max_keys = max_keys
        self._seen: dict[tuple, list[float | int]] = {}  # key -> [last passed, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.level:
            return True
        key = (record.name, record.levelno, str(record.msg), _SCRATCH.sub("*", _args_key(record.args)))
        now = self.monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.interval:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            # the suffix holds no "%", so it is safe with or without %-style arguments
            record.msg = (f"{record.msg} [repeated {seen[1]} more times in the last "
                          f"{now - seen[0]:.0f} s]")
        if len(self._seen) >= self.max_keys:
            cutoff = now - self.interval
            self._seen = {k: v for k, v in self._seen.items() if v[0] >= cutoff}
        self._seen[key] = [now, 0]
        return True


# Temporary file names differ at every attempt ("cannot write the status files: [Errno 30]
# Read-only file system: '/var/lib/signage-player/.status.json.k3j_x9qa'"): one failure repeated
# must count as a repeat, so the random part of such names is not part of what is compared.
_SCRATCH = re.compile(r"(?<=\.)(?:[a-z0-9_]{8}(?=['\"\s]|$)|tmp-\d+)")


def _args_key(args: object) -> str:
    try:
        return repr(args)
    except Exception:  # a broken __repr__ must not break logging
        return ""


def install(interval: float = 300.0, logger: logging.Logger | None = None) -> RateLimitFilter:
    """Add one shared filter to every handler of `logger` (the root logger by default)."""
    limiter = RateLimitFilter(interval)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(limiter)
    return limiter
