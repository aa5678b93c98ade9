"""Accelerated soak: thousands of item switches through the real render loop, offscreen.

    python benchmarks/soak.py [--switches 3000]

Pictures, text (stacked and alternating, with Chinese), a short video with sound and the ticker,
with crossfades and cuts, on a loop clock that runs as fast as the machine allows. RSS, open
files and threads are sampled as it goes; the figures to read are the growth between the first
and the last sample (target: no growth beyond noise). The baseline is the same process's RSS
right after the first 100 switches, when every cache is warm.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import wait
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
from PIL import Image  # noqa: E402

from player.core.config import Config, DisplayConfig  # noqa: E402
from player.core.playlist import load_playlist  # noqa: E402
from player.render.display import close_display, open_display  # noqa: E402
from player.render.loop import Player  # noqa: E402
from player.render.mediaslides import MediaFactory  # noqa: E402
from player.render.text import FontSet  # noqa: E402

PLAYLIST = """languages: [vi, en, zh]
defaults: {duration: 200ms, transition: {type: crossfade, duration: 60ms}}
items:
  - {id: photo, image: media/photo.jpg, fit: cover, caption: {vi: Thác Bản Giốc, en: Ban Gioc Falls}}
  - {id: welcome, text: {vi: Chào mừng quý khách, en: Welcome, zh: 欢迎}, transition: cut}
  - {id: film, video: media/clip.mp4, duration: 300ms}
  - {id: safety, text: {vi: Xin đi đúng lối, en: Please stay on the paths, zh: 请走指定通道}, layout: alternate}
overlays:
  ticker: {text: {vi: Chúc quý khách vui vẻ, en: Have a good visit}}
"""


def make_media(folder: Path) -> None:
    (folder / "media").mkdir()
    Image.effect_noise((1600, 900), 40).convert("RGB").save(folder / "media" / "photo.jpg")
    with av.open(str(folder / "media" / "clip.mp4"), "w") as out:
        video = out.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        for i in range(15):
            picture = np.full((360, 640, 3), (i * 16) % 256, np.uint8)
            out.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        tone = (np.sin(np.arange(24000) * 0.06) * 6000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
        frame.sample_rate = 48000
        out.mux(audio.encode(frame))
        out.mux(video.encode())
        out.mux(audio.encode())


def sample(process: psutil.Process) -> tuple[float, int, int]:
    return process.memory_info().rss / 1e6, len(os.listdir("/proc/self/fd")), threading.active_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=3000)
    args = parser.parse_args()
    process = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_media(folder)
        (folder / "playlist.yaml").write_text(PLAYLIST, encoding="utf-8")
        display = open_display(DisplayConfig(fullscreen=False), headless=True, size=(1280, 720))
        clock = {"t": 1000.0}
        player = Player(display, FontSet.from_config(), load_playlist(folder / "playlist.yaml"),
                        fallback_text={"en": "x"}, media=MediaFactory(Config()), max_fps=30,
                        mono=lambda: clock["t"], wall=lambda: 1_780_000_000 + clock["t"])
        samples = []
        switches = 0
        last_item = None
        started = time.perf_counter()
        cpu0 = process.cpu_times()
        try:
            while switches < args.switches:
                player.step()
                if player.upcoming is not None and getattr(player.upcoming[1], "future", None):
                    wait([player.upcoming[1].future], timeout=10)
                current = player.current.entry.key
                if current != last_item:
                    switches += 1
                    last_item = current
                    if switches == 100 or switches % 500 == 0:
                        samples.append((switches, *sample(process)))
                clock["t"] += 1 / 30
                time.sleep(0.002)  # lets the decoder threads keep up with the hurried clock
        finally:
            player.close()
            close_display()
        elapsed = time.perf_counter() - started
        cpu = process.cpu_times()
    print(f"machine: {os.cpu_count()} cores; {args.switches} switches in {elapsed:.0f} s "
          f"({(cpu.user + cpu.system - cpu0.user - cpu0.system) / elapsed * 100:.0f}% CPU)")
    for switches, rss, files, threads in samples:
        print(f"  after {switches:5d} switches: RSS {rss:7.1f} MB, open files {files:3d}, threads {threads}")
    first, last = samples[0], samples[-1]
    print(f"growth from switch {first[0]} to {last[0]}: RSS {last[1] - first[1]:+.1f} MB, "
          f"open files {last[2] - first[2]:+d}, threads {last[3] - first[3]:+d}")


if __name__ == "__main__":
    main()
