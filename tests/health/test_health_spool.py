import os
import sqlite3
import tempfile
from pathlib import Path

import pytest

from player.health.reports import event_report, heartbeat_report, play_report
from player.health.spool import Spool, is_corrupt
from tests.health.mounts import tmpfs


def heartbeat(n: int, pad: int = 0) -> dict:
    return heartbeat_report({"temperature_celsius": 40 + n % 30, "disk_free_bytes": 10**9 - n},
                            {"pad": "x" * pad}, {"item": f"item-{n}"})


def test_reports_get_ids_and_growing_seq_that_survive_a_reopen(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    first = spool.add([heartbeat(1), event_report("error", "file_bad", "x.jpg is not an image")])
    assert [r["seq"] for r in first] == [1, 2]
    assert len({r["id"] for r in first}) == 2
    spool.delete([r["id"] for r in first])
    spool.close()
    spool = Spool(tmp_path / "spool.sqlite")
    again = spool.add([heartbeat(2)])
    assert again[0]["seq"] == 3  # never reused, even after the spool was emptied
    assert spool.batch()[0]["summary"]["temperature_celsius"] == 42
    spool.close()


def test_batch_keeps_order_and_limits_and_delete_only_named_ids(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    stored = spool.add(heartbeat(n) for n in range(30))
    batch = spool.batch(max_reports=10)
    assert [r["seq"] for r in batch] == [r["seq"] for r in stored[:10]]
    assert spool.delete([batch[3]["id"], "not-a-known-id"]) == 1
    assert [r["seq"] for r in spool.batch(max_reports=3)] == [1, 2, 3]
    assert [r["seq"] for r in spool.batch(max_reports=4)][3] == 5
    big = spool.batch(max_reports=500, max_bytes=1000)
    assert 1 <= len(big) < 29
    assert spool.stats().reports == 29
    spool.close()


@pytest.fixture
def ram_folder(tmp_path):
    """A folder on a RAM filesystem where there is one (/dev/shm): the same SQLite file, but ten
    thousand synchronous=FULL commits cost no disk flushes. What a power cut leaves is tested on
    disk (test_health_worker's kill -9)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm, prefix="spool-test-") as folder:
            yield Path(folder)
    else:
        yield tmp_path


def test_outage_of_10000_reports_stays_within_limit_and_keeps_every_event(ram_folder):
    tmp_path = ram_folder
    limit = 1_000_000
    spool = Spool(tmp_path / "spool.sqlite", limit=limit)
    events, plays = [], []
    for n in range(10_000):
        batch = [heartbeat(n, pad=300)]
        if n % 50 == 0:
            batch.append(event_report("error", "decode_failed", f"clip {n} does not decode"))
        if n % 10 == 0:
            batch.append(play_report(f"item-{n}", 7, _t(n), _t(n + 1)))
        for report in spool.add(batch):
            if report["kind"] == "event" and report["event"] != "thinned":
                events.append(report["id"])
            elif report["kind"] == "play":
                plays.append(report["id"])
    stats = spool.stats()
    assert stats.bytes <= limit
    # the -wal file is bounded on its own (about 4 MB between checkpoints, whatever the limit)
    wal = tmp_path / "spool.sqlite-wal"
    assert wal.stat().st_size <= 4200 * 1024
    kept = spool.batch(max_reports=20_000, max_bytes=10**9)
    kept_ids = {r["id"] for r in kept}
    assert set(events) <= kept_ids and set(plays) <= kept_ids
    assert [r["seq"] for r in kept] == sorted(r["seq"] for r in kept)
    thinned = [r for r in kept if r.get("event") == "thinned"]
    assert thinned, "thinning must be reported"
    assert thinned[-1]["details"]["thinned_total"] == stats.thinned_total > 0
    removed = sum(sum(t["details"]["removed"].values()) for t in thinned)
    assert removed == stats.thinned_total
    assert "max_temperature_celsius" in thinned[0]["details"]
    spool.close()
    size = os.path.getsize(tmp_path / "spool.sqlite")
    assert size <= 1.6 * limit, f"the spool takes {size} bytes for a {limit} limit"


def test_events_alone_over_the_limit_are_all_kept(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite", limit=2000)
    spool.add(event_report("error", "sync_failed", "x" * 300) for _ in range(20))
    assert spool.stats().reports == 20
    spool.close()


def test_screenshots_are_thinned_before_heartbeats_and_the_newest_is_kept(tmp_path):
    from player.health.reports import screenshot_report

    spool = Spool(tmp_path / "spool.sqlite", limit=20_000)
    spool.add([heartbeat(n) for n in range(5)])
    spool.add([screenshot_report("A" * 4000, 480, 270) for _ in range(5)])
    kinds = [r["kind"] for r in spool.batch()]
    assert kinds.count("heartbeat") == 5 and kinds.count("screenshot") >= 1
    spool.close()


def test_a_corrupt_spool_is_moved_aside_and_a_new_one_works(tmp_path):
    path = tmp_path / "spool.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    spool = Spool(path)
    assert spool.add([heartbeat(1)])[0]["seq"] >= 1_700_000_000_000  # counts on past any earlier seq
    assert (tmp_path / "spool.sqlite.corrupt").exists()
    spool.close()


def test_the_file_is_wal_with_full_sync(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    spool.add([heartbeat(1)])
    assert spool._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert spool._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    spool.close()
    assert sqlite3.connect(tmp_path / "spool.sqlite").execute(
        "SELECT COUNT(*) FROM reports").fetchone()[0] == 1


def _t(n: int):
    from datetime import UTC, datetime, timedelta

    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=10 * n)


def test_an_io_error_is_never_taken_for_a_corrupt_spool(tmp_path):
    with tmpfs(tmp_path / "mnt") as mount:
        path = mount.path / "reports.sqlite"
        spool = Spool(path)
        spool.add([{"kind": "event", "time": "2026-05-01T08:00:00.000Z", "event": "x"}])
        spool.close()
        before = path.read_bytes()
        mount.read_only(True)
        with pytest.raises(sqlite3.OperationalError) as raised:
            Spool(path)
        assert not is_corrupt(raised.value)
        assert sorted(p.name for p in mount.path.iterdir()) == ["reports.sqlite"]
        assert path.read_bytes() == before
        mount.read_only(False)
        spool = Spool(path)
        assert [r["event"] for r in spool.batch()] == ["x"]
        spool.close()


def test_only_real_damage_counts_as_corrupt(tmp_path):
    path = tmp_path / "reports.sqlite"
    path.write_bytes(b"this is no database, just some text" * 200)
    with pytest.raises(sqlite3.DatabaseError) as raised:
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()
    assert is_corrupt(raised.value)
    with pytest.raises(sqlite3.OperationalError) as raised:
        sqlite3.connect(tmp_path / "no" / "such" / "folder.sqlite")
    assert not is_corrupt(raised.value)
