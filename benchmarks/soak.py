"""Accelerated soak: thousands of item switches through the real render loop, offscreen.

    python benchmarks/soak.py [--switches 3000]

Pictures, text (stacked and alternating, with Chinese), short videos of several sizes (360p to
1080p), rotations (0, 90, 180) and codecs (H.264, VP9), some with sound, and the ticker, with
crossfades and cuts, on a loop clock that runs as fast as the machine allows. RSS, open
files and threads are sampled each time the same text item comes round; the figure to read is the
growth of the median RSS from the first window of switches to the last (target: under 10 MB, and
no growth in open files or threads). The first 100 switches warm the caches and are left out.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
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
from player.core.playlist_reader import load_playlist  # noqa: E402
from player.render.display import close_display, open_display  # noqa: E402
from player.render.heap import limit_arenas  # noqa: E402
from player.render.loop import Player  # noqa: E402
from player.render.mediaslides import MediaFactory  # noqa: E402
from player.render.text_fonts import FontSet  # noqa: E402

PLAYLIST = """languages: [vi, en, zh]
defaults: {duration: 200ms, transition: {type: crossfade, duration: 60ms}}
items:
  - {id: photo, image: media/photo.jpg, fit: cover, caption: {vi: Thác Bản Giốc, en: Ban Gioc Falls}}
  - {id: film, video: media/clip.mp4, duration: 300ms}
  - {id: welcome, text: {vi: Chào mừng quý khách, en: Welcome, zh: 欢迎}, transition: cut}
  - {id: portrait, video: media/portrait.mp4, duration: 300ms}
  - {id: wide, video: media/wide.mp4, duration: 300ms, fit: cover}
  - {id: safety, text: {vi: Xin đi đúng lối, en: Please stay on the paths, zh: 请走指定通道}, layout: alternate}
  - {id: webm, video: media/small.webm, duration: 300ms}
  - {id: flipped, video: media/flipped.mkv, duration: 300ms, transition: cut}
overlays:
  ticker: {text: {vi: Chúc quý khách vui vẻ, en: Have a good visit}}
"""

# name: (size, codec, display rotation, with sound): several sizes, rotations and codecs, so
# every switch may need a filter graph of another shape.
CLIPS = {
    "clip.mp4": ((640, 360), "libx264", 0, True),
    "portrait.mp4": ((1280, 720), "libx264", 90, False),
    "wide.mp4": ((1920, 1080), "libx264", 0, True),
    "small.webm": ((320, 180), "libvpx-vp9", 0, False),
    "flipped.mkv": ((854, 480), "libx264", 180, True),
}


def make_clip(path: Path, size: tuple[int, int], codec: str, rotation: int, sound: bool) -> None:
    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=30)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"deadline": "realtime", "cpu-used": "8"} if codec == "libvpx-vp9" \
            else {"preset": "ultrafast"}
        if rotation:
            video.set_display_rotation(rotation)
        audio = out.add_stream("libopus" if path.suffix == ".webm" else "aac", rate=48000) \
            if sound else None
        for i in range(15):
            picture = np.full((height, width, 3), (i * 16) % 256, np.uint8)
            out.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(video.encode())
        if audio is not None:
            tone = (np.sin(np.arange(24000) * 0.06) * 6000).astype(np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            frame.sample_rate = 48000
            out.mux(audio.encode(frame))
            out.mux(audio.encode())


def make_media(folder: Path) -> None:
    (folder / "media").mkdir()
    Image.effect_noise((1600, 900), 40).convert("RGB").save(folder / "media" / "photo.jpg")
    for name, (size, codec, rotation, sound) in CLIPS.items():
        make_clip(folder / "media" / name, size, codec, rotation, sound)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _mallinfo2():  # noqa: ANN202 - a ctypes function, or None
    try:
        function = ctypes.CDLL("libc.so.6").mallinfo2  # glibc 2.33 and later
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    return function


_MALLINFO2 = _mallinfo2()


def c_heap() -> tuple[float, float]:
    """MB the C heap hands out (glibc's mallinfo2: allocated chunks plus mmapped blocks) and MB
    it holds free, so that RSS growth can be told apart: memory still in use, or free memory
    not given back (fragmentation)."""
    if _MALLINFO2 is None:
        return float("nan"), float("nan")
    info = _MALLINFO2()
    return (info.uordblks + info.hblkhd) / 1e6, info.fordblks / 1e6


def sample(process: psutil.Process) -> tuple[float, int, int, float, float, int]:
    return (process.memory_info().rss / 1e6, len(os.listdir("/proc/self/fd")),
            threading.active_count(), *c_heap(), sys.getallocatedblocks())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=3000)
    parser.add_argument("--window", type=int, default=1000, help="switches per printed line")
    args = parser.parse_args()
    limit_arenas()  # as `signage-player run` does
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
                    # Always at the same item (a text after a cut: the video before it is
                    # closed, the next one is decoding ahead), so samples compare like with like.
                    if switches >= 100 and player.current.entry.item.id == "welcome":
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
    windows = summarise(samples, args.window)
    for end, rss, files, threads, heap, free, blocks in windows:
        print(f"  up to {end:6d} switches: RSS median {rss:7.1f} MB, open files at most {files:3d}, "
              f"threads at most {threads}; C heap in use {heap:5.1f} MB, free {free:5.1f} MB; "
              f"Python blocks {blocks}")
    first, last = windows[0], windows[-1]
    print(f"growth from the first window to the last: RSS {last[1] - first[1]:+.1f} MB, "
          f"open files {last[2] - first[2]:+d}, threads {last[3] - first[3]:+d} (target: RSS < 10 MB, "
          f"files and threads +0)")


def summarise(samples: list[tuple], window: int) -> list[tuple]:
    """Per window of `window` switches: the median RSS (one sample's RSS depends on which
    frames happen to be queued), the most open files and threads seen, and the medians of the
    C heap in use and free and of Python's memory blocks."""
    out = []
    for start in range(100, samples[-1][0] + 1, window):
        group = [s for s in samples if start <= s[0] < start + window]
        if group:
            out.append((start + window, statistics.median(s[1] for s in group),
                        max(s[2] for s in group), max(s[3] for s in group),
                        statistics.median(s[4] for s in group),
                        statistics.median(s[5] for s in group),
                        int(statistics.median(s[6] for s in group))))
    return out


if __name__ == "__main__":
    main()
