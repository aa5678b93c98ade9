import queue
import threading
import time

import pytest

from player.core.emergency import EmergencyFile
from player.core.messages import ConfigChanged, EmergencyChanged, PlaylistChanged, StopRequested
from player.health.board import StatusBoard
from player.watch import Watcher

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def setup(tmp_path):
    config = tmp_path / "etc" / "player.yaml"
    config.parent.mkdir()
    config.write_text("cluster: bangioc-1\n")
    playlist = tmp_path / "content" / "playlist.yaml"
    (playlist.parent / "media").mkdir(parents=True)
    playlist.write_text("items: []\n")
    media = tmp_path / "media"
    media.mkdir()
    outbox: queue.Queue = queue.Queue()
    board = StatusBoard()
    watcher = Watcher(config, [playlist], outbox, media_root=media, debounce=0.3,
                      poll_interval=0.1, board=board, ismount=lambda p: p.endswith("stick"))
    watcher.start()
    assert watcher.ready.wait(10)
    yield config, playlist, media, outbox, board
    watcher.stop()
    watcher.join(10)
    assert not watcher.is_alive()
    assert not [t for t in threading.enumerate() if "watch" in t.name.lower() and t.is_alive()]


def next_message(outbox: queue.Queue, timeout: float = 20):
    return outbox.get(timeout=timeout)


def quiet(outbox: queue.Queue, seconds: float = 1.0) -> bool:
    try:
        outbox.get(timeout=seconds)
        return False
    except queue.Empty:
        return True


def test_a_valid_config_change_is_posted_once_after_a_burst(setup):
    config, _, _, outbox, _ = setup
    for n in range(5):
        config.write_text(f"cluster: bangioc-{n}\n")
    assert next_message(outbox) == ConfigChanged(config)
    assert quiet(outbox)


def test_an_invalid_config_is_refused_and_reported_and_a_fix_goes_through(setup):
    config, _, _, outbox, board = setup
    config.write_text("cluster: bangioc-1\nhelth: {}\n")
    deadline = time.monotonic() + 20
    while not board.drain()[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox.empty()
    problems = board.config_state()["problems"]
    assert len(problems) == 1 and "helth" in problems[0] and "previous config runs" in problems[0]
    config.write_text("cluster: bangioc-2\n")
    assert next_message(outbox) == ConfigChanged(config)
    assert board.config_state()["problems"] == []  # fixed: status is healthy again at once


def test_editor_style_replace_by_rename_is_seen(setup):
    config, _, _, outbox, _ = setup
    temp = config.with_name(".player.yaml.swp")
    temp.write_text("cluster: renamed\n")
    temp.replace(config)
    assert next_message(outbox) == ConfigChanged(config)


def test_touching_without_a_change_posts_nothing(setup):
    config, _, _, outbox, _ = setup
    config.write_text(config.read_text())
    assert quiet(outbox)


def test_a_playlist_or_its_media_changing_posts_playlist_changed(setup):
    _, playlist, _, outbox, _ = setup
    (playlist.parent / "media" / "new.jpg").write_bytes(b"jpeg")
    assert next_message(outbox) == PlaylistChanged(playlist)
    playlist.write_text("items: [1]\n")
    assert next_message(outbox) == PlaylistChanged(playlist)


def test_a_usb_stick_with_a_playlist_plugged_in_and_pulled_out(setup):
    _, _, media, outbox, _ = setup
    stick = media / "signage" / "stick"
    (stick / "signage").mkdir(parents=True)
    (stick / "signage" / "playlist.yaml").write_text("items: []\n")
    assert next_message(outbox) == PlaylistChanged(stick / "signage" / "playlist.yaml")
    (stick / "signage" / "playlist.yaml").unlink()
    assert next_message(outbox) == StopRequested(f"USB stick at {stick} removed", restart=True)


def test_config_and_playlist_in_one_folder(tmp_path):
    folder = tmp_path / "etc"
    folder.mkdir()
    config, playlist = folder / "player.yaml", folder / "playlist.yaml"
    config.write_text("cluster: a\n")
    playlist.write_text("items: []\n")
    outbox: queue.Queue = queue.Queue()
    watcher = Watcher(config, [playlist], outbox, media_root=tmp_path / "none", debounce=0.3)
    watcher.start()
    try:
        assert watcher.ready.wait(10)
        config.write_text("cluster: b\n")
        assert next_message(outbox) == ConfigChanged(config)
        assert quiet(outbox)  # not also a playlist change
        playlist.write_text("items: [1]\n")
        assert next_message(outbox) == PlaylistChanged(playlist)
    finally:
        watcher.stop()
        watcher.join(10)


def test_the_emergency_file_is_read_by_the_watcher_and_the_loop_is_told(tmp_path):
    folder = tmp_path / "etc"
    folder.mkdir()
    config, emergency = folder / "player.yaml", folder / "emergency.yaml"
    config.write_text("cluster: a\n")
    outbox: queue.Queue = queue.Queue()
    watcher = Watcher(config, [], outbox, media_root=tmp_path / "none", debounce=0.3,
                      emergency=EmergencyFile(emergency), languages=lambda: ("vi", "en"))
    watcher.start()
    try:
        assert watcher.ready.wait(10)
        emergency.write_text("text: {vi: Lũ quét, en: Flash flood}\n", encoding="utf-8")
        message = next_message(outbox)
        assert isinstance(message, EmergencyChanged) and message.item is not None
        assert message.item.text == {"vi": "Lũ quét", "en": "Flash flood"}
        emergency.write_text("text: {vi: Lũ quét, en: Flash flood}\nsize: 3\n", encoding="utf-8")
        message = next_message(outbox)
        assert message.item is None and "size: unknown key" in message.problem
        emergency.unlink()
        assert quiet(outbox)  # a refused file going away changes nothing on screen
        emergency.write_text("text: {vi: Cháy rừng, en: Forest fire}\n", encoding="utf-8")
        assert next_message(outbox).item.text["en"] == "Forest fire"
        emergency.unlink()
        assert next_message(outbox) == EmergencyChanged(emergency, None)
    finally:
        watcher.stop()
        watcher.join(10)


def test_a_change_in_a_local_sync_folder_wakes_sync_through_the_one_watcher(tmp_path):
    folder, stick = tmp_path / "etc", tmp_path / "channel"
    folder.mkdir()
    stick.mkdir()
    config = folder / "player.yaml"
    config.write_text("cluster: a\n")
    woken = threading.Event()
    watcher = Watcher(config, [], queue.Queue(), media_root=tmp_path / "none", debounce=0.3,
                      sync_folders=[stick], on_sync_folder=woken.set)
    watcher.start()
    try:
        assert watcher.ready.wait(10)
        assert not woken.is_set()
        (stick / "manifest.json").write_text("{}")
        assert woken.wait(20)
    finally:
        watcher.stop()
        watcher.join(10)
    assert not watcher.is_alive()


def test_a_changed_playlist_is_read_by_the_watcher_not_by_the_render_loop(setup):
    _, playlist, _, outbox, _ = setup
    playlist.write_text("languages: [vi]\nitems:\n  - {id: a, text: {vi: Xin chào}}\n", encoding="utf-8")
    message = next_message(outbox)
    assert message == PlaylistChanged(playlist)
    assert message.loaded is not None and [item.id for item in message.loaded.items] == ["a"]
    playlist.write_text("items: [\n", encoding="utf-8")  # broken: the loop reads it and says why
    message = next_message(outbox)
    assert message == PlaylistChanged(playlist) and message.loaded is None
