"""Time from "approve" on the hub's page to the new slide on a long-polling player's screen.

    python benchmarks/approve_latency.py [--rounds 3]

A real hub (uvicorn on 127.0.0.1) and the real player (`player run --headless`, syncing with the
hub's long-poll, items of 2 s) run side by side. Each round publishes a programme whose first
slide is new, two ways, alternately:

  baseline   `signage-player publish` (player.channel.publish) into the hub's channel folder
             with an offline key: the hub notices the manifest file and wakes the long-poll
  approve    the approver's POST on /programmes/N/approve: passphrase -> argon2id (64 MiB) ->
             the key unlocked -> objects and signed manifest through the upload code path

and takes the time until the player's status.json names the new slide (the loop switches at
the end of the current item, so up to one item's 2 s is part of both). A first untimed
publish puts the player into its long-poll (after its first fetch it waits one interval).
Then an emergency message is raised and lifted on the cluster, each timed the same way. Prints each figure, the
medians, the ratio approve / baseline and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from player.channel.keys import public_key_text  # noqa: E402
from player.channel.publish import publish  # noqa: E402
from player.hub.config import hub_config_from_data  # noqa: E402
from player.hub.server import HubServer  # noqa: E402
from tests.hub.hubtools import CLUSTER_TOKEN, hub_config_data  # noqa: E402
from tests.hub.programmetools import (  # noqa: E402
    PASSPHRASE,
    PagesClient,
    emergency,
    headless_player,
    make_media,
    wait_until,
)

PASSWORD = "thác-Bản-Giốc-2026"


def playlist(first: str) -> str:
    return (f"name: Bench\nlanguages: [vi, en, zh]\nitems:\n"
            f"  - id: {first}\n    text: {{vi: Bản tin {first}, en: Bulletin {first}, zh: 公告}}\n"
            f"    duration: 2s\n"
            f"  - id: loop\n    text: {{vi: Thác Bản Giốc, en: Ban Gioc, zh: 板约瀑布}}\n"
            f"    duration: 2s\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="approve-latency-") as folder:
        return run(Path(folder), args.rounds)


def run(tmp: Path, rounds: int) -> int:
    offline = Ed25519PrivateKey.generate()
    root = tmp / "hub"
    make_media(root / "media")
    config = hub_config_from_data(hub_config_data(offline), "hub.yaml", tmp)
    server = HubServer(("127.0.0.1", 0), root, config)
    server.start()
    times: dict[str, list[float]] = {"baseline": [], "approve": []}
    request_times: list[float] = []
    try:
        accounts = server.app.state.people.accounts
        accounts.add_user("hoa", PASSWORD, "editor")
        accounts.add_user("lan", PASSWORD, "approver")
        hoa, lan = PagesClient(server.url, "hoa", PASSWORD), PagesClient(server.url, "lan",
                                                                          PASSWORD)
        approver_key = lan.make_key(PASSPHRASE)
        pid = hoa.create("Bench")
        lan.approve(pid, hoa.save_text(pid, playlist("start")), PASSPHRASE)
        channel = root / "channels" / "ban-gioc"
        keys = [approver_key, public_key_text(offline)]
        with headless_player(tmp / "player", server.url, keys, CLUSTER_TOKEN) as status:
            if not wait_until(lambda: status().get("release") == 1, 120):
                print("the player did not start playing:", status())
                return 1
            # After its first fetch the player waits one sync interval before it long-polls;
            # a first, untimed publish puts it into the long-poll both paths are measured on.
            warm = tmp / "warm"
            warm.mkdir()
            (warm / "playlist.yaml").write_text(playlist("warm"), encoding="utf-8")
            publish(warm, channel, "ban-gioc", offline, timedelta(days=30),
                    list_media=lambda _p: [])
            wait_until(lambda: status().get("item") == "warm", 90, 0.05)
            for n in range(rounds):
                slide = f"base{n}"
                src = tmp / f"src{n}"
                src.mkdir()
                (src / "playlist.yaml").write_text(playlist(slide), encoding="utf-8")
                start = time.monotonic()
                publish(src, channel, "ban-gioc", offline, timedelta(days=30),
                        list_media=lambda _p: [])
                if not wait_until(lambda s=slide: status().get("item") == s, 60, 0.02):
                    print("baseline: the slide never showed", status())
                    return 1
                times["baseline"].append(time.monotonic() - start)

                slide = f"appr{n}"
                number = hoa.save_text(pid, playlist(slide))
                start = time.monotonic()
                answer = lan.approve(pid, number, PASSPHRASE)
                request_times.append(time.monotonic() - start)
                if answer.status_code != 303:
                    print("approve refused:", answer.status_code, answer.text[:400])
                    return 1
                if not wait_until(lambda s=slide: status().get("item") == s, 60, 0.02):
                    print("approve: the slide never showed", status())
                    return 1
                times["approve"].append(time.monotonic() - start)
                print(f"round {n + 1}: baseline {times['baseline'][-1]:.2f} s, approve "
                      f"{times['approve'][-1]:.2f} s (the approve request itself "
                      f"{request_times[-1]:.2f} s)", flush=True)
            start = time.monotonic()
            emergency(lan, PASSPHRASE, ["bangioc-1"], "Lũ lớn: tạm dừng đi thuyền")
            shown = wait_until(lambda: status().get("item") == "emergency", 60, 0.02)
            raised = time.monotonic() - start
            start = time.monotonic()
            emergency(lan, PASSPHRASE, ["bangioc-1"], lift=True)
            gone = wait_until(lambda: status().get("item") not in (None, "emergency"), 60, 0.02)
            print(f"emergency message on screen after {raised:.2f} s"
                  f"{'' if shown else ' (NEVER SHOWN)'}, lifted after "
                  f"{time.monotonic() - start:.2f} s{'' if gone else ' (NEVER LIFTED)'}")
    finally:
        server.stop()
    base, appr = statistics.median(times["baseline"]), statistics.median(times["approve"])
    print(f"median: baseline {base:.2f} s, approve {appr:.2f} s (request "
          f"{statistics.median(request_times):.2f} s); ratio approve/baseline {appr / base:.2f}")
    print(f"target: under 5 s on loopback -> {'met' if max(times['approve']) < 5 else 'NOT met'}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on "
          f"{os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
