from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.core.config import Config
from player.core.config_reader import config_from_data, load_config
from player.core.problems import LoadError
from player.core.yamlfile import parse_yaml


def load_text(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "player.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, must_exist=True)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(LoadError) as info:
        load_text(tmp_path, text)
    return [str(p) for p in info.value.problems]


def test_empty_and_missing_files_mean_defaults(tmp_path):
    assert load_text(tmp_path, "").display.rotation == 0
    assert load_config(tmp_path / "absent.yaml").state_dir == Path("/var/lib/signage-player")


def test_full_config(tmp_path):
    config = load_text(tmp_path, """
cluster: ban-gioc-1
state_dir: /tmp/state
playlist: playlists/main.yaml
display: {size: 1920x1080, rotation: 90, fit: cover, background: "#102030", driver: kmsdrm}
fonts: {cjk: /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, cjk_index: 2}
sync:
  sources: ["https://hub.example.vn/channels/ban-gioc/", "/media/usb"]
  public_keys: ["ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="]
  interval: 5m
  bandwidth_limit: 200k
audio: {volume: 70, quiet_hours: [{hours: "21:00-06:00", volume: 20}]}
""")
    assert config.cluster == "ban-gioc-1"
    assert config.playlist == tmp_path / "playlists/main.yaml"
    assert config.display.size == (1920, 1080) and config.display.rotation == 90
    assert config.sync.interval == 300 and config.sync.bandwidth_limit == 200_000
    assert config.audio.volume == pytest.approx(0.7)
    assert config.audio.quiet_hours[0].volume == pytest.approx(0.2)


def test_every_problem_reported_with_line_and_suggestion(tmp_path):
    found = problems_of(tmp_path, """cluster: ok
dispaly: {size: 1920x1080}
display:
  rotation: 45
  size: big
sync: {interval: 5 minutes}
""")
    text = "\n".join(found)
    assert ':2: dispaly: unknown key (did you mean "display"?)' in text
    assert ":4: display.rotation: expected one of 0, 90, 180, 270, got 45" in text
    assert ':5: display.size: expected a size like "1920x1080"' in text
    assert ":6: sync.interval: expected a duration" in text
    assert len(found) == 4


def test_yaml_syntax_error_has_line(tmp_path):
    found = problems_of(tmp_path, "cluster: a\ndisplay: [1,\nsync: 2\n")
    assert found[0].startswith(str(tmp_path / "player.yaml") + ":")
    assert "YAML syntax error" in found[0]


def test_top_level_must_be_mapping(tmp_path):
    assert "expected a mapping" in problems_of(tmp_path, "- a\n- b\n")[0]


def test_restart_needed_only_for_display_fonts_state():
    base = Config(cluster="a")
    assert not config_from_data(parse_yaml("cluster: a\nlog_level: debug", "f"), "f").needs_restart_against(base)
    assert config_from_data(parse_yaml("cluster: a\ndisplay: {rotation: 90}", "f"), "f").needs_restart_against(base)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["display", "sync", "size", "rotation", "cluster", "audio", "volume",
                         "quiet_hours", "hours", "sources", "x"]), children, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(yaml_values)
def test_config_loader_raises_only_load_error(data):
    try:
        config_from_data(data, "fuzz.yaml")
    except LoadError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_config_text_raises_only_load_error(text):
    try:
        config_from_data(parse_yaml(text, "fuzz.yaml"), "fuzz.yaml")
    except LoadError:
        pass


def test_lenient_loading_keeps_good_values(tmp_path):
    from player.core.config_reader import load_config_lenient

    path = tmp_path / "player.yaml"
    path.write_text("cluster: pac-ngam\nsync: {interval: soon}\ndisplay: {rotation: 90}\n", encoding="utf-8")
    config, problems = load_config_lenient(path)
    assert config.cluster == "pac-ngam" and config.display.rotation == 90 and config.sync.interval == 300
    assert [p.path for p in problems] == ["sync.interval"]
    path.write_text("cluster: [broken\n", encoding="utf-8")
    config, problems = load_config_lenient(path)
    assert config.cluster != "pac-ngam" and "YAML syntax error" in problems[0].message
