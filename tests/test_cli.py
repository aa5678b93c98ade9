"""The commands as a technician runs them: real processes, real files, exit codes and messages."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "playlists" / "ban-gioc" / "playlist.yaml"


def run(*args: str, env_extra: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "player", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


def test_check_accepts_the_demo():
    result = run("check", str(DEMO))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: " in result.stdout and "8 items" in result.stdout


def test_check_reports_every_problem_without_traceback(tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "fake.jpg").write_text("not a picture")
    Image.new("RGB", (10, 10)).save(tmp_path / "media" / "ok.png")
    playlist = tmp_path / "playlist.yaml"
    playlist.write_text("""languages: [vi, en]
items:
  - id: a
    image: media/fake.jpg
  - id: a
    text: {vi: Xin chào}
    when: {hours: "25:00-26:00"}
  - image: ../../etc/passwd
  - image: media/ok.png
    tranistion: cut
""", encoding="utf-8")
    config = tmp_path / "player.yaml"
    config.write_text("display: {rotation: 45}\n", encoding="utf-8")
    result = run("check", "--config", str(config), str(playlist))
    out = result.stdout
    assert result.returncode == 1
    assert "Traceback" not in out + result.stderr
    assert f"{config}:1: display.rotation: expected one of 0, 90, 180, 270, got 45" in out
    assert f'{playlist}:5: items[1].id: duplicate id "a"' in out
    assert f'{playlist}:7: items[1].when.hours: "25:00" is not a time of day' in out
    assert f"{playlist}:8: items[2].image:" in out and "leaves the playlist's folder" in out
    assert f'{playlist}:10: items[3].tranistion: unknown key (did you mean "transition"?)' in out
    assert f"{playlist}:6: items[1].text: warning: no text for en" in out
    assert f'{playlist}:4: items[0].image: "media/fake.jpg": not a picture' in out


def test_check_missing_file_and_not_yaml(tmp_path):
    result = run("check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1 and "nope.yaml: file not found" in result.stdout
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = run("check", str(binary))
    assert result.returncode == 1 and "not valid UTF-8" in result.stdout


def test_preview_writes_the_frame(tmp_path):
    out = tmp_path / "welcome.png"
    result = run("preview", str(DEMO), "--item", "welcome", "--out", str(out), "--size", "960x540",
                 "--at", "2026-11-28T09:30")
    assert result.returncode == 0, result.stdout + result.stderr
    with Image.open(out) as image:
        assert image.size == (960, 540)
        assert len(image.convert("L").getcolors(256)) > 20  # text and ticker drawn, not a flat colour


def test_preview_unknown_item(tmp_path):
    result = run("preview", str(DEMO), "--item", "nope", "--out", str(tmp_path / "x.png"))
    assert result.returncode == 1 and 'no item with id "nope"' in result.stdout


def test_run_headless_plays_and_exits(tmp_path):
    config = tmp_path / "player.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    result = run("run", "--config", str(config), "--headless", "--exit-after", "3", "--size", "640x360")
    assert result.returncode == 0, result.stderr
    assert "playing ban-gioc-demo from built-in demo" in result.stderr
    assert "--exit-after reached" in result.stderr


def test_run_refuses_silent_offscreen_fallback(tmp_path):
    env = {k: "" for k in ("DISPLAY", "WAYLAND_DISPLAY")}
    config = tmp_path / "player.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "player", "run", "--config", str(config), "--exit-after", "2"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env=dict(clean, PYTHONPATH=str(ROOT), **env))
    # Not silent, and not an exit either (systemd would restart it into the same state): the
    # player says why there is no screen and waits for one, drawing off screen.
    assert result.returncode == 0
    assert "display unavailable: no screen found" in result.stderr and "--headless" in result.stderr


def test_run_with_a_bad_value_still_plays_and_keeps_the_good_ones(tmp_path):
    config = tmp_path / "player.yaml"
    config.write_text(f"cluster: ban-gioc-9\nstate_dir: {tmp_path / 'state'}\ndisplay: {{rotation: 45}}\n",
                      encoding="utf-8")
    result = run("run", "--config", str(config), "--headless", "--exit-after", "2", "--size", "320x180")
    assert result.returncode == 0
    assert "display.rotation: expected one of 0, 90, 180, 270" in result.stderr
    assert "the default is used instead" in result.stderr
    status = json.loads((tmp_path / "state" / "status.json").read_text())
    assert status["cluster"] == "ban-gioc-9"  # the good values were kept


@pytest.mark.timeout(60)
def test_sigterm_stops_quickly(tmp_path):
    config = tmp_path / "player.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    process = subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config), "--headless",
                                "--size", "320x180"], stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        for line in process.stderr:
            if "display: driver" in line:
                break
        process.terminate()
        assert process.wait(timeout=10) == 0
        assert "stopped: signal SIGTERM" in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_no_command_prints_help():
    result = run()
    assert result.returncode == 2 and "usage: signage-player" in result.stdout


@pytest.mark.skipif(Path("/etc/signage-player/player.yaml").exists(), reason="this machine has a config")
def test_check_with_nothing_to_check_says_so_and_fails():
    result = run("check")
    assert result.returncode == 2
    assert "nothing to check: there is no device config at /etc/signage-player/player.yaml" in result.stdout
    assert "signage-player check --config FILE" in result.stdout


def test_check_config_also_checks_the_emergency_message_beside_it(tmp_path):
    config = tmp_path / "player.yaml"
    config.write_text(f"playlist: {DEMO}\n", encoding="utf-8")
    emergency = tmp_path / "emergency.yaml"
    emergency.write_text("text:\n  vi: Lũ quét – xin hãy rời khỏi bờ sông ngay\n"
                         "  en: Flash flood – please leave the riverbank now\n", encoding="utf-8")
    result = run("check", "--config", str(config))
    assert result.returncode == 0, result.stdout
    assert f"ok: {emergency}: emergency message" in result.stdout
    emergency.write_text("text:\n  vi: Lũ quét: xin hãy rời khỏi bờ sông ngay\n", encoding="utf-8")
    result = run("check", "--config", str(config))
    assert result.returncode == 1
    assert f'{emergency}:2: a ":" inside a sentence: put the sentence in double quotes' in result.stdout
    emergency.write_text("text: {vi: Lũ quét, en: Flood}\nsize: 3\n", encoding="utf-8")
    result = run("check", "--config", str(config))
    assert result.returncode == 1
    assert f'{emergency}:2: size: unknown key' in result.stdout
