"""Uploading a published channel folder to a hub (`signage-player publish --to URL`).

Objects the hub already has are skipped (a HEAD on the public channel path), the others are
sent one by one, and the signed manifest goes last: the hub refuses a manifest whose objects
are not all there, so players never see a half-uploaded version.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import requests

from player.core.manifest import MANIFEST_NAME, SIGNATURE_NAME

log = logging.getLogger(__name__)
TIMEOUT = (15, 120)  # connect, read seconds


class UploadError(Exception):
    """The upload failed; the message says why (the hub's own words when it answered)."""


def upload_channel(out_folder: Path, hub_url: str, token: str,
                   session: requests.Session | None = None) -> None:
    """Upload the channel in `out_folder` (manifest.json, .sig, objects/) to the hub."""
    manifest_bytes, signature, data = _read_channel(out_folder)
    base = hub_url if hub_url.endswith("/") else hub_url + "/"
    channel = data["channel"]
    http = session or requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        sent = skipped = 0
        for sha in dict.fromkeys(entry["sha256"] for entry in data["files"]):
            if _hub_has(http, f"{base}channels/{channel}/objects/{sha}"):
                skipped += 1
                continue
            _put_object(http, f"{base}api/v1/channels/{channel}/objects/{sha}",
                        out_folder / "objects" / sha, headers)
            sent += 1
        body = {"manifest": base64.b64encode(manifest_bytes).decode(), "signature": signature}
        answer = http.put(f"{base}api/v1/channels/{channel}/manifest", json=body,
                          headers=headers, timeout=TIMEOUT)
        _raise_for(answer, MANIFEST_NAME)
    except requests.RequestException as exc:
        raise UploadError(f"cannot reach the hub at {base}: {exc}") from None
    finally:
        if session is None:
            http.close()
    log.info("uploaded channel %s version %s to %s (%d object(s) sent, %d already there)",
             channel, data["version"], base, sent, skipped)


def _read_channel(folder: Path) -> tuple[bytes, str, dict]:
    try:
        manifest_bytes = (folder / MANIFEST_NAME).read_bytes()
        signature = (folder / SIGNATURE_NAME).read_text(encoding="ascii")
        data = json.loads(manifest_bytes)
        files = data["files"]
        if not isinstance(data["channel"], str) or not isinstance(files, list):
            raise TypeError
        for entry in files:
            if not (folder / "objects" / entry["sha256"]).is_file():
                raise UploadError(f'{folder}/objects/{entry["sha256"]} ({entry["path"]}) is '
                                  "missing: publish the folder again")
    except OSError as exc:
        raise UploadError(f"{folder}: cannot read the channel: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise UploadError(f"{folder}/{MANIFEST_NAME} is not a channel manifest") from None
    return manifest_bytes, signature, data


def _hub_has(http: requests.Session, url: str) -> bool:
    answer = http.head(url, timeout=TIMEOUT)
    return answer.status_code == 200


def _put_object(http: requests.Session, url: str, path: Path, headers: dict) -> None:
    with open(path, "rb") as handle:
        answer = http.put(url, data=handle, timeout=TIMEOUT,
                          headers={**headers, "Content-Type": "application/octet-stream",
                                   "Content-Length": str(path.stat().st_size)})
    _raise_for(answer, path.name)


def _raise_for(answer: requests.Response, what: str) -> None:
    if answer.status_code < 300:
        return
    try:
        reason = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        reason = answer.reason
    raise UploadError(f"the hub refused {what}: {answer.status_code} {reason}")
