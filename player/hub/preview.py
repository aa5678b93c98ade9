"""Previews that are the screen: every slide drawn by the player's own renderer.

::

    renderer = PreviewRenderer(cache_dir)
    slides = renderer.render_slides(playlist_path, (1920, 1080), rotation=0)
    # -> [PreviewSlide(index, label, png, problems, kind, frame)], one per item in order
    sheet = renderer.contact_sheet(playlist_path, (1920, 1080), rotation=0)  # one labelled PNG

``size`` and ``rotation`` are the screen's, as in player.yaml (``display.size``,
``display.rotation``); the PNGs show the picture as people see it, so a 1920x1080 panel at
rotation 90 gives 1080x1920 slides. A text, picture or video item's ``png`` is the frame the
screen shows when the item starts; for a video it is a strip of five frames across the clip
(``frame`` is then its first frame alone). ``problems`` is what the renderer warned about (text
cut off, a file it cannot read), empty when there is nothing to say.

The drawing happens in a separate process (``python -m player.hub.preview_worker``, SDL's
offscreen driver, real fonts) with a timeout: never on the web server's threads or event loop,
and a crash in a decoder cannot take the hub down. Results are cached under ``cache_dir`` by
the content hash of the playlist, its media files, the size and the rotation, so showing the
same preview again costs a hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

RENDERER_VERSION = "2"  # bump when what the worker draws changes: old cache entries are unused
ROTATIONS = (0, 90, 180, 270)
MAX_SIDE = 7680
SHEET_COLUMNS = 3
SHEET_CELL = 480  # pixels across one slide on the contact sheet
SHEET_MARGIN = 24
MAX_HASHES = 10_000  # media files whose hashes are remembered


class PreviewError(Exception):
    """The playlist cannot be previewed (it does not load, or the worker failed)."""


@dataclass(frozen=True)
class PreviewSlide:
    index: int  # the item's position in ``items``
    label: str  # "1. welcome – Chào mừng…"
    png: Path
    problems: str
    kind: str = "text"
    frame: Path | None = None  # a video's first frame (``png`` is then its strip)


class PreviewRenderer:
    """Renders and caches previews; one worker process at a time per renderer."""

    def __init__(self, cache_dir: Path, timeout: float = 180.0, python: str = sys.executable,
                 keep: int = 200):
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.keep = keep  # previews kept; the least recently made beyond this are deleted
        self.python = python
        self._lock = threading.Lock()  # previews queue up: a box has two cores
        self._hashes: dict[tuple[int, int, int, int], str] = {}

    def render_slides(self, playlist_path: Path, size: tuple[int, int],
                      rotation: int = 0) -> list[PreviewSlide]:
        """One PreviewSlide per item (see the module's docstring)."""
        folder = self._rendered(playlist_path, size, rotation)
        entries = json.loads((folder / "slides.json").read_text(encoding="utf-8"))
        return [PreviewSlide(e["index"], e["label"], folder / e["png"], e["problems"], e["kind"],
                             folder / e["frame"]) for e in entries]

    def contact_sheet(self, playlist_path: Path, size: tuple[int, int], rotation: int = 0) -> Path:
        """One PNG of the whole programme: every slide, numbered and labelled."""
        folder = self._rendered(playlist_path, size, rotation)
        sheet = folder / "contact-sheet.png"
        if not sheet.exists():
            slides = self.render_slides(playlist_path, size, rotation)
            title = f"{_playlist_name(playlist_path)} · {size[0]}x{size[1]}" + (
                f" · {rotation}°" if rotation else "")
            _draw_sheet(slides, title, sheet)
        return sheet

    # -- the cache and the worker ---------------------------------------------------------------

    def _rendered(self, playlist_path: Path, size: tuple[int, int], rotation: int) -> Path:
        _check_screen(size, rotation)
        key = self.cache_key(playlist_path, size, rotation)
        folder = self.cache_dir / key
        if (folder / "slides.json").exists():
            return folder
        with self._lock:
            if (folder / "slides.json").exists():
                return folder
            self._run_worker(playlist_path, size, rotation, folder)
        return folder

    def cache_key(self, playlist_path: Path, size: tuple[int, int], rotation: int) -> str:
        from player.core.playlist_reader import load_playlist
        from player.core.problems import LoadError

        try:
            playlist = load_playlist(playlist_path)
        except LoadError as exc:
            raise PreviewError("\n".join(str(p) for p in exc.problems)) from None
        digest = hashlib.sha256(f"{RENDERER_VERSION}|{size}|{rotation}|".encode())
        digest.update(playlist_path.read_bytes())
        for name in sorted(playlist.media_files()):
            digest.update(f"|{name}|".encode())
            digest.update(self._file_hash(playlist.folder / name).encode())
        return digest.hexdigest()[:40]

    def _file_hash(self, path: Path) -> str:
        """A media file's sha256, remembered by (device, inode, size, mtime) so big videos are
        hashed once: the programme pages hand in a new temporary folder every time, holding
        hard links to the same files."""
        try:
            stat = path.stat()
        except OSError:
            return "missing"
        memo = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if memo not in self._hashes:
            if len(self._hashes) >= MAX_HASHES:  # copies get new inodes: keep the memo bounded
                self._hashes.clear()
            digest = hashlib.sha256()
            with open(path, "rb") as file:
                while chunk := file.read(1 << 20):
                    digest.update(chunk)
            self._hashes[memo] = digest.hexdigest()
        return self._hashes[memo]

    def _run_worker(self, playlist_path: Path, size: tuple[int, int], rotation: int,
                    folder: Path) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        scratch = self.cache_dir / f".{folder.name}.{os.getpid()}.part"
        shutil.rmtree(scratch, ignore_errors=True)
        env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy",
               "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
        command = [self.python, "-m", "player.hub.preview_worker", str(playlist_path),
                   f"{size[0]}x{size[1]}", str(rotation), str(scratch)]
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True,
                                    timeout=self.timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            shutil.rmtree(scratch, ignore_errors=True)
            raise PreviewError(f"the preview took longer than {self.timeout:.0f} s") from None
        except OSError as exc:
            raise PreviewError(f"the preview worker cannot start: {exc}") from None
        if result.returncode != 0 or not (scratch / "slides.json").exists():
            shutil.rmtree(scratch, ignore_errors=True)
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            log.warning("preview of %s failed: %s", playlist_path, " / ".join(tail))
            raise PreviewError("the preview could not be drawn: " + " / ".join(tail))
        try:
            os.replace(scratch, folder)
        except OSError:  # another process made the same preview meanwhile
            shutil.rmtree(scratch, ignore_errors=True)
        self._prune()

    def _prune(self) -> None:
        """Keep the cache bounded: a hub runs for years on a small disk."""
        entries = [p for p in self.cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if len(entries) <= self.keep:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for old in entries[: len(entries) - self.keep]:
            shutil.rmtree(old, ignore_errors=True)


def _playlist_name(playlist_path: Path) -> str:
    """The playlist's ``name:``, else its folder and file (a programme's temporary folder
    means nothing to the reader, its name does)."""
    import yaml

    try:
        data = yaml.safe_load(playlist_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    name = data.get("name") if isinstance(data, dict) else None
    if isinstance(name, str) and name.strip():
        return name.strip()[:120]
    return f"{playlist_path.parent.name}/{playlist_path.name}"


def _check_screen(size: tuple[int, int], rotation: int) -> None:
    if rotation not in ROTATIONS:
        raise PreviewError(f"rotation must be one of {ROTATIONS}, not {rotation}")
    if not (16 <= size[0] <= MAX_SIDE and 16 <= size[1] <= MAX_SIDE):
        raise PreviewError(f"a screen of {size[0]}x{size[1]} is not a size a preview is drawn at")


def _draw_sheet(slides: list[PreviewSlide], title: str, out: Path) -> None:
    """Slides in a grid, each with its label (Noto Sans, so Vietnamese reads right)."""
    from PIL import Image, ImageDraw

    font, small = _font(26), _font(18)
    cells = []
    for slide in slides:
        with Image.open(slide.frame or slide.png) as image:
            picture = image.convert("RGB")
        picture.thumbnail((SHEET_CELL, SHEET_CELL))
        cells.append(picture)
    cell_h = max((c.height for c in cells), default=270)
    label_h = 64
    columns = max(1, min(SHEET_COLUMNS, len(cells)))
    rows = max(1, -(-len(cells) // columns))
    width = SHEET_MARGIN + columns * (SHEET_CELL + SHEET_MARGIN)
    height = 70 + rows * (cell_h + label_h + SHEET_MARGIN)
    sheet = Image.new("RGB", (width, height), (243, 244, 241))
    draw = ImageDraw.Draw(sheet)
    draw.text((SHEET_MARGIN, 20), title, fill=(20, 83, 45), font=font)
    for number, (slide, picture) in enumerate(zip(slides, cells, strict=True)):
        x = SHEET_MARGIN + (number % columns) * (SHEET_CELL + SHEET_MARGIN)
        y = 70 + (number // columns) * (cell_h + label_h + SHEET_MARGIN)
        sheet.paste(picture, (x + (SHEET_CELL - picture.width) // 2, y))
        label = _fit_text(draw, slide.label, small, SHEET_CELL)
        draw.text((x, y + cell_h + 6), label, fill=(29, 35, 32), font=small)
        if slide.problems:
            problem = _fit_text(draw, "⚠ " + slide.problems.splitlines()[0], small, SHEET_CELL)
            draw.text((x, y + cell_h + 32), problem, fill=(153, 27, 27), font=small)
    tmp = out.with_suffix(".part")
    sheet.save(tmp, "PNG", optimize=True)
    os.replace(tmp, out)


def _fit_text(draw, text: str, font, width: int) -> str:  # noqa: ANN001 - Pillow objects
    while text and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def _font(size: int):  # noqa: ANN202 - a Pillow font
    from PIL import ImageFont

    from player.fonts import latin_font

    found = latin_font()
    if found is not None:
        try:
            return ImageFont.truetype(str(found.path), size)
        except OSError:
            pass
    return ImageFont.load_default(size)


__all__ = ["PreviewRenderer", "PreviewSlide", "PreviewError"]
