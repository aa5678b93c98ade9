"""The manifest parser and the path rules: every malformed or unsafe manifest is refused."""

from __future__ import annotations

import json
import posixpath
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from player.core.manifest import (
    FileEntry,
    Manifest,
    ManifestError,
    manifest_bytes,
    parse_manifest,
    path_problem,
)

SHA = "a" * 64


def manifest_data(**changes) -> dict:
    data = {"format": 1, "channel": "ban-gioc", "version": 3,
            "issued": "2026-11-01T00:00:00Z", "expires": "2026-12-16T00:00:00Z",
            "playlist": "playlist.yaml",
            "files": [{"path": "playlist.yaml", "sha256": SHA, "size": 10},
                      {"path": "media/thac.jpg", "sha256": "b" * 64, "size": 2000}]}
    data.update(changes)
    return data


def raw(data: dict) -> bytes:
    return json.dumps(data).encode()


def test_a_valid_manifest_reads_into_dataclasses():
    manifest = parse_manifest(raw(manifest_data()))
    assert manifest.version == 3 and manifest.channel == "ban-gioc"
    assert manifest.files[1] == FileEntry("media/thac.jpg", "b" * 64, 2000)
    assert manifest.total_size == 2010
    assert manifest.expires == datetime(2026, 12, 16, tzinfo=UTC)
    assert not manifest.is_expired(datetime(2026, 12, 15, tzinfo=UTC))
    assert manifest.is_expired(datetime(2026, 12, 16, tzinfo=UTC))


def test_written_bytes_read_back_equal():
    issued = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    manifest = Manifest("c", 7, issued, issued + timedelta(days=45), "playlist.yaml",
                        (FileEntry("playlist.yaml", SHA, 1), FileEntry("a/ả.jpg", SHA, 1)))
    assert parse_manifest(manifest_bytes(manifest)) == manifest


@pytest.mark.parametrize("path", [
    "../etc/passwd", "media/../../x", "/etc/passwd", "media//a.jpg", "./a.jpg", "media/.",
    "media\\a.jpg", "C:/x.jpg", "a\nb.jpg", "", "media/", "..",
])
def test_unsafe_paths_are_refused(path):
    assert path_problem(path) is not None
    data = manifest_data()
    data["files"][1]["path"] = path
    with pytest.raises(ManifestError, match=r"files\[1\]\.path"):
        parse_manifest(raw(data))


@given(st.lists(st.text(alphabet="ab.é/\\:-_ ", min_size=1, max_size=6), min_size=1, max_size=4))
def test_a_path_accepted_never_leaves_its_folder(parts):
    path = "/".join(parts)
    if path_problem(path) is None:
        joined = posixpath.normpath(posixpath.join("/release/content", path))
        assert joined.startswith("/release/content/")


@pytest.mark.parametrize("change, where", [
    ({"format": 2}, "format"),
    ({"channel": "../x"}, "channel"),
    ({"version": True}, "version"),
    ({"version": 0}, "version"),
    ({"version": "3"}, "version"),
    ({"issued": "yesterday"}, "issued"),
    ({"expires": "2026-12-16T00:00:00"}, "expires"),
    ({"expires": "2026-10-01T00:00:00Z"}, "expires"),
    ({"playlist": "other.yaml"}, "playlist"),
    ({"files": []}, "files"),
    ({"files": "x"}, "files"),
])
def test_bad_fields_are_named(change, where):
    with pytest.raises(ManifestError, match=where):
        parse_manifest(raw(manifest_data(**change)))


@pytest.mark.parametrize("entry, where", [
    ({"path": "a.jpg", "sha256": "A" * 64, "size": 1}, "sha256"),
    ({"path": "a.jpg", "sha256": SHA[:-1], "size": 1}, "sha256"),
    ({"path": "a.jpg", "sha256": SHA, "size": -1}, "size"),
    ({"path": "a.jpg", "sha256": SHA, "size": True}, "size"),
    ({"path": "playlist.yaml", "sha256": SHA, "size": 1}, "listed twice"),
    ({"path": "playlist.yaml/x.jpg", "sha256": SHA, "size": 1}, "both a file and a folder"),
])
def test_bad_file_entries_are_refused(entry, where):
    data = manifest_data()
    data["files"].append(entry)
    with pytest.raises(ManifestError, match=where):
        parse_manifest(raw(data))


@pytest.mark.parametrize("text", [b"", b"\xff\xfe", b"[]", b"{", b"null"])
def test_garbage_is_refused_not_crashed_on(text):
    with pytest.raises(ManifestError):
        parse_manifest(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


@given(st.dictionaries(st.sampled_from(["format", "channel", "version", "issued", "expires",
                                        "playlist", "files"]), json_values))
def test_any_json_is_parsed_or_refused_with_manifest_error(data):
    try:
        manifest = parse_manifest(json.dumps(data).encode())
    except ManifestError as exc:
        assert str(exc)  # refused with a reason, never another exception
    else:
        assert manifest.version == data["version"] and manifest.channel == data["channel"]
