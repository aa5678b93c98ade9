"""What the player costs while its screen is away, and whether losing it again and again leaks.

    python benchmarks/display_away.py [--seconds 30] [--cycles 5]

Two players run side by side on the demo content: one on a real X server (Xvfb), one whose X
server is not there. The figure to read is the ratio of their CPU use (away / on screen). Then
the first player's X server is killed and started again `--cycles` times; its RSS, open files
and threads after each return should not grow.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.xserver import XServer  # noqa: E402


def start_player(folder: Path, display: str) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "player.yaml"
    config.write_text(f"state_dir: {folder / 'state'}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
    env.update(DISPLAY=display, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
    log = open(folder / "player.log", "w")  # noqa: SIM115 (the player writes it until it stops)
    return subprocess.Popen([sys.executable, "-m", "player", "run", "--config", str(config)],
                            env=env, stderr=log, cwd=ROOT)


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def wait_for(path: Path, text: str, count: int = 1, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while path.read_text(encoding="utf-8").count(text) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{text!r} not logged {count} times in {path}")
        time.sleep(0.2)


def figures(process: psutil.Process) -> str:
    return (f"RSS {process.memory_info().rss / 2**20:.1f} MB, {len(process.open_files())} open files, "
            f"{process.num_fds()} fds, {process.num_threads()} threads")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--cycles", type=int, default=5)
    args = parser.parse_args()
    present, absent = XServer(), XServer()
    present.start()
    folder = Path(tempfile.mkdtemp(prefix="display-away-"))
    players = [start_player(folder / "on-screen", present.name), start_player(folder / "away", absent.name)]
    try:
        wait_for(folder / "on-screen" / "player.log", "display: driver x11")
        wait_for(folder / "away" / "player.log", "display unavailable")
        time.sleep(5)  # past the start-up work (font caches, first slides)
        procs = [psutil.Process(p.pid) for p in players]
        before = [cpu(p) for p in procs]
        start = time.monotonic()
        time.sleep(args.seconds)
        elapsed = time.monotonic() - start
        used = [cpu(p) - b for p, b in zip(procs, before, strict=True)]
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(f"on screen: {100 * used[0] / elapsed:.1f}% of a core; away: {100 * used[1] / elapsed:.1f}%; "
              f"ratio away/on screen {used[1] / used[0]:.2f}")
        log = folder / "on-screen" / "player.log"
        print(f"before any loss: {figures(procs[0])}")
        for cycle in range(1, args.cycles + 1):
            present.kill()
            wait_for(log, "starting again in place", cycle)
            time.sleep(2)
            lost_at = time.monotonic()
            present.start()
            wait_for(log, "display back", cycle)
            back = time.monotonic() - lost_at
            time.sleep(3)
            assert players[0].poll() is None, "the player ended"
            print(f"cycle {cycle}: pid {procs[0].pid} back {back:.1f} s after the server; {figures(procs[0])}")
    finally:
        for player in players:
            player.terminate()
        for player in players:
            player.wait(timeout=60)
        present.close()
        absent.close()


if __name__ == "__main__":
    main()
