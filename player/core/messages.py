"""Immutable messages that worker threads send to the render loop through one queue.

A message about a playlist carries it already read (`loaded`) when the sender could read it, so
the render loop does not wait on the disk; without it (or when it could not be read) the loop
reads the file itself and reports why it refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from player.core.playlist import Item, Playlist


@dataclass(frozen=True)
class ReleaseReady:
    """A verified release is current on disk; play its playlist from the next item boundary."""

    version: int
    playlist: Path
    loaded: Playlist | None = field(default=None, compare=False)  # read by the sender


@dataclass(frozen=True)
class ConfigChanged:
    """The device config file changed and validated; apply it at the next item boundary."""

    path: Path


@dataclass(frozen=True)
class PlaylistChanged:
    """A local playlist (or its media) changed on disk; reload it at the next item boundary."""

    path: Path
    loaded: Playlist | None = field(default=None, compare=False)  # read by the sender


@dataclass(frozen=True)
class StopRequested:
    """End the player cleanly (`restart` True: a change needs a fresh process)."""

    reason: str
    restart: bool = False


@dataclass(frozen=True)
class EmergencyChanged:
    """The emergency message file changed: `item` is its message now (None: none, or refused,
    and then `problem` says why)."""

    path: Path
    item: Item | None
    problem: str | None = None


# -- remote commands from the hub (player.remote): the render loop carries them out -----------

@dataclass(frozen=True)
class CaptureScreen:
    """Take a JPEG of the screen, at most `width` pixels wide, and hand it to `reply`
    (a concurrent.futures.Future: (jpeg bytes, width, height), or an exception)."""

    reply: object
    width: int = 1280


@dataclass(frozen=True)
class ShowIdentification:
    """Show the identification card (`lines`: cluster id, addresses, disk, versions) over the
    picture for `seconds`."""

    lines: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class ForceScreen:
    """Screen on (True) or off (False) from the hub, until the power schedule next changes."""

    on: bool
