"""Where a picture goes on a screen: fit modes as pure rectangle arithmetic."""

from __future__ import annotations


def fit_rect(src: tuple[int, int], box: tuple[int, int], fit: str) -> tuple[int, int, int, int]:
    """(x, y, w, h) of a `src`-sized picture scaled into `box`; may exceed the box for cover."""
    sw, sh = max(1, src[0]), max(1, src[1])
    bw, bh = box
    if fit == "stretch":
        return 0, 0, bw, bh
    scale = max(bw / sw, bh / sh) if fit == "cover" else min(bw / sw, bh / sh)
    w, h = max(1, round(sw * scale)), max(1, round(sh * scale))
    return (bw - w) // 2, (bh - h) // 2, w, h


def logical_size(screen: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The canvas the content is laid out on: a portrait canvas on a 90/270-rotated screen."""
    return (screen[1], screen[0]) if rotation in (90, 270) else screen
