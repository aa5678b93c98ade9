"""The queue of jobs that prepare uploads for the screens, durable in the hub's database.

Each upload gets a ``media_jobs`` row (``queued``). Worker threads in the hub process
(``jobs_at_once``, default 1: a box has 2 cores and the web pages need one) claim the oldest
queued job, prepare the file (``player.hub.prepare``: Pillow in the thread, FFmpeg as a niced
subprocess with a timeout) and record progress on the media row for the library page.

A job is never left ``running`` by a process that is gone: a clean stop puts the job back in
the queue, and at start the jobs of dead processes on this host are queued again (or marked
failed after ``MAX_ATTEMPTS``, so a file that kills the hub does not do it forever). Several
hub processes on one PostgreSQL share the queue; a claim is one conditional UPDATE.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from player.hub.media import MediaItem, MediaLibrary, pid_alive
from player.hub.media_inspect import Inspected, MediaRefused
from player.hub.media_schema import media, media_jobs
from player.hub.prepare import (
    JobStopped,
    ffmpeg_program,
    make_thumbnail,
    prepare_image,
    prepare_video,
)
from player.storage.durable import sha256_file

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
POLL_SECONDS = 5.0  # other hub processes' uploads are noticed this often
PROGRESS_EVERY = 1.0  # seconds between progress writes


class JobQueue:
    """Runs the library's preparation jobs; ``start()`` then ``stop()`` (joins its threads)."""

    def __init__(self, library: MediaLibrary, clock: Callable[[], float] = time.time):
        self.library = library
        self.engine = library.engine
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.stopped = threading.Event()
        self.wakeup = threading.Event()
        self.threads: list[threading.Thread] = []
        library.wake = self.wake

    def start(self) -> None:
        if ffmpeg_program(self.library.settings) is None:
            log.warning('media: FFmpeg ("%s") is not installed: pictures are prepared, videos '
                        "fail until it is (apt-get install ffmpeg)", self.library.settings.ffmpeg)
        self.recover()
        self.library.clean_incoming()
        self.stopped.clear()
        for number in range(self.library.settings.jobs_at_once):
            thread = threading.Thread(target=self._run, name=f"media-job-{number}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopped.set()
        self.wakeup.set()
        for thread in self.threads:
            thread.join(30)
            if thread.is_alive():
                log.warning("%s did not stop within 30 s", thread.name)
        self.threads = []

    def wake(self) -> None:
        self.wakeup.set()

    def recover(self) -> int:
        """Queue again (or fail) the jobs left ``running`` by processes that are gone."""
        host = self.owner.split(":", 1)[0]
        changed = 0
        with self.engine.begin() as db:
            rows = db.execute(sa.select(media_jobs).where(media_jobs.c.state == "running")).all()
            for row in rows:
                if not self._orphaned(row.owner or "", host):
                    continue
                changed += 1
                if row.attempts >= MAX_ATTEMPTS:
                    reason = (f"the hub stopped {row.attempts} times while preparing this file")
                    db.execute(media_jobs.update().where(media_jobs.c.id == row.id).values(
                        state="failed", error=reason, finished=self.clock(), owner=""))
                    db.execute(media.update().where(media.c.id == row.media_id).values(
                        state="failed", error=reason, error_code="crashed"))
                else:
                    db.execute(media_jobs.update().where(media_jobs.c.id == row.id).values(
                        state="queued", owner=""))
                    db.execute(media.update().where(media.c.id == row.media_id).values(
                        progress=0.0))
        if changed:
            log.warning("media jobs: %d job(s) left running by a stopped hub were queued again "
                        "or failed", changed)
        return changed

    def _orphaned(self, owner: str, host: str) -> bool:
        """Whether a running job's process is gone: our own name is a process before this one
        (the same pid after a restart); another live process on this host is still working;
        another machine's hub recovers its own jobs."""
        if owner == self.owner:
            return True
        owner_host, _, pid = owner.rpartition(":")
        if owner_host and owner_host != host:
            return False
        return not (pid.isdigit() and pid_alive(int(pid)))

    # -- the worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                worked = self.run_one()
            except Exception:  # a bug in one job must not end the queue
                log.exception("media job failed unexpectedly")
                worked = True
            if not worked:
                self.wakeup.wait(POLL_SECONDS)
                self.wakeup.clear()

    def claim(self) -> tuple[int, int] | None:
        """Take the oldest queued job: (job id, media id), or None."""
        with self.engine.begin() as db:
            rows = db.execute(sa.select(media_jobs.c.id, media_jobs.c.media_id).where(
                media_jobs.c.state == "queued").order_by(media_jobs.c.id).limit(5)).all()
            for job_id, media_id in rows:
                taken = db.execute(media_jobs.update().where(
                    media_jobs.c.id == job_id, media_jobs.c.state == "queued").values(
                    state="running", owner=self.owner, started=self.clock(),
                    attempts=media_jobs.c.attempts + 1)).rowcount
                if taken:
                    return job_id, media_id
        return None

    def run_one(self) -> bool:
        """Run one queued job to its end; False when there was none."""
        claimed = self.claim()
        if claimed is None:
            return False
        job_id, media_id = claimed
        item = self.library.get(media_id)
        if item is None:
            self._finish(job_id, "done", "")
            return True
        started = time.monotonic()
        try:
            self._prepare(item)
        except JobStopped:
            with self.engine.begin() as db:
                db.execute(media_jobs.update().where(media_jobs.c.id == job_id).values(
                    state="queued", owner="", attempts=media_jobs.c.attempts - 1))
            log.info("media %s: preparation stopped with the hub; it resumes at the next start",
                     media_id)
            return True
        except MediaRefused as exc:
            log.warning("media %s (%s): %s", media_id, item.name, exc)
            self._fail(job_id, media_id, str(exc), exc.code)
            return True
        except Exception as exc:
            log.exception("media %s (%s): preparation failed", media_id, item.name)
            self._fail(job_id, media_id, f"{type(exc).__name__}: {exc}")
            return True
        self._finish(job_id, "done", "")
        log.info("media %s (%s): ready in %.1f s", media_id, item.name,
                 time.monotonic() - started)
        return True

    def _prepare(self, item: MediaItem) -> None:
        source = self.library.original_path(item)
        folder = self.library.folder / "prepared"
        scratch = folder / f".job-{item.id}-{os.getpid()}"
        settings = self.library.settings
        if item.kind == "image":
            prepared = prepare_image(source, scratch, settings)
        else:
            info = Inspected("video", item.original_ext, item.width, item.height, item.duration,
                             True, _frame_rate(source))
            prepared = prepare_video(source, scratch, info, settings,
                                     self._progress_writer(item.id), self.stopped)
        try:
            sha256 = sha256_file(prepared.path)[0]
            final = folder / f"{sha256}{prepared.ext}"
            os.replace(prepared.path, final)
            thumb = self.library.thumbnail_path(item.id)
            make_thumbnail(final, thumb, item.kind)
        finally:
            prepared.path.unlink(missing_ok=True)
        with self.engine.begin() as db:
            db.execute(media.update().where(media.c.id == item.id).values(
                state="ready", progress=1.0, sha256=sha256, ext=prepared.ext,
                size=final.stat().st_size, width=prepared.width, height=prepared.height,
                duration=prepared.duration if item.kind == "video" else None, error=""))

    def _progress_writer(self, media_id: int) -> Callable[[float], None]:
        last = [0.0]

        def write(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY and fraction < 1.0:
                return
            last[0] = now
            with self.engine.begin() as db:
                db.execute(media.update().where(media.c.id == media_id).values(
                    progress=round(fraction, 4)))

        return write

    def _fail(self, job_id: int, media_id: int, reason: str, code: str = "") -> None:
        self._finish(job_id, "failed", reason)
        with self.engine.begin() as db:
            db.execute(media.update().where(media.c.id == media_id).values(
                state="failed", error=reason[:1000], error_code=code))

    def _finish(self, job_id: int, state: str, error: str) -> None:
        with self.engine.begin() as db:
            db.execute(media_jobs.update().where(media_jobs.c.id == job_id).values(
                state=state, error=error[:1000], finished=self.clock(), owner=""))

    def wait_idle(self, timeout: float) -> bool:
        """True once no job is queued or running (for tests and the benchmark)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.engine.connect() as db:
                busy = db.execute(sa.select(sa.func.count()).select_from(media_jobs).where(
                    media_jobs.c.state.in_(("queued", "running")))).scalar()
            if not busy:
                return True
            time.sleep(0.1)
        return False


def _frame_rate(path: Path) -> float | None:
    import av

    with av.open(str(path), metadata_errors="ignore") as container:
        rate = container.streams.video[0].average_rate
        return float(rate) if rate else None


__all__ = ["JobQueue", "MAX_ATTEMPTS"]
