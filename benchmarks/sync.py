"""Content sync figures: what a poll, a small change and a resume cost, and hashing speed.

    python benchmarks/sync.py [--mb 200]

1. An unchanged poll: requests made and object bytes moved (want 1 and 0).
2. One changed file in a 200-file channel: bytes moved / size of that file (want about 1).
3. A download cut at 50% and resumed: bytes moved / file size (want <= 1.05).
   And the bandwidth cap: measured rate / `sync.bandwidth_limit`.
4. Hashing while downloading: a channel of --mb megabytes pulled from nginx on loopback
   (the in-process test server when nginx is missing), bytes/s compared with `sha256sum` over
   the same files, run side by side (want a ratio >= 0.8: the download path is not slower
   than hashing alone).
Prints the figures; exits 1 when one misses its target.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from tests.sync.kit import (  # noqa: E402
    ChannelServer,
    NginxError,
    NginxServer,
    make_syncer,
    publish_files,
    sync_config,
)


def blob(seed: str, size: int) -> bytes:
    block = hashlib.sha256(seed.encode()).digest() * 2048  # 64 kB, not compressible by a block
    return (block * (size // len(block) + 1))[:size]


def poll_figures(tmp: Path, key) -> list[tuple[str, float, str, bool]]:
    files = {f"media/f{i:03d}.jpg": blob(f"f{i}", 50_000) for i in range(199)}
    files["media/a.jpg"] = b"picture"
    channel = tmp / "small"
    publish_files(tmp / "src-small", channel, key, files)
    rows = []
    with ChannelServer(channel) as server:
        syncer = make_syncer(tmp / "state-small", key, server.url)
        assert syncer.run_once().result == "updated"
        server.reset_counts()
        assert syncer.run_once().result == "unchanged"
        objects = sum(n for p, n in server.bytes_by_path.items() if p.startswith("objects/"))
        rows.append(("unchanged poll: requests", len(server.log),
                     f"{server.log[0][0]} answered {server.log[0][2]}, want 1",
                     len(server.log) == 1))
        rows.append(("unchanged poll: object bytes", objects, "want 0", objects == 0))
        changed = {**files, "media/f100.jpg": blob("changed", 50_000)}
        publish_files(tmp / "src-small", channel, key, changed)
        server.reset_counts()
        syncer.run_once()
        moved = sum(n for p, n in server.bytes_by_path.items() if p.startswith("objects/"))
        manifest = sum(n for p, n in server.bytes_by_path.items() if p.startswith("manifest"))
        ratio = moved / 50_000
        rows.append(("one of 200 files changed: object bytes / its size", round(ratio, 3),
                     f"plus {manifest} bytes of manifest and signature", 0.99 < ratio < 1.05))
    return rows


def resume_figure(tmp: Path, key) -> tuple[str, float, str, bool]:
    size = 20_000_000
    big = blob("big", size)
    channel = tmp / "resume"
    publish_files(tmp / "src-resume", channel, key, {"media/a.jpg": b"picture",
                                                     "media/film.mp4": big})
    sha = hashlib.sha256(big).hexdigest()
    with ChannelServer(channel) as server:
        server.fault(f"objects/{sha}", "drop", times=1)
        syncer = make_syncer(tmp / "state-resume", key, server.url, attempts=1)
        first = syncer.run_once()
        second = syncer.run_once()
        assert second.result == "updated", second
        requests = sum(1 for p, _h, _s in server.log if p == f"objects/{sha}")
        ratio = server.bytes_by_path[f"objects/{sha}"] / size
    return ("download cut at 50% then resumed: bytes sent / file size", round(ratio, 3),
            f"{requests} requests ({first.result}, then {second.result}), want <= 1.05",
            ratio <= 1.05)


def bandwidth_figure(tmp: Path, key) -> tuple[str, float, str, bool]:
    size, cap = 3_000_000, 1_000_000
    channel = tmp / "capped"
    publish_files(tmp / "src-capped", channel, key, {"media/a.jpg": b"picture",
                                                     "media/film.mp4": blob("cap", size)})
    with ChannelServer(channel) as server:
        syncer = make_syncer(tmp / "state-capped", key, server.url)
        syncer.config = sync_config(key, [server.url], bandwidth_limit=cap)
        start = time.perf_counter()
        result = syncer.run_once()
        rate = result.bytes / (time.perf_counter() - start)
    return ("bandwidth_limit 1 MB/s: measured rate / cap", round(rate / cap, 2),
            f"{result.bytes / 1e6:.1f} MB, want 0.9 to 1.05", 0.9 <= rate / cap <= 1.05)


def hashing_figures(tmp: Path, key, megabytes: int) -> list[tuple[str, float, str, bool]]:
    count = 20
    size = megabytes * 1_000_000 // count
    files = {f"media/clip{i:02d}.mp4": blob(f"c{i}", size) for i in range(count)}
    files["media/a.jpg"] = b"picture"
    root = tmp / "www"
    channel = root / "ch"
    publish_files(tmp / "src-hash", channel, key, files)
    del files
    objects = sorted((channel / "objects").iterdir())
    total = sum(p.stat().st_size for p in objects)
    try:
        server_cm = NginxServer(root, tmp / "nginx")
        server = server_cm.__enter__()
        url, served_by = server.url + "ch/", "nginx"
    except NginxError:
        server_cm = ChannelServer(channel)
        server = server_cm.__enter__()
        url, served_by = server.url, "the in-process test server"
    rows = []
    try:
        sync_rates, sum_rates = [], []
        for attempt in range(3):  # alternate, so both see the same machine load
            state = tmp / f"state-hash-{attempt}"
            syncer = make_syncer(state, key, url, timeout=30)
            start = time.perf_counter()
            result = syncer.run_once()
            sync_rates.append(result.bytes / (time.perf_counter() - start))
            assert result.result == "updated", result
            start = time.perf_counter()
            subprocess.run(["sha256sum", *map(str, objects)], check=True,
                           stdout=subprocess.DEVNULL)
            sum_rates.append(total / (time.perf_counter() - start))
            shutil.rmtree(state)
    finally:
        server_cm.__exit__(None, None, None)
    sync_rate, sum_rate = max(sync_rates), max(sum_rates)
    rows.append((f"download + sha256 + fsync from {served_by}, MB/s", round(sync_rate / 1e6, 1),
                 f"{total / 1e6:.0f} MB in {len(objects)} files", True))
    rows.append(("sha256sum on the same files, MB/s", round(sum_rate / 1e6, 1), "", True))
    ratio = sync_rate / sum_rate
    rows.append(("ratio download / sha256sum", round(ratio, 2), "want >= 0.8", ratio >= 0.8))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the hashing channel")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as folder:
        tmp = Path(folder)
        rows = poll_figures(tmp, key)
        rows.append(resume_figure(tmp, key))
        rows.append(bandwidth_figure(tmp, key))
        rows += hashing_figures(tmp, key, args.mb)
    print(f"machine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
    width = max(len(r[0]) for r in rows)
    for name, value, note, ok in rows:
        print(f"{'ok ' if ok else 'MISS'} {name:<{width}}  {value:>10}  {note}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
