import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "signage-player.service"
SYSUSERS = UNIT.with_name("signage-player.sysusers")
EXEC = "/opt/signage-player/venv/bin/signage-player"

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                 reason="systemd-analyze is not installed")]


@pytest.fixture
def unit(tmp_path) -> Path:
    """The unit with ExecStart pointing at a program that exists here (verify checks it)."""
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace(EXEC, shutil.which("true")))
    return copy


def test_systemd_analyze_verify_passes_without_warnings(unit):
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                            capture_output=True, text=True)
    mine = [line for line in (result.stdout + result.stderr).splitlines() if unit.name in line]
    assert result.returncode == 0, result.stderr
    assert not mine, "\n".join(mine)  # unknown keys are only warnings: fail on them too


def test_offline_security_exposure_is_low(unit):
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit)],
                            capture_output=True, text=True)
    if "--offline" in result.stderr or "unrecognized option" in result.stderr:
        pytest.skip("this systemd-analyze has no offline security check")
    last = [line for line in result.stdout.splitlines() if "Overall exposure level" in line][0]
    exposure = float(last.split(":")[1].split()[0])
    assert exposure <= 4.0, last


def test_the_settings_unattended_operation_depends_on():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(UNIT.read_text())
    unit, service = parser["Unit"], parser["Service"]
    assert service["Type"] == "notify" and service["Restart"] == "always"
    assert service["WatchdogSec"] and service["RestartSec"]
    assert unit["StartLimitAction"] == "reboot"
    # A screen switched off makes no restarts at all, so only a crash loop reaches the limit;
    # a single failure must never reboot.
    assert "FailureAction" not in unit and "FailureAction" not in service
    assert int(unit["StartLimitBurst"]) >= 5
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
    assert service["StateDirectory"] == service["ConfigurationDirectory"] == "signage-player"
    assert set(service["SupplementaryGroups"].split()) == {"video", "audio", "render", "input"}
    assert service["ExecStart"].startswith(EXEC + " run")


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="no systemd-sysusers")
def test_sysusers_file_parses():
    result = subprocess.run(["systemd-sysusers", "--dry-run", str(SYSUSERS)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Failed" not in result.stderr and "Unknown" not in result.stderr
