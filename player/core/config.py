"""The device configuration (`/etc/signage-player/player.yaml`): its schema and defaults.

Every key has a default, so an empty or missing file is a valid configuration. Reading and
validating the file is player/core/config_reader.py.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/signage-player/player.yaml")
DEFAULT_STATE_DIR = Path("/var/lib/signage-player")
ROTATIONS = (0, 90, 180, 270)
FITS = ("contain", "cover", "stretch")
DRIVERS = ("auto", "kmsdrm", "x11", "wayland", "offscreen")
LOG_LEVELS = ("debug", "info", "warning", "error")

HoursWindow = tuple  # (datetime.time start, datetime.time end)


@dataclass(frozen=True)
class DisplayConfig:
    size: tuple[int, int] | None = None  # None: the screen's native size
    rotation: int = 0
    fit: str = "contain"
    background: tuple[int, int, int] = (0, 0, 0)
    driver: str = "auto"
    fullscreen: bool = True
    max_fps: int = 30
    hide_cursor: bool = True


@dataclass(frozen=True)
class FontsConfig:
    latin: str = ""  # a font file; empty: the bundled Noto Sans
    cjk: str = ""  # a font file (.ttf/.otf/.ttc); empty: looked up with fontconfig
    cjk_index: int | None = None  # face index inside a .ttc; None: the Simplified Chinese face


@dataclass(frozen=True)
class SyncConfig:
    sources: tuple[str, ...] = ()
    public_keys: tuple[str, ...] = ()
    channel: str = ""  # expected channel name; empty: accept the name of the first manifest seen
    interval: float = 300.0
    jitter: float = 0.1  # fraction of the interval
    timeout: float = 30.0
    bandwidth_limit: int = 0  # bytes per second; 0: no cap
    hours: tuple[HoursWindow, ...] = ()  # empty: any time
    min_free: int = 200 * 1000**2  # bytes left free on the state filesystem after a download
    max_manifest_bytes: int = 4 * 1000**2


@dataclass(frozen=True)
class SensorConfig:
    name: str
    path: str
    kind: str = "temperature"  # temperature | humidity | other
    scale: float = 1.0


@dataclass(frozen=True)
class HealthConfig:
    report_url: str = ""
    token: str = ""
    interval: float = 60.0
    upload_interval: float = 60.0
    screenshot_interval: float = 900.0
    screenshot_width: int = 480
    spool_limit: int = 50 * 1000**2
    sensors: tuple[SensorConfig, ...] = ()
    max_temperature: float = 80.0
    max_humidity: float = 85.0
    min_disk_free: int = 500 * 1000**2
    prometheus_textfile: str = ""
    write_interval: float = 300.0  # routine reports wait this long in memory (SD card writes)
    dew_point_margin: float = 3.0  # °C between the coldest surface and the dew point
    dew_point_hold: float = 1800.0  # seconds the margin stays under it before the alarm
    smart_interval: float = 6 * 3600.0  # smartctl wakes disks: at most this often


@dataclass(frozen=True)
class QuietHours:
    hours: HoursWindow
    volume: float


@dataclass(frozen=True)
class AudioConfig:
    enabled: bool = True
    volume: float = 0.8  # 0.0 to 1.0
    quiet_hours: tuple[QuietHours, ...] = ()
    latency: float = 0.0  # seconds the sink (amplifier, HDMI TV) delays sound; the picture waits


@dataclass(frozen=True)
class PowerConfig:
    off_hours: tuple[HoursWindow, ...] = ()
    off_command: str = ""
    on_command: str = ""


# What the centre may ask of this box (docs/remote.md); `screen_on`/`screen_off` are the two
# directions of the hub's `screen` command.
REMOTE_KINDS = ("screenshot", "logs", "sync_now", "restart_player", "identify", "reboot",
                "screen_on", "screen_off")
REMOTE_DEFAULT = ("screenshot", "logs", "sync_now", "restart_player", "identify", "screen_on")


@dataclass(frozen=True)
class RemoteConfig:
    enabled: bool = True  # false: the box takes no command at all from the hub
    allowed: tuple[str, ...] = REMOTE_DEFAULT
    log_file: str = ""  # the player's own log file, when the journal has none
    max_per_hour: int = 30
    poll_wait: float = 55.0  # seconds the hub may hold the empty POST that waits for commands


@dataclass(frozen=True)
class Config:
    """The whole device configuration, validated."""

    source: str = "(defaults)"
    cluster: str = field(default_factory=socket.gethostname)
    state_dir: Path = DEFAULT_STATE_DIR
    playlist: Path | None = None
    log_level: str = "info"
    fallback: dict[str, str] = field(default_factory=lambda: {
        "vi": "Trùng Khánh – Cao Bằng", "en": "Trung Khanh – Cao Bang"})
    display: DisplayConfig = field(default_factory=DisplayConfig)
    fonts: FontsConfig = field(default_factory=FontsConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    power: PowerConfig = field(default_factory=PowerConfig)
    remote: RemoteConfig = field(default_factory=RemoteConfig)
    warnings: tuple = ()

    def needs_restart_against(self, other: Config) -> bool:
        """True when switching from `other` to this config cannot be applied while running."""
        return ((self.display, self.fonts, self.state_dir, self.audio.enabled)
                != (other.display, other.fonts, other.state_dir, other.audio.enabled))

