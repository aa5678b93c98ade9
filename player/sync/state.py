"""The sync state kept in `<state_dir>/sync-state.json`, for `status` and across restarts.

Keys: `current_version`, `last_attempt`, `last_success` (ISO 8601 UTC), `last_result`
(`updated`, `unchanged`, `failed`, `refused`), `bytes_pending`, `last_bytes`, `last_error`,
`highest_version` (rollback protection even if the store is wiped of its releases) and `etags`
(per source, only for manifests fully handled).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from player.storage.durable import write_atomic

log = logging.getLogger(__name__)

STATE_NAME = "sync-state.json"


PUBLIC_KEYS = ("current_version", "last_attempt", "last_success", "last_result",
               "bytes_pending", "last_bytes", "last_error")


def read_sync_state(state_dir: Path) -> dict[str, Any]:
    """The sync state for `status` and heartbeats: PUBLIC_KEYS, in that order, with
    `current_version` read from the store itself (None when nothing is installed)."""
    from player.sync.store import current_release

    saved = _read(Path(state_dir) / STATE_NAME)
    current = current_release(Path(state_dir))
    state: dict[str, Any] = {key: saved.get(key) for key in PUBLIC_KEYS}
    state["current_version"] = current[0] if current else None
    state["bytes_pending"] = saved.get("bytes_pending") or 0
    return state


def last_sync(saved: dict[str, Any]) -> dict[str, Any]:
    """The last pass as heartbeats and `status` show it (`time`, `result`, `bytes`, `error`);
    empty when no pass was ever attempted."""
    if not saved.get("last_attempt"):
        return {}
    return {"time": saved.get("last_attempt"), "result": saved.get("last_result"),
            "bytes": saved.get("last_bytes"), "error": saved.get("last_error")}


def read_last_sync(state_dir: Path) -> dict[str, Any]:
    """`last_sync` from the saved state: what the previous run (or a `sync --once`) did."""
    return last_sync(_read(Path(state_dir) / STATE_NAME))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s); starting with an empty sync state", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


class SyncState:
    """The state file, updated key by key and written durably on each update."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / STATE_NAME
        self._lock = threading.Lock()
        self._data = _read(self.path)

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._data.get(key, default)

    def last_sync(self) -> dict[str, Any]:
        """The last pass as the board shows it (see `last_sync`)."""
        with self._lock:
            return last_sync(self._data)

    def update(self, **values: Any) -> None:
        with self._lock:
            # Re-read first: a `sync --once` in another process may have written since.
            self._data = {**_read(self.path), **values}
            data = json.dumps(self._data, indent=1, sort_keys=True).encode("utf-8")
            try:
                write_atomic(self.path, data)
            except OSError as exc:  # a full or read-only disk must not stop the sync itself
                log.warning("cannot save the sync state to %s: %s", self.path, exc)
