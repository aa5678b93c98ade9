"""Health worker costs: the sampler's CPU, and disk writes a day in steady state.

    python benchmarks/health.py [--ticks 300] [--seconds 20]

1. CPU: full health ticks (sample, alarms, status, Prometheus, and a spool transaction every
   fifth tick as with the defaults) run back to back; CPU seconds a tick, scaled to a 30 s
   interval as a share of one core (target: under 1 %). A baseline run side by side (reading
   /proc/uptime only, the cheapest possible sample) gives the ratio. Run on this machine's /
   and on a fake Raspberry-Pi-like sysfs tree.
2. Disk: a HealthWorker in a child process, its clock sped up 300 times (a 60 s interval runs
   every 0.2 s, spool writes every 5 minutes), 6 proof-of-play records a tick (10 s items),
   network up (a local receiver) and down (nobody listening). `write_bytes` from
   /proc/<pid>/io after a warm-up, scaled to a day at the default 60 s interval (budget:
   20 MB a day for the whole player).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from player.core.config import Config, HealthConfig, SensorConfig  # noqa: E402
from player.health.board import StatusBoard  # noqa: E402
from player.health.forewarn import Forewarnings  # noqa: E402
from player.health.readings import Sampler  # noqa: E402
from player.health.storage import SmartReader  # noqa: E402
from player.health.worker import HealthWorker  # noqa: E402
from tests.health.fakesys import add_fans, add_storage, fake_smartctl, make_tree  # noqa: E402
from tests.health.receiver import Receiver  # noqa: E402

SPEED = 300.0


SENSORS = (
    SensorConfig("cabinet", "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input",
                 "humidity", 0.001),
    SensorConfig("cabinet_air", "/sys/class/hwmon/hwmon0/temp1_input", "temperature", 0.001))


def cpu_per_tick(root: Path, state: Path, ticks: int, smartctl: Path | None = None,
                 ) -> tuple[float, float, int]:
    """(CPU s a tick, CPU s of it in the new readings (forewarn.py), smartctl runs)."""
    board = StatusBoard()
    config = Config(cluster="bench", state_dir=state, health=HealthConfig(
        min_disk_free=0, prometheus_textfile=str(state / "signage.prom"),
        sensors=SENSORS if smartctl else ()))
    worker = HealthWorker(config, board, root)
    worker._setup()
    if smartctl:  # never the real smartctl against this machine's disks from a fake tree
        smart = SmartReader(root, str(smartctl))
        worker.sampler = Sampler(config.health, state, root, forewarn=Forewarnings(
            config.health, state, root, smart=smart))
    forewarn = worker.sampler.forewarn
    spent = [0.0]
    original = forewarn.sample

    def timed(*args, **kwargs):
        begin = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - begin

    worker.tick()  # warm-up: first psutil call, SQLite pages in cache, smartctl's first run
    forewarn.sample = timed
    start = time.process_time()
    for n in range(ticks):
        board.count_frames(300, 0)
        if n % 5 == 0:
            worker.handoff.next_write = 0.0  # a spool write every 5 ticks, as at the 60 s default
        worker.tick()
    cost = (time.process_time() - start) / ticks
    worker.handoff.spool.close()
    return cost, spent[0] / ticks, forewarn.smart.runs


def baseline_per_tick(ticks: int) -> float:
    start = time.process_time()
    for _ in range(ticks):
        Path("/proc/uptime").read_text()
    return (time.process_time() - start) / ticks


CHILD = """
import sys, time
from datetime import datetime, UTC
from pathlib import Path
import player.health.status as status
import player.health.worker as worker_module
from player.core.config import Config, HealthConfig
from player.health.board import StatusBoard
from player.health.worker import HealthWorker

speed = float(sys.argv[4])
status.REFRESH /= speed          # status.json refresh, in the same sped-up time
worker_module.WAKE_GAP /= speed
state, root, url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
board = StatusBoard()
board.set_playing("programme.yaml", 42, "intro")
cfg = Config(cluster="bench", state_dir=state, health=HealthConfig(
    report_url=url, token="secret", interval=60 / speed, upload_interval=60 / speed,
    write_interval=300 / speed, min_disk_free=0))
worker = HealthWorker(cfg, board, root)
worker.start()
print("started", flush=True)
n = 0
while True:
    now = datetime.now(UTC)
    board.play(f"item-{n % 12}", 42, now, now)
    board.count_frames(300, 0)
    n += 1
    time.sleep(10 / speed)
"""


def io_write_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError("no write_bytes")


def writes_per_day(tmp: Path, root: Path, online: bool, seconds: float) -> tuple[float, int]:
    receiver = Receiver().start()
    if not online:
        receiver.stop()  # the port stays unanswered
    state = tmp / ("online" if online else "offline")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(state), str(root), receiver.url,
                              str(SPEED)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        child.stdout.readline()
        time.sleep(3.0)  # warm-up: first spool pages, first status.json, first upload
        before, start = io_write_bytes(child.pid), time.monotonic()
        time.sleep(seconds)
        after, elapsed = io_write_bytes(child.pid), time.monotonic() - start
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        receiver.stop()
    simulated_days = elapsed * SPEED / 86400
    return (after - before) / simulated_days, len(receiver.reports)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per disk run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR", "/var/tmp")) as folder:
        tmp = Path(folder)
        fake = add_fans(add_storage(make_tree(tmp / "sys")))
        smartctl = fake_smartctl(tmp / "bin")
        base = baseline_per_tick(args.ticks)
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
              f"{args.ticks} ticks each")
        for label, root, fake_smart in (
                ("fake Pi sysfs, eMMC, 2 SMART disks, fans, dew point", fake, smartctl),
                ("this machine's /", Path("/"), None)):
            cost, new, runs = cpu_per_tick(root, tmp / f"cpu-{label[:4]}", args.ticks,
                                           fake_smart)
            print(f"CPU a tick ({label}): {cost * 1000:.2f} ms = {cost / 30 * 100:.4f} % of one "
                  f"core at a 30 s interval (target < 1 %); {cost / base:.0f}x the /proc/uptime "
                  f"baseline ({base * 1e6:.1f} us); new readings {new * 1000:.2f} ms of it; "
                  f"smartctl ran {runs} times in {args.ticks + 1} ticks (cached 6 h)")
        for online in (True, False):
            per_day, received = writes_per_day(tmp, fake, online, args.seconds)
            state = "network up" if online else "network down"
            print(f"disk writes ({state}): {per_day / 1e6:.2f} MB a simulated day at a 60 s "
                  f"interval (budget 20 MB for the whole player); {received} reports uploaded")


if __name__ == "__main__":
    main()
