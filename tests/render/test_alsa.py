"""No `ALSA lib` lines on stderr when a box without a sound card opens audio."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.render.alsa import SERVERS_ONLY, has_sound_card, quiet_alsa

OPEN_AUDIO = """
import logging
logging.basicConfig(level=logging.INFO)
from player.core.config import AudioConfig
from player.render.audio import AudioOutput
output = AudioOutput(AudioConfig()).open(feeder=False)
print("available" if output.available else "silent", output.problem)
output.close()
"""


def test_cards_file_read_as_the_kernel_writes_it(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    assert not has_sound_card(cards)  # no /proc/asound: no ALSA driver loaded
    cards.write_text("--- no soundcards ---\n")
    assert not has_sound_card(cards)
    cards.write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n")
    assert has_sound_card(cards)


def test_without_a_card_sdl_is_kept_to_the_sound_servers(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    assert quiet_alsa(environ, tmp_path / "missing")
    assert environ["SDL_AUDIODRIVER"] == SERVERS_ONLY


def test_the_service_s_alsa_is_dropped_without_a_card(tmp_path: Path) -> None:
    environ = {"SDL_AUDIODRIVER": "alsa"}  # what systemd/signage-player.service sets
    assert quiet_alsa(environ, tmp_path / "missing")
    assert environ == {"SDL_AUDIODRIVER": SERVERS_ONLY}
    environ = {"SDL_AUDIODRIVER": "pulseaudio,alsa"}
    assert quiet_alsa(environ, tmp_path / "missing")
    assert environ == {"SDL_AUDIODRIVER": "pulseaudio"}


def test_another_chosen_driver_or_a_real_card_is_left_alone(tmp_path: Path) -> None:
    environ = {"SDL_AUDIODRIVER": "dummy"}
    assert not quiet_alsa(environ, tmp_path / "missing")
    assert environ == {"SDL_AUDIODRIVER": "dummy"}
    cards = tmp_path / "cards"
    cards.write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n")
    environ = {}
    assert not quiet_alsa(environ, cards)
    assert environ == {}


@pytest.mark.skipif(has_sound_card(), reason="this machine has a sound card")
@pytest.mark.parametrize("driver", [None, "alsa"])
def test_opening_audio_without_a_card_prints_no_alsa_lines(driver: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SDL_AUDIODRIVER"}
    if driver:
        env["SDL_AUDIODRIVER"] = driver  # as the service unit starts the player
    env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    done = subprocess.run([sys.executable, "-c", OPEN_AUDIO], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    assert "ALSA lib" not in done.stderr, done.stderr
    assert done.stdout.startswith("silent no audio device"), done.stdout
    assert "no sound card" in done.stderr and "playing without sound" in done.stderr
