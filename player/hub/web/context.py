"""What the people's routers share: accounts, audit log, the fleet's data, settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from player.hub.accounts import Accounts
from player.hub.audit import AuditLog
from player.hub.config import AlertLimits
from player.hub.fleet import ClusterDetail, Fleet


class FleetData(Protocol):
    """The questions the fleet pages ask (``player.hub.fleet.FleetView`` answers them)."""

    def fleet(self) -> Fleet: ...

    def cluster(self, cluster_id: str, days: int = 7) -> ClusterDetail | None: ...

    def screenshot(self, cluster_id: str) -> tuple[bytes, float] | None: ...


@dataclass(frozen=True)
class PeopleSettings:
    """From hub.yaml: ``public_fleet`` and the ``accounts:`` section (docs/hub.md)."""

    public_fleet: bool = False  # the fleet pages without a login (read-only, no names of people)
    secure_cookies: bool = False  # the hub is only reached over https (behind TLS)
    # peers whose X-Forwarded-For / X-Forwarded-Proto / X-Real-IP are believed (the nginx)
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    alerts: AlertLimits = field(default_factory=AlertLimits)


def open_people(engine: Any, config: Any, fleet: FleetData,
                clock: Callable[[], float] = time.time) -> People:
    """The people's side of a hub over its database engine and fleet data."""
    from player.hub.accounts import SessionPolicy

    accounts_config = getattr(config, "accounts", None)
    policy = SessionPolicy(
        idle=60 * getattr(accounts_config, "session_idle_minutes", SessionPolicy.idle / 60),
        absolute=3600 * getattr(accounts_config, "session_hours", SessionPolicy.absolute / 3600))
    return People(Accounts(engine, clock=clock, sessions=policy), AuditLog(engine, clock), fleet,
                  settings_from_config(config), clock)


def settings_from_config(config: Any) -> PeopleSettings:
    """The settings from a HubConfig; keys it does not have keep their defaults."""
    accounts = getattr(config, "accounts", None)
    defaults = PeopleSettings()
    return PeopleSettings(
        public_fleet=bool(getattr(config, "public_fleet", False)),
        secure_cookies=bool(getattr(accounts, "secure_cookies", defaults.secure_cookies)),
        trusted_proxies=tuple(getattr(accounts, "trusted_proxies", defaults.trusted_proxies)),
        alerts=getattr(config, "alerts", None) or AlertLimits())


@dataclass
class People:
    accounts: Accounts
    audit: AuditLog
    fleet: FleetData
    settings: PeopleSettings = field(default_factory=PeopleSettings)
    clock: Callable[[], float] = time.time
