"""Time from "screenshot now" on a cluster's page to the picture on that page, on loopback.

A real hub (uvicorn on 127.0.0.1) and a real headless player process (`signage-player run
--headless`) reporting to it. Each try presses the screenshot button through the page's form
(with its CSRF token, as a browser does), then polls the hub until the command's picture is
served. Two set-ups, measured side by side in alternating tries:

- ``held``: the remote worker holds an empty heartbeat POST open (``remote.poll_wait: 20s``),
  the hub answers it the moment a command is queued (what ships);
- ``heartbeat``: no held request (``remote.poll_wait: 0``): commands ride only on the
  heartbeat exchange every ``health.upload_interval`` (10 s here; 60 s by default).

    .venv/bin/python benchmarks/remote_latency.py --tries 10 --out remote_latency.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.remote.test_remote_hub import Box, Site  # noqa: E402 - the same real set-up


def one_try(site: Site, box: Box, rng: random.Random, spread: float) -> float:
    time.sleep(rng.uniform(0, spread))  # a person presses at any moment, not in step with polls
    start = time.perf_counter()
    command_id = site.send("bien-tap", "screenshot")
    client = site.people["bien-tap"]
    while True:
        answer = client.get(f"/clusters/bangioc-1/commands/{command_id}/file")
        if answer.status_code == 200 and answer.content[:2] == b"\xff\xd8":
            return time.perf_counter() - start
        if time.perf_counter() - start > 120:
            raise RuntimeError("no picture within 120 s")
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=10, help="tries of each set-up")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write every measurement here as JSON")
    args = parser.parse_args()
    results: dict[str, list[float]] = {"held": [], "heartbeat": []}
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        site = Site(base / "hub")
        site.hub.commands.rate_limit = 10_000
        boxes = {"held": Box(_mkdir(base / "held"), site.url, poll_wait="20s",
                             upload_interval="10s"),
                 "heartbeat": Box(_mkdir(base / "heartbeat"), site.url, poll_wait="0s",
                                  upload_interval="10s")}
        try:
            for name, box in boxes.items():
                box.start()
                box.wait_log("remote commands: asking", deadline=120)
                one_try(site, box, rng, 0)  # warm: first frame, first connection
                for _ in range(args.tries):
                    results[name].append(one_try(site, box, rng, 10.0))
                    print(f"{name}: {results[name][-1]:.3f} s", flush=True)
                box.stop()
        finally:
            for box in boxes.values():
                box.stop()
            site.close()
    summary = {name: {"tries": len(times), "median_s": statistics.median(times),
                      "max_s": max(times), "min_s": min(times)}
               for name, times in results.items()}
    summary["ratio_heartbeat_to_held"] = (summary["heartbeat"]["median_s"]
                                          / summary["held"]["median_s"])
    summary["load_1min"] = os.getloadavg()[0]
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "times": results}, indent=1))
    return 0


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


if __name__ == "__main__":
    sys.exit(main())
