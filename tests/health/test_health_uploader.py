import random

import pytest

from player.health.reports import event_report, heartbeat_report
from player.health.spool import Spool
from player.health.uploader import Backoff, Uploader, UploadError

pytestmark = pytest.mark.timeout(60)


def reports(n: int, start: int = 0) -> list[dict]:
    out = []
    for i in range(start, start + n):
        out.append(heartbeat_report({"load1": i / 100}, {}, {"item": f"i{i}"}))
        if i % 7 == 0:
            out.append(event_report("error", "file_bad", f"file {i} is bad"))
    return out


def test_receiver_away_and_back_gets_every_report_once_in_order(tmp_path, receiver):
    spool = Spool(tmp_path / "spool.sqlite")
    uploader = Uploader(receiver.url, "secret", "bangioc-1", timeout=5)
    spooled = spool.add(reports(700))
    assert uploader.upload_all(spool) == len(spooled)
    receiver.stop()
    spooled += spool.add(reports(300, 700))
    with pytest.raises(UploadError):
        uploader.upload_all(spool)
    spooled += spool.add(reports(300, 1000))
    assert spool.stats().reports == len(spooled) - len(reports(700))
    receiver.start()  # the same port again
    uploader.upload_all(spool)
    assert spool.stats().reports == 0
    assert [r["id"] for r in receiver.reports] == [r["id"] for r in spooled]
    assert [r["seq"] for r in receiver.reports] == sorted(r["seq"] for r in spooled)
    uploader.session.close()
    spool.close()


def test_only_acknowledged_ids_are_deleted_and_the_rest_go_first_next_time(tmp_path, receiver):
    spool = Spool(tmp_path / "spool.sqlite")
    uploader = Uploader(receiver.url, "secret", "c1", timeout=5)
    spooled = spool.add(reports(20))
    receiver.ack_only = 5
    uploader.upload_batch(spool, spool.batch())
    assert spool.stats().reports == len(spooled) - 5
    assert spool.batch()[0]["seq"] == spooled[5]["seq"]
    receiver.ack_only = None
    uploader.upload_all(spool)
    assert [r["id"] for r in receiver.reports] == [r["id"] for r in spooled]
    uploader.session.close()
    spool.close()


def test_a_wrong_token_raises_and_keeps_everything(tmp_path, receiver):
    spool = Spool(tmp_path / "spool.sqlite")
    uploader = Uploader(receiver.url, "wrong", "c1", timeout=5)
    spool.add(reports(3))
    with pytest.raises(UploadError, match="token") as info:
        uploader.upload_all(spool)
    assert info.value.status == 401
    assert spool.stats().reports == 4
    uploader.session.close()
    spool.close()


def test_a_refused_report_is_isolated_kept_and_stops_blocking_the_queue(tmp_path, receiver):
    spool = Spool(tmp_path / "spool.sqlite")
    uploader = Uploader(receiver.url, "secret", "c1", timeout=5)
    spooled = spool.add(reports(10))
    bad = spooled[4]
    receiver.refuse = {bad["id"]}
    for _ in range(10):
        uploader.upload_all(spool)
    assert [r["id"] for r in receiver.reports] == [r["id"] for r in spooled if r is not bad]
    stats = spool.stats()
    assert stats.reports == 1 and stats.rejected == 1
    uploader.session.close()
    spool.close()


def test_backoff_grows_with_jitter_up_to_the_cap():
    backoff = Backoff(base=10, cap=100, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    assert 5 <= delays[0] <= 10
    assert 20 <= delays[2] <= 40
    assert all(50 <= d <= 100 for d in delays[4:])
    assert len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.next_delay() <= 10
