"""Rendering exactly the frame a screen would show, offscreen, to a PNG file."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.config import Config, DisplayConfig
from player.core.playlist import Playlist
from player.core.schedule import Entry

if TYPE_CHECKING:  # the render loop is imported when a preview is drawn
    from player.render.display import Display
    from player.render.loop import Player
    from player.render.stage import Showing


class PreviewError(Exception):
    pass


def render_preview(playlist: Playlist, out: Path, *, config: Config | None = None,
                   item_id: str | None = None, at: datetime | None = None,
                   size: tuple[int, int] = (1920, 1080), rotation: int = 0,
                   offset: float = 0.0) -> str:
    """Render one frame to `out` (PNG); returns the id of the item shown."""
    import pygame

    from player.render.display import close_display, open_display
    from player.render.loop import Player
    from player.render.mediaslides import MediaFactory
    from player.render.text_fonts import FontSet

    config = config or Config()
    wall_start = (at or datetime.now()).timestamp()
    clock = {"mono": 1000.0}
    display_config = replace(config.display, fullscreen=False)
    display = open_display(display_config or DisplayConfig(), headless=True, size=size, rotation=rotation)
    try:
        fonts = FontSet.from_config(config.fonts.latin, config.fonts.cjk, config.fonts.cjk_index)
        silent = replace(config, audio=replace(config.audio, enabled=False))
        player = Player(display, fonts, playlist, fallback_text=config.fallback, media=MediaFactory(silent),
                        mono=lambda: clock["mono"], wall=lambda: wall_start + clock["mono"] - 1000.0)
        try:
            current = _first(player, playlist, item_id, clock["mono"], wall_start)
            _walk(current, display, clock, offset)
            player.render(clock["mono"], wall_start + offset)
            pygame.image.save(display.screen, str(out))
            return current.entry.item.id
        finally:
            player.close()
    finally:
        close_display()


def _first(player: Player, playlist: Playlist, item_id: str | None, mono: float,
           wall_start: float) -> Showing:
    """The item asked for on screen, or the one the schedule plays at `wall_start`."""
    if item_id is not None:
        item = playlist.item(item_id)
        if item is None:
            raise PreviewError(f'no item with id "{item_id}" in {playlist.path}')
        index = playlist.items.index(item) if item in playlist.items else -1
        length = item.duration or 10.0
        player.show(Entry(item, index, wall_start, wall_start + length), mono, wall_start)
    else:
        player.maybe_switch(mono, wall_start)
    current = player.current
    assert current is not None  # show() and maybe_switch() always put something on
    return current


def _walk(current: Showing, display: Display, clock: dict[str, float], offset: float) -> None:
    """Walk to the offset a frame at a time: a video's decoder works in real time."""
    target = clock["mono"] + offset
    while clock["mono"] < target:
        clock["mono"] = min(target, clock["mono"] + 0.04)
        if current.slide.animated:
            time.sleep(0.004)
            current.slide.draw(display.canvas, clock["mono"])
