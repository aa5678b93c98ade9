"""Video items and sound on still items, made for the render loop from PyAV-backed pieces."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pygame

from player.core.config import Config
from player.core.playlist import Item
from player.render.slide import Slide
from player.render.slides import SlideContext, SlideError, draw_caption

if TYPE_CHECKING:  # the sound modules are imported when a sound is first wanted
    from player.render.audio import AudioOutput, AudioTrack

log = logging.getLogger(__name__)


def sound_fade(item: Item) -> float:
    """How long the item's sound takes to crossfade in: as long as its picture does."""
    transition = item.transition
    return transition.duration if transition.kind == "crossfade" else 0.0


class VideoItemSlide:
    """A VideoSlide with the item's caption drawn over every frame; errors become SlideErrors."""

    def __init__(self, item: Item, video: Any, caption: pygame.Surface | None):
        self.item_id = item.id
        self.video = video
        self.caption = caption
        self.animated = True

    def prepare(self) -> None:
        from player.media.probe import MediaError

        try:
            self.video.prepare()
        except MediaError as exc:
            raise SlideError(f"item {self.item_id}: {exc}") from None

    def start(self, now: float) -> None:
        self.video.start(now)

    def draw(self, target: pygame.Surface, now: float) -> None:
        self.video.draw(target, now)
        if self.caption is not None:
            target.blit(self.caption, (0, 0))

    def natural_end(self, now: float) -> bool:
        return self.video.natural_end(now)

    def next_change(self, now: float) -> float | None:
        return self.video.next_change(now)

    def close(self) -> None:
        self.video.close()


class SoundedSlide:
    """A still slide with a sound track (an announcement, music) that starts with it."""

    def __init__(self, slide: Slide, track: AudioTrack):
        self.slide = slide
        self.track = track
        self.item_id = slide.item_id
        self.animated = slide.animated

    def start(self, now: float) -> None:
        self.slide.start(now)
        self.track.start(now)

    def draw(self, target: pygame.Surface, now: float) -> None:
        self.slide.draw(target, now)

    def natural_end(self, now: float) -> bool:
        return False

    def next_change(self, now: float) -> float | None:
        return self.slide.next_change(now)

    def close(self) -> None:
        self.track.close()
        self.slide.close()


class MediaFactory:
    """Makes video slides and sound tracks; opens the sound output on first use."""

    def __init__(self, config: Config, board: Any = None):
        self.config = config
        self.board = board
        self.output: AudioOutput | None = None
        self.lengths: dict[Path, float | None] = {}

    def audio_output(self) -> AudioOutput:
        if self.output is None:
            from player.render.audio import AudioOutput

            self.output = AudioOutput(self.config.audio).open()
            if self.board is not None and hasattr(self.board, "set_audio"):
                self.board.set_audio(self.output.available, self.output.problem or "")
        return self.output

    def video(self, item: Item, ctx: SlideContext) -> VideoItemSlide:
        from player.render.video import VideoSlide

        def on_error(message: str) -> None:
            log.warning("item %s: %s", item.id, message)
            if self.board is not None:
                self.board.event("warning", "decode_failed", f"item {item.id}: {message}", {"item": item.id})

        def on_truncated(message: str) -> None:
            # A cut file is a bad file, reported like a broken picture (once per showing).
            log.error("item %s: %s", item.id, message)
            if self.board is not None:
                self.board.event("error", "file_bad", f"item {item.id}: {message}",
                                 {"item": item.id, "file": str(item.source)})

        assert item.source is not None
        video = VideoSlide(item.id, ctx.folder / item.source, ctx.size, item.fit or ctx.fit,
                           self.config.display.background, loop=item.loop, duration=item.duration,
                           volume=item.volume, mute=item.mute, audio=self.audio_output(),
                           on_error=on_error, on_truncated=on_truncated,
                           fade=sound_fade(item))
        caption = None
        if item.caption:
            caption = pygame.Surface(ctx.size, pygame.SRCALPHA)
            draw_caption(caption, item, ctx)
        return VideoItemSlide(item, video, caption)

    def track(self, item: Item, ctx: SlideContext) -> AudioTrack:
        """The sound of a still item; it starts decoding now, while the item before shows."""
        from player.render.audio import AudioTrack

        assert item.audio is not None
        return AudioTrack(ctx.folder / item.audio, self.audio_output(), volume=item.volume,
                          loop=item.loop, duration=item.duration, fade=sound_fade(item))

    def with_sound(self, slide: Slide, track: AudioTrack, item: Item) -> Slide:
        """The slide with its sound; a sound that cannot play leaves the slide silent."""
        from player.media.probe import MediaError

        try:
            track.prepare()
        except MediaError as exc:
            track.close()
            log.warning("item %s: sound skipped: %s", item.id, exc)
            if self.board is not None:
                self.board.event("warning", "file_bad", f"item {item.id}: sound skipped: {exc}", {"item": item.id})
            return slide
        return SoundedSlide(slide, track)

    def set_config(self, config: Config) -> None:
        """New volume and quiet hours apply to the sound at once."""
        self.config = config
        if self.output is not None:
            self.output.set_config(config.audio)

    def length(self, path: Path) -> float | None:
        """A video's own length in seconds (for schedules), probed once per file."""
        if path not in self.lengths:
            from player.media.probe import MediaError, probe_media

            try:
                self.lengths[path] = probe_media(path).duration
            except MediaError:
                self.lengths[path] = None
        return self.lengths[path]

    def close(self) -> None:
        if self.output is not None and hasattr(self.output, "close"):
            self.output.close()
