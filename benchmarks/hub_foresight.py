"""Cost of the forecasts on the fleet page and of a monthly availability report.

Stores `--days` of heartbeats (one every `--interval` seconds, with proof of play) for
`--clusters` clusters through the real HeartbeatStore into an SQLite file, then times, side by
side in one process:

  baseline   the fleet's data with the forecasts switched off (FleetView.fleet())
  cold       the same with every cluster's forecasts computed (the cache empty)
  warm       the same again within the cache's five minutes
  month      one cluster's monthly availability report (minute by minute)

Prints milliseconds each and the ratios to the baseline.
Usage: python benchmarks/hub_foresight.py [--clusters 10] [--days 30] [--interval 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from player.hub.availability import AvailabilityView  # noqa: E402
from player.hub.config import hub_config_from_data  # noqa: E402
from player.hub.fleet import FleetView, PublishedVersions  # noqa: E402
from player.hub.heartbeat_store import HeartbeatStore  # noqa: E402
from player.hub.ingest import check_batch  # noqa: E402
from player.hub.pages import LOCAL  # noqa: E402
from tests.hub.hubtools import report  # noqa: E402


def fill(store: HeartbeatStore, clusters: list[str], days: int, interval: int,
         now: datetime) -> int:
    count = 0
    for index, cluster in enumerate(clusters):
        pending: list[dict] = []
        moment = now - timedelta(days=days)
        seq = 0
        while moment < now:
            seq += 2
            beat = report(cluster=cluster, seq=seq, when=moment)
            day = (now - moment).total_seconds() / 86400
            beat["summary"]["disk_free_bytes"] = 10e9 + day * 1e8 * (index % 3)
            beat["readings"].update({
                'signage_fan_rpm{chip="pwmfan",sensor="fan1"}': 2400.0 - index * 10,
                "signage_cpu_temperature_celsius": 50.0 + (seq % 24) / 4,
                "signage_dew_point_margin_celsius": 6.0 + (seq % 24) / 8})
            beat["player"].update(screen="playing", off_hours=["23:00-05:30"])
            end = moment + timedelta(seconds=interval)
            pending += [beat, report("play", cluster=cluster, seq=seq + 1, when=end,
                                     start=moment.isoformat(), end=end.isoformat())]
            moment = end
            if len(pending) >= 500:
                store.store(check_batch(cluster, pending))
                count += len(pending)
                pending = []
        if pending:
            store.store(check_batch(cluster, pending))
            count += len(pending)
    return count


def timed(action, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - start) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--interval", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    clusters = [f"c{i:03d}" for i in range(args.clusters)]
    data = {"clusters": {c: {"token": f"token-of-{c}-0123456789"} for c in clusters}}
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        config = hub_config_from_data(data, "hub.yaml", Path(tmp))
        store = HeartbeatStore(Path(tmp) / "hub.sqlite")
        try:
            started = time.perf_counter()
            stored = fill(store, clusters, args.days, args.interval, now)
            print(f"stored {stored} reports in {time.perf_counter() - started:.1f} s")
            view = FleetView(config, store, PublishedVersions(Path(tmp)))
            forecasts = view.foresight.warnings

            def baseline() -> None:
                view.foresight.warnings = lambda cluster: ()  # type: ignore[method-assign]
                view.fleet()
                view.foresight.warnings = forecasts  # type: ignore[method-assign]

            def cold() -> None:
                view.foresight._cache.clear()
                view.fleet()

            base = timed(baseline, args.rounds)
            first = timed(cold, args.rounds)
            warm = timed(view.fleet, args.rounds)
            local = (now - timedelta(days=15)).astimezone(LOCAL)  # a month full of data
            month = timed(lambda: AvailabilityView(store.engine, LOCAL).month(
                clusters[0], local.year, local.month), max(1, args.rounds // 2))
        finally:
            store.close()
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPU(s), load {load:.2f}; {args.clusters} clusters, {args.days} days "
          f"of heartbeats every {args.interval} s")
    print(f"fleet data, no forecasts (baseline):  {base:8.1f} ms")
    print(f"fleet data, forecasts computed (cold): {first:8.1f} ms  {first / base:6.1f}x")
    print(f"fleet data, forecasts cached (warm):   {warm:8.1f} ms  {warm / base:6.1f}x")
    print(f"one cluster's month of availability:  {month:8.1f} ms")


if __name__ == "__main__":
    main()
