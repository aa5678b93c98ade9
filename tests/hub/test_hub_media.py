"""The media library: uploads through the hub's real app, prepared by the real job queue with
Pillow and FFmpeg, checked by decoding what comes out."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from player.hub.database import make_engine, migrate
from player.hub.jobs import JobQueue
from player.hub.media import MediaLibrary
from player.hub.media_settings import MediaSettings
from tests.hub.fleetdata import config_data
from tests.hub.hubtools import public_key_text
from tests.hub.mediatools import camera_jpeg, is_marked_upright, middle_frame, phone_clip
from tests.hub.webtools import UvicornThread, csrf_token, log_in, make_web_hub

ROOT = Path(__file__).resolve().parents[2]
SCREEN = (960, 540)  # small, so that every test file is scaled down and quick to prepare
MEDIA = {"max_image_bytes": "1MB", "max_video_bytes": "30MB", "screen": "960x540"}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("media")
    data = {**config_data(public_key_text(Ed25519PrivateKey.generate())), "media": MEDIA}
    hub = make_web_hub(tmp, data)
    hub.people.accounts.add_user("lan", "thác-Bản-Giốc-2026", "editor")
    hub.people.accounts.add_user("xem", "thác-Bản-Giốc-2026", "viewer")
    try:
        yield hub
    finally:
        hub.close()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {"phone": phone_clip(folder / "IMG_0042.mov")}


@pytest.fixture
def editor(web):
    client = web.client()
    assert log_in(client, "lan").status_code == 303
    return client


def upload(client, name: str, data: bytes, **headers):
    token = csrf_token(client.get("/media").text)
    return client.post("/media", data={"csrf_token": token},
                       files={"file": (name, data, "application/octet-stream")}, headers=headers)


def prepare_all(web) -> None:
    jobs = web.app.state.media.jobs
    while jobs.run_one():
        pass


def test_a_camera_photo_comes_out_upright_scaled_and_named_as_uploaded(web, editor):
    original = camera_jpeg((1500, 2000))  # sideways on disk, EXIF orientation 6
    name = "Thác Bản Giốc – mùa thu 2026.jpg"
    answer = upload(editor, name, original)
    assert answer.status_code == 303, answer.text
    assert "uploaded=" in answer.headers["location"]
    library = web.app.state.media.library
    item = library.list_all()[0]
    assert (item.name, item.kind, item.state, item.uploaded_by) == (name, "image", "preparing",
                                                                    "lan")
    prepare_all(web)
    item = library.get(item.id)
    assert item.state == "ready", item.error
    # the interface the programme editor uses
    assert [i.id for i in library.list_ready()][:1] == [item.id]
    prepared = library.prepared_path(item.id)
    assert prepared.name == f"{item.sha256}.jpg"
    assert item.playlist_path == f"media/{item.sha256}.jpg"
    assert hashlib.sha256(prepared.read_bytes()).hexdigest() == item.sha256
    with Image.open(prepared) as image:
        assert image.format == "JPEG"
        assert image.size == (540, 720) == (item.width, item.height)  # fits a portrait 540x960
        assert image.getexif().get(0x0112) is None  # upright pixels, no orientation left to apply
        assert is_marked_upright(image)
    kept = library.original_path(item)
    assert kept.read_bytes() == original
    assert library.thumbnail_path(item.id).exists()
    # the name round-trips: the page, the JSON, the audit log
    page = editor.get("/media")
    assert name in page.text and "Sẵn sàng" in page.text
    assert "application/json" in editor.get("/api/v1/media").headers["content-type"]
    assert [m["name"] for m in editor.get("/api/v1/media").json()["media"]][0] == name
    entry = web.people.audit.recent(5, action="media.upload")[0]
    assert entry.user_name == "lan" and entry.detail["name"] == name


def test_a_rotated_variable_rate_phone_video_comes_out_h264_aac_upright_at_screen_size(
        web, editor, clips):
    answer = upload(editor, "Lễ hội – điện thoại.mov", clips["phone"].read_bytes(),
                    Accept="application/json")
    assert answer.status_code == 201, answer.text
    media_id = answer.json()["id"]
    prepare_all(web)
    library = web.app.state.media.library
    item = library.get(media_id)
    assert item.state == "ready", item.error
    assert item.progress == 1.0
    prepared = library.prepared_path(media_id)
    assert prepared.suffix == ".mp4" and item.playlist_path.endswith(".mp4")
    data = prepared.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: playable while it arrives
    with av.open(str(prepared)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (540, 960)
        frames = list(container.decode(video))
        assert all(f.rotation == 0 for f in frames)  # turned upright, no matrix left
        steps = {round(float(b.pts - a.pts) * float(video.time_base), 4)
                 for a, b in zip(frames, frames[1:], strict=False)}
        assert len(steps) == 1, steps  # constant frame rate
    assert is_marked_upright(middle_frame(prepared))
    assert (item.width, item.height) == (540, 960)
    assert 1.5 < item.duration < 2.5


def test_bad_files_are_refused_at_upload_in_plain_words(web, editor, clips, tmp_path):
    cut_short = clips["phone"].read_bytes()
    cut_short = cut_short[: len(cut_short) * 6 // 10]
    plain = tmp_path / "plain.mp4"
    no_index = phone_clip(plain, rotate=0, faststart=False).read_bytes()
    huge = io.BytesIO()
    Image.new("1", (20000, 10000)).save(huge, "PNG")  # 200 megapixels, a few kB
    cases = [
        ("ghi chú.jpg", "Xin chào, đây là văn bản\n".encode() * 10, "là tệp văn bản"),
        ("video bị cắt.mov", cut_short, "chưa đầy đủ: dừng ở giây"),
        ("không có chỉ mục.mp4", no_index[: len(no_index) // 2], "không phải ảnh hay video"),
        ("ảnh khổng lồ.png", huge.getvalue(), "200 megapixel"),
        ("rỗng.jpg", b"", "là tệp rỗng"),
    ]
    library = web.app.state.media.library
    before = len(library.list_all())
    for name, data, words in cases:
        answer = upload(editor, name, data)
        assert answer.status_code == 422, (name, answer.status_code)
        assert words in answer.text and name in answer.text, name
        english = upload(editor, name, data, Accept="application/json")
        assert english.status_code == 422
    assert len(library.list_all()) == before
    assert not list((library.folder / "incoming").iterdir())
    english = editor.post("/media?lang=en", data={"csrf_token": csrf_token(
        editor.get("/media").text)}, files={"file": ("notes.jpg", b"hello\n", "image/jpeg")})
    assert "is a text file, not a picture or a video" in english.text


def test_uploads_need_an_editor_and_the_form_token_before_any_byte_is_stored(web, editor):
    library = web.app.state.media.library
    before = len(library.list_all())
    forged = editor.post("/media", data={"csrf_token": "not-the-token"},
                         files={"file": ("x.jpg", camera_jpeg((60, 80)), "image/jpeg")})
    assert forged.status_code == 403
    viewer = web.client()
    log_in(viewer, "xem")
    token = csrf_token(viewer.get("/media").text)
    assert "upload-form" not in viewer.get("/media").text
    refused = viewer.post("/media", data={"csrf_token": token},
                          files={"file": ("x.jpg", camera_jpeg((60, 80)), "image/jpeg")})
    assert refused.status_code == 403
    nobody = web.client().post("/media", files={"file": ("x.jpg", b"x", "image/jpeg")})
    assert nobody.status_code == 303 and "/login" in nobody.headers["location"]
    assert len(library.list_all()) == before
    assert not list((library.folder / "incoming").iterdir())


def test_delete_is_refused_while_a_programme_uses_the_file(web, editor):
    assert upload(editor, "xóa tôi.jpg", camera_jpeg((60, 80))).status_code == 303
    prepare_all(web)
    library = web.app.state.media.library
    item = library.list_all()[0]
    def tet(i):
        return 'chương trình "Tết 2027"' if i.id == item.id else None

    library.media_in_use.append(tet)
    try:
        token = csrf_token(editor.get("/media").text)
        refused = editor.post(f"/media/{item.id}/delete", data={"csrf_token": token})
        assert refused.status_code == 409 and "Tết 2027" in refused.text
        assert library.get(item.id) is not None
    finally:
        library.media_in_use.remove(tet)
    prepared = library.prepared_path(item.id)
    done = editor.post(f"/media/{item.id}/delete", data={"csrf_token": token})
    assert done.status_code == 303
    assert library.get(item.id) is None and not prepared.exists()
    assert web.people.audit.recent(1, action="media.delete")[0].detail["name"] == "xóa tôi.jpg"


def test_a_too_large_upload_is_refused_without_being_read(web, tmp_path):
    """Over every limit: answered from the headers. A picture over the picture limit: cut off
    as it passes the limit, so the hub reads and stores little more than the limit."""
    library = web.app.state.media.library
    client = web.client()
    log_in(client, "lan")
    token = csrf_token(client.get("/media").text)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    with UvicornThread(web.app) as server:
        head = (f"POST /media HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nCookie: {cookie}\r\n"
                "Content-Type: multipart/form-data; boundary=XyZ\r\nAccept: application/json\r\n")
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall((head + f"Content-Length: {4 * 1024**3}\r\n\r\n").encode())
            answer = _read_answer(sock)
        assert answer.startswith(b"HTTP/1.1 413") and "quá lớn".encode() in answer
        prefix = (f'--XyZ\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                  '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="to.jpg"\r\n'
                  "Content-Type: image/jpeg\r\n\r\n").encode()
        total = 25 * 1000**2  # within the 30 MB video limit, far over the 1 MB picture limit
        sent = 0
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall((head + f"Content-Length: {len(prefix) + total}\r\n\r\n").encode()
                         + prefix)
            chunk = b"\xff" * 65536
            try:
                while sent < total:
                    sent += sock.send(chunk[: total - sent])
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # the hub stopped reading: what a browser sees as the upload failing
            answer = _read_answer(sock)
    assert sent < total // 2, sent
    assert not answer or answer.startswith(b"HTTP/1.1 413")
    assert not list((library.folder / "incoming").iterdir())
    assert not any(i.name == "to.jpg" for i in library.list_all())


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


SLOW_FFMPEG = """#!/bin/sh
echo $$ > "{pidfile}"
exec sleep 120
"""

CHILD = """
import sys
from pathlib import Path
from player.hub.database import make_engine
from player.hub.jobs import JobQueue
from player.hub.media import MediaLibrary
from player.hub.media_settings import MediaSettings
engine = make_engine(sys.argv[1])
library = MediaLibrary(engine, Path(sys.argv[2]), MediaSettings(ffmpeg=sys.argv[3]))
JobQueue(library).run_one()
"""


@pytest.mark.timeout(300)
def test_a_hub_killed_mid_job_leaves_no_job_running_and_the_next_start_finishes_it(
        tmp_path, hub_database, clips):
    """The hub process dies (SIGKILL) while FFmpeg works; the next start queues the job again
    and prepares the file. A clean stop puts its job back in the queue too."""
    root = tmp_path / "hub"
    url = hub_database and hub_database.replace("postgresql://", "postgresql+psycopg://") \
        or f"sqlite:///{root / 'hub.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    settings = MediaSettings(screen=SCREEN)
    library = MediaLibrary(engine, root, settings)
    item = library.add_file(clips["phone"], "Chợ phiên.mov", "lan")
    pidfile = tmp_path / "ffmpeg.pid"
    slow = tmp_path / "slow-ffmpeg"
    slow.write_text(SLOW_FFMPEG.format(pidfile=pidfile))
    slow.chmod(0o755)
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(root), str(slow)], cwd=ROOT)
    try:
        _wait_for(pidfile.exists, 120)
        assert _job_states(engine) == ["running"]
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        if pidfile.exists() and pidfile.read_text().strip().isdigit():
            _kill_quietly(int(pidfile.read_text()))
    # the next start: nothing stays "running", and the file gets prepared
    queue = JobQueue(MediaLibrary(engine, root, settings))
    assert queue.recover() == 1
    assert _job_states(engine) == ["queued"]
    queue.start()
    try:
        assert queue.wait_idle(180)
    finally:
        queue.stop()
    done = library.get(item.id)
    assert done.state == "ready", done.error
    assert _job_states(engine) == ["done"]
    # a clean stop in the middle of a job puts it back in the queue
    again = library.add_file(clips["phone"], "lần hai.mov", "lan")
    stopping = JobQueue(MediaLibrary(engine, root, MediaSettings(ffmpeg=str(slow))))
    pidfile.unlink()
    stopping.start()
    try:
        _wait_for(pidfile.exists, 120)
    finally:
        stopping.stop()
    assert library.get(again.id).state == "preparing"
    assert _job_states(engine)[-1] == "queued"
    engine.dispose()


def _job_states(engine) -> list[str]:
    import sqlalchemy as sa

    from player.hub.media_schema import media_jobs

    with engine.connect() as db:
        return [row.state for row in db.execute(sa.select(media_jobs).order_by(media_jobs.c.id))]


def _wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_media_settings_are_read_from_hub_yaml_with_clear_errors(tmp_path):
    from player.core.problems import LoadError
    from player.hub.config import hub_config_from_data
    from player.hub.media_settings import MediaSettings

    config = hub_config_from_data({"media": {"max_video_bytes": "1GiB", "screen": "1080x1920"}},
                                  "hub.yaml", tmp_path)
    assert config.media.max_video_bytes == 1024**3 and config.media.screen == (1080, 1920)
    assert hub_config_from_data({}, "hub.yaml", tmp_path).media == MediaSettings()
    with pytest.raises(LoadError) as raised:
        hub_config_from_data({"media": {"max_image_byte": "1MB"}}, "hub.yaml", tmp_path)
    assert "media.max_image_byte" in json.dumps([str(p) for p in raised.value.problems])


def test_without_ffmpeg_a_video_fails_with_the_reason_and_pictures_still_work(tmp_path, clips):
    root = tmp_path / "hub"
    engine = make_engine(f"sqlite:///{root / 'hub.sqlite'}")
    migrate(engine)
    library = MediaLibrary(engine, root, MediaSettings(ffmpeg=str(tmp_path / "no-ffmpeg"),
                                                       screen=SCREEN))
    video = library.add_file(clips["phone"], "Lễ hội.mov", "lan")
    photo_path = tmp_path / "ảnh.jpg"
    photo_path.write_bytes(camera_jpeg((300, 400)))
    photo = library.add_file(photo_path, "ảnh.jpg", "lan")
    queue = JobQueue(library)
    while queue.run_one():
        pass
    failed = library.get(video.id)
    assert failed.state == "failed" and "FFmpeg" in failed.error and "not installed" in failed.error
    assert library.original_path(failed).exists()  # the original is kept
    assert failed.error_code == "no_ffmpeg"
    assert library.get(photo.id).state == "ready"
    with pytest.raises(KeyError):
        library.prepared_path(video.id)
    engine.dispose()


def _script(path: Path, body: str) -> list[str]:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return [str(path)]


def test_ffmpeg_progress_failure_and_timeout_are_reported(tmp_path):
    from player.hub.media_inspect import MediaRefused
    from player.hub.prepare import FfmpegRun

    heard: list[float] = []
    progress = _script(tmp_path / "progress", "printf 'frame=1\\nout_time_us=2500000\\n"
                       "progress=continue\\nout_time_us=-5\\nout_time_us=10000000\\n"
                       "progress=end\\n'\n")
    FfmpegRun(progress, 10.0, 60, heard.append).run()
    assert heard == [0.25, 0.0, 1.0, 1.0]
    failing = _script(tmp_path / "failing", "echo 'in.mov: Invalid data found when processing "
                                            "input' >&2\nexit 1\n")
    with pytest.raises(MediaRefused) as failed:
        FfmpegRun(failing, 10.0, 60).run()
    assert failed.value.code == "ffmpeg_failed" and "Invalid data found" in str(failed.value)
    pidfile = tmp_path / "pid"
    stuck = _script(tmp_path / "stuck", f'echo $$ > "{pidfile}"\nexec sleep 120\n')
    with pytest.raises(MediaRefused) as slow:
        FfmpegRun(stuck, 10.0, 0.5).run()
    assert slow.value.code == "timeout"
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left running


def test_a_failed_preparation_is_shown_in_the_pages_language(web, editor, clips):
    from dataclasses import replace

    library = web.app.state.media.library
    kept = library.settings
    library.settings = replace(kept, ffmpeg="/nonexistent/ffmpeg")
    try:
        assert upload(editor, "Không chuyển được.mov", clips["phone"].read_bytes()).status_code \
            == 303
        prepare_all(web)
    finally:
        library.settings = kept
    assert "Máy chủ hub chưa cài FFmpeg" in editor.get("/media").text
    assert "FFmpeg is not installed on the hub: tell the technician" in editor.get(
        "/media?lang=en").text
    failed = [m for m in editor.get("/api/v1/media").json()["media"] if m["state"] == "failed"]
    assert failed and failed[0]["name"] == "Không chuyển được.mov"


@pytest.mark.timeout(300)
def test_a_4k_hevc_phone_clip_comes_out_h264_at_screen_size(web, editor, tmp_path):
    clip = phone_clip(tmp_path / "IMG_4K.MOV", size=(3840, 2160), seconds=0.5, codec="libx265")
    with av.open(str(clip)) as container:
        assert container.streams.video[0].codec_context.name == "hevc"
    answer = upload(editor, "Thác 4K.MOV", clip.read_bytes(), Accept="application/json")
    assert answer.status_code == 201, answer.text
    prepare_all(web)
    library = web.app.state.media.library
    item = library.get(answer.json()["id"])
    assert item.state == "ready", item.error
    with av.open(str(library.prepared_path(item.id))) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == (540, 960)
    assert is_marked_upright(middle_frame(library.prepared_path(item.id)))


def test_two_hub_processes_share_the_queue_and_each_job_runs_once(tmp_path, hub_database):
    """Several hub processes on one database: a claim is one conditional UPDATE."""
    import sqlalchemy as sa

    from player.hub.media_schema import media_jobs

    root = tmp_path / "hub"
    url = hub_database and hub_database.replace("postgresql://", "postgresql+psycopg://") \
        or f"sqlite:///{root / 'hub.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    settings = MediaSettings(screen=SCREEN)
    library = MediaLibrary(engine, root, settings)
    for number in range(6):
        photo = tmp_path / f"ảnh {number}.jpg"
        photo.write_bytes(camera_jpeg((300 + number, 400)))
        library.add_file(photo, photo.name, "lan")
    queues = [JobQueue(MediaLibrary(engine, root, settings)) for _ in range(2)]
    # two processes on this machine: the other one's name is a live process's (our parent)
    queues[1].owner = f"{socket.gethostname()}:{os.getppid()}"
    for queue in queues:
        queue.start()
    try:
        assert queues[0].wait_idle(120)
    finally:
        for queue in queues:
            queue.stop()
    assert all(item.state == "ready" for item in library.list_all())
    with engine.connect() as db:
        attempts = [row.attempts for row in db.execute(sa.select(media_jobs))]
    assert attempts == [1] * 6
    engine.dispose()


def test_a_form_with_two_files_is_refused_and_stores_nothing(web, editor):
    library = web.app.state.media.library
    before = len(library.list_all())
    token = csrf_token(editor.get("/media").text)
    answer = editor.post("/media", data={"csrf_token": token}, files=[
        ("file", ("một.jpg", camera_jpeg((60, 80)), "image/jpeg")),
        ("file", ("hai.jpg", camera_jpeg((60, 80)), "image/jpeg"))])
    assert answer.status_code == 422 and "Biểu mẫu tải lên không hợp lệ" in answer.text
    assert len(library.list_all()) == before
    assert not list((library.folder / "incoming").iterdir())


def test_the_served_hub_runs_the_job_queue_from_start_to_stop(hub):
    """The real server (uvicorn with its lifespan): jobs run while it serves, and stop with it."""
    service = hub.server.app.state.media
    assert service.running and [t.is_alive() for t in service.jobs.threads] == [True]
    photo = hub.root / "ảnh thử.jpg"
    photo.write_bytes(camera_jpeg((300, 400)))
    item = service.library.add_file(photo, photo.name, "lan")
    assert service.jobs.wait_idle(120)
    assert service.library.get(item.id).state == "ready"
    threads = list(service.jobs.threads)
    hub.server.stop()
    assert not service.running and not any(t.is_alive() for t in threads)
