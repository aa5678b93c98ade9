"""Shared pieces for renderer tests: a display on SDL's offscreen driver, a fake clock, a board."""

from __future__ import annotations

from pathlib import Path

import pygame
from PIL import Image

from player.core.config import DisplayConfig
from player.render.display import Display, close_display, open_display


def offscreen(size=(640, 360), rotation=0) -> Display:
    return open_display(DisplayConfig(fullscreen=False), headless=True, size=size, rotation=rotation)


class Clock:
    def __init__(self, wall: float = 1_780_000_000.0):
        self.t = 100.0
        self.wall0 = wall

    def mono(self) -> float:
        return self.t

    def wall(self) -> float:
        return self.wall0 + self.t - 100.0

    def advance(self, seconds: float) -> None:
        self.t += seconds


class RecordingBoard:
    """Implements the StatusBoard calls the render loop makes, and keeps them for asserts."""

    def __init__(self):
        self.events: list[tuple] = []
        self.plays: list[tuple] = []
        self.playing: tuple = ()
        self.frames = (0, 0)
        self.shots: list[bytes] = []
        self.screens: list[tuple[str, str]] = []
        self.displays: list[tuple] = []

    def set_playing(self, playlist, release, item, fallback=None):
        self.playing = (playlist, release, item)

    def count_frames(self, shown, late):
        self.frames = (shown, late)

    def event(self, severity, event, message, details=None):
        self.events.append((severity, event, message, details))

    def play(self, item, release, start, end):
        self.plays.append((item, release, start, end))

    def wants_screenshot(self, now):
        return not self.shots

    def screenshot(self, jpeg, width, height):
        self.shots.append(jpeg)

    def set_display(self, driver, size, rotation=0):
        self.displays.append((driver, tuple(size)))
        self.rotation = rotation

    def set_screen(self, state, detail=""):
        self.screens.append((state, detail))


def pixel(surface: pygame.Surface, x: int, y: int) -> tuple[int, int, int]:
    return tuple(surface.get_at((x, y)))[:3]


def solid_image(path: Path, size, color) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


__all__ = ["offscreen", "close_display", "Clock", "RecordingBoard", "pixel", "solid_image"]
