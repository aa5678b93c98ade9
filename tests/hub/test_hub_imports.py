"""The cluster boxes never need the hub's libraries: the player without player/hub imports and
runs its commands with fastapi, uvicorn, SQLAlchemy and the rest absent."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUB_LIBRARIES = ("fastapi", "starlette", "uvicorn", "h11", "pydantic", "jinja2", "sqlalchemy",
                 "alembic", "argon2", "psycopg", "multipart", "itsdangerous")

PROBE = f"""
import importlib, importlib.abc, pkgutil, sys

BLOCKED = {HUB_LIBRARIES!r}

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is a hub library and must not be imported here")
        return None

sys.meta_path.insert(0, Refuse())
import player
for module in pkgutil.walk_packages(player.__path__, "player."):
    if not module.name.endswith("__main__"):
        importlib.import_module(module.name)
from player.cli import main
main(["check", "playlists/ban-gioc/playlist.yaml"])
print("IMPORTED", len(sys.modules))
"""


def test_the_player_without_the_hub_never_imports_hub_libraries(tmp_path):
    copy = tmp_path / "box"
    shutil.copytree(ROOT / "player", copy / "player", ignore=shutil.ignore_patterns(
        "hub", "__pycache__"))
    shutil.copytree(ROOT / "playlists", copy / "playlists")
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=copy, capture_output=True,
                            text=True, timeout=120,
                            env={"PYTHONPATH": str(copy), "SDL_VIDEODRIVER": "offscreen",
                                 "SDL_AUDIODRIVER": "dummy", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "IMPORTED" in result.stdout
    assert not (copy / "player" / "hub").exists()
