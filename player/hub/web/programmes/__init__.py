"""Programme pages: list, import, editor, approval, rollback and staging, keys, emergency.

One module an idea: ``listing`` (the list, create, import, one programme's page), ``previews``
(slides, contact sheet, the week), ``editor``, ``approval`` (approve, roll back, stage), ``signing_keys``,
``emergency``; ``common`` holds what they share and ``refusals`` how a refused signature reads.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from player.hub.approval import ProgrammeDesk
from player.hub.approvers import ApproverKeys
from player.hub.programme_media import connect
from player.hub.programme_sources import FolderMediaSource
from player.hub.programmes import ProgrammeStore
from player.hub.web.programmes import approval, editor, emergency, listing, previews, signing_keys


def install(app: FastAPI) -> None:
    """Mount the programme pages; the desk is built over the hub of ``app.state.hub``."""
    hub = app.state.hub
    engine = hub.store.engine
    keys = ApproverKeys(engine, hub.clock)
    # approvers' keys are accepted on every channel: the upload API and the hub's own releases
    hub.publisher.extra_keys = keys.public_keys
    store = ProgrammeStore(engine, hub.clock)
    service = getattr(app.state, "media", None)
    if service is not None:  # the media library and its preview renderer (docs/hub-media.md)
        app.state.programmes = ProgrammeDesk(
            store, keys, hub.publisher, hub.config, connect(service.library, store),
            service.previews, clock=hub.clock)
    else:
        app.state.programmes = ProgrammeDesk(
            store, keys, hub.publisher, hub.config, FolderMediaSource(Path(hub.root) / "media"),
            clock=hub.clock)

    for module in (listing, previews, editor, approval, signing_keys, emergency):
        app.include_router(module.router)


__all__ = ["install"]
