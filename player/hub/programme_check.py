"""A programme's playlist text checked by the players' own rules (``player.core``).

``release_folder`` lays the text out in a temporary folder with the media it names, as a
release would be; ``check_text`` runs the players' checks there, with messages in the page's
language; ``read_upload`` reads an imported playlist.yaml with messages people can act on.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from player.core.playlist_reader import check_playlist
from player.core.problems import LoadError, Problem
from player.core.yamlfile import parse_yaml
from player.hub.programme_sources import MediaItem
from player.i18n import language

MAX_YAML = 1_000_000


@contextmanager
def release_folder(text: str, media: dict[str, tuple[MediaItem, Path]],
                   real: bool = False) -> Iterator[Path]:
    """A temporary folder holding playlist.yaml and, under media/, a stand-in for every ready
    file it names (``real``: the file itself, linked or copied); yields the playlist's path.

    The players' rules look at a media path's place in the folder, not at its bytes (the media
    library checked those when it prepared the file): a one-byte stand-in spares copying a
    4 GB clip across file systems at every page view. A preview needs the real pixels.
    """
    folder = Path(tempfile.mkdtemp(prefix="programme-"))
    try:
        playlist = folder / "playlist.yaml"
        playlist.write_text(text, encoding="utf-8")
        named = set(re.findall(r"media/[0-9a-f]{64}(?:\.[A-Za-z0-9]{1,8})?", text))
        if named:
            (folder / "media").mkdir()
        for path in named & set(media):
            if real:
                _link_or_copy(media[path][1], folder / path)
            else:
                (folder / path).write_bytes(b"\0")
        yield playlist
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def check_text(text: str, media: dict[str, tuple[MediaItem, Path]], lang: str = "vi",
               file: str = "playlist.yaml") -> list[Problem]:
    """Every problem (errors, then warnings, by line) the players' rules find in ``text``."""
    with language(lang):
        with release_folder(text, media) as playlist:
            problems = check_playlist(playlist)
    # the temporary folder means nothing to the reader: the files are the hub's media
    here = "thư viện ảnh/video của hub" if lang == "vi" else "the hub's media library"
    return [Problem(file, p.line, p.path, p.message.replace(str(playlist.parent) + "/", "")
                    .replace(str(playlist.parent), here), p.severity) for p in problems]


def read_upload(data: bytes, lang: str = "vi", file: str = "playlist.yaml") -> tuple[str, Any]:
    """The text and the data of an uploaded playlist.yaml; LoadError with a message people can
    act on for UTF-16 (Notepad), other code pages, tabs and unquoted colons."""
    from player.core.yamlfile import read_yaml

    with language(lang), tempfile.TemporaryDirectory(prefix="import-") as folder:
        path = Path(folder) / file
        path.write_bytes(data[:MAX_YAML + 1])
        try:
            parsed = read_yaml(path)
        except LoadError as exc:
            raise LoadError([Problem(file, p.line, p.path, p.message) for p in exc.problems]
                            ) from None
        return data.decode("utf-8-sig"), parsed


def load_document(text: str) -> Any:
    """The data of a stored playlist text; {} when it no longer parses (the page says why)."""
    try:
        return parse_yaml(text, "playlist.yaml")
    except LoadError:
        return {}


__all__ = ["release_folder", "check_text", "read_upload", "load_document", "MAX_YAML"]
