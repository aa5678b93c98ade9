"""A/V offset on a clip with a white flash and a beep at the same known times.

    python benchmarks/avsync.py [--seconds 300] [--latency 0]

Plays the clip in real time through VideoSlide and the real mixer (SDL's `dummy` audio driver
unless SDL_AUDIODRIVER says otherwise; it consumes samples at its own pace, like a sound card
whose clock is not the CPU's) on the offscreen video driver. For every flash it takes the time
the flash frame was flipped, and the time the beep's first sample reached the mixer, from the
chunks handed out (when each chunk started, as the feeder saw it, the beep's place between that
and the next chunk's start, plus SDL's mixing buffer).
With `--latency MS` the sink is taken to delay the sound by that much (`audio.latency`): the
sound is heard that much later, and the pictures should be held back with it.
Offset = picture time - sound time (positive: the picture is late). Prints the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def mixed_at(chunks: list[tuple[float, float, float]], media: float) -> float | None:
    """When the sample at media time `media` went to the mixer: between the starts of its chunk
    and the next, as the feeder saw them (the card's own speed, not 48 kHz by the CPU's clock)."""
    for (pts, secs, start), after in zip(chunks, [*chunks[1:], None]):
        if pts <= media < pts + secs:
            if after is not None and abs(after[0] - (pts + secs)) < 0.001:
                return start + (media - pts) / secs * (after[2] - start)
            return start + (media - pts)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="clip length (default 300)")
    parser.add_argument("--latency", type=int, default=0,
                        help="audio.latency in ms: the sink is taken to delay sound this much")
    args = parser.parse_args()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ["SDL_VIDEODRIVER"] = "offscreen"
    os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"

    import pygame

    from player.core.config import AudioConfig
    from player.render.audio import MIXER_BUFFER, RATE, AudioOutput
    from player.render.video import VideoSlide
    from tests.render.clips import make_clip

    times = [k + 0.5 for k in range(int(args.seconds))]
    work = Path(tempfile.mkdtemp(prefix="avsync-"))
    clip = make_clip(work / "flash.mp4", args.seconds, size=(320, 192), flashes=times, beeps=times)
    print(f"clip: {args.seconds:.0f} s, 320x192 30 fps H.264 + AAC, flash + beep every second")

    pygame.display.init()
    screen = pygame.display.set_mode((640, 384))
    output = AudioOutput(AudioConfig(volume=1.0, latency=args.latency / 1000)).open()
    if not output.available:
        print(f"no audio: {output.problem}")
        return 1
    chunks: list[tuple[float, float, float]] = []
    output.on_chunk = lambda pts, secs, start: chunks.append((pts, secs, start))
    slide = VideoSlide("sync", clip, (640, 384), "contain", (0, 0, 0), audio=output)
    slide.prepare()
    slide._stream.wait_ready(10)
    wait = threading.Event()
    shown: dict[float, float] = {}
    last = None
    slide.start(time.monotonic())
    while True:
        now = time.monotonic()
        if slide.natural_end(now):
            break
        slide.draw(screen, now)
        pygame.display.flip()
        flipped = time.monotonic()
        current = slide._current
        if current is not last and current is not None:
            last = current
            near = round(current.pts - 0.5) + 0.5
            if abs(current.pts - near) < 0.5 / 30 and near not in shown:
                shown[near] = flipped
        due = slide.next_change(now) or now + 0.02
        wait.wait(max(0.0, due - time.monotonic()))
    late = slide.late_frames
    slide.close()
    output.close()
    pygame.display.quit()

    # What is heard: the mixer's buffer, then the sink's own delay (audio.latency).
    latency = MIXER_BUFFER / RATE + args.latency / 1000
    offsets = []
    for beep, seen in sorted(shown.items()):
        heard = mixed_at(chunks, beep)
        if heard is not None:
            offsets.append((beep, seen - (heard + latency)))
    if not offsets:
        print("no flash matched to a beep")
        return 1
    values = [o for _, o in offsets]
    minute = [o for b, o in offsets if b < 60]
    last_minute = [o for b, o in offsets if b >= args.seconds - 60]
    print(f"flashes matched: {len(offsets)} of {len(times)}; late frames: {late}; "
          f"audio underruns: {output.underruns}")
    print(f"offset picture - sound: mean {statistics.mean(values) * 1000:+.1f} ms, "
          f"max |offset| {max(abs(v) for v in values) * 1000:.1f} ms, "
          f"stdev {statistics.pstdev(values) * 1000:.1f} ms (target: under 40 ms)")
    print(f"first minute mean {statistics.mean(minute) * 1000:+.1f} ms, last minute mean "
          f"{statistics.mean(last_minute) * 1000:+.1f} ms (drift)")
    print(f"frame period: {1000 / 30:.1f} ms; mixer buffer assumed: "
          f"{MIXER_BUFFER / RATE * 1000:.1f} ms; audio.latency {args.latency} ms")
    worst = sorted(offsets, key=lambda bo: -abs(bo[1]))[:5]
    print("worst: " + ", ".join(f"{b:.1f} s: {o * 1000:+.1f} ms" for b, o in worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
