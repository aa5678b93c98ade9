import pytest

from player.core.config_reader import config_from_data
from player.core.problems import LoadError


def load(data):
    return config_from_data(data, "player.yaml")


def test_health_and_power_sections():
    config = load({"health": {
        "report_url": "https://hub.example.vn/api/heartbeat", "token": "t0k",
        "interval": "30s", "upload_interval": "2m", "spool_limit": "20MB",
        "sensors": [{"name": "cabinet", "kind": "humidity", "scale": 0.001,
                     "path": "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input"}],
        "max_humidity": 80, "prometheus_textfile": "/run/node-exporter/signage.prom"},
        "power": {"off_hours": ["23:00-05:30"], "off_command": "vcgencmd display_power 0",
                  "on_command": "vcgencmd display_power 1"}})
    h = config.health
    assert (h.interval, h.upload_interval, h.spool_limit) == (30.0, 120.0, 20 * 1000**2)
    assert h.sensors[0].kind == "humidity" and h.sensors[0].scale == 0.001
    assert config.power.off_command == "vcgencmd display_power 0"
    assert len(config.power.off_hours) == 1


@pytest.mark.parametrize("section, message", [
    ({"health": {"interval": "0s"}}, "health.interval: expected at least 1s"),
    ({"health": {"report_url": "hub.example.vn"}}, "expected an http:// or https://"),
    ({"health": {"spool_limit": "10kB"}}, "health.spool_limit: expected at least 1MB"),
    ({"health": {"sensors": [{"name": "x"}]}}, "a sensor needs a name and a path"),
    ({"health": {"intervall": "1m"}}, 'did you mean "interval"'),
    ({"power": {"off_command": "xset 'dpms force off"}}, "power.off_command: cannot split"),
    ({"power": {"off_hours": ["25:00-06:00"]}}, "not a time of day"),
])
def test_health_and_power_errors_name_the_key(section, message):
    with pytest.raises(LoadError) as info:
        load(section)
    assert message in str(info.value)


def test_a_report_url_without_token_warns():
    config = load({"health": {"report_url": "https://hub.example.vn/api/heartbeat"}})
    assert "no token" in str(config.warnings[0])


def test_a_live_change_of_the_health_section_records_no_crash(tmp_path):
    """The worker is restarted in the same process: nothing ended, so nothing is reported."""
    from player.core.config_reader import load_config
    from player.health.spool import Spool
    from player.health.status import read_status
    from player.health.summary import unhealthy
    from player.runtime import RunOptions, Runtime
    from tests.health.test_health_worker import wait_for

    path = tmp_path / "player.yaml"
    text = (f"cluster: bangioc-1\nstate_dir: {tmp_path / 'state'}\n"
            "health:\n  interval: 1s\n  write_interval: 1s\n")
    path.write_text(text)
    runtime = Runtime(load_config(path), RunOptions(config_path=path))
    runtime.start_worker("health")
    try:
        first = runtime.workers["health"]
        wait_for(lambda: first.ticks >= 1, "a tick")
        path.write_text(text.replace("interval: 1s\n", "interval: 2s\n", 1))
        assert runtime.apply_config(path) is None
        second = runtime.workers["health"]
        assert second is not first
        wait_for(lambda: second.ticks >= 1 and second.handoff.spool.stats().reports >= 2, "a tick")
    finally:
        runtime.stop_workers()
    spool = Spool(tmp_path / "state" / "reports.sqlite")
    restarted = [r for r in spool.batch(5000) if r.get("event") == "restarted"]
    spool.close()
    assert [r["severity"] for r in restarted] == ["info"]
    status = read_status(tmp_path / "state" / "status.json")
    assert not [r for r in unhealthy(status) if "restarted" in r or "clean stop" in r]
