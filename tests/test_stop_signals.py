"""SIGTERM is a clean stop (exit 0, within seconds) whenever it arrives: while the player is still
starting, or while it starts itself again in place after a config change."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def start_player(config: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    return subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config), "--headless",
                             "--size", "320x180", "--exit-after", "120", *extra],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def wait_for(process: subprocess.Popen, text: str, lines: list[str]) -> None:
    for line in process.stderr:
        lines.append(line)
        if text in line:
            return
    raise AssertionError(f"{text!r} never logged:\n{''.join(lines)}")


def rest_of_output(process: subprocess.Popen, lines: list[str]) -> str:
    lines.extend(process.stderr)
    return "".join(lines)


@pytest.mark.timeout(90)
def test_sigterm_while_starting_again_in_place_stops(tmp_path):
    """The stop is sent right as the old program execs the new one: it is neither lost (a player
    playing on after being told to stop) nor fatal (killed by the default action, exit -15)."""
    config = tmp_path / "player.yaml"
    state = tmp_path / "state"
    config.write_text(f"state_dir: {state}\n", encoding="utf-8")
    process = start_player(config)
    lines: list[str] = []
    try:
        wait_for(process, "display: driver offscreen", lines)
        seen = threading.Event()

        def signal_at_restart() -> None:
            wait_for(process, "starting again in place", lines)
            process.send_signal(signal.SIGTERM)
            seen.set()

        reader = threading.Thread(target=signal_at_restart, daemon=True)
        reader.start()
        # The watcher may not be running yet when the first edit lands: edit again until seen.
        for n in range(30):
            config.write_text(f"state_dir: {state}\ndisplay: {{rotation: 90}}\n# edit {n}\n", encoding="utf-8")
            if seen.wait(2):
                break
        reader.join(timeout=30)
        assert process.wait(timeout=30) == 0, rest_of_output(process, lines)
    finally:
        process.kill()
        process.wait()
    output = rest_of_output(process, lines)
    assert "stopped: signal SIGTERM" in output
    assert "Traceback" not in output
    assert "--exit-after reached" not in output


@pytest.mark.timeout(90)
def test_sigterm_during_start_up_is_a_clean_stop(tmp_path):
    """Sent while the config is still being read (its problem is logged before pygame starts)."""
    config = tmp_path / "player.yaml"
    state = tmp_path / "state"
    config.write_text(f"state_dir: {state}\ndisplay: {{rotation: 45}}\n", encoding="utf-8")
    process = start_player(config)
    lines: list[str] = []
    try:
        wait_for(process, "the default is used instead", lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, rest_of_output(process, lines)
    finally:
        process.kill()
        process.wait()
    output = rest_of_output(process, lines)
    assert "stopped: signal SIGTERM" in output
    assert "--exit-after reached" not in output
    exit_record = (state / "exit.json").read_text(encoding="utf-8")
    assert "signal SIGTERM" in exit_record
