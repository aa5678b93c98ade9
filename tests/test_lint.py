"""The code stays lint-clean, and the whole player type-checks."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    pytest.importorskip("ruff")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_core_type_checks():
    pytest.importorskip("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "player/core"], cwd=ROOT,
                            capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_the_player_type_checks():
    """The whole tree, the hub and the video decoder included: no exceptions."""
    pytest.importorskip("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "player"], cwd=ROOT,
                            capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_imports_no_heavy_libraries():
    """`check` and `publish` must run fast and without a display: core stays pure."""
    code = ("import sys, player.core.config, player.core.playlist, player.core.schedule, player.core.manifest; "
            "heavy = [m for m in ('pygame', 'av', 'requests', 'psutil') if m in sys.modules]; "
            "print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_check_does_not_import_pygame(tmp_path):
    code = ("import sys; from player.cli import main; main(['check', 'playlists/ban-gioc/playlist.yaml']); "
            "print('PYGAME' if 'pygame' in sys.modules else 'CLEAN')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("CLEAN"), result.stdout + result.stderr


def test_shell_scripts_parse():
    for script in [ROOT / "install.sh", *(ROOT / ".ci").iterdir()]:
        if shutil.which("sh"):
            assert subprocess.run(["sh", "-n", str(script)]).returncode == 0, script
