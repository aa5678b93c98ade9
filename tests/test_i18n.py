"""The technician's commands in Vietnamese: the catalog workflow and the commands themselves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

from player import i18n

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, lang: str = "vi_VN.UTF-8", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = lang
    return subprocess.run([sys.executable, "-m", "player", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=cwd or ROOT)


def messages(mo: bytes | Path) -> dict:
    import io

    data = mo.read_bytes() if isinstance(mo, Path) else mo
    return {m.id: m.string for m in read_mo(io.BytesIO(data)) if m.id}


@pytest.fixture
def vietnamese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    i18n.reset()
    yield
    monkeypatch.undo()
    i18n.reset()


@pytest.mark.parametrize("po", i18n.catalog_sources(), ids=lambda p: p.parent.parent.name)
def test_every_committed_mo_is_compiled_from_its_sources(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run .venv/bin/python -m player.i18n"
    assert messages(mo) == messages(i18n.compile_catalog(po)), (
        f"{mo} is out of date with {', '.join(p.name for p in i18n.source_files(po))}: "
        "run .venv/bin/python -m player.i18n and commit the .mo")


def test_every_message_of_the_vietnamese_catalog_is_translated() -> None:
    po = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "signage-player.po"
    catalog = i18n.merged_catalog(po)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert not untranslated
    for message in catalog:  # a translation keeps every {placeholder} of its message
        if message.id:
            assert sorted(_fields(message.id)) == sorted(_fields(message.string)), message.id


def _fields(text: str) -> list[str]:
    import string

    return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]


def test_a_po_part_beside_the_catalog_is_merged_in(tmp_path: Path) -> None:
    folder = tmp_path / "vi" / "LC_MESSAGES"
    shutil.copytree(i18n.LOCALE_DIR / "vi" / "LC_MESSAGES", folder)
    po = folder / "signage-player.po"
    (folder / "status.po-part").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "healthy"\nmsgstr "bình thường"\n\n'
        'msgid "warning: "\nmsgstr "this part does not override the catalog"\n', encoding="utf-8")
    names = [p.name for p in i18n.source_files(po)]
    assert names[0] == "signage-player.po" and "status.po-part" in names
    compiled = messages(i18n.compile_catalog(po))
    assert compiled["healthy"] == "bình thường"
    assert compiled["warning: "] == "cảnh báo: "
    assert compiled["file not found"] == "không tìm thấy tệp"


def test_check_speaks_vietnamese_under_a_vietnamese_locale(tmp_path: Path) -> None:
    playlist = tmp_path / "playlist.yaml"
    playlist.write_text("languages: [vi, en, cn]\nitems:\n  - image: anh.jpg\n", encoding="utf-8")
    (tmp_path / "anh.JPG").write_bytes(b"x")
    result = run("check", str(playlist))
    assert result.returncode == 1
    assert 'không phải mã ngôn ngữ (có phải ý bạn là "zh"?)' in result.stdout
    assert 'không có tệp "anh.jpg"' in result.stdout and '"anh.JPG"' in result.stdout
    assert "2 lỗi, 0 cảnh báo" in result.stdout
    english = run("check", str(playlist), lang="C.UTF-8")
    assert 'is not a language code (did you mean "zh"?)' in english.stdout
    assert "2 error(s), 0 warning(s)" in english.stdout


def test_check_of_a_good_playlist_says_so_in_vietnamese() -> None:
    result = run("check", "playlists/ban-gioc/playlist.yaml")
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ổn: playlists/ban-gioc/playlist.yaml: ")
    assert " mục, " in result.stdout


def test_sync_once_speaks_vietnamese(tmp_path: Path) -> None:
    config = tmp_path / "player.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    result = run("sync", "--once", "--config", str(config))
    assert result.returncode == 1
    assert "sync.sources đang trống: không có nguồn nào để đồng bộ" in result.stdout


def test_core_messages_are_built_in_the_language_of_the_moment(vietnamese: None, tmp_path: Path) -> None:
    from player.core.problems import LoadError
    from player.core.yamlfile import read_yaml

    with pytest.raises(LoadError) as caught:
        read_yaml(tmp_path / "missing.yaml")
    assert str(caught.value).endswith("không tìm thấy tệp")


TRANSLATED = ["player/cli.py", "player/commands/check.py", "player/commands/sync.py", "player/core/*.py"]


def test_every_message_the_commands_wrap_is_in_the_vietnamese_catalog() -> None:
    from babel.messages.extract import extract_from_file

    catalog = i18n.merged_catalog(i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "signage-player.po")
    known = {m.id for m in catalog if m.id and m.string}
    wrapped = {}
    for pattern in TRANSLATED:
        for path in sorted(ROOT.glob(pattern)):
            for _line, message, _comments, _context in extract_from_file("python", path, keywords={"_": None}):
                wrapped[message] = path.relative_to(ROOT)
    assert len(wrapped) > 50
    missing = {message: str(path) for message, path in wrapped.items() if message not in known}
    assert not missing, "add these to signage-player.po, then run .venv/bin/python -m player.i18n"
