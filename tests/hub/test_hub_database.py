"""The hub's database: migrations from today's hub.sqlite, report ids per cluster, PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.config import hub_config_from_data
from player.hub.database import current_revision, database_url, head_revision, make_engine, migrate
from player.hub.server import HubServer
from tests.hub.hubtools import (
    CLUSTER_TOKEN,
    OTHER_TOKEN,
    Hub,
    batch,
    hub_config_data,
    report,
)

ROOT = Path(__file__).resolve().parents[2]
# Made by the hub before it used migrations (its own CREATE TABLEs, report ids unique across the
# fleet): two clusters, a heartbeat, an event, a play, a screenshot and a set-aside report.
LEGACY = Path(__file__).with_name("data") / "legacy-hub.sqlite"


def start_hub(root: Path, database: str | None = None) -> Hub:
    key = Ed25519PrivateKey.generate()
    data = hub_config_data(key)
    if database:
        data["database"] = database
    server = HubServer(("127.0.0.1", 0), root, hub_config_from_data(data, "hub.yaml", root))
    server.start()
    return Hub(server, root, key, server.url)


def test_a_hub_sqlite_from_before_migrations_is_converted_and_nothing_is_lost(tmp_path):
    root = tmp_path / "hub"
    root.mkdir()
    shutil.copy(LEGACY, root / "hub.sqlite")
    hub = start_hub(root)
    try:
        store = hub.server.store
        counts = {t: store.count(t) for t in ("reports", "samples", "events", "plays",
                                              "screenshots", "rejected")}
        assert counts == {"reports": 5, "samples": 2, "events": 1, "plays": 1, "screenshots": 1,
                          "rejected": 1}
        status = {c.id: c for c in hub.server.view.fleet().clusters}
        assert status["bangioc-1"].temperature == 41.5 and status["bangioc-1"].last_seen
        assert hub.server.view.screenshot("bangioc-1")[0] == b"\xff\xd8legacy\xff\xd9"
        assert current_revision(store.engine) == head_revision()
        # The new key: the id an old report of bangioc-1 used is stored again for another cluster.
        answer = hub.post(batch(report(cluster="cuakhau-2", id="legacy-hb-1"), cluster="cuakhau-2"),
                          token=OTHER_TOKEN)
        assert answer.status_code == 200 and answer.json()["ack"] == ["legacy-hb-1"]
        assert store.count("reports") == 6
    finally:
        hub.server.stop()
    # A second start finds the schema current and changes nothing.
    hub = start_hub(root)
    try:
        assert hub.server.store.count("reports") == 6
    finally:
        hub.server.stop()


def test_the_same_report_id_from_two_clusters_is_stored_twice(hub):
    shared = "0d6a3f1e-same-id-from-two-clusters"
    first = hub.post(batch(report(id=shared)))
    second = hub.post(batch(report(cluster="cuakhau-2", id=shared), cluster="cuakhau-2"),
                      token=OTHER_TOKEN)
    assert first.json()["ack"] == second.json()["ack"] == [shared]
    assert hub.server.store.count("reports") == 2
    assert hub.server.store.count("samples") == 2
    by_cluster = hub.server.store.query("SELECT cluster FROM reports WHERE id=? ORDER BY cluster",
                                        (shared,))
    assert [row["cluster"] for row in by_cluster] == ["bangioc-1", "cuakhau-2"]


def test_the_schema_has_the_tables_for_people(hub):
    engine = hub.server.store.engine
    tables = set(sa.inspect(engine).get_table_names())
    assert {"users", "sessions", "audit", "login_attempts"} <= tables
    columns = {c["name"] for c in sa.inspect(engine).get_columns("users")}
    assert columns == {"id", "name", "password_hash", "role", "disabled", "created",
                       "password_changed"}
    with engine.begin() as db:
        db.execute(sa.text("INSERT INTO users (name, password_hash, role, disabled, created, "
                           "password_changed) VALUES ('lan', 'x', 'approver', false, 1, 1)"))
        with pytest.raises(sa.exc.IntegrityError):
            with db.begin_nested():
                db.execute(sa.text("INSERT INTO users (name, password_hash, role, disabled, "
                                   "created, password_changed) VALUES ('lan', 'y', 'viewer', "
                                   "false, 1, 1)"))
        with pytest.raises(sa.exc.IntegrityError):
            with db.begin_nested():
                db.execute(sa.text("INSERT INTO users (name, password_hash, role, disabled, "
                                   "created, password_changed) VALUES ('minh', 'y', 'boss', "
                                   "false, 1, 1)"))


def test_migrating_twice_is_harmless(tmp_path, hub_database):
    engine = make_engine(database_url(hub_database or tmp_path / "hub.sqlite", tmp_path))
    try:
        migrate(engine)
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_hub_migrate_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "player", "hub", "migrate", "--root",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"revision {head_revision()}" in result.stdout
    assert (tmp_path / "hub.sqlite").exists()


def test_a_postgresql_url_in_hub_yaml_is_kept_as_a_url(tmp_path):
    config = hub_config_from_data({"database": "postgresql://hub@db.example/hub"}, "hub.yaml",
                                  tmp_path)
    assert config.database_url(tmp_path) == "postgresql+psycopg://hub@db.example/hub"
    plain = hub_config_from_data({"database": "data/hub.sqlite"}, "hub.yaml", tmp_path)
    assert plain.database_url(tmp_path).endswith("/data/hub.sqlite")


def test_batches_arriving_together_are_all_stored_and_acknowledged(hub):
    import threading

    import requests

    acked: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with requests.Session() as session:
            for _ in range(25):
                one = report()
                answer = session.post(hub.url + "api/v1/heartbeats", json=batch(one),
                                      headers={"Authorization": "Bearer " + CLUSTER_TOKEN},
                                      timeout=60)
                assert answer.json()["ack"] == [one["id"]]
                with lock:
                    acked.append(one["id"])

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(acked) == 200
    assert hub.server.store.count("reports") == 200


def test_a_failing_batch_in_a_group_does_not_fail_the_others(tmp_path, hub_database):
    from player.hub.heartbeat_store import HeartbeatStore
    from player.hub.ingest import check_batch

    store = HeartbeatStore(database_url(hub_database or tmp_path / "hub.sqlite", tmp_path))
    try:
        good = check_batch("bangioc-1", [report()])
        broken = check_batch("bangioc-1", [report()])
        # A report whose body cannot be stored (a value the database driver cannot bind).
        broken.reports[0].body["summary"]["temperature_celsius"] = object()
        futures = [store.submit(good), store.submit(broken), store.submit(good)]
        assert futures[0].result(60) == [good.reports[0].id]
        assert futures[1].exception(60) is not None
        assert futures[2].result(60) == [good.reports[0].id]
        assert store.count("reports") == 1
    finally:
        store.close()


def test_an_unknown_database_url_is_a_config_error(tmp_path):
    from player.hub.config import LoadError

    with pytest.raises(LoadError) as caught:
        hub_config_from_data({"database": "mysql://hub@db/hub"}, "hub.yaml", tmp_path)
    assert "database" in str(caught.value) and "postgresql://" in str(caught.value)
