"""Imports point one way (docs/shared DESIGN "Layers"): every layer's contract, read from the
source with `ast`, including imports inside functions, so a lazy import cannot hide a breach."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLAYER = ROOT / "player"

HEAVY = {"pygame", "av", "PIL", "numpy", "requests", "urllib3", "psutil", "watchdog", "sqlalchemy",
         "fastapi", "starlette"}

# layer (a package or module under player/) -> (player parts it may import, libraries it must not)
CONTRACTS: dict[str, tuple[set[str], set[str]]] = {
    "core": ({"core", "i18n"}, HEAVY),
    "storage": ({"storage"}, HEAVY),
    "media": ({"core", "media", "fonts"}, HEAVY - {"av", "PIL"}),
    "render": ({"core", "media", "render", "fonts", "i18n", "stoppable"}, HEAVY - {"pygame", "av", "PIL", "numpy"}),
    "sync": ({"core", "storage", "sync", "stoppable"}, HEAVY - {"requests", "urllib3"}),
    "health": ({"core", "storage", "health", "i18n", "stoppable"}, HEAVY - {"psutil", "requests", "urllib3"}),
    "channel": ({"core", "storage", "media", "channel"}, HEAVY - {"PIL"}),
    "content": ({"core"}, HEAVY),
    "watch": ({"core", "stoppable"}, HEAVY - {"watchdog"}),
    "power": ({"core"}, HEAVY),
    "signals": (set(), HEAVY),
    "fonts": ({"core"}, HEAVY),
    "stoppable": (set(), HEAVY),
}

# Known breaches, each with the reason it stays for now; the test fails when one is gone, so the
# list only shrinks.
EXCEPTIONS: set[tuple[str, str]] = set()


def imports_of(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def layer_files(layer: str) -> list[Path]:
    folder = PLAYER / layer
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PLAYER / f"{layer}.py"]


def breaches() -> set[tuple[str, str]]:
    found = set()
    for layer, (allowed, forbidden) in CONTRACTS.items():
        for path in layer_files(layer):
            for name in imports_of(path):
                parts = name.split(".")
                inside = parts[0] == "player" and len(parts) > 1 and parts[1] not in allowed
                if inside or parts[0] in forbidden:
                    found.add((str(path.relative_to(ROOT)), name))
    return found


def test_every_layer_keeps_its_contract():
    assert breaches() - EXCEPTIONS == set()


def test_the_known_exceptions_are_still_needed():
    assert EXCEPTIONS - breaches() == set(), "an exception is fixed: take it off the list"


@pytest.mark.parametrize("layer", sorted(CONTRACTS))
def test_every_layer_exists(layer):
    assert layer_files(layer) and all(p.exists() for p in layer_files(layer))


def test_check_of_a_playlist_with_pictures_loads_neither_pygame_nor_pyav(tmp_path):
    """`check` runs on a machine with no display, fast: Pillow looks at a picture; PyAV is for
    sound and video files only, and pygame never."""
    from PIL import Image

    (tmp_path / "media").mkdir()
    Image.new("RGB", (64, 36), (200, 10, 10)).save(tmp_path / "media" / "red.png")
    playlist = tmp_path / "playlist.yaml"
    playlist.write_text("items:\n  - {id: a, image: media/red.png, caption: {vi: Thác Bản Giốc, en: Ban Gioc}}\n"
                        "  - {id: b, text: {vi: Xin chào, en: Hello}}\n", encoding="utf-8")
    code = ("import sys; from player.cli import main\n"
            "try:\n    main(['check', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pygame', 'av', 'requests', 'psutil') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, str(playlist)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
    assert "ok:" in result.stdout
