"""What the sound's feeder thread costs: its CPU and its wake-ups per second of sound.

    python benchmarks/audio_feeder.py [--seconds 60] [--repeat 3] [--tree PATH]

Plays a tone through `AudioOutput` and the real mixer (SDL's `dummy` audio driver unless
SDL_AUDIODRIVER says otherwise; it consumes samples at its own pace) for `--seconds`, fed by a
writer thread in 1024-sample frames as an AAC decoder would. Reads the feeder thread's CPU time
(`pthread_getcpuclockid`) and its context switches (/proc/self/task/TID/status: each voluntary
one is a wake-up), and the CPU of SDL's own audio thread. `--tree` runs the code of another
checkout (a baseline) in a child process, so before and after can take turns on the same machine.

`--accuracy` also checks the clock: a second thread polls the channel every 0.5 ms and notes
when SDL switches to each queued chunk; SDL mixes whole periods of 1024 samples from the
moment the channel starts, so a chunk's first sample goes to the mixer that switch time plus
the rest of its period. Each chunk start the feeder settles on is compared with that. The
observer's polling costs CPU and the GIL, so the CPU figures of such a run are not the plain ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def task_stats(tid: int) -> dict[str, int]:
    """Context switches and CPU ticks of one thread of this process."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/self/task/{tid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.endswith("ctxt_switches"):
            fields[key] = int(value)
    stat = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    fields["ticks"] = int(stat[11]) + int(stat[12])  # utime + stime
    return fields


def sdl_audio_ticks() -> int:
    """CPU ticks of SDL's audio threads (named SDLAudio...)."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        if (task / "comm").read_text().startswith("SDLAudio"):
            total += task_stats(int(task.name))["ticks"]
    return total


class Observer:
    """Notes when the channel switches to its queued Sound, polling every 0.5 ms."""

    def __init__(self, channel) -> None:  # noqa: ANN001 - pygame Channel
        self.channel = channel
        self.switches: list[float] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name="observer")

    def run(self) -> None:
        last, polled = None, time.monotonic()
        while not self.stopped.wait(0.0005):
            queued, now = self.channel.get_queue(), time.monotonic()
            if last is not None and queued is not last:
                self.switches.append((polled + now) / 2)
            last, polled = queued, now


def clock_errors(chunks: list[tuple[float, float, float]], switches: list[float],
                 rate: int, period: int) -> list[float]:
    """The feeder's start of each chunk after the first minus the observed one (seconds)."""
    errors, offset = [], 0
    for before, (_, _, start), switch in zip(chunks, chunks[1:], switches):
        offset += round(before[1] * rate)
        lead = (offset - (offset - 1) // period * period) / rate
        errors.append(start - (switch + lead))
    return errors


def measure(seconds: float, accuracy: bool = False) -> dict[str, float]:
    """Play `seconds` of a tone and return the feeder's figures."""
    import numpy as np

    from player.core.config import AudioConfig
    from player.render.audio import MIXER_BUFFER, RATE, AudioOutput, AudioStream

    output = AudioOutput(AudioConfig(volume=0.2)).open()
    if not output.available:
        raise SystemExit(f"no audio: {output.problem}")
    stream = AudioStream()
    frame = 1024
    tone = (np.sin(np.arange(frame) * 2 * np.pi * 441 / RATE) * 8000).astype("<i2")
    data = np.repeat(tone, 2).tobytes()

    def write() -> None:
        for n in range(int(seconds * RATE / frame)):
            if not stream.write(n * frame / RATE, data):
                return
        stream.end()

    writer = threading.Thread(target=write, name="writer")
    writer.start()
    stream.wait_ready(10)
    feeder = output._thread
    assert feeder is not None and feeder.native_id is not None
    turns = [0]
    service = output.service

    def counted(now: float) -> float:
        turns[0] += 1
        return service(now)

    output.service = counted  # type: ignore[method-assign]
    chunks: list[tuple[float, float, float]] = []
    output.on_chunk = lambda pts, secs, start: chunks.append((pts, secs, start))
    observer = Observer(output._channel)
    if accuracy:
        observer.thread.start()
    clock = time.pthread_getcpuclockid(feeder.ident)
    cpu0, before, sdl0 = time.clock_gettime(clock), task_stats(feeder.native_id), sdl_audio_ticks()
    t0 = time.monotonic()
    output.play(stream, None, t0)
    while not stream.finished:
        time.sleep(0.1)
    played = time.monotonic() - t0
    cpu, after = time.clock_gettime(clock) - cpu0, task_stats(feeder.native_id)
    sdl = sdl_audio_ticks() - sdl0
    observer.stopped.set()
    if accuracy:
        observer.thread.join()
    writer.join()
    output.close()
    errors = clock_errors(chunks, observer.switches, RATE, MIXER_BUFFER) if accuracy else [0.0]
    tick = os.sysconf("SC_CLK_TCK")
    return {"seconds": played, "sound": stream.samples_out / RATE,
            "cpu_ms_per_s": cpu * 1000 / played,
            "wakeups_per_s": (after["voluntary_ctxt_switches"]
                              - before["voluntary_ctxt_switches"]) / played,
            "involuntary_per_s": (after["nonvoluntary_ctxt_switches"]
                                  - before["nonvoluntary_ctxt_switches"]) / played,
            "turns_per_s": turns[0] / played,
            "sdl_ms_per_s": sdl * 1000 / tick / played, "underruns": output.underruns,
            "clock_error_mean_ms": statistics.mean(errors) * 1000,
            "clock_error_max_ms": max(abs(e) for e in errors) * 1000}


def run_child(tree: Path, seconds: float, accuracy: bool) -> dict[str, float]:
    """One measurement in a fresh process, importing the player from `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    extra = ["--accuracy"] if accuracy else []
    out = subprocess.run([sys.executable, __file__, "--child", "--seconds", str(seconds), *extra],
                         env=env, cwd=tree, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="sound played (default 60)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tree (default 3)")
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="another checkout to measure, taking turns with this one")
    parser.add_argument("--accuracy", action="store_true",
                        help="also compare the clock with a 0.5 ms observer of the channel")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    if args.child:
        sys.path.insert(0, os.environ.get("PYTHONPATH", str(HERE)))
        print(json.dumps(measure(args.seconds, args.accuracy)))
        return 0
    trees = [HERE, *args.tree]
    results: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for _ in range(args.repeat):
        for tree in trees:  # taking turns, so the machine's load falls on each alike
            results[tree].append(run_child(tree, args.seconds, args.accuracy))
    for tree, runs in results.items():
        print(f"{tree}: {args.seconds:.0f} s of sound, {len(runs)} runs")
        keys = ["cpu_ms_per_s", "turns_per_s", "wakeups_per_s", "involuntary_per_s",
                "sdl_ms_per_s", "underruns"]
        if args.accuracy:
            keys += ["clock_error_mean_ms", "clock_error_max_ms"]
        for key in keys:
            values = [run[key] for run in runs]
            print(f"  {key}: median {statistics.median(values):.2f} "
                  f"({min(values):.2f}-{max(values):.2f})")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
