"""Draw the demo playlist's pictures (original artwork, no photographs): run to regenerate.

    python assets/demo/make_images.py playlists/ban-gioc/media
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

W, H = 1920, 1080


def gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    for y in range(H):
        t = y / (H - 1)
        draw.line([(0, y), (W, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    return image


def ridge(draw: ImageDraw.ImageDraw, base: int, height: int, color: tuple, seed: int, peaks: int) -> None:
    """A line of karst hills: rounded, steep-sided cones like those around Trùng Khánh."""
    rng = random.Random(seed)
    centres = sorted(rng.uniform(-100, W + 100) for _ in range(peaks))
    points = [(0, H)]
    for x in range(0, W + 8, 8):
        y = base
        for c in centres:
            width = 90 + (int(c * 7919) % 120)
            y = min(y, base - height * math.exp(-((x - c) / width) ** 2))
        points.append((x, int(y)))
    points.append((W, H))
    draw.polygon(points, fill=color)


def waterfall(out: Path) -> None:
    image = gradient((120, 170, 210), (215, 230, 235))
    draw = ImageDraw.Draw(image)
    ridge(draw, 620, 330, (70, 110, 90), 1, 9)
    ridge(draw, 700, 220, (40, 85, 60), 2, 12)
    rng = random.Random(3)
    # Tiers of falling water across a wide rock face.
    for tier, (top, bottom) in enumerate([(560, 700), (690, 820), (810, 900)]):
        draw.rectangle([200, top, 1720, bottom], fill=(60, 75, 65))
        for _ in range(900):
            x = rng.uniform(220 + tier * 40, 1700 - tier * 40)
            length = rng.uniform(40, bottom - top)
            y = rng.uniform(top, bottom - length)
            shade = rng.randint(215, 255)
            draw.line([(x, y), (x + rng.uniform(-3, 3), y + length)],
                      fill=(shade, shade, min(255, shade + 5)), width=rng.randint(2, 5))
    draw.rectangle([0, 890, W, H], fill=(60, 140, 150))
    for _ in range(400):
        x, y = rng.uniform(0, W), rng.uniform(895, H)
        draw.line([(x, y), (x + rng.uniform(20, 90), y)], fill=(200, 230, 235), width=2)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    image.save(out / "ban-gioc-waterfall.jpg", quality=85, optimize=True)


def geopark(out: Path) -> None:
    image = gradient((245, 190, 140), (250, 230, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse([1380, 160, 1560, 340], fill=(255, 240, 200))
    for i, (base, height, color) in enumerate([(520, 300, (150, 140, 160)), (640, 340, (105, 110, 125)),
                                               (780, 300, (70, 90, 80)), (900, 220, (45, 70, 50))]):
        ridge(draw, base, height, color, 10 + i, 10 + 2 * i)
    # Rice terraces in the valley floor.
    for k in range(12):
        y = 920 + k * 14
        draw.arc([-200, y - 60, W + 200, y + 60], 0, 180, fill=(120, 170, 70), width=6)
    image.filter(ImageFilter.GaussianBlur(0.8)).save(out / "geopark.jpg", quality=85, optimize=True)


def border_gate(out: Path) -> None:
    image = gradient((90, 140, 200), (200, 220, 240))
    draw = ImageDraw.Draw(image)
    ridge(draw, 650, 260, (70, 110, 80), 20, 10)
    draw.rectangle([0, 760, W, H], fill=(110, 110, 105))
    # A gate house with a curved roof, drawn simply.
    draw.rectangle([660, 430, 1260, 800], fill=(235, 225, 200))
    draw.polygon([(600, 440), (960, 300), (1320, 440)], fill=(150, 40, 40))
    draw.rectangle([860, 560, 1060, 800], fill=(90, 60, 40))
    for x in (700, 1120):
        draw.rectangle([x, 500, x + 100, 620], fill=(120, 170, 200))
    draw.line([(300, 800), (300, 420)], fill=(80, 80, 80), width=8)
    draw.rectangle([300, 420, 420, 500], fill=(200, 20, 20))
    draw.polygon([(345, 442), (360, 476), (330, 456), (390, 456), (360, 476)], fill=(255, 220, 0))
    image.save(out / "border-gate.jpg", quality=85, optimize=True)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "playlists/ban-gioc/media")
    out.mkdir(parents=True, exist_ok=True)
    waterfall(out)
    geopark(out)
    border_gate(out)


if __name__ == "__main__":
    main()
