"""Media paths in a playlist: relative to its folder, never leaving it, a readable file."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from player.core.yamlfile import other_names
from player.i18n import _


def media_path_problem(folder: Path, name: str) -> str | None:
    """Why a media path is unacceptable (outside the folder, missing, unreadable), or None."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return _('"{name}" is an absolute path; media paths are relative to the playlist\'s folder'
                 ).format(name=name)
    if ".." in pure.parts:
        return _('"{name}" leaves the playlist\'s folder ("..")').format(name=name)
    full = folder / pure
    try:
        resolved = full.resolve(strict=True)
    except FileNotFoundError:
        return _('"{name}" does not exist (looked in {folder})').format(
            name=name, folder=folder) + other_names(full)
    except (OSError, RuntimeError) as exc:
        return _('"{name}" cannot be resolved: {reason}').format(name=name, reason=exc)
    if not resolved.is_relative_to(folder.resolve()):
        return _('"{name}" is a link that points outside the playlist\'s folder').format(name=name)
    if not resolved.is_file():
        return _('"{name}" is not a file').format(name=name)
    if not os.access(resolved, os.R_OK):
        return _('"{name}" cannot be read (permissions)').format(name=name)
    if resolved.stat().st_size == 0:
        return _('"{name}" is empty (0 bytes)').format(name=name)
    return None
