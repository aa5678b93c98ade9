"""Problems found in files a person wrote, and the error that carries them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from player.i18n import _


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in a file, located precisely enough to fix."""

    file: str
    line: int | None
    path: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = _("warning: ") if self.severity == "warning" else ""
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {prefix}{self.message}"


class LoadError(Exception):
    """A file could not be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' for the nearest choice, or ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _(' (did you mean "{choice}"?)').format(choice=match[0]) if match else ""


class ProblemList:
    """Collects problems while a file is validated, so all are reported at once."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []

    def error(self, line: int | None, path: str, message: str) -> None:
        self.items.append(Problem(self.file, line, path, message))

    def warn(self, line: int | None, path: str, message: str) -> None:
        self.items.append(Problem(self.file, line, path, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise LoadError(self.items)
