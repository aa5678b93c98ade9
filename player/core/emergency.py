"""The emergency message file a technician drops beside the device config: reading it, and
noticing when it changes.

`EmergencyFile.poll` is asked by the file watcher (never by the render loop, which must not
wait on a disk): it reads the file again only when its modification time changed and says what
changed as an `EmergencyChanged` message for the loop.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from player.core.fields import Fields
from player.core.messages import EmergencyChanged
from player.core.playlist import EMERGENCY_STYLE, Item, Transition
from player.core.playlist_reader import ItemReader
from player.core.problems import LoadError, Problem, ProblemList
from player.core.yamlfile import read_yaml

log = logging.getLogger(__name__)


def load_emergency(path: Path, languages: tuple[str, ...]) -> Item:
    """An emergency message file: one item (usually `text`), shown over everything.

    Raises LoadError. Without a `style`, the message is white on red.
    """
    data = read_yaml(path)
    problems = ProblemList(str(path))
    reader = ItemReader(path.parent, problems)
    reader.languages = languages
    reader.style = EMERGENCY_STYLE
    reader.transition = Transition("cut", 0.0)
    if isinstance(data, dict) and "id" not in data:
        data["id"] = "emergency"
    item = reader.read_item(Fields(data, "", problems, 1), "emergency")
    problems.raise_if_errors()
    if item is None:
        raise LoadError([Problem(str(path), 1, "", "expected an emergency message like "
                                 "text: {vi: ..., en: ...}")])
    return item


class EmergencyFile:
    """One emergency file and what was last read from it."""

    def __init__(self, path: Path, stat: Callable[[Path], os.stat_result] = os.stat) -> None:
        self.path = Path(path)
        self.stat = stat
        self.mtime: float | None = None  # of the version last read; None: no file
        self.present = False  # an emergency from this file is in force

    def poll(self, languages: tuple[str, ...]) -> EmergencyChanged | None:
        """What changed since the last poll, or None when nothing did."""
        try:
            mtime: float | None = self.stat(self.path).st_mtime
        except OSError:
            mtime = None
        if mtime == self.mtime:
            return None
        self.mtime = mtime
        if mtime is None:
            was, self.present = self.present, False
            return EmergencyChanged(self.path, None) if was else None
        try:
            item = load_emergency(self.path, languages)
        except (LoadError, OSError) as exc:
            self.present = False
            return EmergencyChanged(self.path, None, str(exc))
        self.present = True
        return EmergencyChanged(self.path, item)
