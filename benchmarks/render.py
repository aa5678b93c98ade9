"""Rendering figures for still content, each beside a baseline run on the same machine.

    python benchmarks/render.py [--seconds 60]

1. Switching: frames between the last frame of one item and the first of the next (target 0
   blank frames) and how late the switch lands after its due time (target under one 60 Hz
   frame, 16.7 ms), over many switches with crossfade and cut.
2. Idle CPU of `signage-player run` on a static picture for --seconds (target < 2% of one core),
   beside an idle Python process as the baseline.
3. Start to first frame: `run` until it sends READY=1 to a real NOTIFY_SOCKET (target < 2 s),
   beside `python -c "import pygame"` as the baseline.
4. Laying out a full-screen bilingual slide at 1920x1080 (target < 100 ms), and a pasted
   40,000-character text item (target: a frame or two, under 66 ms; it used to take 31 s), beside
   one `Font.render` of the welcome's first line. Then the real render loop while such texts
   change every second: its longest step (the loop answers signals and pings the watchdog
   between steps) beside the same loop with a 158-character text. `--layout-only` runs just
   this part.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pygame  # noqa: E402
from PIL import Image  # noqa: E402

DEMO = ROOT / "playlists" / "ban-gioc" / "playlist.yaml"


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_child(command: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    before, start = child_cpu(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, child_cpu() - before


def bench_switching(folder: Path, switches: int = 40) -> None:
    from player.core.config import DisplayConfig
    from player.core.playlist_reader import load_playlist
    from player.render.display import close_display, open_display
    from player.render.loop import Player
    from player.render.text_fonts import FontSet

    for name, color in (("a.jpg", (200, 30, 30)), ("b.jpg", (30, 30, 200))):
        Image.new("RGB", (1920, 1080), color).save(folder / name)
    results = {}
    for transition in ("cut", "crossfade 300ms"):
        path = folder / "switch.yaml"
        path.write_text(f"defaults: {{transition: {transition}, duration: 500ms}}\nitems:\n"
                        "  - {id: a, image: a.jpg}\n  - {id: b, image: b.jpg}\n", encoding="utf-8")
        display = open_display(DisplayConfig(fullscreen=False), headless=True, size=(1920, 1080))
        player = Player(display, FontSet.from_config(), load_playlist(path), fallback_text={"en": "x"},
                        max_fps=60)
        frames: list[tuple[float, str, tuple]] = []
        present = display.present

        def capture() -> None:
            present()
            frames.append((time.monotonic(), player.current.entry.item.id,
                           tuple(display.screen.get_at((960, 540)))[:3]))

        display.present = capture
        lateness = []
        deadline = time.monotonic() + switches * 0.5
        while time.monotonic() < deadline:
            due = player.current.end if player.current else None
            before = player.current.entry.item.id if player.current else None
            player.step()
            if due is not None and player.current.entry.item.id != before:
                lateness.append(time.monotonic() - due)
            time.sleep(player.next_wake(time.monotonic(), time.time()))  # as `run` waits
        player.close()
        close_display()
        blank = sum(1 for _t, _item, rgb in frames if rgb in ((0, 0, 0), (12, 44, 56)))
        results[transition] = (len(lateness), blank, statistics.median(lateness) * 1000,
                               max(lateness) * 1000)
    for transition, (count, blank, median, worst) in results.items():
        print(f"switching ({transition}): {count} switches, {blank} blank frames, "
              f"switch lands {median:.1f} ms after due (median), {worst:.1f} ms worst "
              f"= {worst / 16.7:.2f} x a 60 Hz frame")


def bench_idle_cpu(folder: Path, seconds: float) -> None:
    Image.new("RGB", (1920, 1080), (40, 90, 60)).save(folder / "still.jpg")
    playlist = folder / "still.yaml"
    playlist.write_text("items:\n  - {image: still.jpg, duration: 1h}\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start_cost = timed_child([sys.executable, "-m", "player", "run", "--playlist", str(playlist),
                              "--headless", "--exit-after", "0.1"], env)[1]
    wall, cpu = timed_child([sys.executable, "-m", "player", "run", "--playlist", str(playlist),
                             "--headless", "--exit-after", str(seconds)], env)
    base_wall, base_cpu = timed_child([sys.executable, "-c", f"import time; time.sleep({seconds})"], env)
    steady = max(0.0, cpu - start_cost)
    print(f"static picture, {seconds:.0f} s: run used {cpu:.2f} CPU-s in all, {steady:.3f} CPU-s after "
          f"start-up = {100 * steady / seconds:.2f}% of one core (idle python: {100 * base_cpu / base_wall:.2f}%)")


def bench_first_frame(folder: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times = []
    for _ in range(3):
        path = folder / "notify.sock"
        path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(path))
        sock.settimeout(30)
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "player", "run", "--playlist", str(DEMO),
                                    "--headless", "--exit-after", "20"],
                                   env=dict(env, NOTIFY_SOCKET=str(path)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while b"READY=1" not in sock.recv(4096):
            pass
        times.append(time.perf_counter() - start)
        process.terminate()
        process.wait()
        sock.close()
    base = min(timed_child([sys.executable, "-c", "import pygame"], env)[0] for _ in range(3))
    print(f"start to first frame (demo playlist, READY=1): {min(times):.2f} s best, "
          f"{max(times):.2f} s worst; `import pygame` alone: {base:.2f} s; ratio {min(times) / base:.1f}x")


LONG_PARAGRAPH = ("Thác Bản Giốc nằm trên sông Quây Sơn, xã Đàm Thủy, huyện Trùng Khánh, tỉnh Cao Bằng. "
                  "Quý khách vui lòng giữ gìn vệ sinh chung và không bơi qua biên giới. ")


def long_text(characters: int = 40_000) -> str:
    """The pasted-document case: a text item of `characters` characters."""
    return (LONG_PARAGRAPH * (characters // len(LONG_PARAGRAPH) + 1))[:characters]


def time_slide(item, languages: tuple[str, ...], folder: Path, fonts, runs: int) -> tuple[float, float, float]:
    """(cold median, cold worst, warm median) CPU seconds to build a text slide at 1920x1080
    (CPU, so that other work on a loaded machine does not count): cold with a fresh layout and
    font cache each time, warm when the same layout shows it again."""
    from player.render.slides import SlideContext, text_slide
    from player.render.text import TextLayout
    from player.render.text_fonts import FontSet

    cold, warm = [], []
    for _ in range(runs):
        layout = TextLayout(FontSet(fonts.latin, fonts.cjk))
        ctx = SlideContext((1920, 1080), layout, languages, folder, 0, 80)
        start = time.thread_time()
        text_slide(item, ctx)
        cold.append(time.thread_time() - start)
        start = time.thread_time()
        text_slide(item, ctx)
        warm.append(time.thread_time() - start)
    return statistics.median(cold), max(cold), statistics.median(warm)


def bench_layout(runs: int = 10) -> None:
    from player.core.config import DisplayConfig
    from player.core.playlist import Item
    from player.core.playlist_reader import load_playlist
    from player.render.display import close_display, open_display
    from player.render.text_fonts import FontSet

    open_display(DisplayConfig(fullscreen=False), headless=True, size=(1920, 1080))
    playlist = load_playlist(DEMO)
    item = playlist.item("welcome")
    fonts = FontSet.from_config()
    font = pygame.font.Font(str(fonts.latin.path), 120)
    start = time.thread_time()
    for _ in range(10):
        font.render(item.text["vi"], True, (255, 255, 255))
    base = (time.thread_time() - start) / 10
    demo = time_slide(item, playlist.languages, playlist.folder, fonts, runs)
    long_item = Item(id="long", kind="text", text={"vi": long_text()})
    long = time_slide(long_item, ("vi",), playlist.folder, fonts, max(1, runs // 3))
    close_display()
    load = os.getloadavg()[0]
    for name, (median, worst, warm) in (("trilingual welcome slide", demo),
                                        ("40,000-character text item", long)):
        print(f"layout of the {name} at 1920x1080: {median * 1000:.1f} ms of CPU median, {worst * 1000:.1f} "
              f"ms worst (cold font cache), {warm * 1000:.1f} ms shown again; one Font.render of the "
              f"welcome's first line: {base * 1000:.1f} ms (ratio {median / base:.0f}x); load {load:.2f}")


def longest_steps(folder: Path, text: str, seconds: float) -> tuple[float, float, float, float, int]:
    """The real loop's steps while items with `text` and the ticker alternate every second at
    1920x1080: (longest wall, longest CPU, first step's CPU, median wall) in seconds, and steps
    taken; the longest after the first step, which draws the first slide at once. CPU time is
    the work a step did; wall time also counts waiting for a core the machine gave elsewhere."""
    from player.core.config import DisplayConfig
    from player.core.playlist_reader import load_playlist
    from player.render.display import close_display, open_display
    from player.render.loop import Player
    from player.render.text_fonts import FontSet

    path = folder / "long.yaml"
    path.write_text(f'languages: [vi]\ndefaults: {{duration: 1s}}\nitems:\n  - {{id: a, text: "{text}"}}\n'
                    f'  - {{id: b, text: "{text[::-1]}"}}\noverlays:\n  ticker: {{text: "{text}"}}\n',
                    encoding="utf-8")
    display = open_display(DisplayConfig(fullscreen=False), headless=True, size=(1920, 1080))
    player = Player(display, FontSet.from_config(), load_playlist(path), fallback_text={"vi": "x"})
    steps, cpu = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start, start_cpu = time.perf_counter(), time.thread_time()
        player.step()
        steps.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
        time.sleep(player.next_wake(time.monotonic(), time.time()))
    player.close()
    close_display()
    return max(steps[1:]), max(cpu[1:]), cpu[0], statistics.median(steps), len(steps)


def bench_loop_with_long_text(folder: Path, seconds: float = 10.0) -> None:
    normal = LONG_PARAGRAPH.strip()
    base = longest_steps(folder, normal, seconds)
    long = longest_steps(folder, long_text().replace('"', "'"), seconds)
    for name, (worst, worst_cpu, first, median, count) in (("a 158-character text", base),
                                                           ("40,000-character texts", long)):
        print(f"render loop with {name} changing every second and the same as ticker: first step "
              f"{first * 1000:.1f} ms of CPU; longest after it {worst * 1000:.1f} ms "
              f"({worst_cpu * 1000:.1f} ms of CPU), median {median * 1000:.2f} ms over {count} steps")
    print(f"longest step with 40,000 characters / with 158: {long[0] / base[0]:.1f}x wall, "
          f"{long[1] / base[1]:.1f}x CPU; load {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle CPU measurement length")
    parser.add_argument("--layout-only", action="store_true", help="only the text layout figures")
    parser.add_argument("--runs", type=int, default=10, help="layouts timed per slide")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {os.uname().machine}, pygame-ce {pygame.version.ver}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_layout(args.runs)
        bench_loop_with_long_text(folder)
        if args.layout_only:
            return
        bench_switching(folder)
        bench_first_frame(folder)
        bench_idle_cpu(folder, args.seconds)


if __name__ == "__main__":
    main()
