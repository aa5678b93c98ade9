"""Cost of the people's pages: the fleet page rendered from Jinja2 templates against the
f-string renderer it replaced, side by side in one process, plus a login's password check.

  baseline   the previous renderer (player/hub/pages.py at git revision BASE, loaded from git)
  jinja      today's renderer: triage, sorting and the templates
  login      one argon2id verify with argon2-cffi's default parameters

Prints milliseconds per page for each fleet size and the ratio to the baseline.
Usage: python benchmarks/hub_pages.py [--clusters 10 200] [--rounds 30] [--base 2bdf672]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from player.hub import pages  # noqa: E402
from player.hub.config import AlertLimits  # noqa: E402
from player.hub.fleet import Alert, ClusterStatus, EventLine, Fleet  # noqa: E402


def old_renderer(base: str):
    """The f-string pages module as it was at ``base``."""
    text = subprocess.run(["git", "show", f"{base}:player/hub/pages.py"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    folder = Path(tempfile.mkdtemp())
    (folder / "old_pages.py").write_text(text)
    spec = importlib.util.spec_from_file_location("old_pages", folder / "old_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fleet(size: int, now: float) -> Fleet:
    clusters = []
    for i in range(size):
        events = tuple(EventLine(now - 60 * j, now - 60 * j, "error", "decode_failed",
                                 f"media/clip{j}.mp4: invalid data <b>{i}</b>") for j in range(3))
        hot = i % 5 == 0
        clusters.append(ClusterStatus(
            f"c{i}", f"Cụm số {i} – Trùng Khánh", "ban-gioc", ["online", "stale", "offline"][i % 3],
            last_seen=now - 30 * i, device_time=now - 30 * i, sample_received=now - 30 * i,
            clock_synced=True, temperature=80.0 if hot else 45.0, humidity=70.0,
            disk_free=20e9, disk_total=32e9, display_connected=i % 7 != 0,
            display_driver="kmsdrm", playlist="p", item="thac-ban-gioc.jpg", release=3,
            latest_release=3, events=events,
            alerts=(Alert("temperature", "error", {"value": 80.0, "limit": 70.0}),) if hot else ()))
    return Fleet(now, tuple(clusters), {"ban-gioc": 3})


def per_page(render, rounds: int) -> float:
    render()  # templates compiled, caches warm
    start = time.perf_counter()
    for _ in range(rounds):
        render()
    return (time.perf_counter() - start) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, nargs="+", default=[10, 200])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--base", default="2bdf672")
    args = parser.parse_args()
    old = old_renderer(args.base)
    now = time.time()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'clusters':>8}  {'baseline ms':>11}  {'jinja ms':>9}  {'ratio':>6}  {'KiB':>5}")
    for size in args.clusters:
        data = fleet(size, now)
        base_ms = per_page(lambda d=data: old.render_fleet(d, "vi"), args.rounds)
        new_ms = per_page(lambda d=data: pages.render_fleet(d, "vi", AlertLimits()), args.rounds)
        kib = len(pages.render_fleet(data, "vi", AlertLimits()).encode()) / 1024
        print(f"{size:>8}  {base_ms:>11.2f}  {new_ms:>9.2f}  {new_ms / base_ms:>6.2f}  {kib:>5.0f}")
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    stored = hasher.hash("a password of the centre")
    verify_ms = per_page(lambda: hasher.verify(stored, "a password of the centre"), 10)
    print(f"login: one argon2id verify (t={hasher.time_cost}, m={hasher.memory_cost} KiB, "
          f"p={hasher.parallelism}) {verify_ms:.0f} ms")


if __name__ == "__main__":
    main()
