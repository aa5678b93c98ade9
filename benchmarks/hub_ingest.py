"""Heartbeat ingestion rate of the hub: batches per second, client and server on loopback.

Starts `signage-player hub` as its own process on 127.0.0.1, then posts batches from client
threads over keep-alive connections for a few seconds per case:

  baseline   a batch with a wrong token: read, parsed and refused (HTTP and JSON cost only)
  steady     one heartbeat a batch (a cluster online, uploading every minute)
  backlog    100 mixed reports a batch (a cluster back after days offline)

and prints batches/s, reports/s and each case's cost relative to the baseline.
Usage: python benchmarks/hub_ingest.py [--seconds 3] [--threads 4] [--clusters 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_hub(folder: Path, clusters: int) -> tuple[subprocess.Popen, int]:
    config = {"clusters": {f"c{i:03d}": {"token": f"token-for-cluster-{i:03d}-xxxxxxxx"}
                           for i in range(clusters)}}
    (folder / "hub.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "hub", "--root", str(folder), "--listen",
         f"127.0.0.1:{port}"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the hub did not start")


def template(size: int) -> str:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    reports = []
    for i in range(size):
        common = {"id": f"@ID{i}@", "cluster": "@CLUSTER@", "seq": i, "boot_id": "b",
                  "time": now, "uptime": 1000.0 + i, "clock_synced": True}
        if i % 10 == 9:
            reports.append({**common, "kind": "event", "severity": "warning",
                            "event": "sync_failed", "message": "timeout after 30 s"})
        elif i % 10 == 8:
            reports.append({**common, "kind": "play", "item": "thac-ban-gioc.jpg",
                            "release": 12, "start": now, "end": now})
        else:
            reports.append({**common, "kind": "heartbeat", "summary": {
                "temperature_celsius": 48.5, "humidity_percent": 81.0,
                "disk_free_bytes": 12e9, "disk_total_bytes": 32e9,
                "memory_available_bytes": 1.2e9, "load1": 0.5, "display_connected": True},
                "readings": {f'node_hwmon_temp_celsius{{chip="c{j}"}}': 40.0 + j
                             for j in range(12)},
                "player": {"playlist": "ban-gioc", "release": 12, "item": "intro.mp4",
                           "frames": 123456, "late_frames": 2, "audio": True,
                           "last_sync": {"time": now, "result": "ok", "bytes": 0,
                                         "error": None}}})
    return json.dumps({"format": 1, "cluster": "@CLUSTER@", "reports": reports})


def body_for(text: str, size: int, cluster: str) -> bytes:
    text = text.replace("@CLUSTER@", cluster)
    for i in range(size):
        text = text.replace(f'"@ID{i}@"', f'"{uuid.uuid4()}"', 1)
    return text.encode()


def run_case(port: int, size: int, seconds: float, threads: int, clusters: int,
             wrong_token: bool) -> tuple[int, float]:
    text = template(size)
    stop = threading.Event()
    counts = [0] * threads
    errors: list[str] = []

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        # Bodies are made before the clock starts ticking for each request.
        while not stop.is_set():
            cluster = (index + n * threads) % clusters
            token = "wrong" if wrong_token else f"token-for-cluster-{cluster:03d}-xxxxxxxx"
            body = body_for(text, size, f"c{cluster:03d}")
            connection.request("POST", "/api/v1/heartbeats", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != (401 if wrong_token else 200):
                errors.append(f"HTTP {response.status}")
                return
            n += 1
            counts[index] = n
        connection.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    stop.wait(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"the hub answered {errors[0]}")
    return sum(counts), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clusters", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_hub(Path(tmp), args.clusters)
        try:
            print(f"hub on 127.0.0.1:{port}, {os.cpu_count()} CPU(s), {args.threads} client "
                  f"threads, {args.seconds:g} s per case")
            results = []
            for name, size, wrong in (("baseline (401)", 1, True), ("steady (1 report)", 1, False),
                                      ("backlog (100 reports)", 100, False)):
                batches, elapsed = run_case(port, size, args.seconds, args.threads,
                                            args.clusters, wrong)
                results.append((name, size, batches / elapsed))
            base = results[0][2]
            print(f"{'case':24} {'batches/s':>10} {'reports/s':>10} {'vs baseline':>12}")
            for name, size, rate in results:
                print(f"{name:24} {rate:10.1f} {rate * size:10.0f} {rate / base:11.2f}x")
            steady = results[1][2]
            print(f"one batch a minute per cluster: ~{int(steady * 60):,} clusters at the steady "
                  f"rate")
            db = Path(tmp) / "hub.sqlite"
            print(f"hub.sqlite after the run: {db.stat().st_size / 1e6:.1f} MB")
        finally:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main()
