"""The C heap's arena limit and trim (player/render/heap.py), in a child process of its own so
that what it does to the heap is seen alone (glibc's malloc_stats names each arena)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.render import heap

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import ctypes, sys, threading
from player.render.heap import limit_arenas, release_free_memory
limited = limit_arenas() if sys.argv[1] == "limit" else False
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
barrier = threading.Barrier(8)
blocks = []
def allocate():
    barrier.wait()  # all at once: each thread wants an arena of its own
    for _ in range(50):
        blocks.append(libc.malloc(64 * 1024))
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
for block in blocks: libc.free(block)
release_free_memory()
print(limited, flush=True)
libc.malloc_stats()  # one "Arena N:" paragraph per arena, on stderr
"""

pytestmark = pytest.mark.skipif(heap._LIBC is None, reason="glibc only")


def arenas(mode: str) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", CHILD, mode], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip(), done.stderr.count("Arena ")


def test_two_arenas_at_most_once_limited():
    assert arenas("limit") == ("True", 2)


def test_without_the_limit_threads_take_arenas_of_their_own():
    limited, count = arenas("none")
    assert limited == "False" and count > 2  # what the limit saves: the test means something


def test_an_arena_limit_set_by_the_environment_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert heap.limit_arenas() is False
