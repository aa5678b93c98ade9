"""The hub configuration (`hub.yaml`): clusters and their tokens, channels and their keys, alerts.

```yaml
database: hub.sqlite            # relative to this file; default: <root>/hub.sqlite
                                # or postgresql://user:password@host/db (several hub processes)
upload_token: "long random"     # publishers send it to upload channels; empty: uploads disabled
channels:
  ban-gioc:
    public_keys: ["ed25519:..."]
clusters:
  bangioc-1:
    token: "long random"
    name: "Bản Giốc – cổng chính"
    channel: ban-gioc           # default: the only channel, if there is just one
alerts:
  stale_minutes: 12
  offline_minutes: 30
  max_temperature: 70
  max_humidity: 85
  min_disk_free: 500MB
programmes:
  self_approval: false          # true: an approver may approve a draft they saved themselves
limits:
  max_batch_bytes: 2MiB
  max_batch_reports: 500
  max_object_bytes: 4GB
  history_days: 400             # older reports are deleted
  max_connections: 4000         # more open connections at once get 503
  keep_alive_seconds: 30
foresight:                      # forecasts (docs/hub-foresight.md)
  horizon_days: 14              # warn on the fleet page when a failure is predicted this soon
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from player.core.fields import Fields
from player.core.problems import LoadError, Problem, ProblemList
from player.core.units import parse_bytes
from player.core.yamlfile import read_yaml
from player.hub import forecast
from player.hub.media_settings import MediaSettings, read_media_settings

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
KEY_PATTERN = re.compile(r"^ed25519:[A-Za-z0-9+/]{43}=$")


@dataclass(frozen=True)
class ClusterEntry:
    """One cluster the hub accepts reports from."""

    id: str
    token: str
    name: str = ""
    channel: str = ""

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class ChannelEntry:
    """A channel publishers may upload to, with the keys its manifests must be signed with."""

    name: str
    public_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertLimits:
    stale_minutes: float = 12.0  # players batch routine reports for up to 5 min (health.write_interval)
    offline_minutes: float = 30.0
    max_temperature: float = 70.0
    max_humidity: float = 85.0
    min_disk_free: int = 500 * 1000**2


@dataclass(frozen=True)
class Limits:
    max_batch_bytes: int = 2 * 1024**2
    max_batch_reports: int = 500
    max_object_bytes: int = 4 * 1000**3
    max_manifest_bytes: int = 4 * 1000**2
    history_days: int = 400  # reports older than this (by arrival) are deleted
    max_connections: int = 4000  # open connections and requests; more get 503 (uvicorn)
    backlog: int = 2048  # connections waiting to be accepted
    keep_alive_seconds: float = 30.0  # an idle keep-alive connection is closed after this
    max_header_bytes: int = 64 * 1024  # a request line and headers larger than this: 400
    manifest_check_seconds: float = 1.0  # how often manifests written by `publish` are noticed


@dataclass(frozen=True)
class AccountSettings:
    """People's logins (docs/hub.md, "Accounts")."""

    secure_cookies: bool = False  # the hub is reached over https only (behind TLS)
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # their X-Forwarded-* are believed
    session_idle_minutes: float = 120.0
    session_hours: float = 12.0


@dataclass(frozen=True)
class ProgrammeSettings:
    """Programmes in the browser (docs/hub-programmes.md)."""

    self_approval: bool = False  # an approver may approve a draft they saved (one-person centre)


@dataclass(frozen=True)
class HubConfig:
    """The validated hub configuration."""

    source: str = "(defaults)"
    database: Path | str | None = None  # None: <root>/hub.sqlite; a str is a URL (PostgreSQL)
    upload_token: str = ""
    channels: dict[str, ChannelEntry] = field(default_factory=dict)
    clusters: dict[str, ClusterEntry] = field(default_factory=dict)
    alerts: AlertLimits = field(default_factory=AlertLimits)
    limits: Limits = field(default_factory=Limits)
    public_fleet: bool = False  # the fleet pages without a login
    accounts: AccountSettings = field(default_factory=AccountSettings)
    programmes: ProgrammeSettings = field(default_factory=ProgrammeSettings)
    media: MediaSettings = field(default_factory=MediaSettings)  # docs/hub-media.md
    foresight: forecast.Settings = field(default_factory=forecast.Settings)

    def database_path(self, root: Path) -> Path:
        """The SQLite file (meaningless when `database` is a PostgreSQL URL)."""
        return self.database if isinstance(self.database, Path) else root / "hub.sqlite"

    def database_url(self, root: Path) -> str:
        """The SQLAlchemy URL of the hub's database."""
        from player.hub.database import database_url

        if isinstance(self.database, str):
            return database_url(self.database, root)
        return database_url(self.database_path(root), root)


def load_hub_config(path: Path) -> HubConfig:
    """Read and validate hub.yaml (raises LoadError naming file, line and key)."""
    return hub_config_from_data(read_yaml(path), str(path), path.parent)


def hub_config_from_data(data: object, file: str, base: Path) -> HubConfig:
    problems = ProblemList(file)
    top = Fields(data, "", problems, 1)
    top.check_keys(("database", "upload_token", "channels", "clusters", "alerts", "limits",
                    "public_fleet", "accounts", "programmes", "media", "foresight"))
    database = top.string("database")
    config = HubConfig(
        source=file,
        database=_database(database, base),
        upload_token=top.string("upload_token"),
        channels=_channels(top),
        clusters=_clusters(top),
        alerts=_alerts(top.sub("alerts")),
        limits=_limits(top.sub("limits")),
        public_fleet=top.boolean("public_fleet", False),
        accounts=_accounts(top.sub("accounts")),
        programmes=_programmes(top.sub("programmes")),
        media=read_media_settings(top.sub("media")),
    )
    config = replace(config, foresight=forecast.settings_from_fields(
        top.sub("foresight"), config.alerts.max_temperature))
    if isinstance(config.database, str) and not config.database.startswith(
            ("postgresql://", "postgres://", "sqlite://")):
        top.error("database", "expected a file path (SQLite) or postgresql://USER@HOST/DB")
    if config.upload_token and len(config.upload_token) < 16:
        top.error("upload_token", "too short: use at least 16 random characters")
    problems.raise_if_errors()
    return config


def _database(text: str, base: Path) -> Path | str | None:
    if not text:
        return None
    return text if "://" in text else base / text


def _named_entries(top: Fields, key: str) -> list[tuple[str, Fields]]:
    section = top.sub(key)
    entries = []
    for name in section.data:
        if not NAME_PATTERN.match(str(name)):
            section.error(str(name), "expected a short id of letters, digits, '-', '_' or '.'")
            continue
        entries.append((str(name), section.sub(str(name))))
    return entries


def _channels(top: Fields) -> dict[str, ChannelEntry]:
    channels = {}
    for name, f in _named_entries(top, "channels"):
        f.check_keys(("public_keys",))
        keys = f.string_list("public_keys")
        for key in keys:
            if not KEY_PATTERN.match(key):
                f.error("public_keys", f'"{key}" is not a public key like "ed25519:<base64>"')
        if not keys:
            f.error("public_keys", "a channel needs at least one public key to accept uploads")
        channels[name] = ChannelEntry(name, keys)
    return channels


def _clusters(top: Fields) -> dict[str, ClusterEntry]:
    clusters = {}
    for cluster_id, f in _named_entries(top, "clusters"):
        f.check_keys(("token", "name", "channel"))
        token = f.string("token")
        if len(token) < 16:
            f.error("token", "expected a token of at least 16 random characters")
        clusters[cluster_id] = ClusterEntry(cluster_id, token, f.string("name"),
                                            f.string("channel"))
    return clusters


def _alerts(f: Fields) -> AlertLimits:
    f.check_keys(("stale_minutes", "offline_minutes", "max_temperature", "max_humidity",
                  "min_disk_free"))
    d = AlertLimits()
    return AlertLimits(
        stale_minutes=f.number("stale_minutes", d.stale_minutes, 0.5, 10080),
        offline_minutes=f.number("offline_minutes", d.offline_minutes, 1, 100000),
        max_temperature=f.number("max_temperature", d.max_temperature, -50, 200),
        max_humidity=f.number("max_humidity", d.max_humidity, 0, 100),
        min_disk_free=f.parse("min_disk_free", parse_bytes, d.min_disk_free),
    )


def _accounts(f: Fields) -> AccountSettings:
    f.check_keys(("secure_cookies", "trusted_proxies", "session_idle_minutes", "session_hours"))
    d = AccountSettings()
    return AccountSettings(
        secure_cookies=f.boolean("secure_cookies", d.secure_cookies),
        trusted_proxies=f.string_list("trusted_proxies", d.trusted_proxies),
        session_idle_minutes=f.number("session_idle_minutes", d.session_idle_minutes, 1, 10080),
        session_hours=f.number("session_hours", d.session_hours, 0.1, 24 * 90),
    )


def _programmes(f: Fields) -> ProgrammeSettings:
    f.check_keys(("self_approval",))
    return ProgrammeSettings(self_approval=f.boolean("self_approval", False))


def _limits(f: Fields) -> Limits:
    f.check_keys(("max_batch_bytes", "max_batch_reports", "max_object_bytes",
                  "max_manifest_bytes", "history_days", "max_connections", "backlog",
                  "keep_alive_seconds", "max_header_bytes", "manifest_check_seconds"))
    d = Limits()
    return Limits(
        max_batch_bytes=f.parse("max_batch_bytes", parse_bytes, d.max_batch_bytes),
        max_batch_reports=f.integer("max_batch_reports", d.max_batch_reports, 1, 100000),
        max_object_bytes=f.parse("max_object_bytes", parse_bytes, d.max_object_bytes),
        max_manifest_bytes=f.parse("max_manifest_bytes", parse_bytes, d.max_manifest_bytes),
        history_days=f.integer("history_days", d.history_days, 1, 36500),
        max_connections=f.integer("max_connections", d.max_connections, 10, 1_000_000),
        backlog=f.integer("backlog", d.backlog, 16, 65535),
        keep_alive_seconds=f.number("keep_alive_seconds", d.keep_alive_seconds, 1, 3600),
        max_header_bytes=f.parse("max_header_bytes", parse_bytes, d.max_header_bytes),
        manifest_check_seconds=f.number("manifest_check_seconds", d.manifest_check_seconds,
                                        0.1, 3600),
    )


__all__ = ["HubConfig", "AccountSettings", "ClusterEntry", "ChannelEntry", "AlertLimits", "Limits", "LoadError",
           "Problem", "load_hub_config", "hub_config_from_data"]
