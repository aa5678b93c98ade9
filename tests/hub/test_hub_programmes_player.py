"""End to end: a real headless player long-polling the real hub shows the slide an approver
approved on the hub's pages, then the old programme again after the approver puts it back,
then an emergency message over it until it is lifted."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.hub.config import hub_config_from_data
from player.hub.server import HubServer
from tests.hub.hubtools import CLUSTER_TOKEN, hub_config_data
from tests.hub.programmetools import (
    PASSPHRASE,
    PagesClient,
    emergency,
    headless_player,
    make_media,
    trilingual_playlist,
    wait_until,
)
from tests.hub.webtools import PASSWORD

pytestmark = pytest.mark.timeout(300)


def new_slide_first(text: str) -> str:
    return text.replace("items:\n", "items:\n  - id: tet-2027\n    text: {vi: Chúc mừng năm "
                                    "mới 2027, en: Happy New Year 2027, zh: 新年快乐}\n"
                                    "    duration: 2s\n", 1)


def test_approved_slide_rollback_and_emergency_reach_a_real_player(tmp_path):
    pytest.importorskip("player.app")
    root = tmp_path / "hub"
    files = make_media(tmp_path / "files")
    config = hub_config_from_data(hub_config_data(Ed25519PrivateKey.generate()), "hub.yaml",
                                  tmp_path)
    server = HubServer(("127.0.0.1", 0), root, config)
    server.start()
    try:
        # the photo goes through the hub's media library, prepared by its running job queue
        library = server.app.state.media.library
        added = library.add_file(files.folder / "thac-ban-gioc.jpg", "thác Bản Giốc.jpg", "hoa")
        assert wait_until(lambda: library.get(added.id).ready), library.get(added.id)
        photo = next(m for m in server.app.state.programmes.media.list_ready()
                     if m.id == str(added.id))
        accounts = server.app.state.people.accounts
        accounts.add_user("hoa", PASSWORD, "editor")
        accounts.add_user("lan", PASSWORD, "approver")
        hoa, lan = PagesClient(server.url, "hoa", PASSWORD), PagesClient(server.url, "lan",
                                                                          PASSWORD)
        public = lan.make_key(PASSPHRASE)
        pid = hoa.create("Bản Giốc tháng 12")
        first_text = trilingual_playlist(photo).replace("3s", "2s")
        first = hoa.save_text(pid, first_text)
        assert lan.approve(pid, first, PASSPHRASE).status_code == 303
        with headless_player(tmp_path / "player", server.url, public, CLUSTER_TOKEN) as status:
            seen = wait_until(lambda: status().get("release") == 1 and status().get("item"))
            assert seen in ("chao-mung", "anh-thac"), status()
            second = hoa.save_text(pid, new_slide_first(first_text))
            assert lan.approve(pid, second, PASSPHRASE).status_code == 303
            assert wait_until(lambda: status().get("item") == "tet-2027"), status()
            assert status().get("release") == 2
            # the fleet side: the hub learns from heartbeats which version is on screen
            page = lan.http.get(f"{lan.url}/programmes/{pid}", timeout=30).text
            assert wait_until(lambda: "Bản Giốc tháng 12, bản 3" in lan.http.get(
                f"{lan.url}/programmes/{pid}", timeout=30).text), page

            back = lan.put_back(pid, first, PASSPHRASE)
            assert back.status_code == 303 and "rolled_back=4" in back.headers["location"]
            assert wait_until(lambda: status().get("release") == 3), status()
            items = set()
            wait_until(lambda: items.add(status().get("item")) or len(items) >= 2, 30)
            assert items <= {"chao-mung", "anh-thac"} and items, items

            raised = emergency(lan, PASSPHRASE, ["bangioc-1"], "Lũ lớn: tạm dừng đi thuyền")
            assert raised.status_code == 200
            assert wait_until(lambda: status().get("item") == "emergency"), status()
            assert emergency(lan, PASSPHRASE, ["bangioc-1"], lift=True).status_code == 200
            assert wait_until(lambda: status().get("item") in ("chao-mung", "anh-thac")
                              and status().get("release") == 5), status()
    finally:
        server.stop()
