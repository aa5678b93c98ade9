"""What the media pages share: the library, its job queue and the preview renderer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from player.hub.jobs import JobQueue
from player.hub.media import MediaLibrary
from player.hub.preview import PreviewRenderer


@dataclass
class MediaService:
    """What the media pages share: the library, its job queue, the preview renderer."""

    library: MediaLibrary
    jobs: JobQueue
    previews: PreviewRenderer
    root: Path
    running: bool = False

    def start(self) -> None:
        if not self.running:
            self.jobs.start()
            self.running = True

    def stop(self) -> None:
        if self.running:
            self.jobs.stop()
            self.running = False


def media_service(request: Request) -> MediaService:
    return request.app.state.media


__all__ = ["MediaService", "media_service"]
