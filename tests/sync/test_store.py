"""The store: releases built from verified objects, the atomic switch, GC, start-up re-check."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

from player.core.manifest import FileEntry, Manifest, manifest_bytes
from player.sync.store import Store, current_release, previous_release
from tests.sync.kit import utc


def put_version(store: Store, version: int, files: dict[str, bytes]) -> Manifest:
    """Install objects for `files` and make a release of them current."""
    entries = []
    for path, data in {"playlist.yaml": b"items: []\n", **files}.items():
        sha = hashlib.sha256(data).hexdigest()
        partial = store.partial_path(sha)
        partial.write_bytes(data)
        store.install_object(sha)
        entries.append(FileEntry(path, sha, len(data)))
    manifest = Manifest("test", version, utc(2026, 1, 1), utc(2027, 1, 1) + timedelta(days=1),
                        "playlist.yaml", tuple(entries))
    release = store.build_release(manifest, manifest_bytes(manifest), b"sig\n")
    store.make_current(release)
    return manifest


def test_current_and_previous_follow_the_switches(tmp_path):
    store = Store(tmp_path)
    store.prepare()
    assert current_release(tmp_path) is None and previous_release(tmp_path) is None
    put_version(store, 1, {"media/a.jpg": b"a1"})
    version, playlist = current_release(tmp_path)
    assert version == 1 and playlist.read_bytes() == b"items: []\n"
    assert (playlist.parent / "media" / "a.jpg").read_bytes() == b"a1"
    assert os.path.islink(tmp_path / "current")
    assert not os.path.isabs(os.readlink(tmp_path / "current"))  # survives moving the folder
    put_version(store, 2, {"media/a.jpg": b"a2"})
    assert current_release(tmp_path)[0] == 2
    assert previous_release(tmp_path)[0] == 1


def test_gc_keeps_current_and_previous_only(tmp_path):
    store = Store(tmp_path)
    store.prepare()
    for version in (1, 2, 3):
        put_version(store, version, {"media/a.jpg": f"a{version}".encode()})
    store.partial_path("f" * 64).write_bytes(b"stale partial")
    store.collect_garbage()
    assert sorted(p.name[:10] for p in store.releases.iterdir()) == ["0000000002", "0000000003"]
    contents = sorted(p.read_bytes() for p in store.objects.iterdir())
    assert contents == [b"a2", b"a3", b"items: []\n"]
    assert not list(store.partial.iterdir())
    assert current_release(tmp_path)[0] == 3 and previous_release(tmp_path)[0] == 2


def test_an_incomplete_release_is_never_current(tmp_path):
    store = Store(tmp_path)
    store.prepare()
    put_version(store, 1, {"media/a.jpg": b"aaaa"})
    _version, playlist = current_release(tmp_path)
    (playlist.parent / "media" / "a.jpg").unlink()
    assert current_release(tmp_path) is None


def test_start_up_check_removes_damaged_objects_and_their_release_files(tmp_path):
    store = Store(tmp_path)
    store.prepare()
    put_version(store, 1, {"media/a.jpg": b"good bytes"})
    sha = hashlib.sha256(b"good bytes").hexdigest()
    path = store.object_path(sha)
    os.chmod(path, 0o644)
    path.write_bytes(b"bad! bytes")  # same size: only the hash can tell
    assert current_release(tmp_path) is not None
    assert store.verify_objects() == [sha]
    assert not path.exists()
    assert current_release(tmp_path) is None  # nothing damaged is shown


def test_prepare_clears_interrupted_work(tmp_path):
    store = Store(tmp_path)
    store.prepare()
    put_version(store, 1, {"media/a.jpg": b"a"})
    (store.releases / ".build-0000000002-00000000" / "content").mkdir(parents=True)
    os.symlink("store/releases/nowhere", tmp_path / ".current.tmp")
    (store.objects / ".x.tmp-123").write_bytes(b"half")
    store.prepare()
    store.verify_objects()
    assert [p.name[:10] for p in store.releases.iterdir()] == ["0000000001"]
    assert not os.path.lexists(tmp_path / ".current.tmp")
    assert all(len(p.name) == 64 for p in store.objects.iterdir())
    assert current_release(tmp_path)[0] == 1


def test_the_store_lock_is_exclusive(tmp_path):
    first, second = Store(tmp_path), Store(tmp_path)
    with first.locked() as mine:
        assert mine
        with second.locked() as theirs:
            assert not theirs
    with second.locked() as mine_now:
        assert mine_now
