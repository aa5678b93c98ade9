"""Preparing a 1-minute 4K phone clip for the screens: the hub's job against the same FFmpeg
command run by hand, side by side on the same machine.

  clip      FFmpeg's testsrc2 + a sine tone, 3840x2160 at 30 fps, tagged rotated 90 degrees like
            a phone held upright; HEVC when this FFmpeg has libx265, else H.264
  by hand   ``video_command()`` (what the job runs: niced, H.264 + AAC at the screen's size)
            run once with subprocess, output thrown away
  hub job   the upload check at upload (PyAV reads every packet), then ``JobQueue.run_one()``:
            FFmpeg with progress parsed, the database updated each second, the result hashed
            and its thumbnail made

Runs alternate (hand, job, hand, job, ...) so a change in the machine's load hits both.
Prints seconds for each run, the medians and the ratio job / hand, and the load average.
Usage: python benchmarks/transcode.py [--seconds 60] [--rounds 1] [--screen 1920x1080]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from player.core.units import parse_size  # noqa: E402
from player.hub.database import make_engine, migrate  # noqa: E402
from player.hub.jobs import JobQueue  # noqa: E402
from player.hub.media import MediaLibrary  # noqa: E402
from player.hub.media_inspect import inspect_upload  # noqa: E402
from player.hub.media_settings import MediaSettings  # noqa: E402
from player.hub.prepare import ffmpeg_program, video_command  # noqa: E402


def has_x265() -> bool:
    encoders = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True,
                              text=True).stdout
    return "libx265" in encoders


def make_clip(folder: Path, seconds: float) -> Path:
    codec = ["-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1",
             "-x265-params", "log-level=error"] if has_x265() else \
        ["-c:v", "libx264", "-preset", "ultrafast"]
    plain, out = folder / "plain.mov", folder / "IMG_4K.mov"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=3840x2160:rate=30:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                    *codec, "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", str(plain)],
                   check=True)
    # the rotation a phone held upright records, added without re-encoding
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(plain),
                    "-c", "copy", "-metadata:s:v:0", "rotate=90", "-movflags", "+faststart",
                    str(out)], check=True)
    plain.unlink()
    return out


def by_hand(command: list[str], out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    out.unlink(missing_ok=True)
    return elapsed


def hub_job(clip: Path, root: Path, settings: MediaSettings) -> tuple[float, float]:
    """(seconds of the upload check, seconds of the job)."""
    shutil.rmtree(root, ignore_errors=True)
    engine = make_engine(f"sqlite:///{root / 'hub.sqlite'}")
    migrate(engine)
    library = MediaLibrary(engine, root, settings)
    started = time.perf_counter()
    item = library.add_file(clip, "Lễ hội 4K.mov", "benchmark")
    checked = time.perf_counter() - started
    queue = JobQueue(library)
    started = time.perf_counter()
    queue.run_one()
    elapsed = time.perf_counter() - started
    done = library.get(item.id)
    assert done is not None and done.state == "ready", done and done.error
    engine.dispose()
    return checked, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--screen", default="1920x1080")
    args = parser.parse_args()
    if ffmpeg_program(MediaSettings()) is None:
        sys.exit("ffmpeg is not installed")
    settings = MediaSettings(screen=parse_size(args.screen))
    folder = Path(tempfile.mkdtemp(prefix="transcode-bench-"))
    try:
        started = time.perf_counter()
        clip = make_clip(folder, args.seconds)
        info = inspect_upload(clip, settings)
        print(f"clip: {clip.stat().st_size / 1e6:.0f} MB, {'HEVC' if has_x265() else 'H.264'} "
              f"3840x2160, {info.duration:.0f} s, rotation {info.rotation}, made in "
              f"{time.perf_counter() - started:.0f} s; {os.cpu_count()} cores, load "
              f"{os.getloadavg()[0]:.2f}")
        out = folder / "by-hand.mp4"
        command = [c for c in video_command("ffmpeg", clip, out, info, settings)
                   if c not in ("-progress", "pipe:1")]
        print("command:", " ".join(command))
        hands, jobs, checks = [], [], []
        for round_number in range(args.rounds):
            hands.append(by_hand(command, out))
            check, job = hub_job(clip, folder / "hub", settings)
            checks.append(check)
            jobs.append(job)
            print(f"round {round_number + 1}: by hand {hands[-1]:.1f} s, hub job {job:.1f} s "
                  f"(+ upload check {check:.1f} s), load {os.getloadavg()[0]:.2f}")
        hand, job = statistics.median(hands), statistics.median(jobs)
        print(f"median: by hand {hand:.1f} s, hub job {job:.1f} s, ratio job/hand "
              f"{job / hand:.2f}; upload check {statistics.median(checks):.1f} s "
              f"({args.seconds:.0f} s of 4K is {args.seconds / hand:.2f}x real time by hand)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
