"""The audio output: start-up with and without a device, the sample clock, continuity of the
PCM handed out, device volume with quiet hours, and sound reaching a real SDL driver."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pygame
import pytest

from player.core.config import AudioConfig
from player.core.config_reader import config_from_data
from player.core.problems import LoadError
from player.media.probe import MediaError
from player.render.audio import (
    FRAME_BYTES,
    MIXER_BUFFER,
    RATE,
    AudioOutput,
    AudioStream,
    AudioTrack,
    device_level,
)
from player.render.video import VideoSlide
from tests.render.clips import FakeMixer, make_clip

pytestmark = pytest.mark.timeout(60)
SIZE = (160, 96)


@pytest.fixture(autouse=True)
def no_audio_threads():
    yield
    alive = [t.name for t in threading.enumerate()
             if t.name.startswith(("video:", "audio:", "audio-feeder"))]
    assert not alive, f"audio threads left running: {alive}"


def pcm(seconds: float, value: int = 1000) -> bytes:
    return np.full(int(seconds * RATE) * 2, value, dtype="<i2").tobytes()


class Device:
    """An AudioOutput on a FakeMixer, fed by hand with a clock the test moves."""

    def __init__(self, config: AudioConfig | None = None, rate: float = 1.0,
                 wall: datetime = datetime(2026, 5, 1, 12, 0)):
        config = config or AudioConfig(volume=1.0)
        self.now = 100.0
        self.rate = rate  # the sound card's speed against the monotonic clock
        self.mixer = FakeMixer()
        self.output = AudioOutput(config, mixer=self.mixer, clock=lambda: self.now,
                                  wall=lambda: wall).open(feeder=False)

    def run(self, seconds: float, step: float = 0.005) -> None:
        for _ in range(int(round(seconds / step))):
            self.output.service(self.now)
            self.mixer.advance(step * self.rate)
            self.now += step
        self.output.service(self.now)

    def run_as_feeder(self, seconds: float) -> int:
        """Let the output choose when it looks next, as its thread does; returns its turns."""
        turns, end = 0, self.now + seconds
        while self.now < end - 1e-9:
            delay = self.output.service(self.now)
            turns += 1
            step = min(delay, end - self.now)
            self.mixer.advance(step * self.rate)
            self.now += step
        return turns


# -- start-up ------------------------------------------------------------------------------

def test_no_audio_device_plays_silent_and_says_so():
    output = AudioOutput(AudioConfig(), mixer=FakeMixer(fail="Audio target 'x' not available"))
    output.open()
    assert not output.available
    assert "no audio device" in output.problem and "not available" in output.problem
    assert output.status() == {"audio": False, "problem": output.problem}
    stream = AudioStream()
    output.play(stream, 0.0, 0.0)
    assert stream.position(1.0) is None
    output.close()


def test_no_audio_device_with_the_real_mixer(monkeypatch):
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    pygame.mixer.quit()
    output = AudioOutput(AudioConfig()).open()
    try:
        assert not output.available
        assert output.problem
    finally:
        output.close()


def test_disabled_in_config_opens_nothing():
    mixer = FakeMixer()
    output = AudioOutput(AudioConfig(enabled=False), mixer=mixer).open()
    assert not output.available and mixer.settings is None
    assert "disabled" in output.problem


def test_video_without_audio_device_runs_on_the_monotonic_clock(tmp_path):
    pygame.init()
    pygame.display.set_mode(SIZE)
    clip = make_clip(tmp_path / "a.mp4", 0.5, beeps=[0.1])
    output = AudioOutput(AudioConfig(), mixer=FakeMixer(fail="no device")).open()
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0), audio=output)
    try:
        slide.prepare()
        slide.start(10.0)
        assert slide.media_time(10.25) == pytest.approx(0.25)
    finally:
        slide.close()
        output.close()
        pygame.display.quit()


# -- the stream: continuity of what is handed out --------------------------------------------

def test_take_pads_holes_and_cuts_overlaps():
    stream = AudioStream()
    stream.align(0.0, 0.0, MIXER_BUFFER / RATE)
    stream.write(0.0, pcm(0.05, 1))
    stream.write(0.07, pcm(0.05, 2))  # a 20 ms hole: silence
    stream.write(0.11, pcm(0.05, 3))  # 10 ms overlapping the previous: cut
    pts, data = stream.take(int(0.2 * RATE) * FRAME_BYTES, 0.0)
    samples = np.frombuffer(data, dtype="<i2")[::2]
    assert pts == 0.0
    assert len(samples) == int(0.16 * RATE)
    ms = RATE // 1000
    assert set(samples[:50 * ms]) == {1}
    assert set(samples[50 * ms:70 * ms]) == {0}
    assert set(samples[70 * ms:120 * ms]) == {2}
    assert set(samples[120 * ms:]) == {3}


def test_first_chunk_is_aligned_to_the_picture():
    stream = AudioStream()
    stream.align(5.0, 100.0, MIXER_BUFFER / RATE)  # media 5.0 is due at monotonic 100.0
    stream.write(5.0, pcm(0.5))
    # The feeder gets to it 30 ms late: 30 ms of sound are skipped, not played late.
    pts, data = stream.take(int(0.1 * RATE) * FRAME_BYTES, 100.03)
    assert pts == pytest.approx(5.03)


def test_writer_blocks_when_full_and_is_released_by_close():
    stream = AudioStream(max_seconds=0.1)
    assert stream.write(0.0, pcm(0.1))
    results = []
    writer = threading.Thread(target=lambda: results.append(stream.write(0.1, pcm(0.1))))
    writer.start()
    stream.close()
    writer.join(5)
    assert results == [False]


# -- the clock from samples handed out --------------------------------------------------------

def test_position_follows_the_samples_played():
    device = Device()
    stream = AudioStream()
    for i in range(20):
        stream.write(i * 0.05, pcm(0.05))
    stream.end()
    device.output.play(stream, 0.0, device.now)
    device.run(0.5)
    latency = 1024 / RATE
    assert stream.position(device.now) == pytest.approx(0.5 - latency, abs=0.006)
    # SDL mixes a period ahead of the clock.
    assert len(device.mixer.channel.out) == pytest.approx(0.5 * RATE * FRAME_BYTES,
                                                          abs=MIXER_BUFFER * FRAME_BYTES)
    device.run(0.6)
    assert stream.finished
    assert stream.position(device.now) is None
    assert stream.samples_out == int(1.0 * RATE)


def test_a_slow_sound_card_slows_the_video_with_it(tmp_path):
    pygame.init()
    pygame.display.set_mode(SIZE)
    clip = make_clip(tmp_path / "tone.mp4", 3.0, continuous_tone=True)
    device = Device(rate=0.98)
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0), audio=device.output)
    try:
        slide.prepare()
        slide._stream.wait_ready(10)
        slide.start(device.now)
        t0 = device.now
        for _ in range(200):  # 2 s, waiting for the decoder so no underrun muddles the figure
            slide._stream.wait_ready(10)
            device.run(0.01)
        media = slide.media_time(device.now)
        # The picture runs by the card's clock (2% slow), not by the monotonic one.
        assert media == pytest.approx(0.98 * (device.now - t0) - 1024 / RATE, abs=0.012)
        assert abs(media - (device.now - t0)) > 0.03
    finally:
        slide.close()
        device.output.close()
        pygame.display.quit()


@pytest.mark.parametrize("rate", [1.0, 0.98, 1.016])
def test_the_feeder_looks_rarely_and_the_clock_follows_the_card(rate):
    device = Device(rate=rate)
    stream = AudioStream(max_seconds=20)
    stream.write(0.0, pcm(0.03))  # a first chunk shorter than a period: switches fall mid-period
    start = device.now
    device.output.play(stream, 0.0, start)
    turns = device.run_as_feeder(0.02)
    for i in range(1, 200):
        stream.write(0.03 + (i - 1) * 0.05, pcm(0.05))
    errors = []
    for _ in range(80):
        turns += device.run_as_feeder(0.1)
        heard = (device.now - start) * rate - MIXER_BUFFER / RATE  # the card's own clock
        errors.append(stream.position(device.now) - heard)
    # A few looks around each 341 ms chunk's end, not 90 a second.
    assert turns / 8.0 < 30
    assert device.output.underruns == 0
    assert max(abs(e) for e in errors) < 0.008, errors
    assert max(abs(e) for e in errors[20:]) < 0.004, errors  # its speed measured


def test_a_channel_idle_with_a_sound_queued_is_believed_only_when_it_lasts():
    device = Device()
    stream = AudioStream(max_seconds=5)
    stream.write(0.0, pcm(4.0))
    device.output.play(stream, 0.0, device.now)
    device.run(0.1)
    channel = device.mixer.channel
    # pygame's switch to the queued Sound waiting for the GIL: idle for a moment, then on.
    channel.playing, channel.pos = None, 0
    for _ in range(3):
        device.output.service(device.now)
        device.now += 0.002
    channel.playing, channel.queued = channel.queued, None
    device.run(0.1)
    assert device.output.underruns == 0
    # A driver that ran dry before `queue` reached it: the Sound stays queued, nothing plays.
    device.run(0.35)
    channel.playing, channel.pos = None, 0
    assert channel.queued is not None
    device.run(0.8)  # believed once both chunks should have played
    assert device.output.underruns == 1
    assert channel.get_busy() and stream.position(device.now) is not None  # playing again


def test_a_new_stream_takes_the_floor():
    device = Device()
    first, second = AudioStream(), AudioStream()
    first.write(0.0, pcm(1.0, 1))
    second.write(0.0, pcm(1.0, 2))
    device.output.play(first, 0.0, device.now)
    device.run(0.2)
    device.output.play(second, 0.0, device.now)
    device.run(0.3)
    played = np.frombuffer(bytes(device.mixer.channel.out), dtype="<i2")[::2]
    assert played[0] == 1 and played[-1] == 2
    assert first.position(device.now) is None
    device.output.stop(second)
    assert second.position(device.now) is None


# -- volume ----------------------------------------------------------------------------------

def quiet_config(volume: int = 80) -> AudioConfig:
    return config_from_data({"audio": {"volume": volume, "quiet_hours": [
        {"hours": "21:00-06:00", "volume": 25}, {"hours": "12:00-13:00", "volume": 0}]}},
        "player.yaml").audio


@pytest.mark.parametrize("hour, level", [(8, 0.8), (22, 0.2), (3, 0.2), (12, 0.0), (13, 0.8)])
def test_quiet_hours_lower_the_device_level(hour, level):
    assert device_level(quiet_config(), datetime(2026, 1, 1, hour, 0)) == pytest.approx(level)


def test_disabled_audio_has_no_level():
    assert device_level(AudioConfig(enabled=False), datetime(2026, 1, 1, 8)) == 0.0


def test_channel_volume_is_master_times_item_times_quiet():
    device = Device(quiet_config(80), wall=datetime(2026, 1, 1, 22, 30))
    stream = AudioStream(volume=0.5)
    stream.write(0.0, pcm(0.3))
    device.output.play(stream, 0.0, device.now)
    device.run(0.05)
    assert device.mixer.channel.volume == pytest.approx(0.8 * 0.25 * 0.5)


# -- real SDL drivers ----------------------------------------------------------------------------

def test_video_sound_reaches_the_disk_driver(tmp_path, monkeypatch):
    out_file = tmp_path / "sound.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out_file))
    monkeypatch.setenv("SDL_DISKAUDIODELAY", "0")
    pygame.init()
    pygame.display.set_mode(SIZE)
    clip = make_clip(tmp_path / "tone.mp4", 0.6, continuous_tone=True)
    output = AudioOutput(AudioConfig(volume=1.0)).open()
    assert output.available, output.problem
    slide = VideoSlide("v", clip, SIZE, "contain", (0, 0, 0), audio=output)
    try:
        slide.prepare()
        slide._stream.wait_ready(10)
        slide.start(time.monotonic())
        done = threading.Event()
        while not slide.natural_end(now := time.monotonic()):
            slide.draw(pygame.display.get_surface(), now)
            done.wait(max(0.0, min(0.02, (slide.next_change(now) or now + 0.02) - now)))
        assert slide._stream.samples_out == pytest.approx(0.6 * RATE, rel=0.05)
    finally:
        slide.close()
        output.close()
        pygame.display.quit()
    samples = np.frombuffer(out_file.read_bytes(), dtype="<i2")
    assert np.abs(samples).max() > 5000  # the tone, not silence


def test_audio_track_over_a_still_item(tmp_path):
    sound = make_clip(tmp_path / "speech.m4a", 0.3, video=False, continuous_tone=True)
    device = Device()
    track = AudioTrack(sound, device.output, volume=0.7)
    try:
        track.prepare()
        track._stream.wait_ready(10)
        track.start(device.now)
        while not track._stream._eof:
            track._stream.wait_ready(1)
            device.run(0.05)
        device.run(0.5)
        assert track.finished
        assert device.mixer.channel.volume == pytest.approx(0.7)
        # AAC rounds up to whole 1024-sample frames.
        assert track._stream.samples_out == pytest.approx(0.3 * RATE, abs=1100)
    finally:
        track.close()


def test_audio_track_loops_to_fill_its_duration(tmp_path):
    sound = make_clip(tmp_path / "chime.m4a", 0.2, video=False, continuous_tone=True)
    device = Device()
    track = AudioTrack(sound, device.output, loop=True, duration=0.7)
    try:
        track.prepare()
        track.start(device.now)
        for _ in range(100):
            track._stream.wait_ready(1)
            device.run(0.02)
            if track.finished:
                break
        assert track.finished
        assert track._stream.samples_out == pytest.approx(0.7 * RATE, rel=0.05)
    finally:
        track.close()


def test_audio_track_starts_at_its_first_sample_whatever_its_timestamp(tmp_path):
    # A recording whose timestamps start at 1.4 s: that must not become 1.4 s of silence.
    sound = make_clip(tmp_path / "tone.mka", 0.5, video=False, continuous_tone=True, start=1.4)
    device = Device()
    track = AudioTrack(sound, device.output)
    try:
        track.prepare()
        track.start(device.now)
        for _ in range(100):
            track._stream.wait_ready(1)
            device.run(0.02)
            if track.finished:
                break
        assert track.finished
        played = np.frombuffer(bytes(device.mixer.channel.out), dtype="<i2")
        assert np.abs(played[:2 * 4800]).max() > 5000  # sound within the first 100 ms
        assert track._stream.samples_out < 0.8 * RATE
    finally:
        track.close()


@pytest.mark.parametrize("with_device", [True, False])
def test_audio_track_refuses_a_file_without_sound(tmp_path, with_device):
    silent = make_clip(tmp_path / "silent.mp4", 0.2, audio=False)
    output = Device().output if with_device else None
    with pytest.raises(MediaError, match="silent.mp4"):
        AudioTrack(silent, output).prepare()
    with pytest.raises(MediaError, match="missing.mp3"):
        AudioTrack(Path(tmp_path / "missing.mp3"), output).prepare()
    empty = tmp_path / "empty.m4a"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty.m4a"):
        AudioTrack(empty, output).prepare()



# -- crossfades and the sink's latency ------------------------------------------------------------

def volumes_during(device: Device, seconds: float, step: float = 0.01) -> list[tuple[float, float]]:
    """(channel 0, channel 1) volumes after each step; a silent channel counts as 0."""
    seen = []
    for _ in range(int(round(seconds / step))):
        device.run(step)
        seen.append(tuple(channel.volume if channel.get_busy() else 0.0
                          for channel in (device.mixer.Channel(0), device.mixer.Channel(1))))
    return seen


def test_a_crossfade_fades_the_old_sound_out_as_the_new_one_fades_in():
    device = Device()
    first, second = AudioStream(), AudioStream()
    first.write(0.0, pcm(2.0, 1))
    second.write(0.0, pcm(2.0, 2))
    device.output.play(first, 0.0, device.now)
    device.run(0.3)
    device.output.play(second, 0.0, device.now, fade=0.5)
    seen = volumes_during(device, 0.6)
    old = [v[0] for v in seen]
    new = [v[1] for v in seen]
    assert old[0] > 0.9 and new[0] < 0.15  # both sound at the start of the fade
    assert all(a >= b for a, b in zip(old, old[1:]))  # one goes down steadily...
    assert all(a <= b for a, b in zip(new, new[1:]))  # ...as the other comes up
    middle = seen[len(seen) // 2 - 5]
    assert 0.4 < middle[0] < 0.9 and 0.4 < middle[1] < 0.9
    assert middle[0] ** 2 + middle[1] ** 2 == pytest.approx(1.0, abs=0.1)  # as loud as either
    assert old[-1] == 0.0 and new[-1] == pytest.approx(1.0)  # the old one is stopped at the end
    assert first.position(device.now) is None
    assert second.position(device.now) is not None
    played = np.frombuffer(bytes(device.mixer.Channel(1).out), dtype="<i2")[::2]
    assert set(played) == {2}


def test_a_sound_after_silence_starts_at_full_level_even_with_a_fade():
    device = Device()
    stream = AudioStream()
    stream.write(0.0, pcm(1.0))
    device.output.play(stream, 0.0, device.now, fade=0.5)
    device.run(0.05)
    assert device.mixer.channel.volume == pytest.approx(1.0)


def test_a_third_sound_during_a_crossfade_cuts_the_oldest():
    device = Device()
    streams = [AudioStream() for _ in range(3)]
    for n, stream in enumerate(streams):
        stream.write(0.0, pcm(2.0, n + 1))
    device.output.play(streams[0], 0.0, device.now)
    device.run(0.2)
    device.output.play(streams[1], 0.0, device.now, fade=1.0)
    device.run(0.2)
    device.output.play(streams[2], 0.0, device.now, fade=1.0)
    device.run(0.05)
    assert streams[0].position(device.now) is None
    assert streams[1].position(device.now) is not None  # fading out now
    device.run(1.0)
    assert streams[1].position(device.now) is None
    assert streams[2].position(device.now) is not None


def run_fed(device: Device, slides: list, seconds: float) -> None:
    """Run the fake card in 10 ms steps, each once the decoders have sound ready (they work in
    real time, the card's clock here as fast as the test goes)."""
    for _ in range(int(round(seconds / 0.01))):
        for slide in slides:
            slide._stream.wait_ready(10)
        device.run(0.01)


def test_two_videos_crossfade_their_sound(tmp_path):
    pygame.init()
    pygame.display.set_mode(SIZE)
    one = make_clip(tmp_path / "one.mp4", 2.0, continuous_tone=True)
    two = make_clip(tmp_path / "two.mp4", 2.0, continuous_tone=True)
    device = Device()
    first = VideoSlide("one", one, SIZE, "contain", (0, 0, 0), audio=device.output)
    second = VideoSlide("two", two, SIZE, "contain", (0, 0, 0), audio=device.output, fade=0.4)
    try:
        first.prepare()
        first._stream.wait_ready(10)
        first.start(device.now)
        run_fed(device, [first], 0.3)
        second.prepare()
        second._stream.wait_ready(10)
        second.start(device.now)  # the loop keeps drawing the first during the fade
        run_fed(device, [first, second], 0.2)
        both = [channel.get_busy() for channel in device.mixer.channels.values()]
        assert both == [True, True]
        assert first.media_time(device.now) > 0.3  # its pictures still follow its own sound
        run_fed(device, [second], 0.3)
        assert not device.mixer.Channel(0).get_busy() and device.mixer.Channel(1).get_busy()
    finally:
        first.close()
        second.close()
        device.output.close()
        pygame.display.quit()


def test_the_sinks_latency_holds_the_pictures_back():
    device = Device(AudioConfig(volume=1.0, latency=0.2))
    stream = AudioStream()
    for i in range(20):
        stream.write(i * 0.05, pcm(0.05))
    device.output.play(stream, 0.0, device.now)
    device.run(0.1)
    assert stream.position(device.now) == 0.0  # nothing heard yet: the first picture waits
    device.run(0.5)
    assert stream.position(device.now) == pytest.approx(0.6 - 1024 / RATE - 0.2, abs=0.006)


@pytest.mark.parametrize("value, latency", [(None, 0.0), (0, 0.0), (150, 0.15), (2000, 2.0)])
def test_audio_latency_is_read_in_milliseconds(value, latency):
    audio = {} if value is None else {"latency": value}
    assert config_from_data({"audio": audio}, "player.yaml").audio.latency == latency


@pytest.mark.parametrize("value", [-5, 2500, 12.5, "100ms"])
def test_a_bad_audio_latency_is_named(value):
    with pytest.raises(LoadError, match="audio.latency"):
        config_from_data({"audio": {"latency": value}}, "player.yaml")


def test_a_still_items_sound_crossfades_with_the_video_before_it(tmp_path):
    pygame.init()
    pygame.display.set_mode(SIZE)
    clip = make_clip(tmp_path / "film.mp4", 2.0, continuous_tone=True)
    voice = make_clip(tmp_path / "voice.m4a", 2.0, video=False, continuous_tone=True)
    device = Device()
    film = VideoSlide("film", clip, SIZE, "contain", (0, 0, 0), audio=device.output)
    track = AudioTrack(voice, device.output, fade=0.4)
    try:
        film.prepare()
        film._stream.wait_ready(10)
        film.start(device.now)
        run_fed(device, [film], 0.2)
        track.prepare()
        track.start(device.now)
        for _ in range(25):
            track._stream.wait_ready(10)
            film._stream.wait_ready(10)
            device.run(0.01)
        assert [channel.get_busy() for channel in device.mixer.channels.values()] == [True, True]
        assert device.mixer.Channel(0).volume < device.mixer.Channel(1).volume  # past half-way
        for _ in range(30):
            track._stream.wait_ready(10)
            device.run(0.01)
        assert not device.mixer.Channel(0).get_busy()
    finally:
        track.close()
        film.close()
        device.output.close()
        pygame.display.quit()
