"""Every message of `status` has its Vietnamese translation, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("player/health/status.py", "player/commands/status.py")
PART = ROOT / "player/data/locale/vi/LC_MESSAGES/status.po-part"


def wrapped() -> set[str]:
    found = set()
    for source in SOURCES:
        for node in ast.walk(ast.parse((ROOT / source).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_":
                assert isinstance(node.args[0], ast.Constant), f"{source}: _() of a non-literal"
                found.add(node.args[0].value)
    return found


def catalog() -> dict[str, str]:
    text = PART.read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid (".*")\nmsgstr (".*")$', text, re.MULTILINE)
    return {ast.literal_eval(a): ast.literal_eval(b) for a, b in pairs}


def test_every_status_message_has_a_translation_with_the_same_placeholders():
    messages, translations = wrapped(), catalog()
    assert messages - set(translations) == set()
    for message in messages:
        vietnamese = translations[message]
        assert vietnamese and vietnamese != message, message
        assert sorted(re.findall(r"\{\w+\}", message)) == \
            sorted(re.findall(r"\{\w+\}", vietnamese)), message
