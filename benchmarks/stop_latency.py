"""How long `signage-player run` takes to stop after a SIGTERM sent at a random moment.

Starts the player many times, sends SIGTERM between 0 and --max-delay seconds after start
(so during imports, pygame and mixer start-up, a restart in place, the first frame, a video
item starting, or steady playing), and records how long each run takes to exit and with what code. A run that
has not exited after --limit seconds counts as stuck (it is then killed).

Variants (chosen in turn): the demo playlist with no config; the same with a config that has
sync sources and health reports; a playlist whose first item is a video; each with and without
SDL_AUDIODRIVER=dummy; and a config edited (display rotation) shortly before the stop, so
the player is often starting itself again in place when the signal comes.

    .venv/bin/python benchmarks/stop_latency.py --tries 200 --seed 1 --out stop_latency.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "playlists" / "ban-gioc"

CONFIG = """\
cluster: stop-latency
state_dir: {state}
sync:
  sources: ["http://127.0.0.1:9/channel/", "{usb}"]
  public_keys: ["ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="]
  interval: 10s
health:
  report_url: http://127.0.0.1:9/api/v1/heartbeats
  token: t
  interval: 10s
  upload_interval: 10s
"""

VIDEO_FIRST = """\
name: video-first
languages: [vi, en]
defaults: {duration: 3s}
items:
  - id: film
    video: media/ban-gioc-falls.mp4
    caption: {vi: Thác, en: Falls}
  - id: hello
    text: {vi: Xin chào, en: Hello}
"""


def make_variants(work: Path) -> list[dict]:
    state = work / "state"
    usb = work / "usb"
    usb.mkdir(parents=True, exist_ok=True)
    config = work / "player.yaml"
    config.write_text(CONFIG.format(state=state, usb=usb), encoding="utf-8")
    video = work / "video"
    (video / "media").mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO / "media" / "ban-gioc-falls.mp4", video / "media")
    (video / "playlist.yaml").write_text(VIDEO_FIRST, encoding="utf-8")
    demo = ["--playlist", str(DEMO / "playlist.yaml")]
    variants = []
    for audio in ("dummy", None):
        variants += [
            {"name": "demo", "args": demo, "audio": audio},
            {"name": "config", "args": demo + ["--config", str(config)], "audio": audio},
            {"name": "config-no-playlist", "args": ["--config", str(config)], "audio": audio},
            {"name": "video", "args": ["--playlist", str(video / "playlist.yaml")], "audio": audio},
            {"name": "restart", "args": demo + ["--config", str(work / "restart.yaml")], "audio": audio,
             "edit": work / "restart.yaml", "state": state},
        ]
    return variants


def one_try(variant: dict, delay: float, limit: float, work: Path) -> dict:
    env = dict(os.environ)
    env.pop("SDL_AUDIODRIVER", None)
    if variant["audio"]:
        env["SDL_AUDIODRIVER"] = variant["audio"]
    env.setdefault("XDG_RUNTIME_DIR", str(work))
    command = [sys.executable, "-m", "player", "run", "--headless", "--size", "640x360", *variant["args"]]
    log = tempfile.TemporaryFile()
    edit = variant.get("edit")
    if edit is not None:
        edit.write_text(f"state_dir: {variant['state']}\n", encoding="utf-8")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if edit is not None:  # a change that makes the player start again in place, just before the stop
        time.sleep(delay * 0.7)
        edit.write_text(f"state_dir: {variant['state']}\ndisplay: {{rotation: 90}}\n", encoding="utf-8")
        time.sleep(delay * 0.3)
    else:
        time.sleep(delay)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=limit)
        took = time.monotonic() - sent
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
        took = None
    log.seek(0)
    tail = log.read().decode("utf-8", "replace").splitlines()[-6:]
    log.close()
    return {"variant": variant["name"], "audio": variant["audio"], "delay": round(delay, 3),
            "code": code, "took": None if took is None else round(took, 3),
            "tail": tail if took is None or code != 0 else []}


def summarise(results: list[dict]) -> str:
    times = sorted(r["took"] for r in results if r["took"] is not None)
    stuck = [r for r in results if r["took"] is None]
    bad = [r for r in results if r["took"] is not None and r["code"] != 0]
    lines = [f"tries {len(results)}, stuck {len(stuck)}, non-zero exit {len(bad)}"]
    if times:
        q = statistics.quantiles(times, n=100) if len(times) > 1 else [times[0]] * 99
        lines.append(f"exit after SIGTERM: median {statistics.median(times):.2f} s, p90 {q[89]:.2f} s, "
                     f"p99 {q[98]:.2f} s, max {times[-1]:.2f} s")
    for r in stuck + bad:
        lines.append(f"  {r['variant']}/{r['audio']} delay {r['delay']} s: code {r['code']} took {r['took']}")
        lines += [f"      {line}" for line in r["tail"]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=40)
    parser.add_argument("--max-delay", type=float, default=10.0)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds before a run counts as stuck")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        variants = make_variants(work)
        for n in range(args.tries):
            variant = variants[n % len(variants)]
            # Half the tries land in the first 1.5 s (imports, pygame and mixer start-up).
            delay = rng.uniform(0, 1.5) if n % 2 else rng.uniform(0, args.max_delay)
            result = one_try(variant, delay, args.limit, work)
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    print(summarise(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0 if all(r["took"] is not None and r["code"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
