"""Decoding pictures safely: EXIF orientation, huge files, broken files.

Pillow decodes (JPEG draft mode makes an 8000x6000 photo cost a fraction of a full decode) and
scales to the exact size the screen needs; the result is raw RGB bytes that the main thread
turns into a pygame Surface in a blink. Decoding can run in a worker thread: it never touches
pygame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from player.media.geometry import fit_rect

MAX_PIXELS = 120_000_000  # a 12000x10000 picture; past that the file is refused, not decoded
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageError(Exception):
    """A picture that cannot be shown; the message names the file and the reason."""


@dataclass(frozen=True)
class Decoded:
    data: bytes
    size: tuple[int, int]
    position: tuple[int, int]  # where to blit it inside the box (may be negative for cover)


def decode_fitted(path: Path, box: tuple[int, int], fit: str) -> Decoded:
    """Open, orient and scale a picture for a `box`-sized area; raises ImageError."""
    try:
        with Image.open(path) as opened:
            image: Image.Image = opened
            oriented_size = _oriented_size(image)
            x, y, w, h = fit_rect(oriented_size, box, fit)
            if image.format == "JPEG":
                # draft() works in the file's own orientation: ask for the pre-rotation size.
                swap = oriented_size != image.size
                image.draft("RGB", (h, w) if swap else (w, h))
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            if image.size != (w, h):
                image = image.resize((w, h), Image.Resampling.LANCZOS if w * h < 4_000_000
                                     else Image.Resampling.BILINEAR)
            if fit == "cover":
                # Crop to the box so the blit never touches pixels off screen.
                left, top = max(0, -x), max(0, -y)
                image = image.crop((left, top, left + min(w, box[0]), top + min(h, box[1])))
                x, y = max(0, x), max(0, y)
            return Decoded(image.tobytes(), image.size, (x, y))
    except FileNotFoundError:
        raise ImageError(f"{path}: file not found") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not a picture Pillow can read (JPEG, PNG, WebP, ...)") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{path}: larger than {MAX_PIXELS} pixels") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{path}: broken or truncated picture ({exc})") from None
    except Exception as exc:  # a decoder or EXIF parser failing its own way: the cause is kept
        raise ImageError(f"{path}: cannot be decoded ({type(exc).__name__}: {exc})") from exc


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    orientation = image.getexif().get(0x0112, 1)
    w, h = image.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def verify_image(path: Path) -> str | None:
    """Why this file is not a usable picture, or None. Reads headers and checks the data."""
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                return f"larger than {MAX_PIXELS} pixels"
            image.verify()
        with Image.open(path) as image:
            image.draft("RGB", (64, 64))
            image.load()  # verify() does not decode; a truncated JPEG only fails here
    except UnidentifiedImageError:
        return "not a picture (expected JPEG, PNG, WebP, GIF or BMP)"
    except Image.DecompressionBombError:
        return f"larger than {MAX_PIXELS} pixels"
    except (OSError, ValueError, SyntaxError) as exc:
        return f"broken or truncated picture ({exc})"
    return None
