"""Problems a person who is not a programmer can act on: YAML slips, wrong names, language codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.core.languages import ISO_639_1, language_problem
from player.core.playlist_reader import load_playlist
from player.core.problems import LoadError
from player.core.yamlfile import read_yaml


def problems_of(path: Path) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_playlist(path)
    return [str(p) for p in caught.value.problems]


def write(tmp_path: Path, data: str | bytes, name: str = "playlist.yaml") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_a_tab_used_for_indenting_says_to_use_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - text:\n\t\tvi: Xin chào\n")
    (line,) = problems_of(path)
    assert line.startswith(f"{path}:3: a Tab is used for indenting: use spaces, not Tab (YAML syntax error:")


def test_a_colon_inside_a_sentence_says_to_quote_it(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - text:\n      vi: Giờ mở cửa: 7:00 - 17:00\n      en: Open\n")
    (line,) = problems_of(path)
    assert f"{path}:3: " in line
    assert 'a ":" inside a sentence: put the sentence in double quotes' in line
    quoted = write(tmp_path, 'items:\n  - text:\n      vi: "Giờ mở cửa: 7:00 - 17:00"\n      en: Open\n')
    assert load_playlist(quoted).items[0].text == {"vi": "Giờ mở cửa: 7:00 - 17:00", "en": "Open"}


def test_other_syntax_errors_keep_yaml_s_own_words(tmp_path: Path) -> None:
    path = write(tmp_path, "items: [\n")
    (line,) = problems_of(path)
    assert "YAML syntax error:" in line and "double quotes" not in line and "Tab" not in line


def test_utf16_says_to_save_as_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - text: {vi: Thác Bản Giốc}\n".encode("utf-16"))
    (line,) = problems_of(path)
    assert line == f"{path}:1: not valid UTF-8 text: the file is saved as UTF-16; save it again as UTF-8"


def test_another_code_page_says_to_save_as_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nitems:\n  - text: {vi: Thác đá}\n".encode("cp1258"))
    (line,) = problems_of(path)
    assert line.startswith(f"{path}:3: not valid UTF-8 text: the file was saved in another code page")
    assert line.endswith("save it again as UTF-8")


@pytest.mark.parametrize("present", ["photo.jpeg", "photo.JPG", "Photo.jpg"])
def test_a_missing_picture_names_the_one_there_with_another_extension(tmp_path: Path, present: str) -> None:
    (tmp_path / present).write_bytes(b"not checked here")
    (tmp_path / "photo.txt.bak").write_bytes(b"another stem: not suggested")
    path = write(tmp_path, "items:\n  - image: photo.jpg\n")
    (line,) = problems_of(path)
    assert f'"photo.jpg" does not exist (looked in {tmp_path}) (there is "{present}" in the same folder: did you mean it?)' in line


def test_a_missing_picture_with_nothing_alike_says_only_that(tmp_path: Path) -> None:
    (tmp_path / "other.jpg").write_bytes(b"x")
    path = write(tmp_path, "items:\n  - image: photo.jpg\n")
    (line,) = problems_of(path)
    assert line.endswith(f'"photo.jpg" does not exist (looked in {tmp_path})')


def test_a_missing_playlist_names_the_yml_beside_it(tmp_path: Path) -> None:
    (tmp_path / "playlist.yml").write_text("items: []\n")
    with pytest.raises(LoadError) as caught:
        read_yaml(tmp_path / "playlist.yaml")
    assert str(caught.value).endswith('file not found (there is "playlist.yml" in the same folder: did you mean it?)')


@pytest.mark.parametrize(("code", "meant"), [("cn", "zh"), ("vn", "vi"), ("jp", "ja"), ("zh_CN", "zh-CN"),
                                             ("ZH-hans", "zh-Hans"), ("EN", "en")])
def test_a_country_code_or_a_misspelt_tag_is_refused_with_the_code_meant(code: str, meant: str) -> None:
    assert language_problem(code) == f'"{code}" is not a language code (did you mean "{meant}"?)'


@pytest.mark.parametrize("code", ["vi", "en", "zh", "zh-Hans", "zh-Hant", "zh-CN", "zh-TW", "pt-BR",
                                  "es-419", "zh-Hans-CN", "km", "lo", "th"])
def test_iso_639_1_codes_and_common_bcp47_tags_are_accepted(code: str) -> None:
    assert language_problem(code) is None


def test_an_unknown_code_is_refused_with_the_rule() -> None:
    assert "use ISO 639-1 codes like vi, en, zh" in (language_problem("xx") or "")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=12))
def test_any_code_is_either_accepted_or_explained(code: str) -> None:
    problem = language_problem(code)
    if problem is None:
        assert code.split("-")[0] in ISO_639_1
    else:
        assert problem.startswith(f'"{code}" is not a language code')


def test_the_playlist_refuses_cn_and_names_the_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "languages: [vi, en, cn]\nitems:\n  - text: {vi: a, en: b}\n")
    assert f'{path}:1: languages[2]: "cn" is not a language code (did you mean "zh"?)' in problems_of(path)


def test_a_languages_list_over_several_lines_points_at_the_bad_line(tmp_path: Path) -> None:
    path = write(tmp_path, "languages:\n  - vi\n  - cn\nitems:\n  - text: {vi: a}\n")
    assert f'{path}:3: languages[1]: "cn" is not a language code (did you mean "zh"?)' in problems_of(path)


def test_a_text_under_a_country_code_is_pointed_at_the_language_meant(tmp_path: Path) -> None:
    path = write(tmp_path, "languages: [vi, en, zh]\nitems:\n  - text: {vi: a, en: b, cn: c}\n")
    warnings = [str(w) for w in load_playlist(path).warnings]
    assert (f'{path}:3: items[0].text.cn: warning: language "cn" is not in the playlist\'s languages '
            '(vi, en, zh) and will not be shown (did you mean "zh"?)') in warnings
    other = write(tmp_path, "languages: [vi, en]\nitems:\n  - text: {vi: a, en: b, cn: c}\n", "other.yaml")
    assert not [w for w in load_playlist(other).warnings if "did you mean" in str(w)]  # zh is not shown anyway
