"""Approving, rolling back, staging and emergency messages: the hub's signed actions.

Each action needs an approver's passphrase, which unlocks their own key for that one action
(``player.hub.approvers``), and ends in ``player.hub.releases.publish_release`` for every
chosen channel. What each signed channel version carries is recorded, so the fleet and the
programme pages can say which clusters show which programme version.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from player.hub.approvers import ApproverKeys, PassphraseError
from player.hub.config import HubConfig
from player.hub.programme_check import check_text
from player.hub.programme_preview import NoPreview, Previewer
from player.hub.programme_sources import MediaSource, media_by_path
from player.hub.programme_translations import missing_translations
from player.hub.programmes import ProgrammeStore, Version
from player.hub.programmes_schema import programme_releases
from player.hub.releases import (
    Published,
    has_emergency,
    media_files,
    on_air,
    publish_release,
    with_emergency,
    without_emergency,
)
from player.hub.upload import ChannelPublisher, UploadRefused

log = logging.getLogger(__name__)


class ApprovalRefused(Exception):
    """The action is refused before anything is signed; ``key`` names the page's message."""

    def __init__(self, key: str, **values: Any):
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class ReleaseRecord:
    channel: str
    manifest_version: int
    programme_id: int | None
    version_id: int | None
    kind: str
    signed_by: str
    created: float


@dataclass(frozen=True)
class ScreenState:
    """What one cluster shows, as its heartbeats say."""

    cluster: str
    name: str
    channel: str
    release: int | None  # the channel version on screen
    latest: int | None  # the channel version served now
    record: ReleaseRecord | None  # what the hub signed as that version, if it did
    programme: str = ""  # the programme's name, when the hub signed it
    version: int | None = None  # the programme's version number


@dataclass
class ProgrammeDesk:
    """The programmes' side of a hub: store, keys, channels and what plugs in."""

    store: ProgrammeStore
    keys: ApproverKeys
    publisher: ChannelPublisher
    config: HubConfig
    media: MediaSource
    previewer: Previewer = field(default_factory=NoPreview)
    clock: Callable[[], float] = time.time

    @property
    def engine(self) -> sa.Engine:
        return self.store.engine

    # -- channels and clusters --

    def channels(self) -> list[str]:
        return sorted(self.config.channels)

    def cluster_channel(self, cluster_id: str) -> str:
        entry = self.config.clusters.get(cluster_id)
        if entry and entry.channel:
            return entry.channel
        return self.channels()[0] if len(self.channels()) == 1 else ""

    def clusters_of(self, channel: str) -> list[str]:
        return [c for c in self.config.clusters if self.cluster_channel(c) == channel]

    def _checked_channels(self, channels: Iterable[str]) -> list[str]:
        chosen = [c for c in dict.fromkeys(channels) if c in self.config.channels]
        if not chosen:
            raise ApprovalRefused("no_channel")
        return chosen

    # -- approving --

    def approval_problems(self, version: Version, lang: str = "vi") -> list:
        return check_text(version.yaml, media_by_path(self.media), lang)

    def approve(self, programme_id: int, number: int, approver: str, passphrase: str,
                channels: Iterable[str], override_missing: bool = False,
                lang: str = "vi") -> tuple[Version, list[Published], list[str]]:
        """Sign and publish version ``number`` (it must be the newest) to ``channels``.

        Returns the version, what was published, and the missing translations overridden.
        """
        version = self.store.version(programme_id)
        if version is None or version.number != number:
            raise ApprovalRefused("draft_moved", newest=version.number if version else 0)
        if version.author == approver and not self.config.programmes.self_approval:
            raise ApprovalRefused("own_draft")
        errors = [p for p in self.approval_problems(version, lang) if p.severity == "error"]
        if errors:
            raise ApprovalRefused("has_errors", count=len(errors))
        missing = missing_translations(version.data)
        if missing and not override_missing:
            raise ApprovalRefused("missing_translations", count=len(missing))
        chosen = self._checked_channels(channels)
        key = self.keys.unlock(approver, passphrase)
        published = self._publish(version, chosen, key, approver, "approve")
        self.store.mark_approved(version.id, approver)
        return version, published, missing

    def publish_version(self, programme_id: int, number: int, approver: str, passphrase: str,
                        channels: Iterable[str]) -> tuple[Version, list[Published], bool]:
        """Put an approved version on ``channels``: the newest approved one to more clusters
        (staging), or an older one back (a rollback, kept as a new approved version).
        Returns the version on air and whether it was a rollback."""
        old = self.store.version(programme_id, number)
        if old is None or old.state != "approved":
            raise ApprovalRefused("not_approved")
        chosen = self._checked_channels(channels)
        newest_approved = next((v for v in self.store.versions(programme_id)
                                if v.state == "approved"), None)
        key = self.keys.unlock(approver, passphrase)
        rollback = newest_approved is not None and newest_approved.number != number
        version = old
        if rollback:
            head = self.store.version(programme_id)
            assert head is not None
            version = self.store.save(programme_id, head.number, old.yaml, approver,
                                      note=f"rollback:{old.number}")
            self.store.mark_approved(version.id, approver)
        published = self._publish(version, chosen, key, approver,
                                  "rollback" if rollback else "stage")
        return version, published, rollback

    def _publish(self, version: Version, channels: list[str], key: Any, approver: str,
                 kind: str) -> list[Published]:
        media = media_by_path(self.media)
        files = {path: media[path][1] for path in media if path in version.yaml}

        def one(channel: str) -> Published:
            published = publish_release(self.publisher, channel, version.yaml, files, key,
                                        self.clock)
            self._record(published, version.programme_id, version.id, kind, approver)
            return published

        return each_channel(channels, one)

    # -- emergency --

    def raise_emergency(self, message: Mapping[str, str], channels: Iterable[str],
                        approver: str, passphrase: str) -> list[Published]:
        """Every chosen channel's current playlist, with ``message`` over everything."""
        text = {k: v.strip()[:500] for k, v in message.items() if v and v.strip()}
        if not text.get("vi"):
            raise ApprovalRefused("emergency_empty")
        return self._rewrite(channels, approver, passphrase, "emergency",
                             lambda playlist: with_emergency(playlist, text))

    def lift_emergency(self, channels: Iterable[str], approver: str,
                       passphrase: str) -> list[Published]:
        return self._rewrite(channels, approver, passphrase, "lift", without_emergency)

    def emergencies(self) -> dict[str, bool]:
        """channel -> whether its current release carries an emergency message."""
        result = {}
        for channel in self.channels():
            current = on_air(self.publisher, channel)
            result[channel] = bool(current and has_emergency(current.playlist))
        return result

    def _rewrite(self, channels: Iterable[str], approver: str, passphrase: str, kind: str,
                 change: Callable[[str], str]) -> list[Published]:
        chosen = self._checked_channels(channels)
        currents = {c: on_air(self.publisher, c) for c in chosen}
        empty = [c for c, current in currents.items() if current is None]
        if empty:
            raise ApprovalRefused("channel_empty", channel=", ".join(empty))
        key = self.keys.unlock(approver, passphrase)

        def one(channel: str) -> Published:
            current = currents[channel]
            assert current is not None
            last = self.last_record(channel)
            published = publish_release(self.publisher, channel, change(current.playlist),
                                        media_files(current.files), key, self.clock)
            self._record(published, last.programme_id if last else None,
                         last.version_id if last else None, kind, approver)
            return published

        return each_channel(chosen, one)

    # -- records --

    def _record(self, published: Published, programme_id: int | None, version_id: int | None,
                kind: str, approver: str) -> None:
        try:
            with self.engine.begin() as db:
                db.execute(programme_releases.insert().values(
                    channel=published.channel, manifest_version=published.version,
                    programme_id=programme_id, version_id=version_id, kind=kind,
                    signed_by=approver, created=self.clock()))
        except sa.exc.IntegrityError:
            # two approvals of the same text within one second make the same manifest: the
            # channel took it once (the upload is idempotent), and the first record stands
            log.info("channel %s version %d was already recorded; %s approved the same release",
                     published.channel, published.version, approver)

    def records(self, programme_id: int | None = None) -> list[ReleaseRecord]:
        r = programme_releases.c
        query = sa.select(programme_releases).order_by(r.id.desc()).limit(200)
        if programme_id is not None:
            query = query.where(r.programme_id == programme_id)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [self._row(row) for row in rows]

    def last_record(self, channel: str) -> ReleaseRecord | None:
        r = programme_releases.c
        with self.engine.connect() as db:
            row = db.execute(sa.select(programme_releases).where(r.channel == channel)
                             .order_by(r.manifest_version.desc()).limit(1)).first()
        return self._row(row) if row else None

    def record_of(self, channel: str, manifest_version: int | None) -> ReleaseRecord | None:
        if manifest_version is None:
            return None
        r = programme_releases.c
        with self.engine.connect() as db:
            row = db.execute(sa.select(programme_releases).where(
                r.channel == channel, r.manifest_version == manifest_version)).first()
        return self._row(row) if row else None

    def screens(self, fleet: Any) -> list[ScreenState]:
        """Which release each cluster shows (from ``FleetData.fleet()``)."""
        result = []
        for status in fleet.fleet().clusters:
            channel = status.channel or self.cluster_channel(status.id)
            record = self.record_of(channel, status.release)
            programme = self.store.get(record.programme_id) if record and record.programme_id \
                else None
            version = self.store.version_by_id(record.version_id) if record and \
                record.version_id else None
            result.append(ScreenState(status.id, status.name, channel, status.release,
                                      status.latest_release, record,
                                      programme.name if programme else "",
                                      version.number if version else None))
        return result

    @staticmethod
    def _row(row: Any) -> ReleaseRecord:
        return ReleaseRecord(row.channel, row.manifest_version, row.programme_id,
                             row.version_id, row.kind, row.signed_by, row.created)


def each_channel(channels: list[str], publish: Callable[[str], Published]) -> list[Published]:
    """Publish to every channel; one that refuses (its keys, a full disk) does not stop the
    others and is returned with its reason. Raises only when every channel refused."""
    results = []
    for channel in channels:
        try:
            results.append(publish(channel))
        except UploadRefused as exc:
            log.error("channel %s refused the release: %s", channel, exc.message)
            results.append(Published(channel, 0, exc.message))
    if all(r.error for r in results):
        raise UploadRefused(422, "; ".join(f"{r.channel}: {r.error}" for r in results))
    return results


__all__ = ["ProgrammeDesk", "each_channel", "ApprovalRefused", "ReleaseRecord", "ScreenState",
           "PassphraseError", "UploadRefused"]
