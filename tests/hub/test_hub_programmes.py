"""Programmes on the hub: versions and concurrent saves, validation in Vietnamese, approvers'
sealed keys, and approval publishing a release the players' own verifier accepts."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.channel.keys import public_key_text
from player.hub.approval import ApprovalRefused, ProgrammeDesk
from player.hub.approvers import PassphraseError, open_sealed, seal
from player.hub.config import hub_config_from_data
from player.hub.programme_check import check_text, read_upload
from player.hub.programme_form import document_form, dump_yaml, form_document
from player.hub.programme_sources import media_by_path
from player.hub.programme_translations import translation_table
from player.hub.programmes import ProgrammeStore, SaveConflict
from player.hub.programmes_schema import approver_keys
from player.hub.upload import ChannelPublisher, UploadRefused
from player.sync.sources import FolderSource
from player.sync.syncer import Syncer
from tests.hub.accounttools import people_engine
from tests.hub.hubtools import hub_config_data
from tests.hub.programmetools import PASSPHRASE, fast_keys, item, make_media, trilingual_playlist
from tests.sync.kit import sync_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return make_media(tmp_path_factory.mktemp("media"))


class Clock:
    def __init__(self) -> None:
        import time
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def desk(tmp_path, media, hub_database):
    data = hub_config_data(Ed25519PrivateKey.generate())
    if hub_database:
        data["database"] = hub_database
    config = hub_config_from_data(data, "hub.yaml", tmp_path)
    engine = people_engine(tmp_path / "hub.sqlite", hub_database)
    clock = Clock()
    publisher = ChannelPublisher(tmp_path / "hub", config, lambda _c: None, clock)
    keys = fast_keys(engine, clock)
    publisher.extra_keys = keys.public_keys
    yield ProgrammeDesk(ProgrammeStore(engine, clock), keys, publisher, config, media, clock=clock)
    engine.dispose()


def test_saves_make_versions_and_a_concurrent_save_is_refused(desk, media):
    store = desk.store
    programme = store.create("Bản Giốc tháng 12", "hoa")
    text = trilingual_playlist(item(media, "thac-ban-gioc.jpg"))
    first = store.save(programme.id, 1, text, "hoa")
    assert first.number == 2 and store.get(programme.id).name == "Bản Giốc tháng 12"
    with pytest.raises(SaveConflict) as conflict:  # started from version 1 too
        store.save(programme.id, 1, text.replace("Chào mừng", "Xin chào"), "minh")
    assert conflict.value.head == 2 and conflict.value.author == "hoa"
    assert [v.number for v in store.versions(programme.id)] == [2, 1]
    assert store.version(programme.id).yaml == text  # nothing overwritten


def test_two_editors_saving_at_the_same_moment_one_wins(desk, media):
    store = desk.store
    programme = store.create("Cửa khẩu", "hoa")
    results: list = []
    barrier = threading.Barrier(2)

    def save(name: str) -> None:
        barrier.wait()
        try:
            results.append(store.save(programme.id, 1, f"name: {name}\nitems: []\n", name).author)
        except SaveConflict:
            results.append("conflict")

    threads = [threading.Thread(target=save, args=(n,)) for n in ("hoa", "minh")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results).count("conflict") == 1
    assert store.get(programme.id).head == 2 and len(store.versions(programme.id)) == 2


def test_validation_speaks_vietnamese_and_refuses_cn(media):
    text = "name: x\nlanguages: [vi, en, cn]\nitems:\n  - text: {vi: Xin chào}\n"
    problems = check_text(text, media_by_path(media), "vi")
    messages = " | ".join(p.message for p in problems)
    assert '"cn" không phải mã ngôn ngữ' in messages and '"zh"' in messages
    english = " | ".join(p.message for p in check_text(text, media_by_path(media), "en"))
    assert '"cn" is not a language code (did you mean "zh"?)' in english
    missing = check_text("items:\n  - image: anh.jpg\n", media_by_path(media), "vi")[0]
    assert missing.message == 'không có tệp "anh.jpg" (đã tìm trong thư viện ảnh/video của hub)'


@pytest.mark.parametrize(("data", "expected"), [
    (b"name: x\nitems:\n\t- text: {vi: a}\n", "Tab"),
    ("name: x\nitems:\n  - text:\n      vi: Giờ mở cửa: 7:00\n".encode(), "dấu ngoặc kép"),
    ("name: Bản Giốc\nitems: []\n".encode("utf-16"), "UTF-16"),
    (b"name: B\xe0n Gi\xf4\xecc\nitems: []\n", "Windows-1258"),  # as Windows-1258 writes it
])
def test_import_gives_a_vietnamese_message_not_a_parser_error(data, expected):
    from player.core.problems import LoadError

    with pytest.raises(LoadError) as error:
        read_upload(data, "vi")
    text = str(error.value)
    assert expected in text and "playlist.yaml:" in text
    assert "mapping values are not allowed" not in text.split("(")[0]


def through_the_form(text: bytes) -> str:
    """A playlist's text opened in the editor's form and saved back."""
    data = read_upload(text, "en")[1]
    return dump_yaml(form_document(document_form(data)))


def same_playback(path: Path, round_trip=through_the_form) -> None:
    """``path`` opened in the editor and saved back plays the same (items, schedule, overlays,
    interrupts, emergency)."""
    from player.core.playlist_reader import load_playlist

    original = load_playlist(path)
    again = path.with_name(".roundtrip.yaml")
    try:
        again.write_text(round_trip(path.read_bytes()), encoding="utf-8")
        reread = load_playlist(again)
    finally:
        again.unlink(missing_ok=True)
    strip = lambda p: [replace(i, line=0) for i in p.items]  # noqa: E731
    assert strip(reread) == strip(original), path
    assert (reread.name, reread.languages, reread.align, reread.ticker, reread.clock) == (
        original.name, original.languages, original.align, original.ticker, original.clock), path
    same = lambda p: ([(i.at, i.every, i.when, replace(i.item, line=0))  # noqa: E731
                       for i in p.interrupts],
                      [x and replace(x, line=0) for x in (p.emergency, p.fallback)])
    assert same(reread) == same(original), path


def test_every_bundled_playlist_round_trips_through_the_editor():
    playlists = sorted((ROOT / "playlists").rglob("playlist.yaml"))
    assert playlists
    for path in playlists:
        same_playback(path)


def doc_playlists():
    from tests.docs.test_doc_examples import ALL

    return [p for p in ALL if p.values[0] == "playlist"]


@pytest.mark.parametrize(("kind", "text"), doc_playlists())
def test_every_playlist_example_of_the_docs_round_trips_through_the_editor(tmp_path, kind, text):
    from tests.docs.test_doc_examples import provide_media

    provide_media(tmp_path, text)
    (tmp_path / "playlist.yaml").write_text(text, encoding="utf-8")
    same_playback(tmp_path / "playlist.yaml")


def test_translation_table_flags_missing_and_vietnamese_changed_after(desk, media):
    store = desk.store
    programme = store.create("Dịch", "hoa")
    text = trilingual_playlist(item(media, "thac-ban-gioc.jpg"))
    store.save(programme.id, 1, text.replace("      zh: 欢迎来到板约瀑布\n", ""), "hoa")
    v3 = store.save(programme.id, 2, text.replace("Chào mừng", "Kính chào")
                    .replace("      zh: 欢迎来到板约瀑布\n", ""), "hoa")
    langs, rows = translation_table(v3.data, v3.basis)
    cells = {row.field: dict(row.cells) for row in rows}
    assert langs == ["vi", "en", "zh"]
    assert cells["chao-mung.text"]["zh"].state == "missing"
    assert cells["chao-mung.text"]["en"].state == "stale"  # vi changed, en did not
    assert cells["anh-thac.caption"]["en"].state == "ok"
    v4 = store.save(programme.id, 3, v3.yaml.replace("Welcome to", "Greetings at"), "lan")
    assert dict(translation_table(v4.data, v4.basis)[1][0].cells)["en"].state == "ok"


def test_sealed_key_opens_only_with_its_passphrase_and_untampered():
    key = Ed25519PrivateKey.generate()
    from tests.hub.programmetools import FAST_KDF

    sealed = seal(key, PASSPHRASE, "lan", FAST_KDF)
    assert PASSPHRASE not in sealed and "PRIVATE" not in sealed
    opened = open_sealed(sealed, PASSPHRASE, "lan", public_key_text(key))
    assert public_key_text(opened) == public_key_text(key)
    with pytest.raises(PassphraseError, match="wrong_passphrase"):
        open_sealed(sealed, PASSPHRASE + "x", "lan", public_key_text(key))
    data = json.loads(sealed)
    raw = bytearray(__import__("base64").b64decode(data["ciphertext"]))
    raw[5] ^= 1
    data["ciphertext"] = __import__("base64").b64encode(bytes(raw)).decode()
    with pytest.raises(PassphraseError, match="wrong_passphrase"):
        open_sealed(json.dumps(data), PASSPHRASE, "lan", public_key_text(key))
    with pytest.raises(PassphraseError):  # another user's name is part of what is sealed
        open_sealed(sealed, PASSPHRASE, "minh", public_key_text(key))


def test_default_kdf_is_memory_hard():
    from player.hub.approvers import KdfParameters

    assert KdfParameters().memory_kib >= 64 * 1024 and KdfParameters().time_cost >= 2


def test_wrong_passphrases_are_counted_and_then_refused_outright(desk):
    desk.keys.create("lan", PASSPHRASE)
    for _ in range(3):
        with pytest.raises(PassphraseError, match="wrong_passphrase"):
            desk.keys.unlock("lan", "not the passphrase at all")
    assert desk.keys.failures("lan") == 3
    with pytest.raises(PassphraseError) as throttled:  # even the right one must wait now
        desk.keys.unlock("lan", PASSPHRASE)
    assert throttled.value.key == "passphrase_wait" and throttled.value.wait > 0
    desk.clock.now += 901
    assert public_key_text(desk.keys.unlock("lan", PASSPHRASE)) == desk.keys.get("lan").public_key
    with desk.engine.connect() as db:
        stored = db.execute(sa.select(approver_keys.c.sealed)).scalar_one()
    assert PASSPHRASE not in stored


def approved_programme(desk, media, author="hoa"):
    programme = desk.store.create("Bản Giốc tháng 12", author)
    text = trilingual_playlist(item(media, "thac-ban-gioc.jpg"))
    return programme, desk.store.save(programme.id, 1, text, author)


def test_approval_publishes_a_release_the_players_verifier_accepts(desk, media, tmp_path):
    desk.keys.create("lan", PASSPHRASE)
    programme, draft = approved_programme(desk, media)
    version, published, missing = desk.approve(programme.id, draft.number, "lan", PASSPHRASE,
                                               ["ban-gioc"])
    assert [p.version for p in published] == [1] and missing == []
    assert desk.store.version(programme.id).state == "approved"
    channel = tmp_path / "hub" / "channels" / "ban-gioc"
    public = desk.keys.get("lan").public_key
    config = replace(sync_config(Ed25519PrivateKey.generate(), [str(channel)]),
                     public_keys=(public,))  # only the approver's key is pinned
    syncer = Syncer(config, tmp_path / "state", [FolderSource(channel)])
    try:
        result = syncer.run_once()
    finally:
        syncer.close()
    assert result.result == "updated" and result.version == 1, result
    from player.core.playlist_reader import load_playlist
    from player.sync.store import current_release

    release, playlist_path = current_release(tmp_path / "state")
    playlist = load_playlist(playlist_path)
    assert [i.id for i in playlist.items] == ["chao-mung", "anh-thac"]
    photo = (playlist_path.parent / playlist.items[1].source).read_bytes()
    assert photo == (media.folder / "thac-ban-gioc.jpg").read_bytes()
    assert desk.records(programme.id)[0].manifest_version == 1


def test_an_editor_cannot_approve_their_own_draft_unless_hub_yaml_allows(desk, media):
    desk.keys.create("hoa", PASSPHRASE)
    programme, draft = approved_programme(desk, media, author="hoa")
    with pytest.raises(ApprovalRefused, match="own_draft"):
        desk.approve(programme.id, draft.number, "hoa", PASSPHRASE, ["ban-gioc"])
    from dataclasses import replace

    from player.hub.config import ProgrammeSettings
    desk.config = replace(desk.config, programmes=ProgrammeSettings(self_approval=True))
    assert desk.approve(programme.id, draft.number, "hoa", PASSPHRASE, ["ban-gioc"])[1]


def test_missing_language_blocks_approval_unless_overridden(desk, media):
    desk.keys.create("lan", PASSPHRASE)
    programme = desk.store.create("Thiếu tiếng Trung", "hoa")
    text = trilingual_playlist(item(media, "thac-ban-gioc.jpg")).replace(
        "      zh: 欢迎来到板约瀑布\n", "")
    draft = desk.store.save(programme.id, 1, text, "hoa")
    with pytest.raises(ApprovalRefused, match="missing_translations"):
        desk.approve(programme.id, draft.number, "lan", PASSPHRASE, ["ban-gioc"])
    _v, published, missing = desk.approve(programme.id, draft.number, "lan", PASSPHRASE,
                                          ["ban-gioc"], override_missing=True)
    assert missing == ["chao-mung.text: zh"] and published


def test_a_draft_with_errors_or_a_moved_draft_is_not_approved(desk, media):
    desk.keys.create("lan", PASSPHRASE)
    programme = desk.store.create("Lỗi", "hoa")
    bad = desk.store.save(programme.id, 1, "items:\n  - image: media/" + "0" * 64 + ".jpg\n",
                          "hoa")
    with pytest.raises(ApprovalRefused, match="has_errors"):
        desk.approve(programme.id, bad.number, "lan", PASSPHRASE, ["ban-gioc"])
    with pytest.raises(ApprovalRefused, match="draft_moved"):
        desk.approve(programme.id, 1, "lan", PASSPHRASE, ["ban-gioc"])


def test_rollback_signs_a_new_version_with_the_old_content(desk, media):
    desk.keys.create("lan", PASSPHRASE)
    programme, draft = approved_programme(desk, media)
    desk.approve(programme.id, draft.number, "lan", PASSPHRASE, ["ban-gioc"])
    newer = desk.store.save(programme.id, draft.number, draft.yaml.replace("Chào mừng",
                                                                           "Tết vui"), "hoa")
    desk.approve(programme.id, newer.number, "lan", PASSPHRASE, ["ban-gioc"])
    version, published, rollback = desk.publish_version(programme.id, draft.number, "lan",
                                                        PASSPHRASE, ["ban-gioc"])
    assert rollback and version.number == newer.number + 1 and version.yaml == draft.yaml
    assert published[0].version == 3 and version.note == f"rollback:{draft.number}"
    from player.hub.releases import on_air
    assert "Chào mừng" in on_air(desk.publisher, "ban-gioc").playlist


def test_emergency_message_goes_over_the_programme_and_is_lifted(desk, media):
    from player.hub.releases import on_air

    desk.keys.create("lan", PASSPHRASE)
    programme, draft = approved_programme(desk, media)
    desk.approve(programme.id, draft.number, "lan", PASSPHRASE, ["ban-gioc"])
    desk.raise_emergency({"vi": "Lũ lớn: không xuống bến thuyền", "en": "Flood"}, ["ban-gioc"],
                         "lan", PASSPHRASE)
    assert desk.emergencies() == {"ban-gioc": True}
    current = on_air(desk.publisher, "ban-gioc")
    assert current.version == 2 and "Lũ lớn" in current.playlist
    assert {f.path for f in current.files} >= {f"{item(media, 'thac-ban-gioc.jpg').playlist_path}"}
    desk.lift_emergency(["ban-gioc"], "lan", PASSPHRASE)
    assert desk.emergencies() == {"ban-gioc": False}
    assert [r.kind for r in desk.records()] == ["lift", "emergency", "approve"]


class FakeFleet:
    """FleetData's ``fleet()``, from fixed cluster states (a fake of the real interface)."""

    def __init__(self, clusters):
        self.clusters = clusters

    def fleet(self):
        from player.hub.fleet import Fleet

        return Fleet(0.0, tuple(self.clusters), {})


def test_staging_publishes_to_one_channel_first_then_the_others(tmp_path, media):
    from player.hub.fleet import ClusterStatus

    data = hub_config_data(Ed25519PrivateKey.generate())
    data["channels"]["cuakhau"] = dict(data["channels"]["ban-gioc"])
    data["clusters"]["cuakhau-2"]["channel"] = "cuakhau"
    config = hub_config_from_data(data, "hub.yaml", tmp_path)
    engine = people_engine(tmp_path / "hub.sqlite")
    clock = Clock()
    publisher = ChannelPublisher(tmp_path / "hub", config, lambda _c: None, clock)
    keys = fast_keys(engine, clock)
    publisher.extra_keys = keys.public_keys
    desk = ProgrammeDesk(ProgrammeStore(engine, clock), keys, publisher, config, media,
                         clock=clock)
    try:
        keys.create("lan", PASSPHRASE)
        programme, draft = approved_programme(desk, media)
        desk.approve(programme.id, draft.number, "lan", PASSPHRASE, ["ban-gioc"])
        assert (tmp_path / "hub" / "channels" / "ban-gioc" / "manifest.json").exists()
        assert not (tmp_path / "hub" / "channels" / "cuakhau" / "manifest.json").exists()
        version, published, rollback = desk.publish_version(programme.id, draft.number, "lan",
                                                            PASSPHRASE, ["cuakhau"])
        assert not rollback and version.number == draft.number
        assert [(p.channel, p.version) for p in published] == [("cuakhau", 1)]
        fleet = FakeFleet([ClusterStatus("bangioc-1", "Bản Giốc", "ban-gioc", "online", release=1),
                           ClusterStatus("cuakhau-2", "Cửa khẩu", "cuakhau", "online",
                                         release=None),
                           ClusterStatus("silent-3", "Pò Peo", "", "never")])
        shown = {s.cluster: s for s in desk.screens(fleet)}
        assert shown["bangioc-1"].record.version_id == version.id
        assert (shown["bangioc-1"].programme, shown["bangioc-1"].version) == (
            "Bản Giốc tháng 12", draft.number)
        assert shown["cuakhau-2"].record is None and shown["cuakhau-2"].channel == "cuakhau"
        assert desk.clusters_of("cuakhau") == ["cuakhau-2"]
        # one channel refusing (here: a version number it cannot go past) stops no other
        (tmp_path / "hub" / "channels" / "cuakhau" / "manifest.json").unlink()
        (tmp_path / "hub" / "channels" / "cuakhau" / "manifest.json").write_text(
            '{"version": 1000000000000}')
        _v, published, _r = desk.publish_version(programme.id, draft.number, "lan",
                                                 PASSPHRASE, ["cuakhau", "ban-gioc"])
        assert [(p.channel, p.version) for p in published] == [("cuakhau", 0), ("ban-gioc", 2)]
        assert "absurd" in published[0].error
        with pytest.raises(UploadRefused, match="cuakhau"):
            desk.publish_version(programme.id, draft.number, "lan", PASSPHRASE, ["cuakhau"])
    finally:
        engine.dispose()


def test_the_migration_makes_the_tables_the_code_uses(tmp_path, hub_database):
    """0003 written out by hand must match player.hub.programmes_schema, column for column."""
    from player.hub.programmes_schema import (
        approver_keys,
        passphrase_attempts,
        programme_releases,
        programme_stash,
        programme_versions,
        programmes,
    )

    engine = people_engine(tmp_path / "hub.sqlite", hub_database)
    try:
        inspector = sa.inspect(engine)
        for table in (programmes, programme_versions, programme_releases, approver_keys,
                      passphrase_attempts, programme_stash):
            made = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
            assert made == {c.name: c.nullable for c in table.columns}, table.name
    finally:
        engine.dispose()


def test_an_edit_kept_across_an_expired_session_is_given_back_once(desk):
    programme = desk.store.create("Phiên hết hạn", "hoa")
    token = desk.store.stash(programme.id, {"name": "Gõ dở", "item-0-days": ["sat"]})
    assert desk.store.take_stash(programme.id + 1, token) is None  # another programme's page
    assert desk.store.take_stash(programme.id, token) == {"name": "Gõ dở", "item-0-days": ["sat"]}
    assert desk.store.take_stash(programme.id, token) is None
    old = desk.store.stash(programme.id, {"name": "cũ"})
    desk.clock.now += 2 * 86400
    assert desk.store.take_stash(programme.id, old) is None  # kept for a day only
