"""The preview worker process: every item of a playlist drawn by the player's own renderer.

Run by ``player.hub.preview.PreviewRenderer`` as::

    python -m player.hub.preview_worker PLAYLIST WxH ROTATION OUT_FOLDER

with SDL's offscreen driver; it never runs inside the web server. For each item it writes
``slide-N.png`` (the frame the screen shows when the item starts, as people see it: a portrait
canvas for a rotated screen) and, for a video, ``strip-N.png`` (five frames across the clip),
then ``slides.json`` describing them, including what the renderer warned about (``problems``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STRIP_FRACTIONS = (0.0, 0.2, 0.4, 0.6, 0.8)  # the first frame is the renderer's own
STRIP_SCALE = 4  # strip frames are a quarter of the screen's size
STRIP_GAP = 8


class Problems(logging.Handler):
    """What the renderer warns about while it draws one item."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages:
            self.messages.append(message)


def render_playlist(playlist_path: Path, size: tuple[int, int], rotation: int, out: Path) -> list[dict]:
    """Draw every item; returns what ``slides.json`` holds."""
    import pygame

    from player.core.config import Config
    from player.core.playlist_reader import load_playlist
    from player.render.display import close_display, open_display
    from player.render.text_fonts import FontSet

    playlist = load_playlist(playlist_path)
    config = Config()
    display = open_display(replace(config.display, fullscreen=False), headless=True, size=size,
                           rotation=rotation)
    try:
        fonts = FontSet.from_config(config.fonts.latin, config.fonts.cjk, config.fonts.cjk_index)
        slides = []
        for index, item in enumerate(playlist.items):
            slides.append(_render_item(playlist, index, item, display, fonts, config, out,
                                       pygame))
        return slides
    finally:
        close_display()


def _render_item(playlist: Any, index: int, item: Any, display: Any, fonts: Any, config: Any,
                 out: Path, pygame: Any) -> dict:
    problems = Problems()
    logging.getLogger("player").addHandler(problems)
    frame = out / f"slide-{index}.png"
    strip: Path | None = None
    wall = time.time()
    player = _item_player(playlist, display, fonts, config, wall)
    try:
        shown = _draw_frame(player, index, item, display, frame, wall, pygame, problems)
        if item.kind == "video" and shown:
            strip = out / f"strip-{index}.png"
            _video_strip(player, item, playlist.folder / str(item.source), display, strip,
                         pygame, problems)
    except Exception as exc:  # one bad item never stops the others' previews
        problems.messages.append(f"item {item.id}: {type(exc).__name__}: {exc}")
        if not frame.exists():
            display.canvas.fill((0, 0, 0))
            pygame.image.save(display.canvas, str(frame))
    finally:
        player.close()
        logging.getLogger("player").removeHandler(problems)
    return {"index": index, "label": _label(index, item), "kind": item.kind,
            "png": (strip or frame).name, "frame": frame.name,
            "problems": "\n".join(problems.messages)}


def _item_player(playlist: Any, display: Any, fonts: Any, config: Any, wall: float) -> Any:
    """A player per item: nothing of the item before (a crossfade) shows in this one's frame."""
    from player.render.loop import Player
    from player.render.mediaslides import MediaFactory

    silent = replace(config, audio=replace(config.audio, enabled=False))
    return Player(display, fonts, playlist, fallback_text=config.fallback,
                  media=MediaFactory(silent), mono=lambda: 1000.0, wall=lambda: wall)


def _draw_frame(player: Any, index: int, item: Any, display: Any, frame: Path, wall: float,
                pygame: Any, problems: Problems) -> bool:
    """The item's first frame saved to ``frame`` (black when the player would skip the item);
    whether it was shown."""
    from player.core.schedule import Entry

    player.pacer.last_wall = wall
    player.show(Entry(item, index, wall, wall + (item.duration or 10.0)), 1000.0, wall)
    player.render(1000.0, wall)
    shown = player.current.entry.item if player.current is not None else None
    if shown is not item:
        problems.messages.insert(0, f"item {item.id} cannot be shown; the screen would skip "
                                    "to the next item")
        display.canvas.fill((0, 0, 0))
    pygame.image.save(display.canvas, str(frame))
    return shown is item


def _label(index: int, item: Any) -> str:
    what = item.source or next(iter((item.text or {}).values()), "")
    what = " ".join(str(what).split())
    if len(what) > 60:
        what = what[:57] + "…"
    return f"{index + 1}. {item.id}" + (f" – {what}" if what and what != item.id else "")


def _video_strip(player: Any, item: Any, path: Path, display: Any, out: Path, pygame: Any,
                 problems: Problems) -> None:
    """Five frames across the clip: the renderer's first frame, then frames the item's fit
    places on the same canvas, with the item's caption over them as the screen draws it."""
    from player.hub.prepare import video_frame
    from player.media.geometry import fit_rect

    canvas = display.canvas
    width, height = canvas.get_size()
    small = (max(1, width // STRIP_SCALE), max(1, height // STRIP_SCALE))
    frames = [pygame.transform.smoothscale(canvas, small)]
    caption = getattr(player.current.slide, "caption", None)
    for fraction in STRIP_FRACTIONS[1:]:
        try:
            picture = video_frame(path, fraction).convert("RGB")
        except Exception as exc:
            problems.messages.append(f"item {item.id}: no frame at {fraction:.0%}: {exc}")
            continue
        surface = pygame.image.frombytes(picture.tobytes(), picture.size, "RGB")
        x, y, w, h = fit_rect(picture.size, (width, height), item.fit or "contain")
        composed = pygame.Surface((width, height))
        composed.fill(player.slides.media.config.display.background)
        composed.blit(pygame.transform.smoothscale(surface, (w, h)), (x, y))
        if caption is not None:
            composed.blit(caption, (0, 0))
        # the overlays over every frame, as on the screen (the first frame has them already)
        if player.stage.ticker:
            player.stage.ticker.draw(composed, 1000.0)
        if player.stage.clock:
            player.stage.clock.draw(composed, player.pacer.last_wall)
        frames.append(pygame.transform.smoothscale(composed, small))
    strip = pygame.Surface((len(frames) * small[0] + (len(frames) - 1) * STRIP_GAP, small[1]))
    strip.fill((255, 255, 255))
    for number, surface in enumerate(frames):
        strip.blit(surface, (number * (small[0] + STRIP_GAP), 0))
    pygame.image.save(strip, str(out))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    playlist, size_text, rotation, out = argv
    width, height = (int(n) for n in size_text.lower().split("x"))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    slides = render_playlist(Path(playlist), (width, height), int(rotation), folder)
    (folder / "slides.json").write_text(json.dumps(slides, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    sys.exit(main(sys.argv[1:]))
