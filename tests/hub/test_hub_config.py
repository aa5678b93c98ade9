"""hub.yaml: defaults, every problem reported with line and key, history pruning."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.problems import LoadError
from player.hub.config import load_hub_config
from player.hub.heartbeat_store import HeartbeatStore
from player.hub.ingest import check_batch
from tests.hub.hubtools import report


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_config_loads(tmp_path):
    config = load_hub_config(write(tmp_path, """
database: data/hub.sqlite
upload_token: "0123456789abcdef0123"
channels:
  ban-gioc:
    public_keys: ["ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="]
clusters:
  bangioc-1: {token: "aaaaaaaaaaaaaaaaaaaa", name: "Bản Giốc", channel: ban-gioc}
alerts: {offline_minutes: 60, min_disk_free: 2GB}
limits: {max_batch_bytes: 1MiB, history_days: 30}
"""))
    assert config.database == tmp_path / "data/hub.sqlite"
    assert config.clusters["bangioc-1"].label == "Bản Giốc"
    assert config.alerts.offline_minutes == 60 and config.alerts.min_disk_free == 2_000_000_000
    assert config.limits.max_batch_bytes == 1024**2 and config.limits.history_days == 30


def test_every_problem_is_reported_with_its_line(tmp_path):
    with pytest.raises(LoadError) as caught:
        load_hub_config(write(tmp_path, """
upload_token: short
channels:
  ban-gioc:
    public_keys: ["rsa:nope"]
clusters:
  "bad id!": {token: "aaaaaaaaaaaaaaaaaaaa"}
  ok-1: {token: "short", nmae: "typo"}
alerts: {offline_minutes: "soon"}
"""))
    text = str(caught.value)
    assert "hub.yaml:2: upload_token: too short" in text
    assert 'channels.ban-gioc.public_keys: "rsa:nope" is not a public key' in text
    assert "clusters.bad id!:" in text
    assert "clusters.ok-1.token: expected a token of at least 16" in text
    assert 'clusters.ok-1.nmae: unknown key (did you mean "name"?)' in text
    assert "alerts.offline_minutes: expected a number" in text


def test_old_reports_are_pruned(tmp_path):
    clock = [1_800_000_000.0]
    store = HeartbeatStore(tmp_path / "hub.sqlite", clock=lambda: clock[0], history_days=10)
    try:
        store.store(check_batch("a", [report(cluster="a"), report("play", cluster="a")]))
        clock[0] += 11 * 86400
        store.store(check_batch("a", [report(cluster="a", seq=2)]))
        assert store.count("reports") == 1
        assert store.count("plays") == 0 and store.count("samples") == 1
    finally:
        store.close()
