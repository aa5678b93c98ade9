"""The fleet as the centre sees it: each cluster's state, its alerts, its history.

Built from the heartbeat store, the hub configuration and the published channels. "Last seen"
is the hub's own clock at the last batch received, because device clocks without an RTC jump.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from player.core.manifest import MANIFEST_NAME
from player.hub.config import ClusterEntry, HubConfig
from player.hub.foresight import ClusterForesight, ForesightView
from player.hub.heartbeat_store import HeartbeatStore

log = logging.getLogger(__name__)

ONLINE, STALE, OFFLINE, NEVER = "online", "stale", "offline", "never"
RECENT_EVENTS = 8
MAX_PLOT_POINTS = 400


@dataclass(frozen=True)
class Alert:
    """Something the centre should look at; `code` picks the message, `values` fill it in."""

    code: str  # never | offline | stale | temperature | humidity | disk | display | outdated
    severity: str  # error | warning
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EventLine:
    time: float
    received: float
    severity: str
    event: str
    message: str


@dataclass(frozen=True)
class ClusterStatus:
    """One cluster's latest known state."""

    id: str
    name: str
    channel: str
    state: str
    last_seen: float | None = None
    device_time: float | None = None
    clock_synced: bool | None = None
    temperature: float | None = None
    humidity: float | None = None
    disk_free: float | None = None
    disk_total: float | None = None
    display_connected: bool | None = None
    display_driver: str | None = None
    sample_received: float | None = None  # when the hub got the newest sample (its own clock)
    playlist: str | None = None
    item: str | None = None
    release: int | None = None
    latest_release: int | None = None
    last_sync: dict | None = None
    screenshot_time: float | None = None
    events: tuple[EventLine, ...] = ()
    alerts: tuple[Alert, ...] = ()
    forecasts: tuple = ()  # forecast.Forecast within the horizon (player/hub/foresight.py)

    def to_json(self) -> dict:
        data = asdict(self)
        data["events"] = [asdict(e) for e in self.events]
        data["alerts"] = [asdict(a) for a in self.alerts]
        data["forecasts"] = [asdict(f) for f in self.forecasts]
        return data


@dataclass(frozen=True)
class Fleet:
    generated: float
    clusters: tuple[ClusterStatus, ...]
    latest_releases: dict[str, int]

    def counts(self) -> dict[str, int]:
        result = {ONLINE: 0, STALE: 0, OFFLINE: 0, NEVER: 0}
        for cluster in self.clusters:
            result[cluster.state] += 1
        result["alerts"] = sum(1 for c in self.clusters if c.alerts)
        return result

    def to_json(self) -> dict:
        return {"generated": self.generated, "counts": self.counts(),
                "latest_releases": self.latest_releases,
                "clusters": [c.to_json() for c in self.clusters]}


@dataclass(frozen=True)
class PlayCount:
    item: str
    plays: int
    seconds: float


@dataclass(frozen=True)
class ClusterDetail:
    """A cluster's status plus its history: samples for the plots and proof-of-play counts."""

    status: ClusterStatus
    days: int
    # (device time, temperature, humidity, disk free, disk total), averaged into buckets
    history: tuple[tuple[float, float | None, float | None, float | None, float | None], ...]
    plays_day: tuple[PlayCount, ...]
    plays_period: tuple[PlayCount, ...]
    foresight: ClusterForesight | None = None  # forecasts, their history, maintenance visits

    def to_json(self) -> dict:
        return {"cluster": self.status.to_json(), "days": self.days,
                "history": [dict(zip(("time", "temperature", "humidity", "disk_free",
                                      "disk_total"), row, strict=True))
                            for row in self.history],
                "plays_day": [asdict(p) for p in self.plays_day],
                "plays_period": [asdict(p) for p in self.plays_period]}


class PublishedVersions:
    """The version of each channel's manifest under `<root>/channels`, re-read when it changes."""

    def __init__(self, root: Path):
        self.channels_dir = root / "channels"
        self._cache: dict[str, tuple[tuple[int, int], int | None]] = {}

    def get(self) -> dict[str, int]:
        versions = {}
        try:
            folders = sorted(p for p in self.channels_dir.iterdir() if p.is_dir())
        except OSError:
            return {}
        for folder in folders:
            version = self._version(folder / MANIFEST_NAME)
            if version is not None:
                versions[folder.name] = version
        return versions

    def _version(self, path: Path) -> int | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path.parent.name)
        if cached and cached[0] == key:
            return cached[1]
        try:
            version = json.loads(path.read_bytes()).get("version")
        except (OSError, ValueError, AttributeError):
            version = None
        version = version if isinstance(version, int) and not isinstance(version, bool) else None
        self._cache[path.parent.name] = (key, version)
        return version


class FleetView:
    """Answers the fleet page's questions from the store; `clock` is injectable for tests."""

    def __init__(self, config: HubConfig, store: HeartbeatStore, published: PublishedVersions,
                 clock=time.time):
        self.config = config
        self.store = store
        self.published = published
        self.clock = clock
        self.foresight = ForesightView(store.engine, config.foresight, clock)

    def fleet(self) -> Fleet:
        latest = self.published.get()
        clusters = tuple(self._status(entry, latest) for entry in
                         sorted(self.config.clusters.values(), key=lambda e: e.label.lower()))
        return Fleet(self.clock(), clusters, latest)

    def cluster(self, cluster_id: str, days: int = 7) -> ClusterDetail | None:
        entry = self.config.clusters.get(cluster_id)
        if entry is None:
            return None
        now = self.clock()
        status = self._status(entry, self.published.get())
        since = now - days * 86400
        return ClusterDetail(status, days, self._history(cluster_id, since, now),
                             self._plays(cluster_id, now - 86400),
                             self._plays(cluster_id, since), self.foresight.cluster(cluster_id))

    def screenshot(self, cluster_id: str) -> tuple[bytes, float] | None:
        rows = self.store.query("SELECT jpeg, time FROM screenshots WHERE cluster=?",
                                (cluster_id,))
        return (bytes(rows[0]["jpeg"]), rows[0]["time"]) if rows else None

    def _channel_of(self, entry: ClusterEntry, latest: dict[str, int]) -> str:
        if entry.channel:
            return entry.channel
        return next(iter(latest)) if len(latest) == 1 else ""

    def _status(self, entry: ClusterEntry, latest: dict[str, int]) -> ClusterStatus:
        cid = entry.id
        channel = self._channel_of(entry, latest)
        seen = self.store.query("SELECT received FROM seen WHERE cluster=?", (cid,))
        sample = self.store.query(
            "SELECT s.*, r.clock_synced FROM samples s JOIN reports r ON r.id = s.id "
            "WHERE s.cluster=? ORDER BY s.received DESC, s.seq DESC LIMIT 1", (cid,))
        shot = self.store.query("SELECT time FROM screenshots WHERE cluster=?", (cid,))
        latest_body = self.store.query("SELECT body FROM latest WHERE cluster=?", (cid,))
        last_seen = seen[0]["received"] if seen else None
        values: dict = {}
        if sample:
            row = sample[0]
            body = json.loads(latest_body[0]["body"]) if latest_body else {}
            player = _mapping(body, "player")
            driver = _mapping(player, "display").get("driver")
            values = dict(
                device_time=row["time"], clock_synced=bool(row["clock_synced"]),
                temperature=row["temperature"], humidity=row["humidity"],
                disk_free=row["disk_free"], disk_total=row["disk_total"],
                display_connected=None if row["display"] is None else bool(row["display"]),
                display_driver=driver if isinstance(driver, str) else None,
                sample_received=row["received"],
                playlist=row["playlist"], item=row["item"], release=row["release"],
                last_sync=_mapping(player, "last_sync") or None)
        status = ClusterStatus(
            id=cid, name=entry.label, channel=channel, state=self._state(last_seen),
            last_seen=last_seen, latest_release=latest.get(channel),
            screenshot_time=shot[0]["time"] if shot else None,
            events=self._events(cid), forecasts=self.foresight.warnings(cid), **values)
        return _with_alerts(status, self.config)

    def _state(self, last_seen: float | None) -> str:
        if last_seen is None:
            return NEVER
        age = (self.clock() - last_seen) / 60
        if age > self.config.alerts.offline_minutes:
            return OFFLINE
        return STALE if age > self.config.alerts.stale_minutes else ONLINE

    def _events(self, cid: str) -> tuple[EventLine, ...]:
        rows = self.store.query(
            "SELECT time, received, severity, event, message FROM events WHERE cluster=? "
            "AND severity IN ('error', 'warning') ORDER BY received DESC, seq DESC LIMIT ?",
            (cid, RECENT_EVENTS))
        lines = [EventLine(r["time"], r["received"], r["severity"], r["event"], r["message"])
                 for r in rows]
        rejected = self.store.query(
            "SELECT received, reason FROM rejected WHERE cluster=? ORDER BY received DESC "
            "LIMIT 3", (cid,))
        lines += [EventLine(r["received"], r["received"], "warning", "report_rejected",
                            r["reason"]) for r in rejected]
        lines.sort(key=lambda e: e.received, reverse=True)
        return tuple(lines[:RECENT_EVENTS])

    def _history(self, cid: str, since: float, until: float) -> tuple:
        bucket = max(60.0, (until - since) / MAX_PLOT_POINTS)
        rows = self.store.query(
            "SELECT CAST(time / ? AS INTEGER) AS b, avg(time), avg(temperature), avg(humidity), "
            "avg(disk_free), avg(disk_total) FROM samples WHERE cluster=? AND time >= ? "
            "AND time <= ? GROUP BY b ORDER BY b", (bucket, cid, since, until + 3600))
        return tuple(tuple(row)[1:] for row in rows)

    def _plays(self, cid: str, since: float) -> tuple[PlayCount, ...]:
        rows = self.store.query(
            'SELECT item, count(*) AS n, sum("end" - start) AS s FROM plays WHERE cluster=? '
            "AND start >= ? GROUP BY item ORDER BY n DESC, item", (cid, since))
        return tuple(PlayCount(r["item"], r["n"], r["s"] or 0.0) for r in rows)


def _mapping(data: object, key: str) -> dict:
    """``data[key]`` when both are mappings (a report's shape is the device's word), else {}."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _with_alerts(status: ClusterStatus, config: HubConfig) -> ClusterStatus:
    return ClusterStatus(**{**_fields(status), "alerts": tuple(alerts_for(status, config))})


def _fields(status: ClusterStatus) -> dict:
    return {name: getattr(status, name) for name in status.__dataclass_fields__}


def alerts_for(s: ClusterStatus, config: HubConfig) -> list[Alert]:
    """The alert rules, in the order the page lists them (most urgent first)."""
    limits = config.alerts
    alerts = []
    if s.state == NEVER:
        alerts.append(Alert("never", "warning"))
    elif s.state in (OFFLINE, STALE):
        alerts.append(Alert(s.state, "error" if s.state == OFFLINE else "warning",
                            {"minutes": limits.offline_minutes if s.state == OFFLINE
                             else limits.stale_minutes}))
    if s.display_connected is False:
        alerts.append(Alert("display", "error"))
    if s.temperature is not None and s.temperature > limits.max_temperature:
        alerts.append(Alert("temperature", "error",
                            {"value": s.temperature, "limit": limits.max_temperature}))
    if s.humidity is not None and s.humidity > limits.max_humidity:
        alerts.append(Alert("humidity", "warning",
                            {"value": s.humidity, "limit": limits.max_humidity}))
    if s.disk_free is not None and s.disk_free < limits.min_disk_free:
        alerts.append(Alert("disk", "warning",
                            {"value": s.disk_free, "limit": limits.min_disk_free}))
    if s.latest_release is not None and s.state != NEVER and (
            s.release is None or s.release < s.latest_release):
        alerts.append(Alert("outdated", "warning",
                            {"release": s.release, "latest": s.latest_release}))
    return alerts
