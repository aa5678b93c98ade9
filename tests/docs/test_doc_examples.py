"""Every example in docs/ marked `# example: playlist`, `# example: config` or
`# example: emergency` (an emergency.yaml beside a config) must pass `check`."""

import re
from pathlib import Path

import pytest
from PIL import Image

from player.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"```yaml\n(# example: (playlist|config|emergency)\n.*?)```", re.S)


def examples():
    for doc in sorted(DOCS.rglob("*.md")):
        for number, match in enumerate(BLOCK.finditer(doc.read_text(encoding="utf-8"))):
            yield pytest.param(match.group(2), match.group(1), id=f"{doc.name}-{number}")


def provide_media(folder: Path, text: str) -> None:
    for name in set(re.findall(r"\bmedia/[\w./-]+", text)):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith((".jpg", ".png", ".webp")):
            Image.new("RGB", (64, 36), "teal").save(path)
        elif name.endswith((".wav",)):
            write_tone(path)
        else:
            write_clip(path)


def write_clip(path: Path) -> None:
    """A half-second 64x36 clip with a tone, encoded here so no binary media is shipped."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        audio = container.add_stream("aac", rate=48000)
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((36, 64, 3), i * 40, np.uint8), format="rgb24")
            container.mux(video.encode(frame))
        samples = (np.sin(np.arange(24000) * 0.05) * 8000).astype(np.int16).reshape(1, -1)
        chunk = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        chunk.sample_rate = 48000
        container.mux(audio.encode(chunk))
        container.mux(video.encode())
        container.mux(audio.encode())


def write_tone(path: Path) -> None:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(b"\x00\x10" * 24000)


ALL = list(examples())


def test_docs_have_examples():
    assert any(p.values[0] == "playlist" for p in ALL) and any(p.values[0] == "config" for p in ALL)


@pytest.mark.parametrize("kind, text", ALL)
def test_example_passes_check(tmp_path, capsys, kind, text):
    provide_media(tmp_path, text)
    name = {"playlist": "playlist.yaml", "config": "player.yaml", "emergency": "emergency.yaml"}[kind]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if kind == "emergency":
        (tmp_path / "player.yaml").write_text("cluster: example\n", encoding="utf-8")
    args = [str(path)] if kind == "playlist" else ["--config", str(tmp_path / "player.yaml")]
    code = main(["check", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "error" not in out
    if kind == "emergency":
        assert f"ok: {path}: emergency message" in out
