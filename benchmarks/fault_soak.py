"""Fault soak: the player under a real X server for a long run while faults are inflicted.

    python benchmarks/fault_soak.py [--minutes 30] [--period 60] [--out /tmp/fault-soak]

The player runs as systemd would run it (restarted when it exits) against a channel folder
that gets a new signed release every period. Each period one fault comes in turn: a release
whose picture is broken, a live config edit, kill -9 of the player, the X server killed and
started again 10 s later, the state folder made read-only for 20 s (a tmpfs remounted; skipped
where mounting is not allowed). The player's RSS, open files and threads are sampled every
10 s, `status --json` and a screenshot are taken every period. Read in the summary: growth of
RSS, files and threads between the second period and the end (target: none beyond noise),
the exit codes of every player run (only the kill -9 ones may be non-zero), and the
screenshots (content on screen after every fault).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
PLAYER = [sys.executable, "-m", "player"]
FAULTS = ("good", "broken_picture", "config_edit", "kill9", "x_server", "read_only")


def start_x(number: int | None = None) -> tuple[subprocess.Popen, int]:
    """Xvfb on a free display number (or on `number` again), waiting until it accepts clients."""
    read, write = os.pipe()
    args = ["Xvfb", "-screen", "0", "1280x720x24", "-nolisten", "tcp"]
    args = args[:1] + ([f":{number}"] if number is not None else ["-displayfd", str(write)]) + args[1:]
    server = subprocess.Popen(args, pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    if number is None:
        number = int(os.read(read, 16).decode().strip())
    os.close(read)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, number


def make_release(folder: Path, version: int, broken: bool) -> None:
    """A playlist with one picture and one text naming the version; `broken` truncates the picture."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    picture = Image.new("RGB", (1280, 720), (20, 60 + version % 150, 120))
    ImageDraw.Draw(picture).text((40, 40), f"release {version}", fill=(255, 255, 255))
    path = media / "picture.jpg"
    picture.save(path, quality=85)
    if broken:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    (folder / "playlist.yaml").write_text(
        "languages: [vi, en]\n"
        "defaults: {duration: 4s}\n"
        "items:\n"
        "  - {id: picture, image: media/picture.jpg}\n"
        f"  - {{id: words, text: {{vi: \"Phiên bản {version} – Thác Bản Giốc\", en: \"Release {version}\"}}}}\n"
        "overlays:\n"
        "  clock: {}\n",
        encoding="utf-8")


def publish(source: Path, channel: Path, key: Path) -> None:
    subprocess.run(PLAYER + ["publish", str(source), "--channel", "soak", "--key", str(key),
                             "--out", str(channel)], check=False, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write_config(path: Path, state: Path, channel: Path, public_key: str, interval: str) -> None:
    path.write_text(
        "cluster: soak-1\n"
        f"state_dir: {state}\n"
        "display: {size: 1280x720, driver: x11}\n"
        f"sync: {{sources: [\"{channel}\"], public_keys: [\"{public_key}\"], interval: 10s}}\n"
        f"health: {{interval: {interval}, upload_interval: 1m}}\n",
        encoding="utf-8")


def try_mount_tmpfs(path: Path) -> bool:
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(path)],
                          stderr=subprocess.DEVNULL).returncode == 0


def remount(path: Path, mode: str) -> bool:
    return subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=False,
                          stderr=subprocess.DEVNULL).returncode == 0


class Supervisor:
    """Runs the player like systemd's Restart=always, remembering every exit code."""

    def __init__(self, config: Path, env: dict[str, str], log: Path):
        self.config, self.env, self.log = config, env, log
        self.process: subprocess.Popen | None = None
        self.exits: list[int] = []

    def ensure(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        if self.process is not None:
            self.exits.append(self.process.returncode)
        with self.log.open("a") as log:
            self.process = subprocess.Popen(PLAYER + ["run", "--config", str(self.config)], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.exits.append(self.process.wait(timeout=20))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.exits.append(self.process.wait())


def sample(pid: int) -> dict[str, float]:
    process = psutil.Process(pid)
    return {"rss_mb": process.memory_info().rss / 2**20, "files": process.num_fds(),
            "threads": process.num_threads()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--period", type=float, default=60)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fault-soak")
    args = parser.parse_args()
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    (out / "shots").mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="fault-soak-"))
    state, channel, source = work / "state", work / "channel", work / "source"
    state.mkdir()
    mounted = os.geteuid() == 0 and try_mount_tmpfs(state)
    key = work / "key.pem"
    subprocess.run(PLAYER + ["keygen", "--out", str(key)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    public_key = key.with_suffix(".pem.pub").read_text().strip().split()[0]
    config = work / "player.yaml"
    write_config(config, state, channel, public_key, "30s")
    make_release(source, 1, broken=False)
    publish(source, channel, key)

    xserver, number = start_x()
    env = dict(os.environ, DISPLAY=f":{number}", SDL_AUDIODRIVER="dummy", PYTHONPATH=str(ROOT))
    player = Supervisor(config, env, out / "player.log")
    player.ensure()
    samples: list[dict[str, float]] = []
    events: list[str] = []
    start = time.monotonic()
    period = 0
    next_period = start + args.period
    try:
        while time.monotonic() - start < args.minutes * 60:
            time.sleep(10)
            if xserver.poll() is not None:
                xserver, _ = start_x(number)
            player.ensure()
            try:
                samples.append({"t": round(time.monotonic() - start), **sample(player.process.pid)})
            except psutil.Error:
                pass
            if time.monotonic() < next_period:
                continue
            next_period += args.period
            period += 1
            fault = FAULTS[period % len(FAULTS)]
            events.append(f"{round(time.monotonic() - start)} s: {fault}")
            make_release(source, period + 1, broken=fault == "broken_picture")
            publish(source, channel, key)
            status = subprocess.run(PLAYER + ["status", "--json", "--config", str(config)], cwd=ROOT,
                                    env=env, capture_output=True, text=True)
            (out / f"status-{period:03d}.json").write_text(status.stdout)
            subprocess.run(["import", "-display", f":{number}", "-window", "root",
                            str(out / "shots" / f"{period:03d}-{fault}.png")], check=False,
                           stderr=subprocess.DEVNULL)
            if fault == "config_edit":
                write_config(config, state, channel, public_key, "31s" if period % 2 else "30s")
            elif fault == "kill9":
                player.process.kill()
            elif fault == "x_server":
                xserver.kill()
                xserver.wait()
                time.sleep(10)
                xserver, _ = start_x(number)
            elif fault == "read_only" and mounted:
                if remount(state, "ro"):
                    time.sleep(20)
                    remount(state, "rw")
                else:
                    events[-1] += " (not applied: the state folder is busy, a remount is refused)"
    finally:
        player.stop()
        xserver.terminate()
        xserver.wait()
        if mounted:
            subprocess.run(["umount", "-l", str(state)], check=False)
    summary = {"periods": period, "exits": player.exits, "events": events,
               "first": samples[len(samples) // 10] if samples else None,
               "last": samples[-1] if samples else None,
               "max": {k: max(s[k] for s in samples) for k in ("rss_mb", "files", "threads")} if samples else None}
    (out / "samples.json").write_text(json.dumps(samples))
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
