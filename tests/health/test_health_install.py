import os
import shutil
import subprocess
from pathlib import Path

import pytest

from player.core.config_reader import load_config

SCRIPT = Path(__file__).resolve().parents[2] / "install.sh"
pytestmark = pytest.mark.timeout(60)


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(SCRIPT), *args], capture_output=True, text=True,
                          env={**os.environ, "INSTALL_ROOT": str(root)})


def test_install_script_syntax():
    assert subprocess.run(["sh", "-n", str(SCRIPT)]).returncode == 0
    if shutil.which("shellcheck"):
        assert subprocess.run(["shellcheck", str(SCRIPT)]).returncode == 0


def test_install_into_a_folder_twice_keeps_the_config(tmp_path):
    first = run(tmp_path)
    assert first.returncode == 0, first.stderr
    config = tmp_path / "etc/signage-player/player.yaml"
    loaded = load_config(config, must_exist=True)  # the skeleton is a valid config
    assert loaded.cluster
    assert (tmp_path / "etc/systemd/system/signage-player.service").read_text().startswith("#")
    assert (tmp_path / "opt/signage-player/docs/heartbeat.md").exists()
    src = tmp_path / "opt/signage-player/src"
    assert (src / "assets/fonts/NotoSans-Regular.ttf").exists()  # Vietnamese on a bare box
    assert (src / "playlists/ban-gioc/playlist.yaml").exists() and (src / "player/cli.py").exists()
    config.write_text(config.read_text() + "log_level: debug\n")
    again = run(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "keeping the existing" in again.stdout
    assert config.read_text().endswith("log_level: debug\n")


def test_unknown_option_is_a_usage_error(tmp_path):
    assert run(tmp_path, "--frobnicate").returncode == 2
