import unicodedata

import pygame
import pytest
from render_kit import close_display, offscreen

from player.fonts import cjk_font
from player.render.text import TextLayout
from player.render.text_fit import Block
from player.render.text_fonts import FontSet, split_runs
from player.render.text_wrap import tokens

needs_cjk = pytest.mark.skipif(cjk_font() is None, reason="no CJK font (apt install fonts-noto-cjk)")


@pytest.fixture(scope="module")
def layout():
    offscreen()
    yield TextLayout(FontSet.from_config())
    close_display()


def ink_box(surface: pygame.Surface) -> pygame.Rect:
    return surface.get_bounding_rect(min_alpha=40)


def test_runs_and_tokens():
    assert split_runs("Thác Bản Giốc 板约瀑布!") == [("latin", "Thác Bản Giốc "), ("cjk", "板约瀑布!")]
    assert tokens("Xin chào quý khách") == ["Xin ", "chào ", "quý ", "khách"]
    assert tokens("欢迎来到") == ["欢", "迎", "来", "到"]


def test_text_fits_inside_its_box(layout):
    text = "Chào mừng quý khách đến Thác Bản Giốc, một trong những thác nước đẹp nhất"
    surface = layout.render([Block(text)], 800, 300)
    box = ink_box(surface)
    assert box.width > 400 and box.height > 100  # auto size made it large
    assert box.left >= 0 and box.right <= 800 and box.top >= 0 and box.bottom <= 300
    assert surface.get_size() == (800, 300)


def test_automatic_size_is_the_largest_that_fits(layout):
    size = layout.fit([Block("Xin chào")], 800, 300, 1.15).size
    too_big = layout.measure([Block("Xin chào")], size + 1, 800, 1.15)
    assert too_big is None or too_big[0] > 300


def test_fixed_size_that_does_not_fit_shrinks(layout):
    fitted = layout.fit([Block("Một câu rất dài " * 10)], 400, 100, 1.15, size=200)
    assert fitted.size < 200 and not fitted.cut


def test_nfc_and_nfd_render_identically(layout):
    # The playlist loader normalises to NFC; the renderer must then draw both the same.
    text = "Thác Bản Giốc – Trùng Khánh"
    nfd = unicodedata.normalize("NFD", text)
    a = layout.render([Block(unicodedata.normalize("NFC", nfd))], 600, 120, size=40)
    b = layout.render([Block(text)], 600, 120, size=40)
    assert pygame.image.tobytes(a, "RGBA") == pygame.image.tobytes(b, "RGBA")


def test_vietnamese_marks_are_drawn(layout):
    plain = layout.render([Block("A")], 200, 200, size=80)
    marked = layout.render([Block("Ấ")], 200, 200, size=80)
    assert ink_box(marked).height > ink_box(plain).height  # the circumflex and acute are there


@needs_cjk
def test_chinese_is_not_boxes(layout):
    # Missing glyphs are all the same box: different characters drawing alike means tofu.
    first = layout.render([Block("瀑")], 200, 200, size=80)
    second = layout.render([Block("布")], 200, 200, size=80)
    assert pygame.image.tobytes(first, "RGBA") != pygame.image.tobytes(second, "RGBA")
    tofu = layout.fonts.face("latin", 80).render("瀑", (255, 255, 255))[0]
    assert tofu.get_bounding_rect().width != ink_box(first).width or \
        pygame.image.tobytes(tofu, "RGBA") != pygame.image.tobytes(first, "RGBA")


@needs_cjk
def test_mixed_line_uses_both_fonts(layout):
    faces = {layout.fonts.face(script, 40).freetype for script, _ in split_runs("Bản Giốc 板约瀑布")}
    assert faces == {True, False}  # SDL_ttf for Vietnamese, FreeType with the SC face for Chinese
    line = layout.render([Block("Bản Giốc 板约瀑布")], 900, 100, size=40)
    latin_only = layout.render([Block("Bản Giốc")], 900, 100, size=40)
    assert ink_box(line).width > ink_box(latin_only).width * 1.5


@needs_cjk
def test_chinese_wraps_between_characters(layout):
    lines = layout.wrap("欢迎来到板约瀑布欢迎来到板约瀑布", 40, 200)
    assert lines is not None and len(lines) > 1
    assert all(layout.line_width(line, 40) <= 200 for line in lines)
