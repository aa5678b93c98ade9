"""Video playback cost, side by side with FFmpeg and mpv, on a clip this script makes itself.

    python benchmarks/video.py [--seconds 60] [--items 500] [--no-mpv] [--no-x] [--run|--only-run]

1. Encodes a 1080p30 H.264 + AAC clip with the ffmpeg CLI (testsrc2 + a sine).
2. Baseline: `ffmpeg -i clip -f null -` (decoding alone, unpaced): CPU seconds per frame.
3. The player: VideoSlide + AudioOutput in real time at 1920x1080 (under Xvfb with the x11
   driver when Xvfb is there, else the offscreen driver): CPU per frame and late frames.
4. The same clip remuxed with rotation metadata (a portrait phone clip), shown upright.
5. mpv --vo=x11 on the same clip under the same Xvfb, when mpv is installed.
6. RSS over many consecutive short video items (open, decode, draw, close).
7. With --run (or --only-run): `signage-player run` itself, headless and under Xvfb, on the
   1080p clip, a portrait copy and a 720p clip, each side by side with `ffmpeg -f null` and a
   run on a picture alone (start-up and idle taken out), --repeat times: median and range.
Prints every figure and the ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZE = (1920, 1080)


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_clip(path: Path, seconds: float, size: tuple[int, int] = SIZE) -> Path:
    subprocess.run([
        "ffmpeg", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-b:v", "6M",
        "-pix_fmt", "yuv420p", "-g", "60", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
        "-movflags", "+faststart", str(path)], check=True)
    return path


def rotated_copy(path: Path, target: Path, seconds: float, degrees: int = 90) -> Path:
    """The first `seconds` of a clip, remuxed with a display matrix (a phone's portrait clip)."""
    import av

    with av.open(str(path)) as src, av.open(str(target), "w") as dst:
        video = src.streams.video[0]
        out = dst.add_stream_from_template(video)
        out.set_display_rotation(degrees)
        for packet in src.demux(video):
            if packet.dts is None:
                continue
            if packet.pts is not None and packet.pts * video.time_base > seconds:
                break
            packet.stream = out
            dst.mux(packet)
    return target


def frame_count(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.frames or int(float(container.duration / 1e6) * 30)


def ffmpeg_baseline(path: Path, threads: int | None = None) -> float:
    """CPU seconds of `ffmpeg -f null` decoding the whole clip (`threads`: its decoding threads,
    by default as many as FFmpeg chooses)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    count = [] if threads is None else ["-threads", str(threads)]
    subprocess.run(["ffmpeg", "-v", "error", *count, "-i", str(path), "-f", "null", "-"],
                   check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def start_xvfb() -> tuple[subprocess.Popen, str] | None:
    if not shutil.which("Xvfb"):
        return None
    display = ":97"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
    ready = threading.Event()
    for _ in range(100):
        if socket.exists():
            break
        ready.wait(0.05)
    return xvfb, display


def process_cpu(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def play_player(path: Path, use_x: bool) -> dict[str, float]:
    """Play the clip in real time as the render loop would; CPU, frames, late frames."""
    import pygame

    from player.core.config import AudioConfig
    from player.render.audio import AudioOutput
    from player.render.video import VideoSlide

    pygame.display.init()
    flags = pygame.FULLSCREEN if use_x else 0
    screen = pygame.display.set_mode(SIZE, flags)
    pygame.mouse.set_visible(False)
    output = AudioOutput(AudioConfig(volume=1.0)).open()
    slide = VideoSlide("bench", path, SIZE, "contain", (0, 0, 0), audio=output)
    slide.prepare()
    wait = threading.Event()
    cpu0, t0 = cpu_self(), time.monotonic()
    slide.start(t0)
    flips = 0
    while True:
        now = time.monotonic()
        if slide.natural_end(now):
            break
        slide.draw(screen, now)
        pygame.display.flip()
        flips += 1
        pygame.event.pump()
        due = slide.next_change(now) or now + 0.02
        wait.wait(max(0.0, due - time.monotonic()))
    cpu, wall = cpu_self() - cpu0, time.monotonic() - t0
    result = {"cpu": cpu, "wall": wall, "frames": slide.frames, "late": slide.late_frames,
              "flips": flips, "audio": float(output.available),
              "driver": pygame.display.get_driver()}
    slide.close()
    output.close()
    pygame.display.quit()
    return result


def run_player(clip: Path, seconds: float, work: Path, display: str | None,
               size: tuple[int, int] = SIZE) -> dict[str, float]:
    """`signage-player run` as the service runs it, on a playlist of the clip then a picture, for
    `seconds`; and the same run on the picture alone, to take start-up and idle out. Returns the
    CPU seconds of each and the frame counters the player wrote to status.json."""
    from PIL import Image

    folder = work / f"run-{clip.stem}"
    (folder / "media").mkdir(parents=True, exist_ok=True)
    shutil.copy(clip, folder / "media" / clip.name)
    Image.new("RGB", size, (12, 44, 56)).save(folder / "media" / "still.png")
    (folder / "video.yaml").write_text(
        "defaults: {transition: cut}\nitems:\n"
        f"  - {{id: film, video: media/{clip.name}}}\n"
        "  - {id: still, image: media/still.png, duration: 1h}\n"
        "  - {id: again, image: media/still.png, duration: 1h}\n", encoding="utf-8")
    # Two pictures, so that neither run prepares the clip again while the picture shows.
    (folder / "still.yaml").write_text(
        "items:\n  - {id: still, image: media/still.png, duration: 1h}\n"
        "  - {id: again, image: media/still.png, duration: 1h}\n", encoding="utf-8")
    driver = "x11" if display else "offscreen"
    # Config and state outside the playlist's folder, which the player watches for edits.
    state = work / f"state-{clip.stem}"
    config = work / f"player-{clip.stem}.yaml"
    config.write_text(f"state_dir: {state}\ndisplay: {{driver: {driver}}}\n", encoding="utf-8")
    env = dict(os.environ, SDL_FRAMEBUFFER_ACCELERATION="0", SDL_AUDIODRIVER="dummy")
    if display:
        env["DISPLAY"] = display
    result: dict[str, float] = {}
    for name in ("still", "video"):
        command = [sys.executable, "-m", "player", "run", "--config", str(config),
                   "--playlist", str(folder / f"{name}.yaml"), "--exit-after", f"{seconds:.1f}"]
        if not display:
            command += ["--headless", "--size", f"{size[0]}x{size[1]}"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, env=env, cwd=Path(__file__).resolve().parent.parent,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result[name] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        status = json.loads((state / "status.json").read_text(encoding="utf-8"))
        playing = status.get("playing") or status.get("player") or {}
        result[f"{name}_late"] = float(playing.get("late_frames", -1))
    return result


def report_run(label: str, clip: Path, work: Path, display: str | None, repeat: int) -> None:
    """ffmpeg, a picture alone and the clip, `repeat` times side by side: the median ratio and
    its range, so a busy machine shows as a wide range rather than as a wrong figure."""
    frames = frame_count(clip)
    length = frames / 30
    ratios, costs, baselines, single, late = [], [], [], [], 0.0
    for _ in range(repeat):
        ff = ffmpeg_baseline(clip)
        one = ffmpeg_baseline(clip, threads=1)
        run = run_player(clip, length + 4.0, work, display)
        extra = run["video"] - run["still"]
        ratios.append(extra / ff)
        single.append(extra / one)
        costs.append(extra / frames * 1000)
        baselines.append(ff / frames * 1000)
        late = max(late, run["video_late"])
    print(f"run ({label}, {'x11 under Xvfb' if display else 'headless'}, {frames} frames, "
          f"x{repeat}): clip {statistics.median(costs):.2f} ms/frame (start-up and idle taken "
          f"out), ffmpeg -f null {statistics.median(baselines):.2f} ms/frame; ratio median "
          f"{statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}); against "
          f"`ffmpeg -threads 1` (one decoding thread, as the player decodes up to 1080p30) "
          f"{statistics.median(single):.2f} ({min(single):.2f}-{max(single):.2f}); late frames "
          f"(loop) {late:.0f}; load average {os.getloadavg()[0]:.1f}")


def play_mpv(path: Path, display: str) -> dict[str, float] | None:
    if not shutil.which("mpv"):
        return None
    env = dict(os.environ, DISPLAY=display)
    proc = subprocess.Popen(["mpv", "--vo=x11", "--ao=null", "--fs", "--no-config",
                             "--really-quiet", "--hwdec=no", str(path)], env=env)
    import psutil

    handle = psutil.Process(proc.pid)
    last = 0.0
    t0 = time.monotonic()
    while proc.poll() is None:
        try:
            times = handle.cpu_times()
            last = times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            break
        threading.Event().wait(0.2)
    return {"cpu": last, "wall": time.monotonic() - t0}


def rss_over_items(path: Path, items: int) -> tuple[float, float]:
    """RSS (MB) after a warm-up and after `items` consecutive short video slides."""
    import psutil
    import pygame

    from player.render.video import VideoSlide

    pygame.display.init()
    screen = pygame.display.set_mode(SIZE)
    proc = psutil.Process()
    warm = None
    for n in range(items):
        slide = VideoSlide(f"v{n}", path, SIZE, "contain", (0, 0, 0))
        slide.prepare()
        slide.start(0.0)
        media = 0.0
        while not slide.natural_end(media):
            slide._fetch()
            while slide._pending is None and not slide._video_done:
                threading.Event().wait(0.002)
                slide._fetch()
            slide.draw(screen, media)
            media += 1 / 30
        slide.close()
        if n == 19:
            warm = proc.memory_info().rss / 1e6
    end = proc.memory_info().rss / 1e6
    pygame.display.quit()
    return warm or end, end


def run_section(clip: Path, work: Path, args: argparse.Namespace) -> None:
    """The 1080p clip, a rotated copy and a 720p clip through `signage-player run`, headless and
    (when Xvfb is there and --no-x is not given) on an X display at 1920x1080."""
    rotated = rotated_copy(clip, work / "rotated.mp4", args.rotated_seconds or args.seconds)
    small = make_clip(work / "clip720.mp4", args.seconds, (1280, 720))
    clips = [(label, path) for label, path in [
        ("1080p", clip), ("rotated 90, 608x1080 on screen", rotated),
        ("720p scaled to 1080p", small)] if label.split(",")[0].split()[0] in args.clips]
    for label, path in clips:
        report_run(label, path, work, None, args.repeat)
    xvfb = None if args.no_x else start_xvfb()
    if xvfb is None:
        return
    try:
        for label, path in clips:
            report_run(label, path, work, xvfb[1], args.repeat)
    finally:
        xvfb[0].terminate()
        xvfb[0].wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="clip length (default 60)")
    parser.add_argument("--items", type=int, default=500, help="short items for the RSS test")
    parser.add_argument("--rotated-seconds", type=float, default=20.0,
                        help="length of the rotated-clip run (0: skip)")
    parser.add_argument("--no-mpv", action="store_true")
    parser.add_argument("--run", action="store_true",
                        help="also through `signage-player run`: 1080p, rotated and 720p clips")
    parser.add_argument("--only-run", action="store_true", help="only the `run` figures")
    parser.add_argument("--repeat", type=int, default=3, help="side-by-side `run` repeats")
    parser.add_argument("--clips", default="1080p,rotated,720p",
                        help="which `run` clips (comma-separated: 1080p, rotated, 720p)")
    parser.add_argument("--no-x", action="store_true", help="offscreen driver, no Xvfb")
    args = parser.parse_args()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ["SDL_FRAMEBUFFER_ACCELERATION"] = "0"  # no llvmpipe OpenGL under X
    os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    work = Path(tempfile.mkdtemp(prefix="video-bench-"))
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    clip = make_clip(work / "clip.mp4", args.seconds)
    frames = frame_count(clip)
    print(f"clip: 1920x1080 30 fps H.264 6 Mb/s + AAC, {args.seconds:.0f} s, {frames} frames")

    if args.only_run:
        run_section(clip, work, args)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    ff = ffmpeg_baseline(clip)
    print(f"ffmpeg -f null: {ff:.2f} CPU-s, {ff / frames * 1000:.2f} ms/frame")

    xvfb = None if args.no_x else start_xvfb()
    if xvfb is not None:
        os.environ["DISPLAY"] = xvfb[1]
        os.environ["SDL_VIDEODRIVER"] = "x11"
    else:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    try:
        x_before = process_cpu(xvfb[0].pid) if xvfb else 0.0
        player = play_player(clip, xvfb is not None)
        x_player = process_cpu(xvfb[0].pid) - x_before if xvfb else 0.0
        per_frame = player["cpu"] / max(player["frames"] + player["late"], 1)
        print(f"player ({player['driver']}, audio {'on' if player['audio'] else 'off'}): "
              f"{player['cpu']:.2f} CPU-s over {player['wall']:.1f} s = "
              f"{player['cpu'] / player['wall'] * 100:.0f}% of one core; "
              f"{player['frames']} frames shown, {player['late']} late (dropped); "
              f"{per_frame * 1000:.2f} ms/frame")
        print(f"  ratio player / ffmpeg CPU per frame: {per_frame / (ff / frames):.2f} "
              f"(target <= 1.3)")
        if xvfb:
            print(f"  Xvfb meanwhile: {x_player:.2f} CPU-s")
        if args.rotated_seconds > 0:
            rotated = rotated_copy(clip, work / "rotated.mp4", args.rotated_seconds)
            rframes = frame_count(rotated)
            rff = ffmpeg_baseline(rotated)
            rot = play_player(rotated, xvfb is not None)
            rper = rot["cpu"] / max(rot["frames"] + rot["late"], 1)
            print(f"player, the clip with rotation metadata (shown upright, 608x1080): "
                  f"{rper * 1000:.2f} ms/frame, {rot['late']} late; ratio to ffmpeg -f null "
                  f"({rff / rframes * 1000:.2f} ms/frame): {rper / (rff / rframes):.2f}")
        if xvfb and not args.no_mpv:
            x_before = process_cpu(xvfb[0].pid)
            mpv = play_mpv(clip, xvfb[1])
            x_mpv = process_cpu(xvfb[0].pid) - x_before
            if mpv:
                print(f"mpv --vo=x11: {mpv['cpu']:.2f} CPU-s over {mpv['wall']:.1f} s = "
                      f"{mpv['cpu'] / mpv['wall'] * 100:.0f}% of one core; Xvfb meanwhile "
                      f"{x_mpv:.2f} CPU-s")
                print(f"  ratio player / mpv CPU: {player['cpu'] / mpv['cpu']:.2f} (target < 1)")
            else:
                print("mpv: not installed, skipped")
    finally:
        if xvfb:
            xvfb[0].terminate()
            xvfb[0].wait(5)
    os.environ["SDL_VIDEODRIVER"] = "offscreen"
    if args.run:
        run_section(clip, work, args)
    short = make_clip(work / "short.mp4", 0.3)
    warm, end = rss_over_items(short, args.items)
    print(f"RSS over {args.items} short 1080p items: {warm:.1f} MB after 20, {end:.1f} MB at "
          f"the end, growth {end - warm:+.1f} MB (target < 10)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
