"""Typed reading of a YAML mapping with every problem collected, located and explained."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from player.core.problems import ProblemList, suggest
from player.core.units import UnitError
from player.core.yamlfile import Located, LocatedList, line_of
from player.i18n import _

T = TypeVar("T")
_MISSING = object()


def type_name(value: object) -> str:
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("{value} (a yes/no value)").format(value=str(value).lower())
    if isinstance(value, str):
        return f'"{value}"' if len(value) < 40 else _("a string")
    return repr(value)


class Fields:
    """Reads keys out of one mapping; problems go to `problems` with `path.key` and a line."""

    def __init__(self, data: Any, path: str, problems: ProblemList, line: int | None = None):
        self.path = path
        self.problems = problems
        self.line = getattr(data, "line", line)
        if data is None:
            data = Located()
        if not isinstance(data, dict):
            problems.error(self.line, path or "(top)", _("expected a mapping of keys, got {what}").format(
                what=type_name(data)))
            data = Located()
        self.data = data

    def key_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def line_of(self, key: str) -> int | None:
        return line_of(self.data, key, self.line)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def raw(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key, default)
        return default if value is None else value

    def error(self, key: str, message: str) -> None:
        self.problems.error(self.line_of(key), self.key_path(key), message)

    def warn(self, key: str, message: str) -> None:
        self.problems.warn(self.line_of(key), self.key_path(key), message)

    def sub(self, key: str) -> Fields:
        return Fields(self.data.get(key), self.key_path(key), self.problems, self.line_of(key))

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in self.data:
            if key not in allowed:
                hint = suggest(str(key), allowed) or _(" (known keys: {keys})").format(
                    keys=", ".join(allowed))
                self.error(key, _("unknown key") + hint)

    def parse(self, key: str, parser: Callable[[Any], T], default: T) -> T:
        if not self.has(key):
            return default
        try:
            return parser(self.data[key])
        except UnitError as exc:
            self.error(key, str(exc))
            return default

    def string(self, key: str, default: str = "") -> str:
        value = self.raw(key, _MISSING)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(key, _("expected text, got {what}").format(what=type_name(value)))
            return default
        return str(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, _MISSING)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.error(key, _("expected true or false, got {what}").format(what=type_name(value)))
            return default
        return value

    def number(self, key: str, default: float, low: float | None = None,
               high: float | None = None) -> float:
        value = self.raw(key, _MISSING)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(key, _("expected a number, got {what}").format(what=type_name(value)))
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(key, _("expected a number from {low} to {high}, got {value}").format(
                low=low, high=high, value=value))
            return default
        return value

    def integer(self, key: str, default: int, low: int | None = None, high: int | None = None) -> int:
        value = self.number(key, default, low, high)
        if value != int(value):
            self.error(key, _("expected a whole number, got {value}").format(value=value))
            return default
        return int(value)

    def choice(self, key: str, choices: Iterable[Any], default: Any) -> Any:
        value = self.raw(key, _MISSING)
        if value is _MISSING:
            return default
        choices = list(choices)
        if value not in choices:
            listed = ", ".join(str(c) for c in choices)
            self.error(key, _("expected one of {choices}, got {what}").format(
                choices=listed, what=type_name(value)) + suggest(str(value), map(str, choices)))
            return default
        return value

    def string_list(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.raw(key, _MISSING)
        if value is _MISSING:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(key, _("expected a list of text, got {what}").format(what=type_name(value)))
            return default
        return tuple(value)

    def entries(self, key: str) -> list[tuple[int, Any, str, int | None]]:
        """For a list value: (index, entry, path, line) for each entry; an error if not a list."""
        value = self.raw(key, _MISSING)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.error(key, _("expected a list, got {what}").format(what=type_name(value)))
            return []
        lines = value if isinstance(value, LocatedList) else None
        return [
            (i, entry, f"{self.key_path(key)}[{i}]",
             lines.line_of(i) if lines is not None else self.line_of(key))
            for i, entry in enumerate(value)
        ]
