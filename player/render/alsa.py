"""No `ALSA lib ...` noise in the journal on a box without a sound card.

When SDL opens audio it tries its drivers in turn; its ALSA probe on a machine with no sound card
makes libasound print a dozen `ALSA lib confmisc.c:855:(parse_card) cannot find card '0'` lines
straight to stderr, outside Python's logging, at every start. The player already says "no audio
device" once in words a technician can use, so those lines only bury it.

With no card, ALSA cannot play anything, so SDL is told to try only the sound servers (which
route to cards of their own or to the network) and the probe never runs. Replacing libasound's
error printer instead (`snd_lib_error_set_handler`) cannot be done from Python safely: SDL probes
on its own thread while `pygame.mixer.init` holds the GIL, so a Python handler deadlocks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from pathlib import Path

log = logging.getLogger(__name__)

CARDS = Path("/proc/asound/cards")
SERVERS_ONLY = "pipewire,pulseaudio"  # SDL 2.0.22+ tries a comma-separated list in order


def has_sound_card(cards: Path = CARDS) -> bool:
    """True when the kernel lists at least one ALSA sound card."""
    try:
        text = cards.read_text(errors="replace")
    except OSError:
        return False  # no /proc/asound at all: no ALSA driver, so no card
    return bool(text.strip()) and "no soundcards" not in text


def quiet_alsa(environ: MutableMapping[str, str] | None = None, cards: Path = CARDS) -> bool:
    """Keep SDL away from ALSA when there is no card; True when the driver list was changed.

    The service unit asks for ALSA (`SDL_AUDIODRIVER=alsa`); without a card ALSA cannot play, so
    it is dropped from the list (the sound servers are tried instead). Any other choice, such as
    `dummy` in tests, is left as it is.
    """
    environ = os.environ if environ is None else environ
    chosen = [d.strip() for d in environ.get("SDL_AUDIODRIVER", "").split(",") if d.strip()]
    if (chosen and "alsa" not in chosen) or has_sound_card(cards):
        return False
    drivers = ",".join(d for d in chosen if d != "alsa") or SERVERS_ONLY
    environ["SDL_AUDIODRIVER"] = drivers
    log.info("no sound card (%s lists none): ALSA is not tried, only %s", cards, drivers)
    return True
