"""How a refused signature or publication is told and logged (approval, staging, emergency)."""

from __future__ import annotations

import logging

from fastapi import Request

from player.hub.accounts import Session
from player.hub.approval import ApprovalRefused
from player.hub.approvers import PassphraseError
from player.hub.programme_pages import ProgrammePage
from player.hub.upload import UploadRefused
from player.hub.web.programmes.common import audit

log = logging.getLogger(__name__)


def refusal(page: ProgrammePage, exc: Exception) -> tuple[int, str]:
    if isinstance(exc, PassphraseError):
        status = 429 if exc.key == "passphrase_wait" else 403
        return status, page.error(exc.key, {"wait": int(exc.wait) + 1})
    if isinstance(exc, ApprovalRefused):
        return 409, page.error(exc.key, exc.values)
    if isinstance(exc, UploadRefused):
        return 422, page.error("publish", {"message": exc.message})
    raise exc


def outcome(published: list) -> tuple[dict[str, int], dict[str, str]]:
    """(channel -> version published, channel -> why it refused)."""
    return ({p.channel: p.version for p in published if not p.error},
            {p.channel: p.error for p in published if p.error})


def refusal_text(refused: dict[str, str]) -> str:
    return "; ".join(f"{channel}: {why}" for channel, why in refused.items())[:500]


def signing_refused(request: Request, session: Session, action: str, target: str,
                    exc: Exception) -> None:
    key = getattr(exc, "key", type(exc).__name__)
    audit(request, session, f"{action}.refused", target, {"reason": key})
