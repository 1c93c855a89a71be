"""recordings.media.demo makes real media: what probe() says of it, and what it decodes to."""

import io
import itertools

import av
import numpy as np
import pytest

from recordings.media import demo
from recordings.media.probe import api_duration, probe

DURATIONS = [0.3, 1, 2.5, 7]


def decode_audio(data: bytes) -> np.ndarray:
    """Return a Matroska audio file's samples, mono, as floats."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        assert stream.rate == demo.SAMPLE_RATE
        frames = [frame.to_ndarray() for frame in container.decode(stream)]
    samples = np.concatenate(frames, axis=1)
    assert samples.shape[0] == 1  # mono
    return samples[0].astype(np.float64)


def decode_video(data: bytes) -> list[np.ndarray]:
    """Return a Matroska video file's frames as RGB arrays of floats."""
    with av.open(io.BytesIO(data)) as container:
        return [
            frame.to_ndarray(format="rgb24").astype(np.float64)
            for frame in container.decode(video=0)
        ]


@pytest.mark.parametrize("seconds", DURATIONS)
def test_opus_mka_is_what_probe_calls_an_opus_audio_recording(tmp_path, seconds):
    path = tmp_path / "demo.mka"
    path.write_bytes(demo.opus_mka(seconds))
    info = probe(path)
    assert (info.container_format, info.kind, info.codec) == ("mka", "audio", "OPUS")
    # Within one 20 ms OPUS frame (the packets also span the codec's 6.5 ms pre-skip).
    assert info.duration == pytest.approx(seconds, abs=0.02)
    assert api_duration(info.duration) == max(1, int(seconds + 0.5))


@pytest.mark.parametrize("seconds", DURATIONS)
def test_vp8_mkv_is_what_probe_calls_a_vp8_video_recording(tmp_path, seconds):
    path = tmp_path / "demo.mkv"
    path.write_bytes(demo.vp8_mkv(seconds))
    info = probe(path)
    assert (info.container_format, info.kind, info.codec) == ("mkv", "video", "VP8")
    assert info.duration == pytest.approx(seconds, abs=1 / demo.VIDEO_FPS)  # one frame
    assert api_duration(info.duration) == max(1, int(seconds + 0.5))


def test_even_a_tiny_video_has_one_frame(tmp_path):
    path = tmp_path / "tiny.mkv"
    path.write_bytes(demo.vp8_mkv(0.01))
    assert probe(path).duration == pytest.approx(1 / demo.VIDEO_FPS)
    assert len(decode_video(path.read_bytes())) == 1


def test_demo_files_are_small():
    """A few KB per second, so the simulator and the tests can make them on the fly."""
    assert len(demo.opus_mka(5)) < 5 * 16_000
    assert len(demo.vp8_mkv(5)) < 5 * 16_000


@pytest.mark.parametrize("frequency", [440.0, 1000.0, 3150.0])
def test_audio_decodes_to_a_tone_at_the_requested_frequency(frequency):
    seconds = 2
    samples = decode_audio(demo.opus_mka(seconds, frequency=frequency))
    # The decoder drops the pre-skip: exactly the requested samples come out.
    assert len(samples) == seconds * demo.SAMPLE_RATE
    rms = float(np.sqrt(np.mean(samples**2)))
    assert rms == pytest.approx(0.2 / np.sqrt(2), rel=0.1)  # a 0.2-amplitude sine, not silence
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    frequencies = np.fft.rfftfreq(len(samples), 1 / demo.SAMPLE_RATE)  # 0.5 Hz apart
    peak = float(frequencies[np.argmax(spectrum)])
    assert peak == pytest.approx(frequency, abs=3)
    # A tone, not noise: the peak's neighbourhood holds most of the energy.
    near = np.abs(frequencies - frequency) < 20
    assert (spectrum[near] ** 2).sum() > 0.95 * (spectrum**2).sum()


def test_video_frames_are_a_pattern_that_moves():
    seconds = 2
    frames = decode_video(demo.vp8_mkv(seconds))
    width, height = demo.VIDEO_SIZE
    assert len(frames) == seconds * demo.VIDEO_FPS
    assert all(frame.shape == (height, width, 3) for frame in frames)
    assert all(frame.std() > 30 for frame in frames)  # a pattern, not a flat colour
    for before, after in itertools.pairwise(frames):
        still = np.abs(after - before).mean()
        # The pattern slides 4 px left per frame: shifted back, a frame matches the one before.
        moved = np.abs(after[:, :-4] - before[:, 4:]).mean()
        assert still > 3, "consecutive frames must differ"
        assert moved < still / 3, "…by the motion of the pattern, not by noise"


@pytest.mark.parametrize("seconds", DURATIONS)
def test_pcmu_mka_is_what_probe_calls_a_pcmu_audio_recording(tmp_path, seconds):
    path = tmp_path / "demo.mka"
    path.write_bytes(demo.pcmu_mka(seconds))
    info = probe(path)
    assert (info.container_format, info.kind, info.codec) == ("mka", "audio", "PCMU")
    assert info.duration == pytest.approx(seconds, abs=0.02)  # one 20 ms block
    with av.open(path) as container:
        stream = container.streams.audio[0]
        assert (stream.rate, stream.channels) == (demo.PCMU_SAMPLE_RATE, 1)
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)]) / 32768
    assert len(samples) == round(seconds * demo.PCMU_SAMPLE_RATE)
    spectrum = np.abs(np.fft.rfft(samples))
    peak = np.fft.rfftfreq(len(samples), 1 / demo.PCMU_SAMPLE_RATE)[np.argmax(spectrum)]
    assert peak == pytest.approx(440, abs=1 / seconds + 1)


@pytest.mark.parametrize("seconds", DURATIONS)
def test_h264_mkv_is_what_probe_calls_an_h264_video_recording(tmp_path, seconds):
    path = tmp_path / "demo.mkv"
    path.write_bytes(demo.h264_mkv(seconds))
    info = probe(path)
    assert (info.container_format, info.kind, info.codec) == ("mkv", "video", "H264")
    assert info.duration == pytest.approx(seconds, abs=1 / demo.VIDEO_FPS)
    frames = decode_video(path.read_bytes())
    assert len(frames) == max(1, round(seconds * demo.VIDEO_FPS))
    assert all(frame.std() > 30 for frame in frames)
