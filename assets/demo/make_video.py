"""Encode the demo's short video (original animation, no footage): water falling over the rock
tiers of the demo picture, with the sound of falling water. Run to regenerate:

    python assets/demo/make_video.py playlists/ban-gioc/media
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

W, H, FPS, SECONDS, RATE = 640, 360, 25, 8, 48000


def water_sound(seconds: float) -> np.ndarray:
    """Brown-ish noise, gently swelling: the roar of a waterfall at a distance."""
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 1, int(RATE * seconds))
    smooth = np.convolve(noise, np.ones(24) / 24, mode="same")
    swell = 0.75 + 0.25 * np.sin(np.linspace(0, 2 * np.pi * seconds / 4, smooth.size))
    fade = np.minimum(1, np.minimum(np.arange(smooth.size), smooth.size - np.arange(smooth.size)) / (RATE * 0.5))
    signal = smooth * swell * fade
    return (signal / np.abs(signal).max() * 9000).astype(np.int16)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "playlists/ban-gioc/media")
    background = np.asarray(Image.open(out / "ban-gioc-waterfall.jpg").convert("RGB").resize((W, H)), dtype=np.int16)
    rng = np.random.default_rng(3)
    streaks = [(rng.uniform(60, 580), rng.uniform(0, 1), rng.uniform(0.6, 1.4)) for _ in range(260)]
    tiers = [(int(H * 0.52), int(H * 0.65)), (int(H * 0.64), int(H * 0.76)), (int(H * 0.75), int(H * 0.83))]
    path = out / "ban-gioc-falls.mp4"
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        video = container.add_stream("libx264", rate=FPS, options={"crf": "34", "preset": "slow"})
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        audio = container.add_stream("aac", rate=RATE)
        audio.bit_rate = 48000
        for n in range(FPS * SECONDS):
            frame = background.copy()
            t = n / FPS
            for x, phase, speed in streaks:
                for top, bottom in tiers:
                    y = top + ((phase + t * speed) % 1.0) * (bottom - top)
                    y0, y1 = int(y), min(bottom, int(y) + 14)
                    xi = int(x)
                    frame[y0:y1, xi:xi + 2] = np.minimum(255, frame[y0:y1, xi:xi + 2] + 70)
            picture = av.VideoFrame.from_ndarray(frame.clip(0, 255).astype(np.uint8), format="rgb24")
            container.mux(video.encode(picture))
        sound = water_sound(SECONDS)
        for start in range(0, sound.size, 1024):
            chunk = av.AudioFrame.from_ndarray(sound[start:start + 1024].reshape(1, -1), format="s16", layout="mono")
            chunk.sample_rate = RATE
            chunk.pts = start
            chunk.time_base = Fraction(1, RATE)
            container.mux(audio.encode(chunk))
        container.mux(video.encode())
        container.mux(audio.encode())
    print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
