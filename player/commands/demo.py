"""`signage-player demo`: the whole loop on one machine, with one command.

Publishes the bundled Bản Giốc content to a fresh channel signed with a fresh key, starts a hub
on loopback, uploads the channel to it, starts a player (`signage-player run`) that syncs from
the hub and reports to it, and prints the fleet page's address. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # the hub is imported when the demo runs, not with the command list
    from player.hub.config import HubConfig
    from player.hub.server import HubServer

HELP = "publish the demo content, start a hub and a player on this machine, show the fleet page"
log = logging.getLogger(__name__)

CHANNEL = "ban-gioc-demo"
CLUSTER = "demo-ban-gioc-1"
DEMO_SIZE = "1280x720"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for everything the demo makes (default: a new temporary "
                             "folder, kept afterwards so you can look inside)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: the player draws off screen; screenshots are written "
                             "to OUT/screenshots (the default when there is no display)")
    parser.add_argument("--exit-after", metavar="SECONDS",
                        help="stop everything after this long (e.g. 60, 2m)")
    parser.add_argument("--port", type=int, default=0,
                        help="hub port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--content", type=Path, default=None,
                        help="a playlist folder to publish instead of the bundled demo")


@dataclass(frozen=True)
class DemoSetup:
    """Everything the demo made on disk before anything runs."""

    out: Path
    hub_root: Path
    hub_config: Path
    publish_dir: Path
    key_file: Path
    public_key: str
    cluster_token: str
    upload_token: str


def bundled_content() -> Path:
    """The demo playlist folder: from a source checkout, else from the installed package."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "playlists" / "ban-gioc",
                      here.parents[1] / "data" / "playlists" / "ban-gioc"):
        if (candidate / "playlist.yaml").is_file():
            return candidate
    raise FileNotFoundError("the bundled demo playlist (playlists/ban-gioc) is not installed; "
                            "pass --content FOLDER")


def prepare_demo(out: Path, content: Path) -> DemoSetup:
    """Key, hub config and a published channel folder under `out` (raises on bad content)."""
    from player.channel import keys
    from player.channel.publish import publish

    out.mkdir(parents=True, exist_ok=True)
    key = keys.generate_key()
    key_file = out / "demo-key.pem"
    keys.write_private_key(key, key_file, overwrite=True)
    public = keys.public_key_text(key)
    setup = DemoSetup(out=out, hub_root=out / "hub", hub_config=out / "hub" / "hub.yaml",
                      publish_dir=out / "publish" / CHANNEL, key_file=key_file,
                      public_key=public, cluster_token=secrets.token_urlsafe(24),
                      upload_token=secrets.token_urlsafe(24))
    setup.hub_root.mkdir(parents=True, exist_ok=True)
    setup.hub_config.write_text(yaml.safe_dump({
        "upload_token": setup.upload_token,
        "channels": {CHANNEL: {"public_keys": [public]}},
        "clusters": {CLUSTER: {"token": setup.cluster_token, "name": "Bản Giốc (demo)",
                               "channel": CHANNEL}},
        "alerts": {"stale_minutes": 2, "offline_minutes": 5},
        "public_fleet": True,  # a demo on one machine: no accounts to set up first
    }, allow_unicode=True, sort_keys=False), encoding="utf-8")
    publish(content, setup.publish_dir, CHANNEL, key, timedelta(days=30))
    return setup


def write_player_config(setup: DemoSetup, hub_url: str, report_every: str = "10s") -> Path:
    """The player's config: sync from the hub, report to it; checked with the real loader."""
    from player.core.config_reader import load_config

    path = setup.out / "player.yaml"
    path.write_text(yaml.safe_dump({
        "cluster": CLUSTER,
        "state_dir": str(setup.out / "state"),
        "display": {"fullscreen": False, "size": DEMO_SIZE},
        "sync": {"sources": [f"{hub_url}channels/{CHANNEL}/"], "public_keys": [setup.public_key],
                 "channel": CHANNEL, "interval": "30s"},
        "health": {"report_url": f"{hub_url}api/v1/heartbeats", "token": setup.cluster_token,
                   "interval": report_every, "upload_interval": report_every,
                   "write_interval": report_every, "screenshot_interval": report_every},
    }, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_config(path, must_exist=True)
    return path


def start_player(config: Path, headless: bool, log_file: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "player", "run", "--config", str(config)]
    if headless:
        command += ["--headless", "--size", DEMO_SIZE]
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    with open(log_file, "ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)


def stop_player(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.terminate()  # the player's SIGTERM path: finish within seconds
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.warning("the player did not stop within 15 s; killing it")
            process.kill()
            process.wait()
    return process.returncode


class ScreenshotSaver:
    """Writes each new screenshot the hub received to OUT/screenshots/<time>.jpg."""

    def __init__(self, view, cluster: str, folder: Path):
        self.view, self.cluster, self.folder = view, cluster, folder
        self.last: float | None = None

    def save_new(self) -> Path | None:
        found = self.view.screenshot(self.cluster)
        if found is None or found[1] == self.last:
            return None
        jpeg, taken = found
        self.last = taken
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / time.strftime("%Y%m%d-%H%M%S.jpg", time.localtime(taken))
        path.write_bytes(jpeg)
        return path


def main(args: argparse.Namespace) -> int:
    from player.core.units import UnitError, parse_duration
    from player.hub.server import HubServer

    try:
        exit_after = parse_duration(args.exit_after) if args.exit_after else None
    except UnitError as exc:
        print(f"signage-player demo: --exit-after: {exc}", file=sys.stderr)
        return 2
    headless = args.headless or not (os.environ.get("DISPLAY")
                                      or os.environ.get("WAYLAND_DISPLAY"))
    out = args.out or Path(tempfile.mkdtemp(prefix="signage-demo-"))
    prepared = _prepare(out, args.content)
    if isinstance(prepared, int):
        return prepared
    setup, config = prepared
    try:
        hub = HubServer(("127.0.0.1", args.port), setup.hub_root, config)
    except OSError as exc:
        print(f"signage-player demo: cannot listen on 127.0.0.1:{args.port}: {exc}",
              file=sys.stderr)
        return 3
    return _run(hub, setup, out, headless, exit_after)


def _prepare(out: Path, content: Path | None) -> tuple[DemoSetup, HubConfig] | int:
    """The demo's files and the hub's config, or the exit code after saying why not."""
    from player.core.problems import LoadError
    from player.hub.config import load_hub_config

    try:
        setup = prepare_demo(out, content or bundled_content())
        return setup, load_hub_config(setup.hub_config)
    except FileNotFoundError as exc:
        print(f"signage-player demo: {exc}", file=sys.stderr)
        return 3
    except LoadError as exc:
        print(f"signage-player demo: the content cannot be published:\n{exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # PublishError and friends: say what and stop
        print(f"signage-player demo: cannot prepare the demo: {exc}", file=sys.stderr)
        return 1


def _run(hub: HubServer, setup: DemoSetup, out: Path, headless: bool,
         exit_after: float | None) -> int:
    """The hub started, the channel uploaded to it, a player syncing from it, until a stop."""
    from player.core.problems import LoadError
    from player.hub.client import UploadError, upload_channel

    hub.start()
    player = None
    try:
        upload_channel(setup.publish_dir, hub.url, setup.upload_token)
        player_config = write_player_config(setup, hub.url)
        player = start_player(player_config, headless, out / "player.log")
        _announce(hub.url, out, headless)
        return _wait(hub, player, out, exit_after)
    except (UploadError, LoadError) as exc:
        print(f"signage-player demo: {exc}", file=sys.stderr)
        return 1
    finally:
        # The hub first: it answers the player's held long-poll, so the player stops at once.
        hub.stop()
        if player is not None:
            stop_player(player)
        print(f"demo stopped; its files are in {out}", flush=True)


def _announce(url: str, out: Path, headless: bool) -> None:
    print(f"\n  Fleet page:   {url}\n  English:      {url}?lang=en\n"
          f"  Channel:      {url}channels/{CHANNEL}/manifest.json\n"
          f"  Player log:   {out / 'player.log'}\n"
          + (f"  Screenshots:  {out / 'screenshots'} (the player runs without a window)\n"
             if headless else "  The player opens a window.\n")
          + "  Press Ctrl-C to stop.\n", flush=True)


def _wait(hub, player: subprocess.Popen, out: Path, exit_after: float | None) -> int:
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    saver = ScreenshotSaver(hub.view, CLUSTER, out / "screenshots")
    deadline = None if exit_after is None else time.monotonic() + exit_after
    try:
        while not stop.wait(2.0 if deadline is None
                            else max(0.0, min(2.0, deadline - time.monotonic()))):
            saved = saver.save_new()
            if saved:
                print(f"screenshot: {saved}", flush=True)
            if player.poll() is not None:
                print(f"the player stopped (exit code {player.returncode}); see "
                      f"{out / 'player.log'}", file=sys.stderr, flush=True)
                return 1
            if deadline is not None and time.monotonic() >= deadline:
                return 0
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
