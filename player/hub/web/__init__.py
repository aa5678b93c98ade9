"""The hub's pages for people: login, the fleet, users and the audit log (FastAPI routers).

``install(app, people)`` mounts them on the hub's application; ``people`` carries the accounts,
the audit log, the fleet's data and the settings the routers share.
"""

from __future__ import annotations

from fastapi import FastAPI

from player.hub.web.context import People, PeopleSettings, open_people, settings_from_config
from player.hub.web.security import install_handlers


def install(app: FastAPI, people: People) -> None:
    """Mount the people's routers and their error handlers on ``app``."""
    from player.hub.web import admin, auth, fleet, media
    from player.hub.web import foresight as foresight_pages

    app.state.people = people
    install_handlers(app)
    app.include_router(auth.router)
    app.include_router(fleet.router)
    app.include_router(admin.router)
    media.install(app)  # the media library, its jobs and previews (docs/hub-media.md)
    __import__("player.hub.web.programmes", fromlist=["install"]).install(app)
    app.include_router(__import__("player.hub.web.remote", fromlist=["router"]).router)
    app.include_router(foresight_pages.router)  # maintenance log, availability reports


__all__ = ["install", "People", "PeopleSettings", "open_people", "settings_from_config"]
