"""`check` and `publish` hold every text to the readability rule (docs/playlist.md)."""

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel.publish import publish
from player.cli import main
from player.core.problems import LoadError
from player.media.check import load_checked

SENTENCE = "Quý khách vui lòng giữ gìn vệ sinh chung và không bơi qua biên giới. "


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "playlist.yaml"
    path.write_text(f"languages: [vi]\nitems:\n  - id: notice\n    text: \"{text}\"\n", encoding="utf-8")
    return path


def test_check_warns_about_a_text_too_long_to_read(tmp_path, capsys):
    path = write(tmp_path, SENTENCE * 6)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:3: items[0].text.vi: warning: item notice: too long to read" in out
    assert "414 characters" in out and "set duration: 25s" in out


def test_check_refuses_a_text_the_player_would_cut(tmp_path, capsys):
    path = write(tmp_path, SENTENCE * 600)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "items[0].text.vi: item notice: 41,400 characters" in out and "1 error(s)" in out


def test_load_checked_carries_the_warnings(tmp_path):
    playlist = load_checked(write(tmp_path, SENTENCE * 6))
    assert [p.path for p in playlist.warnings] == ["items[0].text.vi"]


def test_publish_refuses_what_check_refuses(tmp_path):
    src = tmp_path / "src"
    write(src, SENTENCE * 600)
    with pytest.raises(LoadError) as raised:
        publish(src, tmp_path / "out", "ban-gioc", Ed25519PrivateKey.generate(), timedelta(days=30))
    assert any(p.path == "items[0].text.vi" and p.severity == "error" for p in raised.value.problems)
    assert not (tmp_path / "out" / "manifest.json").exists()
