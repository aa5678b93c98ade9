"""One idea per file (issue 12): no module under player/ over MAX_MODULE lines, no function or
method over MAX_FUNCTION, read from the source with `ast`. What is still over is listed below
with the reason; a second test fails once an entry is no longer over, so the list only shrinks."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAYER = ROOT / "player"
SKIPPED = (PLAYER / "hub" / "migrations" / "versions",)  # Alembic's generated revisions

MAX_MODULE = 400  # lines of a module, blank lines and docstrings included
MAX_FUNCTION = 40  # lines of a function or method, from `def` to its last line

# "path" (a module) or "path::Qualified.name" (a function) -> why it is still over the limit.
ALLOWED: dict[str, str] = {}


def modules() -> list[Path]:
    return sorted(p for p in PLAYER.rglob("*.py")
                  if not any(p.is_relative_to(folder) for folder in SKIPPED))


def functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    """(qualified name, lines) of every function and method, nested ones included."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            found.append((name, (node.end_lineno or node.lineno) - node.lineno + 1))
            found += functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            found += functions(node, prefix + node.name + ".")
        else:
            found += functions(node, prefix)
    return found


def oversized() -> dict[str, str]:
    """Every module and function over its limit -> its size, as a person reads it."""
    found = {}
    for path in modules():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT).as_posix()
        lines = len(text.splitlines())
        if lines > MAX_MODULE:
            found[where] = f"{lines} lines (limit {MAX_MODULE})"
        for name, length in functions(ast.parse(text, filename=where)):
            if length > MAX_FUNCTION:
                found[f"{where}::{name}"] = f"{length} lines (limit {MAX_FUNCTION})"
    return found


def test_no_module_or_function_is_over_its_limit():
    over = {where: size for where, size in oversized().items() if where not in ALLOWED}
    assert not over, "split by idea (or, if it must wait, list it in ALLOWED with the reason):\n" + \
        "\n".join(f"  {where}: {size}" for where, size in sorted(over.items()))


def test_every_allowed_entry_is_still_over_its_limit():
    over = oversized()
    fixed = sorted(where for where in ALLOWED if where not in over)
    assert not fixed, "no longer over the limit: take it off ALLOWED:\n" + \
        "\n".join(f"  {where}" for where in fixed)


def test_every_allowed_entry_says_why():
    assert all(reason.strip() and "\n" not in reason for reason in ALLOWED.values())


def test_the_walk_finds_methods_nested_functions_and_long_modules(tmp_path):
    """The measure itself, on a module made here: a method and a nested function by their
    qualified names, counted from `def` to the last line."""
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION))
    source = (f"class Slide:\n    def draw(self):\n{body}\n\n"
              "def outer():\n    def inner():\n        return 1\n    return inner\n")
    found = dict(functions(ast.parse(source)))
    assert found == {"Slide.draw": MAX_FUNCTION + 1, "outer": 4, "outer.inner": 2}
