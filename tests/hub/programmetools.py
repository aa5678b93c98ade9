"""Helpers for the programme tests: a folder of real media, an approver key that derives fast,
and a desk over a real hub database and channel folder."""

from __future__ import annotations

import html as html_module
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from player.hub.approvers import ApproverKeys, AttemptPolicy, KdfParameters
from player.hub.programme_sources import FolderMediaSource, MediaItem

# argon2id still, with a small memory cost: the tests exercise the logic, not the cost
FAST_KDF = KdfParameters(time_cost=1, memory_kib=1024, parallelism=1)
PASSPHRASE = "Đèo Mã Phục lúc bình minh 2026"


def make_media(folder: Path) -> FolderMediaSource:
    """A real JPEG (Pillow) and a real H.264 clip (PyAV) in ``folder``."""
    from tests.render.clips import make_clip

    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 180), (20, 120, 60)).save(folder / "thac-ban-gioc.jpg", quality=85)
    make_clip(folder / "dong-nguom-ngao.mp4", 1.0, fps=10, audio=False)
    return FolderMediaSource(folder)


def item(source: FolderMediaSource, name: str) -> MediaItem:
    return next(m for m in source.list_ready() if m.name == name)


def fast_keys(engine, clock, max_failures: int = 3) -> ApproverKeys:
    return ApproverKeys(engine, clock, FAST_KDF, AttemptPolicy(window=900, max_failures=max_failures))


def trilingual_playlist(photo: MediaItem, word: str = "Chào mừng") -> str:
    return f"""name: Bản Giốc tháng 12
languages: [vi, en, zh]
items:
  - id: chao-mung
    text:
      vi: "{word} đến thác Bản Giốc"
      en: Welcome to Ban Gioc waterfall
      zh: 欢迎来到板约瀑布
    duration: 3s
  - id: anh-thac
    image: {photo.playlist_path}
    caption: {{vi: Thác Bản Giốc, en: Ban Gioc falls, zh: 板约瀑布}}
    duration: 3s
"""


class PagesClient:
    """A person at the hub's programme pages over real HTTP (requests), as a browser posts."""

    def __init__(self, url: str, name: str, password: str):
        import requests

        self.url = url.rstrip("/")
        self.http = requests.Session()
        page = self.http.get(self.url + "/login", timeout=30)
        token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
        done = self.http.post(self.url + "/login", data={"name": name, "password": password,
                                                         "login_token": token, "next": "/"},
                              allow_redirects=False, timeout=30)
        assert done.status_code == 303, done.text[:500]

    def csrf(self, path: str) -> str:
        page = self.http.get(self.url + path, timeout=30)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def post(self, path: str, data: dict, **kwargs):
        return self.http.post(self.url + path, data=data, allow_redirects=False, timeout=120,
                              **kwargs)

    def create(self, name: str) -> int:
        answer = self.post("/programmes", {"name": name, "csrf_token": self.csrf("/programmes")})
        assert answer.status_code == 303, answer.text[:500]
        return int(answer.headers["location"].split("/")[2])

    def save_text(self, programme_id: int, text: str) -> int:
        """A new version from playlist text, through the editor's own form."""
        from player.hub.programme_form import document_form
        from tests.hub.test_hub_programmes_web import editor_fields
        page = self.http.get(f"{self.url}/programmes/{programme_id}/edit", timeout=30)
        fields = editor_fields(page.text)
        form = document_form(__import__("yaml").safe_load(text))
        fields = {k: v for k, v in fields.items() if not k.startswith(("item-", "int-"))}
        fields.update(form_fields(form), op="save")
        answer = self.post(f"/programmes/{programme_id}/edit", fields)
        assert answer.status_code == 303, answer.text[:2000]
        return int(answer.headers["location"].rsplit("saved=", 1)[1])

    def make_key(self, passphrase: str) -> str:
        answer = self.post("/programmes/keys", {
            "csrf_token": self.csrf("/programmes/keys"), "passphrase": passphrase,
            "passphrase_again": passphrase})
        return re.search(r'<code class="key">(ed25519:[^<]+)</code>', answer.text).group(1)

    def approve(self, programme_id: int, version: int, passphrase: str,
                channels: tuple[str, ...] = ("ban-gioc",)):
        path = f"/programmes/{programme_id}/approve"
        return self.post(path, {"csrf_token": self.csrf(path), "version": str(version),
                                "channels": list(channels), "passphrase": passphrase,
                                "override": "1"})

    def put_back(self, programme_id: int, version: int, passphrase: str,
                 channels: tuple[str, ...] = ("ban-gioc",)):
        return self.post(f"/programmes/{programme_id}/publish", {
            "csrf_token": self.csrf(f"/programmes/{programme_id}"), "version": str(version),
            "channels": list(channels), "passphrase": passphrase})


def emergency(client: PagesClient, passphrase: str, clusters: list[str], text: str = "",
              lift: bool = False):
    """Raise (or lift) an emergency message on ``clusters`` through the page's form."""
    return client.post("/programmes/emergency", {
        "csrf_token": client.csrf("/programmes/emergency"), "clusters": clusters,
        "action": "lift" if lift else "raise", "text-vi": text, "text-en": "Emergency",
        "passphrase": passphrase})


def form_fields(form) -> dict:
    """The editor's posted fields for a ProgrammeForm (what the page's inputs carry)."""
    fields: dict = {"name": form.name, "languages": ", ".join(form.languages),
                    "item_count": str(len(form.items)),
                    "interrupt_count": str(len(form.interrupts))}
    for group, items in (("item", form.items), ("int", form.interrupts)):
        for n, it in enumerate(items):
            prefix = f"{group}-{n}"
            fields.update({f"{prefix}-kind": it.kind, f"{prefix}-id": it.id,
                           f"{prefix}-media": it.media, f"{prefix}-duration": it.duration,
                           f"{prefix}-transition": it.transition, f"{prefix}-hours": it.hours,
                           f"{prefix}-extra": json.dumps(it.extra), f"{prefix}-days": it.days,
                           f"{prefix}-at": it.at, f"{prefix}-every": it.every})
            for lang, value in it.text.items():
                fields[f"{prefix}-text-{lang}"] = value
            for lang, value in it.caption.items():
                fields[f"{prefix}-caption-{lang}"] = value
    return fields


@contextmanager
def headless_player(folder: Path, hub_url: str, public_key: str | list[str], token: str,
                    channel: str = "ban-gioc") -> Iterator[Callable[[], dict]]:
    """The real player (``python -m player run --headless``) syncing from the hub's channel with
    its long-poll and reporting to it; yields a function reading its status.json's ``player``."""
    import os
    import subprocess
    import sys

    import yaml

    from player.health.status import read_status

    root = Path(__file__).resolve().parents[2]
    config = folder / "player.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    config.write_text(yaml.safe_dump({
        "cluster": "bangioc-1", "state_dir": str(folder / "state"),
        "sync": {"sources": [f"{hub_url.rstrip('/')}/channels/{channel}/"],
                 "public_keys": [public_key] if isinstance(public_key, str) else public_key,
                 "interval": "10s"},  # the shortest allowed; long-polls hold 10 s
        "health": {"report_url": f"{hub_url.rstrip('/')}/api/v1/heartbeats", "token": token,
                   "interval": "1s", "upload_interval": "1s", "write_interval": "1s",
                   "screenshot_interval": "2s"},
    }), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(root), SDL_AUDIODRIVER="dummy",
               SDL_VIDEODRIVER="offscreen")
    with open(folder / "player.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "player", "run", "--config",
                                    str(config), "--headless", "--size", "320x180"],
                                   stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    try:
        yield lambda: (read_status(folder / "state" / "status.json") or {}).get("player") or {}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(check: Callable[[], Any], timeout: float = 90.0, step: float = 0.05) -> Any:
    """The first true value of ``check()``, or the last one after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = check()
    return value


def editor_fields(html: str) -> dict:
    """Every field of the editor's form as the browser would post it (checked boxes only)."""
    fields: dict = {}
    for tag in re.findall(r"<(?:input|textarea|select)[^>]*>(?:[^<]*</textarea>)?", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        name = name.group(1)
        if tag.startswith("<textarea"):
            value = re.search(r">([^<]*)</textarea>", tag).group(1)
        elif tag.startswith("<select"):
            continue
        elif 'type="checkbox"' in tag or 'type="radio"' in tag:
            if " checked" not in tag:
                continue
            value = re.search(r'value="([^"]*)"', tag).group(1)
        else:
            found = re.search(r'value="([^"]*)"', tag)
            value = found.group(1) if found else ""
        value = html_module.unescape(value)
        if name in fields:
            fields[name] = [fields[name]] if not isinstance(fields[name], list) else fields[name]
            fields[name].append(value)
        else:
            fields[name] = value
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options) or \
            re.search(r'<option value="([^"]*)"', options)
        fields[name] = chosen.group(1) if chosen else ""
    return fields
