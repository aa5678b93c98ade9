"""The C heap under the video decoders (glibc only; elsewhere these do nothing).

Each clip's decoder, filter graph and frame pools allocate and free several full-size pictures,
each new decoder thread from a malloc arena of its own. glibc keeps what is freed in each arena,
and makes up to 8 arenas a core, so over thousands of items the process sits tens of MB above
what it uses. Measured with benchmarks/soak.py over 10,000 switches: with glibc's default arenas
RSS rose by 14-22 MB, to 165-185 MB; with two arenas it stayed between 105 and 112 MB, for the
same memory in use (28-30 MB of C heap).
"""

from __future__ import annotations

import ctypes
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

ARENAS = 2  # enough for the render thread and the decoders on these two- to four-core boxes
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc has both; musl has neither
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def limit_arenas(count: int = ARENAS) -> bool:
    """Cap the number of malloc arenas; True when done. Call it at start, before the threads
    (an arena made earlier stays). MALLOC_ARENA_MAX in the environment, if set, wins."""
    if _LIBC is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    done = bool(_LIBC.mallopt(_M_ARENA_MAX, count))
    if not done:
        log.debug("mallopt(M_ARENA_MAX, %d) refused", count)
    return done


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's `malloc_trim`). Called by each
    new decoder thread, off the render thread: about a millisecond."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
