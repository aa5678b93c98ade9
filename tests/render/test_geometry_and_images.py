import io
from pathlib import Path

import pytest
from PIL import Image

from player.media.geometry import fit_rect, logical_size
from player.media.images import ImageError, decode_fitted, verify_image


def test_fit_modes():
    assert fit_rect((400, 200), (1920, 1080), "contain") == (0, 60, 1920, 960)
    assert fit_rect((400, 200), (1920, 1080), "cover") == (-120, 0, 2160, 1080)
    assert fit_rect((400, 200), (1920, 1080), "stretch") == (0, 0, 1920, 1080)
    assert fit_rect((1080, 1920), (1920, 1080), "contain") == (656, 0, 608, 1080)
    assert logical_size((1920, 1080), 90) == (1080, 1920)
    assert logical_size((1920, 1080), 180) == (1920, 1080)


def test_cover_is_cropped_to_the_box(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (400, 200), "red").save(path)
    decoded = decode_fitted(path, (1920, 1080), "cover")
    assert decoded.size == (1920, 1080) and decoded.position == (0, 0)


def test_exif_orientation_is_honoured(tmp_path):
    # A landscape picture whose EXIF says "rotate 90° clockwise to view": shown portrait.
    image = Image.new("RGB", (400, 200), "blue")
    image.paste((255, 0, 0), (0, 0, 200, 200))  # the left half red
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif.tobytes(), quality=95)
    decoded = decode_fitted(path, (1000, 1000), "contain")
    assert decoded.size == (500, 1000)  # portrait after orientation
    shown = Image.frombytes("RGB", decoded.size, decoded.data)
    top, bottom = shown.getpixel((250, 100)), shown.getpixel((250, 900))
    assert top[0] > 200 and top[2] < 60  # the red half went to the top
    assert bottom[2] > 200 and bottom[0] < 60


def test_huge_image_is_decoded_small(tmp_path):
    path = tmp_path / "huge.jpg"
    Image.new("RGB", (8000, 6000), (10, 200, 30)).save(path, quality=70)
    decoded = decode_fitted(path, (1920, 1080), "contain")
    assert decoded.size == (1440, 1080)


@pytest.mark.parametrize("content, reason", [
    (b"this is not a picture", "not a picture"),
    (b"", "not a picture"),
])
def test_bad_files(tmp_path, content, reason):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    assert reason in verify_image(path)
    with pytest.raises(ImageError, match="bad.jpg"):
        decode_fitted(path, (100, 100), "contain")


def test_truncated_jpeg_is_refused(tmp_path):
    buffer = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    assert "truncated" in verify_image(path)
    with pytest.raises(ImageError):
        decode_fitted(path, (100, 100), "contain")


def test_demo_pictures_verify():
    media = Path(__file__).resolve().parents[2] / "playlists" / "ban-gioc" / "media"
    for path in media.glob("*.jpg"):
        assert verify_image(path) is None
