"""Heartbeat ingestion rate of the hub: batches per second, client and server on loopback.

Starts `signage-player hub` as its own process on 127.0.0.1, then posts batches from client
threads over keep-alive connections for a few seconds per case:

  baseline   a batch with a wrong token: refused (HTTP cost only)
  steady     one heartbeat a batch (a cluster online, uploading every minute)
  loaded     the same while 1,000 long-polls on manifest.json and 500 idle connections are held
  backlog    100 mixed reports a batch (a cluster back after days offline)

and prints batches/s, reports/s, each case's cost relative to the baseline and the hub's RSS
with the long-polls held. With `--against REV` (a git revision, e.g. the last commit before
the hub moved to FastAPI) the same cases run first on that revision's hub, side by side, and
the ratios new/old are printed: both hubs run on this machine under the same load.
Usage: python benchmarks/hub_ingest.py [--seconds 3] [--threads 4] [--clusters 50]
                                       [--polls 1000] [--idle 500] [--against REV]
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


def start_hub(folder: Path, clusters: int, source: Path = ROOT) -> tuple[subprocess.Popen, int]:
    config = {"clusters": {f"c{i:03d}": {"token": f"token-for-cluster-{i:03d}-xxxxxxxx"}
                           for i in range(clusters)}}
    (folder / "hub.yaml").write_text(yaml.safe_dump(config))
    channel = folder / "channels" / "ban-gioc"
    channel.mkdir(parents=True, exist_ok=True)
    (channel / "manifest.json").write_text('{"format": 1, "channel": "ban-gioc", "version": 1}')
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "hub", "--root", str(folder), "--listen",
         f"127.0.0.1:{port}"], cwd=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(source)})
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


def hold_connections(port: int, polls: int, idle: int) -> tuple[list[socket.socket], int]:
    """Open `polls` held manifest long-polls and `idle` silent connections; returns them and
    how many the hub accepted (a refused or reset one is counted out)."""
    etag = None
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/channels/ban-gioc/manifest.json")
    answer = connection.getresponse()
    answer.read()
    etag = answer.getheader("ETag")
    connection.close()
    request = (f"GET /channels/ban-gioc/manifest.json HTTP/1.1\r\nHost: hub\r\n"
               f"If-None-Match: {etag}\r\nPrefer: wait=90\r\n\r\n").encode()
    held: list[socket.socket] = []
    failed = 0
    for index in range(polls + idle):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            if index < polls:
                sock.sendall(request)
            held.append(sock)
        except OSError:
            failed += 1
    time.sleep(2.0)  # let the hub take them all in before measuring
    alive = 0
    for sock in held:
        sock.setblocking(False)
        try:
            alive += sock.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            alive += 1  # nothing said yet: still held
        except OSError:
            pass
        sock.setblocking(True)
    return held, alive


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def threads_of(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def measure(source: Path, args: argparse.Namespace, label: str) -> dict[str, float]:
    """Every case on the hub found in `source` (this tree, or an older revision's)."""
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_hub(Path(tmp), args.clusters, source)
        try:
            results["rss_idle"] = rss_mb(process.pid)
            for name, size, wrong in (("baseline", 1, True), ("steady", 1, False)):
                batches, elapsed = run_case(port, size, args.seconds, args.threads,
                                            args.clusters, wrong)
                results[name] = batches / elapsed
            held, alive = hold_connections(port, args.polls, args.idle)
            try:
                results["held"] = alive
                results["rss_held"] = rss_mb(process.pid)
                results["threads_held"] = threads_of(process.pid)
                try:
                    batches, elapsed = run_case(port, 1, args.seconds, args.threads,
                                                args.clusters, False)
                    results["loaded"] = batches / elapsed
                except SystemExit as exc:  # the hub stopped answering under the load
                    print(f"{label}: loaded case failed: {exc}")
                    results["loaded"] = 0.0
            finally:
                for sock in held:
                    sock.close()
            batches, elapsed = run_case(port, 100, args.seconds, args.threads, args.clusters,
                                        False)
            results["backlog"] = batches / elapsed
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return results


def export_revision(revision: str, folder: Path) -> Path:
    """The `player` package of `revision`, extracted into `folder`."""
    archive = subprocess.run(["git", "archive", revision, "player"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def report_rows(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    names = list(results)
    print(f"{'case':42}" + "".join(f"{n:>14}" for n in names)
          + ("   new/old" if len(names) == 2 else ""))
    rows = [("baseline: 401, batches/s", "baseline"), ("steady: 1 heartbeat, batches/s", "steady"),
            (f"loaded: + {args.polls} polls, {args.idle} idle, b/s", "loaded"),
            ("backlog: 100 reports, batches/s", "backlog"),
            ("connections held (of polls + idle)", "held"),
            ("RSS idle, MB", "rss_idle"), (f"RSS with {args.polls} polls held, MB", "rss_held"),
            ("threads with them held", "threads_held")]
    for title, key in rows:
        values = [results[n].get(key, float("nan")) for n in names]
        line = f"{title:42}" + "".join(f"{v:14.1f}" for v in values)
        if len(values) == 2 and values[0]:
            line += f"  {values[1] / values[0]:8.2f}x"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--polls", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--against", metavar="REV", default=None,
                        help="also run the hub of this git revision, side by side")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPU(s), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{args.threads} client threads, {args.seconds:g} s per case")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.against:
            old = export_revision(args.against, Path(tmp))
            results[args.against[:10]] = measure(old, args, args.against)
        results["this tree"] = measure(ROOT, args, "this tree")
    report_rows(results, args)
    steady = results["this tree"]["steady"]
    print(f"one batch a minute per cluster: ~{int(steady * 60):,} clusters at the steady rate")


if __name__ == "__main__":
    main()
