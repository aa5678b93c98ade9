import os
import socket

import pytest

from player.sdnotify import Notifier


@pytest.fixture
def listener(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    sock.settimeout(5)
    yield sock, path
    sock.close()


def test_messages_reach_a_real_datagram_socket(listener):
    sock, path = listener
    notifier = Notifier(path)
    notifier.ready("playing p.yaml\nrelease 7")
    notifier.watchdog()
    notifier.status("release 42, item intro")
    notifier.stopping()
    received = [sock.recv(4096).decode() for _ in range(4)]
    notifier.close()
    assert received == ["READY=1\nSTATUS=playing p.yaml release 7", "WATCHDOG=1",
                        "STATUS=release 42, item intro", "STOPPING=1"]


def test_abstract_namespace_socket():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"signage-player-test-{os.getpid()}"
    sock.bind(b"\0" + name.encode())
    sock.settimeout(5)
    try:
        notifier = Notifier("@" + name)
        notifier.watchdog()
        assert sock.recv(100) == b"WATCHDOG=1"
        notifier.close()
    finally:
        sock.close()


def test_from_environment_and_no_socket_means_no_op(monkeypatch, listener):
    sock, path = listener
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    quiet = Notifier.from_environment()
    assert not quiet.enabled and quiet.send("READY=1") is False
    quiet.ready()
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    loud = Notifier.from_environment()
    loud.ready()
    assert sock.recv(100) == b"READY=1"
    loud.close()


def test_a_vanished_socket_warns_once_and_never_raises(tmp_path, caplog):
    notifier = Notifier(str(tmp_path / "gone"))
    for _ in range(3):
        assert notifier.send("WATCHDOG=1") is False
    assert len([r for r in caplog.records if "cannot notify" in r.message]) == 1
    notifier.close()
