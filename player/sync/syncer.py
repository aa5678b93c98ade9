"""One sync pass: ask the sources, verify, download what is missing, switch `current`.

The order of checks follows the channel rules: the signature on the raw manifest bytes with the
pinned keys before anything is parsed; the channel name; the version (equal: nothing to do, lower:
a rollback, refused and reported); the expiry (blocks new content, never the content playing);
then the disk-space guard, the downloads (each object's size and sha256 verified) and only then
the atomic switch.
"""

from __future__ import annotations

import errno
import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from player.core import signing as keys
from player.core.config import SyncConfig
from player.core.manifest import Manifest, ManifestError, format_time, parse_manifest
from player.core.playlist_reader import load_playlist
from player.core.problems import LoadError
from player.sync.download import DiskLow, Downloader, Progress
from player.sync.fetch import FetchError, Stopped
from player.sync.restore import restore_newest
from player.sync.sources import FolderSource, HttpSource, Interrupted, ManifestFetch, SourceUnavailable
from player.sync.state import SyncState
from player.sync.store import Release, Store

log = logging.getLogger(__name__)

EventSink = Callable[[str, str, str, dict], None]
Source = HttpSource | FolderSource


@dataclass(frozen=True)
class PassResult:
    """What one pass did. `result`: updated, unchanged, failed, refused, stopped, busy, idle
    (no source had a channel and nothing is installed yet) or interrupted (`hurry` cut a held
    request: the next pass asks at once)."""

    result: str
    version: int | None = None
    bytes: int = 0
    error: str | None = None
    waited: bool = False
    release: Release | None = None
    # a server that holds requests was asked without an ETag, which it cannot hold: the next,
    # conditional, request finds out whether it holds (no need to wait a whole interval)
    asked_full: bool = False


@dataclass(frozen=True)
class _Candidate:
    source: Source
    fetched: ManifestFetch
    manifest: Manifest


@dataclass
class _Answers:
    """What the sources said in one pass."""

    candidates: list[_Candidate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    waited: bool = False
    interrupted: bool = False


def default_playlist_check(playlist: Path) -> None:
    """Load the release's playlist the way the render loop will (raises LoadError)."""
    load_playlist(playlist)


class Syncer:
    """Runs sync passes for one state folder; used by the worker thread and `sync --once`."""

    def __init__(self, sync: SyncConfig, state_dir: Path, sources: Sequence[Source], *,
                 on_event: EventSink | None = None, stop: threading.Event | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 disk_usage: Callable[[Path], Any] = shutil.disk_usage,
                 check_playlist: Callable[[Path], None] = default_playlist_check,
                 attempts: int = 4, retry_wait: float = 2.0, full_check_every: float = 3600.0,
                 lock_wait: bool = False):
        self.config = sync
        self.store = Store(state_dir)
        self.state = SyncState(state_dir)
        self.sources = list(sources)
        self.stop_event = stop or threading.Event()
        self.now = now
        self.check_playlist = check_playlist
        self.full_check_every = full_check_every
        self.lock_wait = lock_wait  # True: wait for another process's pass to end
        self._last_full: dict[str, float] = {}
        self._asked_full = False  # this pass asked a holding server without an ETag
        self._on_event = on_event
        self._reported: set[tuple[str, str]] = set()
        self.public_keys = self._parse_keys(sync.public_keys)
        self.downloader = Downloader(sync, self.store, self.state, self.stop_event, disk_usage,
                                     self.report, attempts, retry_wait)

    def _parse_keys(self, texts: Sequence[str]) -> list[Ed25519PublicKey]:
        parsed = []
        for text in texts:
            try:
                parsed.append(keys.parse_public_key(text))
            except keys.KeyFileError as exc:
                self.report("error", "config_bad", f"sync.public_keys: {exc}", {})
        return parsed

    def report(self, severity: str, event: str, message: str, details: dict) -> None:
        """Log and pass on an event, once until the next successful pass (offline for days
        must not mean thousands of identical events)."""
        getattr(log, "warning" if severity != "info" else "info")("%s: %s", event, message)
        key = (event, message)
        if key in self._reported:
            return
        self._reported.add(key)
        if self._on_event:
            try:
                self._on_event(severity, event, message, details)
            except Exception:  # a broken sink must not stop the sync
                log.exception("the event sink failed")

    def prepare(self, verify: bool = True) -> None:
        """Create the store, clear interrupted work and (with `verify`) re-hash every object."""
        with self.store.locked() as mine:
            if not mine:
                log.info("another process is syncing %s; not tidying it", self.store.root)
                return
            self.store.prepare()
            bad = self.store.verify_objects(self.stop_event.is_set) if verify else []
        if bad:
            self.report("error", "file_bad", f"{len(bad)} stored file(s) were damaged on disk and "
                        "will be downloaded again", {"objects": bad[:20]})

    def restore_current(self) -> Release | None:
        """With no complete `current` (the link lost, or its release damaged), point it at
        the newest complete release on disk whose signature verifies and whose playlist loads:
        the screen must not wait for the hub to show content it already has."""
        if self.store.current() is not None or not self.public_keys:
            return None
        release = restore_newest(self.store, self.public_keys, self.check_playlist)
        if release is not None:
            self.report("warning", "release_restored", f"the current content link was "
                        f"missing: playing release {release.version}, the newest complete "
                        "release on disk", {"version": release.version})
        return release

    def close(self) -> None:
        for source in self.sources:
            source.close()

    def stop(self) -> None:
        """Ask a pass in progress to end now (from another thread); partial files are kept."""
        self.stop_event.set()
        for source in self.sources:
            source.abort()

    def hurry(self) -> None:
        """From another thread: a held manifest request ends now (its pass is `interrupted`)
        and the next is answered at once; downloads go on."""
        for source in self.sources:
            source.hurry()

    # One pass --------------------------------------------------------------------------------

    def run_once(self, progress: Progress | None = None, conditional: bool = True,
                 local_only: bool = False, hold: bool = True) -> PassResult:
        """One pass over the sources; never raises for network, content or disk problems.
        `hold=False`: no server may hold the manifest request (someone waits for the answer)."""
        sources = [s for s in self.sources if isinstance(s, FolderSource) or not local_only]
        if not hold:
            self.hurry()
        if not local_only:
            self.store.state_dir.mkdir(parents=True, exist_ok=True)
            self.state.update(last_attempt=format_time(self.now()))
        if not self.public_keys:
            return self._failed("no usable key in sync.public_keys: unsigned content is never "
                                "accepted", "config_bad")
        self._pending: Manifest | None = None
        self._asked_full = False
        result = self._guarded_pass(sources, progress, conditional)
        if self._asked_full:
            result = replace(result, asked_full=True)
        if local_only and result.result != "updated":
            return result  # checked every few seconds: only news is worth a write to flash
        if result.result == "interrupted":
            return result  # nothing was learnt: the pass asked for next tells
        self._save(result)
        return result

    def _guarded_pass(self, sources: Sequence[Source], progress: Progress | None,
                      conditional: bool) -> PassResult:
        try:
            return self._run(sources, progress, conditional)
        except Stopped:
            return PassResult("stopped", error="stopped")
        except FetchError as exc:
            if self.stop_event.is_set():  # cut on purpose by stop()
                return PassResult("stopped", error="stopped")
            return self._failed(str(exc), "sync_failed")
        except DiskLow as exc:
            return self._failed(str(exc.strerror), "disk_low")
        except OSError as exc:
            event = "disk_low" if exc.errno == errno.ENOSPC else "sync_failed"
            return self._failed(f"{exc.filename or 'store'}: {exc.strerror or exc}", event)

    def _run(self, sources: Sequence[Source], progress: Progress | None,
             conditional: bool) -> PassResult:
        current = self.store.current()
        answers = self._ask_all(sources, current, conditional)
        if self.stop_event.is_set():
            return PassResult("stopped", error="stopped")
        if not answers.candidates:
            return self._nothing_new(answers, current)
        best = max(answers.candidates, key=lambda c: c.manifest.version)
        if answers.errors and best.manifest.version <= (current.version if current else 0):
            # A stick holding the current version must not hide that the hub is unreachable.
            return self._failed("; ".join(answers.errors), "sync_failed", waited=answers.waited)
        # Only changing the store needs the lock: asking (maybe a long poll held by the hub)
        # must not keep a technician's `sync --once` waiting.
        with self.store.locked(wait=self.lock_wait) as mine:
            if not mine:
                return PassResult("busy", error="another sync of this state folder is running",
                                  waited=answers.waited)
            self.store.prepare()
            return self._apply(best, self.store.current(), progress, answers.waited)

    def _ask_all(self, sources: Sequence[Source], current: Release | None,
                 conditional: bool) -> _Answers:
        answers = _Answers()
        for source in sources:
            try:
                candidate = self._ask(source, current, conditional)
            except SourceUnavailable as exc:
                log.debug("%s", exc)
                continue
            except Interrupted as exc:
                log.debug("%s", exc)
                answers.interrupted = True
                continue
            except FetchError as exc:
                answers.errors.append(str(exc))
                continue
            if isinstance(candidate, str):  # refused, and reported
                answers.refusals.append(candidate)
            elif isinstance(candidate, ManifestFetch):  # unchanged since the last pass
                answers.waited = answers.waited or candidate.waited
            else:
                answers.waited = answers.waited or candidate.fetched.waited
                answers.candidates.append(candidate)
        return answers

    def _nothing_new(self, answers: _Answers, current: Release | None) -> PassResult:
        version, waited = (current.version if current else None), answers.waited
        if answers.interrupted and not answers.errors and not answers.refusals:
            return PassResult("interrupted", version)
        if answers.errors:
            return self._failed("; ".join(answers.errors), "sync_failed", waited=waited)
        if answers.refusals:
            return PassResult("refused", version, error="; ".join(answers.refusals),
                              waited=waited)
        if current is None:
            return PassResult("idle", waited=waited)
        return PassResult("unchanged", version, waited=waited)

    def _ask(self, source: Source, current: Release | None,
             conditional: bool) -> _Candidate | ManifestFetch | str:
        """A verified candidate, an unchanged answer, or why the manifest was refused."""
        etags = self.state.get("etags") or {}
        # ETags only save bandwidth: now and then ask in full, so that a server or cache that
        # wrongly answers 304 cannot hide a new version for ever.
        fresh = time.monotonic() - self._last_full.get(source.name, -1e18) < self.full_check_every
        use_etag = conditional and current is not None and fresh
        etag = etags.get(source.name) if use_etag else None
        if etag is None and isinstance(source, HttpSource) and source.wait:
            self._asked_full = True
        fetched = source.fetch_manifest(etag)
        if fetched.raw is None:
            return fetched
        self._last_full[source.name] = time.monotonic()
        if not keys.verify(self.public_keys, fetched.raw, fetched.signature):
            # The publisher replaces the signature and the manifest one after the other: a
            # reader may catch one of each. Ask once more before calling it an attack.
            fetched = source.fetch_manifest(None)
            if fetched.raw is None or not keys.verify(self.public_keys, fetched.raw,
                                                      fetched.signature):
                return self._refuse("signature_bad", f"{source.name}: the manifest is not "
                                    "signed by a pinned key; ignored", source)
        raw = fetched.raw or b""  # not None: checked above
        try:
            manifest = parse_manifest(raw)
        except ManifestError as exc:
            return self._refuse("manifest_bad", f"{source.name}: signed manifest is invalid: "
                                f"{exc}", source)
        expected = self.config.channel or (current.manifest.channel if current else "")
        if expected and manifest.channel != expected:
            return self._refuse("channel_mismatch", f'{source.name}: channel '
                                f'"{manifest.channel}" is not this player\'s channel "{expected}"',
                                source)
        return _Candidate(source, fetched, manifest)

    def _refuse(self, event: str, message: str, source: Source) -> str:
        self.report("error", event, message, {"source": source.name})
        return message

    def _apply(self, best: _Candidate, current: Release | None, progress: Progress | None,
               waited: bool) -> PassResult:
        manifest, name = best.manifest, best.source.name
        highest = max(int(self.state.get("highest_version") or 0),
                      current.version if current else 0)
        if manifest.version < highest:
            self.report("error", "rollback_refused", f"{name}: offers version {manifest.version}, "
                        f"older than version {highest} already accepted; refused",
                        {"source": name, "offered": manifest.version, "accepted": highest})
            self._remember_etag(best)
            return PassResult("refused", manifest.version, error="rollback refused", waited=waited)
        expired = manifest.is_expired(self.now())
        if current is not None and manifest.version == current.version:
            if expired:
                self.report("warning", "manifest_expired", f"{name}: version {manifest.version} "
                            f"expired at {format_time(manifest.expires)}; still playing it, "
                            "waiting for a newer one", {"source": name})
            self._remember_etag(best)
            return PassResult("unchanged", manifest.version, waited=waited)
        if expired and manifest.version > highest:
            self.report("error", "manifest_expired", f"{name}: version {manifest.version} expired "
                        f"at {format_time(manifest.expires)}; not installed", {"source": name})
            self._remember_etag(best)
            return PassResult("refused", manifest.version, error="manifest expired", waited=waited)
        self._pending = best.manifest
        fetched = self.downloader.download(best.source, best.manifest, progress)
        return self._switch(best, fetched, waited)

    def _switch(self, best: _Candidate, fetched: int, waited: bool) -> PassResult:
        manifest = best.manifest
        release_path = self.store.build_release(manifest, best.fetched.raw or b"",
                                                best.fetched.signature)
        release = Release(manifest.version, release_path, manifest)
        try:
            self.check_playlist(release.playlist)
        except Exception as exc:  # LoadError, or a loader bug: either way it would not play
            if not isinstance(exc, LoadError):
                log.exception("loading the playlist of version %d failed", manifest.version)
            shutil.rmtree(release_path, ignore_errors=True)
            self._remember_etag(best)
            problems = getattr(exc, "problems", ())
            first = str(problems[0]) if problems else f"{type(exc).__name__}: {exc}"
            self.report("error", "release_bad", f"version {manifest.version}: the playlist does "
                        f"not load ({first}); keeping the current content",
                        {"version": manifest.version})
            return PassResult("refused", manifest.version, fetched, "playlist does not load",
                              waited)
        self.store.make_current(release_path)
        self.store.collect_garbage()
        self._remember_etag(best)
        self.state.update(highest_version=manifest.version)
        log.info("release %d from %s is current (%d bytes downloaded)", manifest.version,
                 best.source.name, fetched)
        return PassResult("updated", manifest.version, fetched, None, waited, release)

    # Bookkeeping -----------------------------------------------------------------------------

    def _remember_etag(self, candidate: _Candidate) -> None:
        etags = dict(self.state.get("etags") or {})
        etags[candidate.source.name] = candidate.fetched.etag
        self.state.update(etags=etags)

    def _failed(self, message: str, event: str, waited: bool = False) -> PassResult:
        self.report("error" if event != "sync_failed" else "warning", event, message, {})
        return PassResult("failed", error=message, waited=waited)

    def _save(self, result: PassResult) -> None:
        now = format_time(self.now())
        values: dict[str, Any] = {"last_result": result.result}
        if result.result in ("updated", "unchanged", "idle"):
            values.update(last_success=now, last_error=None, bytes_pending=0,
                          last_bytes=result.bytes)
            self._reported.clear()
        elif result.error:
            values["last_error"] = result.error
        if result.result in ("failed", "stopped") and self._pending is not None:
            values["bytes_pending"] = self.store.bytes_to_fetch(self._pending)
        current = self.store.current()
        values["current_version"] = current.version if current else None
        self.state.update(**values)

