"""Helpers for the hub tests: signed channels, report builders, a hub handle."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.server import HubServer

CLUSTER_TOKEN = "token-of-bangioc-1-0123456789"
OTHER_TOKEN = "token-of-cuakhau-2-0123456789"
UPLOAD_TOKEN = "upload-token-0123456789abcdef"
EVIL_NAME = '<script>alert("x")</script> Cửa khẩu & <b>bold</b>'


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode()


def write_channel(folder: Path, channel: str, version: int, files: dict[str, bytes],
                  key: Ed25519PrivateKey) -> bytes:
    """A channel folder in the documented format; returns the manifest bytes."""
    objects = folder / "objects"
    objects.mkdir(parents=True, exist_ok=True)
    entries = []
    for path, data in files.items():
        sha = hashlib.sha256(data).hexdigest()
        (objects / sha).write_bytes(data)
        entries.append({"path": path, "sha256": sha, "size": len(data)})
    now = datetime.now(UTC)
    manifest = json.dumps({
        "format": 1, "channel": channel, "version": version,
        "issued": now.isoformat().replace("+00:00", "Z"),
        "expires": (now + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
        "playlist": "playlist.yaml", "files": entries}, indent=1).encode()
    (folder / "manifest.json.sig").write_text(base64.b64encode(key.sign(manifest)).decode() + "\n")
    (folder / "manifest.json").write_bytes(manifest)
    return manifest


@dataclass
class Hub:
    server: HubServer
    root: Path
    key: Ed25519PrivateKey
    url: str

    def post(self, batch: object, token: str | None = CLUSTER_TOKEN,
             **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(batch, bytes):
            return requests.post(self.url + "api/v1/heartbeats", data=batch, headers=headers,
                                 timeout=10, **kwargs)
        return requests.post(self.url + "api/v1/heartbeats", json=batch, headers=headers,
                             timeout=10, **kwargs)


def hub_config_data(key: Ed25519PrivateKey) -> dict:
    return {
        "upload_token": UPLOAD_TOKEN,
        "channels": {"ban-gioc": {"public_keys": [public_key_text(key)]}},
        "clusters": {
            "bangioc-1": {"token": CLUSTER_TOKEN, "name": "Bản Giốc – cổng chính",
                          "channel": "ban-gioc"},
            "cuakhau-2": {"token": OTHER_TOKEN, "name": EVIL_NAME},
            "silent-3": {"token": OTHER_TOKEN + "x", "name": "Pò Peo"},
        },
        "alerts": {"stale_minutes": 5, "offline_minutes": 30, "max_temperature": 70,
                   "max_humidity": 85, "min_disk_free": "1GB"},
        "public_fleet": True,  # these tests are about the machines' side; accounts have theirs
    }


def report(kind: str = "heartbeat", cluster: str = "bangioc-1", seq: int = 1,
           when: datetime | None = None, **extra) -> dict:
    when = when or datetime.now(UTC)
    base = {"id": str(uuid.uuid4()), "cluster": cluster, "seq": seq, "boot_id": "boot-1",
            "time": when.isoformat().replace("+00:00", "Z"), "uptime": 100.0,
            "clock_synced": True, "kind": kind}
    if kind == "heartbeat":
        base.update(summary={"temperature_celsius": 41.5, "humidity_percent": 70.0,
                             "disk_free_bytes": 20e9, "disk_total_bytes": 32e9,
                             "memory_available_bytes": 1e9, "load1": 0.4,
                             "display_connected": True},
                    readings={'node_hwmon_temp_celsius{chip="cpu"}': 41.5},
                    player={"playlist": "ban-gioc", "release": 3, "item": "thac-ban-gioc.jpg",
                            "frames": 1000, "late_frames": 0, "audio": True,
                            "last_sync": {"time": base["time"], "result": "ok", "bytes": 0,
                                          "error": None}})
    elif kind == "event":
        base.update(severity="error", event="decode_failed", message="clip.mp4: broken")
    elif kind == "play":
        base.update(item="thac-ban-gioc.jpg", release=3, start=base["time"], end=base["time"])
    base.update(extra)
    return base


def batch(*reports: dict, cluster: str = "bangioc-1") -> dict:
    return {"format": 1, "cluster": cluster, "reports": list(reports)}


def migrations_head() -> str:
    """The newest revision of the hub's migrations (what `migrate` brings a database to)."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from player.hub.database import MIGRATIONS

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
