"""The text file for node_exporter: only signage_* metrics, accepted by promtool and by a real
node_exporter (Debian's prometheus-node-exporter) without a gathering error."""

import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from player.core.config import Config, HealthConfig, SensorConfig
from player.health import prometheus
from player.health.board import StatusBoard
from player.health.forewarn import Forewarnings
from player.health.readings import Sampler
from player.health.storage import SmartReader
from player.health.worker import HealthWorker
from tests.health.fakesys import add_fans, add_storage, fake_smartctl, make_tree, write

DOCS = Path(__file__).resolve().parents[2] / "docs"
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(not PROMTOOL, reason="promtool not installed "
                                    "(Debian package prometheus)")
needs_node_exporter = pytest.mark.skipif(not NODE_EXPORTER, reason="node_exporter not installed "
                                         "(Debian package prometheus-node-exporter)")
SENSORS = (
    SensorConfig("cabinet", "/sys/bus/iio/devices/iio:device0/in_humidityrelative_input",
                 "humidity", 0.001),
    SensorConfig("cabinet_air", "/sys/class/hwmon/hwmon0/temp1_input", "temperature", 0.001))


class FakeStatvfs:
    def __call__(self, path):
        return type("st", (), {"f_bavail": 10**6, "f_frsize": 4096, "f_blocks": 4 * 10**6,
                               "f_flag": 0})()


def player_textfile(tmp_path: Path) -> str:
    """The file a real health worker writes on a box with every reading this player knows."""
    root = add_fans(add_storage(make_tree(tmp_path / "root")))
    write(root, "/sys/fs/ext4/sda1/errors_count", "0\n")
    state = tmp_path / "state"
    prom = tmp_path / "textfile" / "signage_player.prom"
    config = Config(cluster="ban-gioc-1", state_dir=state, health=HealthConfig(
        sensors=SENSORS, min_disk_free=0, prometheus_textfile=str(prom)))
    worker = HealthWorker(config, StatusBoard(), root, statvfs=FakeStatvfs(),
                          clock_synced=lambda: True)
    worker._setup()
    try:
        smart = SmartReader(root, str(fake_smartctl(tmp_path / "bin")))
        worker.sampler = Sampler(config.health, state, root, FakeStatvfs(),
                                 clock_synced=lambda: True,
                                 forewarn=Forewarnings(config.health, state, root, smart=smart))
        worker.board.count_frames(300, 2)
        worker.tick()
    finally:
        worker.handoff.spool.close()
    return prom.read_text()


def test_only_signage_metrics_each_with_help_and_type(tmp_path, caplog):
    text = player_textfile(tmp_path)
    assert "has no Prometheus metric" not in caplog.text  # the worker's readings too
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    names = {re.split(r"[{ ]", line)[0] for line in samples}
    assert names and all(name.startswith("signage_") for name in names)
    helps = set(re.findall(r"^# HELP (\S+) \S", text, re.M))
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert helps == names == set(types)
    assert all((kind == "counter") == name.endswith("_total") for name, kind in types.items())
    # the new readings are there: storage, fans, climate, daily counts
    for expected in ['signage_emmc_life_used_percent{device="mmcblk0",type="B"} 30',
                     'signage_emmc_pre_eol{device="mmcblk0"} 1',
                     'signage_disk_used_percent{device="nvme0n1"} 7',
                     'signage_disk_reallocated_sectors_total{device="sda"} 12',
                     'signage_block_io_errors_total{device="sda"} 31',
                     'signage_fan_rpm{chip="nct6775",sensor="fan2"} 1100',
                     'signage_events_today{event="restart"} 1',
                     "signage_dew_point_margin_celsius 1.61",
                     "signage_frames_total 300",
                     "signage_state_filesystem_avail_bytes{mountpoint="]:
        assert expected in text


def test_every_reading_the_player_takes_has_a_place_in_the_file(tmp_path):
    """A new reading must be added to prometheus.METRICS (exported or knowingly left out)."""
    root = add_fans(add_storage(make_tree(tmp_path / "root")))
    smart = SmartReader(root, str(fake_smartctl(tmp_path / "bin")))
    config = HealthConfig(sensors=SENSORS)
    sampler = Sampler(config, tmp_path / "state", root, FakeStatvfs(),
                      forewarn=Forewarnings(config, tmp_path / "state", root, smart=smart))
    names = {name.split("{")[0] for name in sampler.sample().readings}
    assert names - set(prometheus.METRICS) == set()


def test_non_numbers_and_unknown_readings_are_left_out():
    text = prometheus.render({"signage_frames_total": float("nan"), "node_load1": 0.4,
                              "some_new_reading": 1.0, "signage_audio_present": 1.0})
    assert text == ("# HELP signage_audio_present 1 when a sound device is open.\n"
                    "# TYPE signage_audio_present gauge\nsignage_audio_present 1\n")


@needs_promtool
def test_promtool_accepts_the_file(tmp_path):
    text = player_textfile(tmp_path)
    done = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape_with_node_exporter(folder: Path, log: Path) -> str:
    """Start node_exporter on `folder`, scrape /metrics once, stop it; returns the body."""
    port = free_port()
    # loadavg and meminfo on: their node_* names are what the old file collided with
    command = [NODE_EXPORTER, "--collector.disable-defaults", "--collector.textfile",
               f"--collector.textfile.directory={folder}", "--collector.loadavg",
               "--collector.meminfo", f"--web.listen-address=127.0.0.1:{port}"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
                    return r.read().decode()
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "node_exporter did not answer"
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(30)


@needs_node_exporter
def test_node_exporter_reads_the_file_without_a_gathering_error(tmp_path):
    folder = tmp_path / "collector"
    folder.mkdir()
    (folder / "signage_player.prom").write_text(player_textfile(tmp_path))
    body = scrape_with_node_exporter(folder, tmp_path / "node_exporter.log")
    log = (tmp_path / "node_exporter.log").read_text()
    assert "error gathering metrics" not in log, log
    assert "node_textfile_scrape_error 0" in body
    assert re.search(r"^signage_frames_total 300$", body, re.M)
    assert re.search(r'^signage_dew_point_margin_celsius 1\.61$', body, re.M)


@needs_node_exporter
def test_node_exporter_refuses_node_names_in_a_textfile(tmp_path):
    """The check above can fail: the names the player used to write break the scrape."""
    folder = tmp_path / "collector"
    folder.mkdir()
    (folder / "old.prom").write_text("# TYPE node_load1 gauge\nnode_load1 0.42\n"
                                     "# TYPE process_open_fds gauge\nprocess_open_fds 6\n")
    scrape_with_node_exporter(folder, tmp_path / "node_exporter.log")
    assert "error gathering metrics" in (tmp_path / "node_exporter.log").read_text()


def alert_rules() -> str:
    text = (DOCS / "prometheus.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# rules: signage-player\n.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/prometheus.md holds one rules block"
    return blocks[0]


def test_the_alert_rules_cover_what_the_docs_promise():
    rules = alert_rules()
    for name in ("signage_dew_point_margin_celsius", "predict_linear(",
                 "signage_fan_rpm", "signage_emmc_life_used_percent", "signage_emmc_pre_eol",
                 "signage_disk_used_percent"):
        assert name in rules


@needs_promtool
def test_promtool_accepts_the_alert_rules(tmp_path):
    path = tmp_path / "signage-player.rules.yml"
    path.write_text(alert_rules())
    done = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@needs_promtool
def test_the_alert_rules_fire_when_they_should_and_not_on_one_odd_value(tmp_path):
    """promtool's unit tests: one dip of the margin never alarms, half an hour does; a fan at 0
    alarms only while the board is hot; eMMC pre-EOL; a disk filling within 14 days, not one
    filling within 100."""
    (tmp_path / "rules.yml").write_text(alert_rules())
    tests = tmp_path / "alert_rules_test.yml"
    shutil.copy(Path(__file__).with_name("alert_rules_test.yml"), tests)
    done = subprocess.run([PROMTOOL, "test", "rules", str(tests)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
