"""A real tmpfs mount for tests that need a read-only or a full filesystem.

Tests run as root in CI, and root ignores file modes, so `chmod` cannot make a folder
read-only for the player: a mount (remounted read-only, or too small) can.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class Mount:
    """A tmpfs at `path`; `read_only(True/False)` remounts it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read_only(self, flag: bool) -> None:
        option = "remount,ro" if flag else "remount,rw"
        subprocess.run(["mount", "-o", option, str(self.path)], check=True, capture_output=True)


@contextmanager
def tmpfs(path: Path, size: str = "16m") -> Iterator[Mount]:
    """Mount a tmpfs (skipping the test with the reason where mounting is not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                           str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): "
                    f"{done.stderr.strip()}")
    try:
        yield Mount(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
