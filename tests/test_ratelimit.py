"""A status file that cannot be written is warned about once, then held back like any repeat."""

from __future__ import annotations

import logging
from pathlib import Path

from player.health.status import StatusFile
from player.ratelimit import RateLimitFilter


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_failing_status_write_is_one_warning_however_often_it_is_retried(tmp_path: Path) -> None:
    (tmp_path / "status.json").mkdir()  # the rename onto it fails, naming a new temp file each time
    status = StatusFile(tmp_path / "status.json")
    clock = [0.0]
    handler = ListHandler()
    handler.addFilter(RateLimitFilter(interval=300, monotonic=lambda: clock[0]))
    log = logging.getLogger("test.ratelimit.status")
    log.addHandler(handler)
    log.propagate = False
    problems = set()
    try:
        for sample in range(20):
            try:
                status.update({"summary": {"sample": sample}})
            except OSError as exc:
                problems.add(str(exc))
                log.warning("cannot write the status files: %s", exc)
            clock[0] += 10
        clock[0] = 400.0
        try:
            status.update({})
        except OSError as exc:
            log.warning("cannot write the status files: %s", exc)
    finally:
        log.removeHandler(handler)
    assert len(problems) == 20  # each attempt failed on a temp file of another name
    assert len(handler.lines) == 2, handler.lines
    assert handler.lines[0].startswith("cannot write the status files: [Errno 21]")
    assert handler.lines[1].endswith("[repeated 19 more times in the last 400 s]")


def test_different_files_are_still_different_warnings() -> None:
    handler = ListHandler()
    handler.addFilter(RateLimitFilter(interval=300, monotonic=lambda: 0.0))
    log = logging.getLogger("test.ratelimit.files")
    log.addHandler(handler)
    log.propagate = False
    try:
        for name in ("media/a.mp4", "media/b.mp4", "media/a.mp4", "media/photo.jpeg"):
            log.warning("cannot decode %s", name)
    finally:
        log.removeHandler(handler)
    assert handler.lines == ["cannot decode media/a.mp4", "cannot decode media/b.mp4",
                             "cannot decode media/photo.jpeg"]
