"""`signage-player sync`: pull content now, for a technician on site."""

from __future__ import annotations

import argparse
import logging
import queue
import sys
import time
from pathlib import Path
from typing import TextIO

from player.i18n import _

HELP = _("pull and verify content from the configured sources now (--once: one pass, then exit)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path,
                        help="device config (default /etc/signage-player/player.yaml)")
    parser.add_argument("--once", action="store_true",
                        help="one pass with a progress bar, then the result (otherwise keep "
                        "syncing until Ctrl-C)")
    parser.add_argument("--verify", action="store_true",
                        help="re-hash every stored file first (as the player does at start)")


def format_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


class ProgressBar:
    """Bytes, rate and ETA on one line (rewritten in place on a terminal, every 5 s otherwise)."""

    def __init__(self, stream: TextIO | None = None, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.clock = clock
        self.tty = self.stream.isatty()
        self.start = clock()
        self.shown = -1e9
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.shown < (0.2 if self.tty else 5.0) and done < total:
            return
        self.shown = now
        self.stream.write(("\r" if self.tty else "") + self.line(done, total, now - self.start)
                          + ("" if self.tty else "\n"))
        self.stream.flush()
        self.drawn = True

    @staticmethod
    def line(done: int, total: int, elapsed: float) -> str:
        fraction = done / total if total else 1.0
        filled = int(fraction * 30)
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else None
        eta_text = f"{int(eta // 60)}m{int(eta % 60):02d}s" if eta is not None else "--"
        return (f"[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} "
                f"{format_bytes(done)} of {format_bytes(total)}, {format_bytes(rate)}/s, "
                f"ETA {eta_text}  ")

    def finish(self) -> None:
        if self.drawn and self.tty:
            self.stream.write("\n")


def main(args: argparse.Namespace) -> int:
    from player.core.config_reader import load_config
    from player.core.problems import LoadError

    try:
        config = load_config(args.config, must_exist=args.config is not None)
    except LoadError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    if not config.sync.sources:
        print(_("{path}: sync.sources is empty: nowhere to sync from").format(path=config.source))
        return 1
    return run_once(config, args.verify) if args.once else run_forever(config)


def run_once(config, verify: bool = False) -> int:
    from player.sync.worker import build_syncer

    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("player.sync").setLevel(logging.ERROR)  # events are printed below
    events: list[str] = []
    syncer = build_syncer(config, lambda sev, ev, msg, det: events.append(f"{sev}: {ev}: {msg}"),
                          retry_wait=1.0, lock_wait=True)
    bar = ProgressBar()
    with syncer.store.locked() as free:
        if not free:
            print(_("the player is changing its content now; this pass waits for it to finish "
                    "(Ctrl-C to stop waiting)"), flush=True)
    try:
        syncer.prepare(verify=verify)
        result = syncer.run_once(progress=bar, conditional=False)
    except KeyboardInterrupt:
        syncer.stop_event.set()
        bar.finish()
        print(_("interrupted; the next sync resumes the downloads"))
        return 130
    finally:
        syncer.close()
    bar.finish()
    for line in events:
        print(line)
    if result.result == "updated":
        print(_("updated: version {version} is current ({size} downloaded); {playlist}").format(
            version=result.version, size=format_bytes(result.bytes),
            playlist=result.release.playlist if result.release else ""))
    elif result.result == "unchanged":
        print(_("up to date: version {version} is current").format(version=result.version)
              if result.version is not None else _("up to date: no content yet"))
    elif result.result == "idle":
        print(_("no channel found at any source; nothing installed yet"))
    else:
        print(_("sync failed: {error}").format(error=result.error) if result.result == "failed"
              else f"{result.result}: {result.error}")
    return 0 if result.result in ("updated", "unchanged") else 1


def run_forever(config) -> int:
    from player.sync.worker import SyncWorker

    outbox: queue.Queue = queue.Queue()
    worker = SyncWorker(config, outbox, lambda sev, ev, msg, det: print(f"{sev}: {ev}: {msg}"))
    worker.start()
    try:
        while worker.is_alive():
            try:
                message = outbox.get(timeout=1.0)
            except queue.Empty:
                continue
            print(_("release {version} is current: {playlist}").format(
                version=message.version, playlist=message.playlist))
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        worker.join(timeout=10)
    return 0
