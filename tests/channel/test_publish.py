"""Publishing: objects by hash, manifest and signature, versions, and what is refused."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel import keys
from player.channel.publish import PublishError, publish
from player.cli import main as cli
from player.core.manifest import parse_manifest
from player.core.problems import LoadError
from player.storage.durable import sha256_file
from tests.sync.kit import publish_files, write_tree


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_publish_writes_a_signed_channel(tmp_path, key):
    out = tmp_path / "channel"
    files = {"media/a.jpg": b"A" * 1000, "media/b.jpg": b"B" * 500, "media/copy.jpg": b"A" * 1000}
    result = publish_files(tmp_path / "src", out, key, files)
    raw = (out / "manifest.json").read_bytes()
    assert keys.verify([key.public_key()], raw, (out / "manifest.json.sig").read_bytes())
    manifest = parse_manifest(raw)
    assert manifest == result.manifest and manifest.version == 1
    assert [f.path for f in manifest.files][0] == "playlist.yaml"
    assert {f.path for f in manifest.files} == {"playlist.yaml", *files}
    for entry in manifest.files:
        assert sha256_file(out / "objects" / entry.sha256) == (entry.sha256, entry.size)
    assert len(list((out / "objects").iterdir())) == 3  # the two identical files are one object
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


def test_versions_grow_and_unchanged_files_are_not_copied_again(tmp_path, key):
    out = tmp_path / "channel"
    first = publish_files(tmp_path / "src", out, key, {"media/a.jpg": b"A" * 1000})
    second = publish_files(tmp_path / "src", out, key, {"media/a.jpg": b"A" * 1000,
                                                        "media/b.jpg": b"B" * 10})
    assert (first.manifest.version, second.manifest.version) == (1, 2)
    assert (second.new_objects, second.new_bytes) == (1, 10)
    assert second.manifest.expires - second.manifest.issued == timedelta(days=30)


@pytest.mark.parametrize("bad", ["../outside.jpg", "/etc/passwd", "media/../../x.jpg"])
def test_paths_leaving_the_folder_are_refused(tmp_path, key, bad):
    src = tmp_path / "src"
    write_tree(src, {"playlist.yaml": b"x", "media/a.jpg": b"a"})
    with pytest.raises(PublishError, match="relative|leave") as info:
        publish(src, tmp_path / "out", "test", key, timedelta(days=1),
                list_media=lambda _p: ["media/a.jpg", bad])
    assert bad in str(info.value)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_symlinks_in_the_source_folder_are_refused(tmp_path, key):
    src = tmp_path / "src"
    write_tree(src, {"playlist.yaml": b"x", "real/a.jpg": b"a"})
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the screens")
    os.symlink(secret, src / "link.jpg")
    os.symlink(src / "real", src / "media")
    with pytest.raises(PublishError) as info:
        publish(src, tmp_path / "out", "test", key, timedelta(days=1),
                list_media=lambda _p: ["link.jpg", "media/a.jpg"])
    assert len(info.value.problems) == 2
    assert all("symbolic link" in p for p in info.value.problems)
    assert not (tmp_path / "out").exists()


def test_missing_file_and_foreign_channel_folder_are_refused(tmp_path, key):
    src = tmp_path / "src"
    write_tree(src, {"playlist.yaml": b"x"})
    with pytest.raises(PublishError, match="gone.jpg"):
        publish(src, tmp_path / "out", "test", key, timedelta(days=1),
                list_media=lambda _p: ["gone.jpg"])
    publish_files(tmp_path / "src2", tmp_path / "out", key, {}, channel="other")
    with pytest.raises(PublishError, match='holds channel "other"'):
        publish_files(tmp_path / "src3", tmp_path / "out", key, {}, channel="test")


def test_a_new_key_is_warned_about(tmp_path, key):
    publish_files(tmp_path / "src", tmp_path / "out", key, {})
    result = publish_files(tmp_path / "src", tmp_path / "out", Ed25519PrivateKey.generate(), {})
    assert result.manifest.version == 2
    assert "not signed by this key" in result.warnings[0]


def test_a_broken_playlist_is_refused_like_check(tmp_path, key):
    src = tmp_path / "src"
    write_tree(src, {"playlist.yaml": b"items:\n  - image: ../../etc/passwd\n    duration: soon\n"})
    with pytest.raises(LoadError):
        publish(src, tmp_path / "out", "test", key, timedelta(days=1))
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_keygen_and_publish_commands(tmp_path, capsys):
    key_file = tmp_path / "centre.key"
    assert cli(["keygen", "--out", str(key_file)]) == 0
    printed = capsys.readouterr().out
    public = printed.strip().splitlines()[-1]
    assert public.startswith("ed25519:") and public in (tmp_path / "centre.key.pub").read_text()
    assert cli(["keygen", "--out", str(key_file)]) == 1
    assert "already exists" in capsys.readouterr().out

    src = tmp_path / "src"
    from PIL import Image
    (src / "media").mkdir(parents=True)
    Image.new("RGB", (32, 24), (20, 120, 60)).save(src / "media" / "thac.jpg")
    (src / "playlist.yaml").write_text(
        "name: Bản Giốc\nlanguages: [vi, en]\nitems:\n  - image: media/thac.jpg\n"
        "    duration: 5s\n", encoding="utf-8")
    out = tmp_path / "channel"
    code = cli(["publish", str(src), "--channel", "ban-gioc", "--key", str(key_file),
                "--out", str(out), "--expires", "10d"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "published ban-gioc version 1" in printed and public in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == {"playlist.yaml", "media/thac.jpg"}

    (src / "playlist.yaml").write_text("items: 3\n")
    assert cli(["publish", str(src), "--channel", "ban-gioc", "--key", str(key_file),
                "--out", str(out)]) == 1
    assert "not published" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["version"] == 1


def test_publish_usage_errors(tmp_path, capsys):
    assert cli(["publish", str(tmp_path), "--channel", "c", "--key", str(tmp_path / "none"),
                "--out", str(tmp_path / "o")]) == 1
    assert "cannot read the key" in capsys.readouterr().out
    assert cli(["publish", str(tmp_path), "--channel", "c", "--key", "k", "--out", "o",
                "--to", "http://127.0.0.1:9/"]) == 2
    with pytest.raises(SystemExit):
        cli(["publish", str(tmp_path), "--channel", "c", "--key", "k", "--out", "o",
             "--expires", "soon"])


def test_no_temporary_files_are_left_behind(tmp_path, key):
    out = tmp_path / "channel"
    publish_files(tmp_path / "src", out, key, {"media/a.jpg": b"a"})
    publish_files(tmp_path / "src", out, key, {"media/a.jpg": b"b"})
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "manifest.json.sig",
                                                     "objects"]
    assert all(len(p.name) == 64 for p in (out / "objects").iterdir())


def test_publish_repeats_check_s_warnings_and_warns_about_huge_pictures(tmp_path, key, capsys):
    from PIL import Image

    src = tmp_path / "src"
    (src / "media").mkdir(parents=True)
    Image.new("RGB", (8000, 4500), (20, 120, 60)).save(src / "media" / "camera.png")
    Image.new("RGB", (1920, 1080), (20, 120, 60)).save(src / "media" / "screen.png")
    playlist = src / "playlist.yaml"
    playlist.write_text(
        "languages: [vi, en]\nitems:\n  - image: media/camera.png\n  - image: media/screen.png\n"
        "  - text: {vi: Chào mừng quý khách}\n", encoding="utf-8")
    check = cli(["check", str(playlist)])
    checked = [line for line in capsys.readouterr().out.splitlines() if "warning: " in line]
    assert check == 0 and checked == [f"{playlist}:5: items[2].text: warning: no text for en"]

    key_file = tmp_path / "centre.key"
    keys.write_private_key(key, key_file)
    capsys.readouterr()
    code = cli(["publish", str(src), "--channel", "ban-gioc", "--key", str(key_file),
                "--out", str(tmp_path / "channel")])
    printed = capsys.readouterr().out.splitlines()
    assert code == 0, printed
    for line in checked:  # every warning check gives, word for word
        assert line in printed
    (huge,) = [line for line in printed if "camera.png" in line]
    size_mb = (src / "media" / "camera.png").stat().st_size / 1e6
    assert huge.startswith(f"{src / 'media' / 'camera.png'}: warning: 8000x4500 pixels ({size_mb:.1f} MB) "
                           "is far larger than any screen")
    assert not [line for line in printed if "screen.png" in line]
