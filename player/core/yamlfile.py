"""YAML reading that remembers where every value came from.

Mappings load as `Located` dicts and sequences as `LocatedList`s carrying the line of each
entry, so validation can say `playlist.yaml:12: items[3].when.hours: ...`.

The resolver follows YAML 1.2's core schema rather than PyYAML's YAML 1.1 defaults: `no`, `on`,
`07:30` and `2026-12-01` stay strings, because in a playlist they are a language code, a word,
a time of day and a date, never a boolean, a sexagesimal number or a datetime.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

import yaml

from player.core.problems import LoadError, Problem
from player.i18n import _

MAX_FILE_BYTES = 4 * 1024 * 1024


class Located(dict):
    """A mapping that knows its own line and the line of each key."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A sequence that knows its own line and the line of each entry."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Resolver(yaml.resolver.BaseResolver):
    pass


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Loader(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
    yaml.constructor.SafeConstructor, _Resolver,
):
    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    result = Located()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key) if not isinstance(key, str) else key
        if key in result:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


# The stubs type add_constructor for the stock loaders only; this loader is one of their kind.
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:omap", _construct_mapping)  # type: ignore[type-var]


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text; any syntax problem becomes a LoadError naming file and line."""
    loader = None
    try:
        loader = _Loader(text)
        return loader.get_single_data()
    except _DuplicateKey as dup:
        raise LoadError([Problem(file, dup.line, dup.key, _("this key appears twice"))]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = " ".join(filter(None, [exc.context, exc.problem]))
        raise LoadError([Problem(file, line, "", syntax_message(detail, text, line))]) from None
    except yaml.YAMLError as exc:
        raise LoadError([Problem(file, None, "", _("YAML error: {detail}").format(detail=exc))]) from None
    except RecursionError:
        raise LoadError([Problem(file, None, "", _("YAML nested too deeply"))]) from None
    finally:
        if loader is not None:
            loader.dispose()


def syntax_message(detail: str, text: str, line: int | None) -> str:
    """PyYAML's explanation, led by what to do about it when the cause is a common slip.

    The people who edit these files are not programmers: "mapping values are not allowed here"
    means nothing to them, "put the sentence in double quotes" does.
    """
    hint = syntax_hint(detail, text, line)
    message = _("YAML syntax error: {detail}").format(detail=detail)
    return f"{hint} ({message})" if hint else message


def syntax_hint(detail: str, text: str, line: int | None) -> str | None:
    """What a person can do about a YAML syntax error, when its cause is recognisable."""
    lines = text.splitlines()
    here = lines[line - 1] if line and 0 < line <= len(lines) else ""
    indent = here[: len(here) - len(here.lstrip(" \t"))]
    if "'\\t'" in detail or "\t" in indent:
        return _("a Tab is used for indenting: use spaces, not Tab")
    if "mapping values are not allowed" in detail and _colon_in_value(here):
        return _('a ":" inside a sentence: put the sentence in double quotes, like "Giờ mở cửa: 7:00"')
    return None


def _colon_in_value(line: str) -> bool:
    """`vi: Giờ mở cửa: 7:00` has a second ": " after the key's own."""
    _key, sep, value = line.lstrip(" -").partition(": ")
    return bool(sep) and (": " in value or value.rstrip().endswith(":"))


def read_yaml(path: Path) -> Any:
    """Read and parse a YAML file; unreadable, oversized or non-UTF-8 files become LoadErrors."""
    file = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise LoadError([Problem(file, None, "", _("file not found") + other_names(path))]) from None
    except IsADirectoryError:
        raise LoadError([Problem(file, None, "", _("is a folder, expected a YAML file"))]) from None
    except OSError as exc:
        raise LoadError([Problem(file, None, "", _("cannot read: {reason}").format(
            reason=exc.strerror))]) from None
    if len(data) > MAX_FILE_BYTES:
        raise LoadError([Problem(file, None, "", _("larger than {limit} bytes").format(
            limit=MAX_FILE_BYTES))])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\0" in data[:200]:
        raise LoadError([Problem(file, 1, "", _(
            "not valid UTF-8 text: the file is saved as UTF-16; save it again as UTF-8"))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadError([Problem(file, line, "", _(
            "not valid UTF-8 text: the file was saved in another code page (such as Windows-1258 "
            "or TCVN3); save it again as UTF-8"))]) from None
    return parse_yaml(text, file)


def other_names(path: Path) -> str:
    """' (there is "photo.JPG": ...)' when a file of the same name with another extension or
    case is beside the missing one, or ''. Cameras write .JPG, editors type .jpg."""
    try:
        siblings = [p.name for p in path.parent.iterdir() if p.is_file()]
    except OSError:
        return ""
    stem = path.stem.lower()
    found = sorted(name for name in siblings
                   if name != path.name and Path(name).stem.lower() == stem)
    if not found:
        return ""
    listed = ", ".join(f'"{name}"' for name in found[:3])
    return _(" (there is {names} in the same folder: did you mean it?)").format(names=listed)


def line_of(container: Any, key: Any, default: int | None = None) -> int | None:
    """The line of `key` inside a Located/LocatedList, or `default`."""
    if isinstance(container, Located) and isinstance(key, str):
        return container.line_of(key)
    if isinstance(container, LocatedList) and isinstance(key, int):
        return container.line_of(key)
    return getattr(container, "line", default)
