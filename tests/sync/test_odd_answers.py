"""Odd answers from the network or the channel that must cost one pass, never the sync thread."""

import queue
import socket
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.sync.worker import SyncWorker
from tests.sync.kit import device_config, make_syncer, publish_files, sync_config


def captive_portal() -> tuple[str, socket.socket, threading.Thread]:
    """A server that answers everything with a redirect to an address that cannot be parsed."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            with client:
                client.recv(65536)
                client.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/", server, thread


def test_unparseable_redirect_fails_the_pass_and_the_worker_goes_on(tmp_path):
    url, server, serving = captive_portal()
    key = Ed25519PrivateKey.generate()
    events = []
    worker = SyncWorker(device_config(tmp_path, sync_config(key, [url], interval=1.0)), queue.Queue(),
                        on_event=lambda *event: events.append(event))
    try:
        worker.start()
        deadline = time.monotonic() + 60  # a condition, not a duration: generous for a slow machine
        while worker.passes_done < 2 and time.monotonic() < deadline:  # one failed, and one more
            time.sleep(0.05)
        assert worker.passes_done >= 2 and worker.is_alive()
        assert events and events[0][1] == "sync_failed" and "worker stopped" not in events[0][2]
    finally:
        worker.stop()
        worker.join(5)
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        serving.join(5)


def test_release_with_an_empty_file_installs(tmp_path):
    key = Ed25519PrivateKey.generate()
    out = tmp_path / "channel"
    publish_files(tmp_path / "src", out, key, {"media/a.jpg": b"jpeg", "media/empty.txt": b""})
    events = []
    syncer = make_syncer(tmp_path / "state", key, out, events)
    syncer.prepare()
    result = syncer.run_once()
    assert result.result == "updated", (result, events)
    assert (result.release.content / "media" / "empty.txt").read_bytes() == b""


def test_a_cache_answering_not_modified_to_everything_is_a_failed_pass(tmp_path):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from player.sync.fetch import FetchError
    from player.sync.sources import HttpSource

    class AlwaysNotModified(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(304)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), AlwaysNotModified)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    source = HttpSource(f"http://127.0.0.1:{server.server_address[1]}/channels/x/", timeout=5)
    try:
        try:
            source.fetch_manifest(etag=None)
            raised = None
        except FetchError as exc:
            raised = str(exc)
        assert raised and "304 to an unconditional request" in raised
        assert source.fetch_manifest(etag='"abc"').raw is None  # to a conditional one, 304 is fine
    finally:
        source.close()
        server.shutdown()
        server.server_close()
        thread.join(5)
