"""The renderer's files, checked by decoding them: codecs, size, duration, audio, each source's
cell in its own colour while it has media, trim, faststart, and memory that does not grow."""

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest

from recordings.compositions.layout import DEFAULT_LAYOUT, LayoutPlan, Source, parse_video_layout
from recordings.compositions.render import VideoInput, compose, spans

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
SIZE = (320, 240)


def solid_vp8(path: Path, seconds: float, colour, *, size=(160, 120), fps=10) -> Path:
    with av.open(str(path), mode="w", format="matroska") as out:
        stream = out.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        image = np.full((size[1], size[0], 3), colour, dtype=np.uint8)
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def tone_opus(path: Path, seconds: float, frequency: float = 440.0) -> Path:
    with av.open(str(path), mode="w", format="matroska") as out:
        stream = out.add_stream("libopus", rate=48_000, layout="mono")
        total = round(seconds * 48_000)
        for first in range(0, total, 960):
            t = np.arange(first, min(first + 960, total)) / 48_000
            samples = (0.2 * np.sin(2 * math.pi * frequency * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate, frame.pts = 48_000, first
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def decoded(path: Path) -> tuple[list[tuple[float, np.ndarray]], np.ndarray | None]:
    """Return the video frames (time, RGB) and the audio samples (channels x n) of a file."""
    with av.open(str(path)) as container:
        frames = (
            [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
            if container.streams.video
            else []
        )
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return frames, None
        audio = [f.to_ndarray() for f in container.decode(audio=0)]
    return frames, np.concatenate(audio, axis=1)


def frame_at(frames, t: float) -> np.ndarray:
    return min(frames, key=lambda f: abs(f[0] - t))[1]


def assert_colour(image: np.ndarray, x: int, y: int, colour) -> None:
    pixel = image[y, x].astype(int)
    assert np.abs(pixel - np.array(colour)).max() < 48, (x, y, pixel.tolist(), colour)


@pytest.fixture
def room(tmp_path):
    """Red 0-3 s, green 1-4 s, blue 2-4 s (camera tracks), and a tone 0.5-2.5 s."""
    video = [
        VideoInput(solid_vp8(tmp_path / "RTred.mkv", 3, RED), 0.0, "red"),
        VideoInput(solid_vp8(tmp_path / "RTgreen.mkv", 3, GREEN), 1.0, "green"),
        VideoInput(solid_vp8(tmp_path / "RTblue.mkv", 2, BLUE), 2.0, "blue"),
    ]
    audio = [(tone_opus(tmp_path / "RTtone.mka", 2), 0.5)]
    sources = [
        Source(Path(v.path).stem, v.start, v.start + {0: 3, 1: 3, 2: 2}[v.start], 160, 120)
        for v in video
    ]
    return video, audio, sources


@pytest.mark.parametrize(("fmt", "codecs"), [("mp4", ("h264", "aac")), ("webm", ("vp8", "opus"))])
def test_compose_puts_each_source_in_its_cell_while_it_has_media(room, tmp_path, fmt, codecs):
    video, audio, sources = room
    out = tmp_path / f"room.{fmt}"
    percents = []

    duration = compose(
        video, audio, resolution=SIZE, fmt=fmt, out_path=out, progress=percents.append
    )

    assert duration == 4.0
    assert percents[-1] == 100 and percents == sorted(set(percents))
    with av.open(str(out)) as container:
        video_stream, audio_stream = container.streams.video[0], container.streams.audio[0]
        assert (video_stream.codec_context.name, audio_stream.codec_context.name) == codecs
        assert (video_stream.width, video_stream.height) == SIZE
        assert audio_stream.rate == 48_000 and audio_stream.channels == 2
        assert container.duration / av.time_base == pytest.approx(4.0, abs=0.1)
    frames, samples = decoded(out)
    colours = {"RTred": RED, "RTgreen": GREEN, "RTblue": BLUE}
    for t in (0.5, 1.5, 2.5, 3.5):
        image = frame_at(frames, t)
        for place in LayoutPlan(DEFAULT_LAYOUT, sources, SIZE).placements_at(t):
            centre = (place.x + place.width // 2, place.y + place.height // 2)
            assert_colour(image, *centre, colours[place.source.sid])
    # At 2.5 s three sources fill a 2x2 grid; the fourth cell is black.
    assert_colour(frame_at(frames, 2.5), 240, 180, (0, 0, 0))
    # At 3.5 s red has ended: green and blue re-flow side by side and no red is left anywhere.
    late = frame_at(frames, 3.5)
    assert_colour(late, 80, 120, GREEN)
    assert_colour(late, 240, 120, BLUE)
    red = (late[..., 0] > 200) & (late[..., 1] < 60) & (late[..., 2] < 60)
    assert not red.any()
    # The tone plays from 0.5 s to 2.5 s and nothing else makes a sound.
    rms = [np.sqrt(np.mean(samples[:, s * 48_000 : (s + 1) * 48_000] ** 2)) for s in range(4)]
    assert min(rms[:3]) > 0.03 and rms[1] > 0.09
    assert rms[3] < 0.01


def test_mp4_is_faststart(room, tmp_path):
    video, audio, _ = room
    out = tmp_path / "room.mp4"
    compose(video, audio, resolution=SIZE, fmt="mp4", out_path=out)

    data = out.read_bytes()
    assert 0 < data.index(b"moov") < data.index(b"mdat")


def test_trim_cuts_the_silence_before_after_and_between_tracks(tmp_path):
    red = solid_vp8(tmp_path / "RTred.mkv", 1, RED)
    blue = solid_vp8(tmp_path / "RTblue.mkv", 1, BLUE)
    inputs = [VideoInput(red, 2.0, "red"), VideoInput(blue, 5.0, "blue")]

    trimmed = compose(inputs, [], resolution=SIZE, fmt="webm", out_path=tmp_path / "t.webm")
    whole = compose(
        inputs, [], resolution=SIZE, fmt="webm", out_path=tmp_path / "w.webm", trim=False
    )

    assert (trimmed, whole) == (2.0, 6.0)
    frames, samples = decoded(tmp_path / "t.webm")
    assert samples is None
    assert_colour(frame_at(frames, 0.5), 160, 120, RED)
    assert_colour(frame_at(frames, 1.5), 160, 120, BLUE)
    frames, _ = decoded(tmp_path / "w.webm")
    assert_colour(frame_at(frames, 1.0), 160, 120, (0, 0, 0))
    assert_colour(frame_at(frames, 2.5), 160, 120, RED)


def test_spans_merge_overlaps():
    assert spans([(1, 3), (2, 4), (6, 7)], trim=True) == [(1, 4), (6, 7)]
    assert spans([(1, 3), (6, 7)], trim=False) == [(0.0, 7)]


def test_compose_is_deterministic_and_refuses_nothing_or_an_unknown_format(room, tmp_path):
    video, audio, _ = room
    first = compose(video, audio, resolution=SIZE, fmt="webm", out_path=tmp_path / "a.webm")
    again = compose(video, audio, resolution=SIZE, fmt="webm", out_path=tmp_path / "b.webm")
    assert first == again
    assert len(decoded(tmp_path / "a.webm")[0]) == len(decoded(tmp_path / "b.webm")[0])

    with pytest.raises(ValueError, match="Format"):
        compose(video, audio, resolution=SIZE, fmt="avi", out_path=tmp_path / "c.avi")
    with pytest.raises(ValueError, match="Nothing to compose"):
        compose([], [], resolution=SIZE, fmt="mp4", out_path=tmp_path / "d.mp4")


def test_a_layout_puts_the_presenter_in_the_main_region_and_the_others_in_the_strip(tmp_path):
    video = [
        VideoInput(solid_vp8(tmp_path / "RTa.mkv", 2, GREEN), 0.0, "alice-cam"),
        VideoInput(solid_vp8(tmp_path / "RTp.mkv", 2, RED), 0.0, "presenter-cam"),
        VideoInput(solid_vp8(tmp_path / "RTb.mkv", 2, BLUE), 0.0, "bob-cam"),
    ]
    layout = parse_video_layout(
        {
            "main": {"video_sources": ["presenter*"], "height": 160},
            "strip": {
                "video_sources": ["*"],
                "video_sources_excluded": ["presenter*"],
                "y_pos": 160,
                "max_rows": 1,
            },
        },
        resolution=SIZE,
    )

    compose(video, [], resolution=SIZE, fmt="webm", out_path=tmp_path / "l.webm", layout=layout)

    image = frame_at(decoded(tmp_path / "l.webm")[0], 1.0)
    # main: 320x160, the 4:3 presenter scaled to 212x160 and centred; strip: two 160x80 cells.
    assert_colour(image, 160, 80, RED)
    assert_colour(image, 30, 80, (0, 0, 0))  # letterboxed beside the presenter
    assert_colour(image, 80, 200, GREEN)
    assert_colour(image, 240, 200, BLUE)
    strip = image[165:]
    assert not ((strip[..., 0] > 200) & (strip[..., 1] < 60) & (strip[..., 2] < 60)).any()


def test_a_layout_that_shows_no_video_makes_an_audio_only_file(room, tmp_path):
    video, audio, _ = room
    nobody = parse_video_layout({"main": {"video_sources": ["nobody*"]}}, resolution=SIZE)
    out = tmp_path / "audio.mp4"

    duration = compose(video, audio, resolution=SIZE, fmt="mp4", out_path=out, layout=nobody)

    # The unshown video does not count for trim: the file is the tone's 2 s.
    assert duration == pytest.approx(2.0, abs=0.1)
    with av.open(str(out)) as container:
        assert [s.type for s in container.streams] == ["audio"]
    frames, samples = decoded(out)
    assert frames == []
    assert np.sqrt(np.mean(samples**2)) > 0.09
    with pytest.raises(ValueError, match="the layout shows no video and there is no audio"):
        compose(video, [], resolution=SIZE, fmt="mp4", out_path=out, layout=())


MEMORY_PROBE = textwrap.dedent(
    """
    import resource, sys
    from recordings.compositions.render import VideoInput, compose

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    folder, seconds = sys.argv[1], sys.argv[2]
    video = [VideoInput(f"{folder}/RTv{i}.mkv", float(i), f"v{i}") for i in range(2)]
    audio = [(f"{folder}/RTa{i}.mka", float(i)) for i in range(2)]
    compose(video, audio, resolution=(160, 120), fmt="mp4", out_path=f"{folder}/out.mp4")
    print(peak_mb())
    """
)


def test_memory_does_not_grow_with_the_room(tmp_path):
    """A 60 s room peaks where a 3 s room does: nothing is held per frame."""
    peaks = {}
    for seconds in (3, 60):
        folder = tmp_path / str(seconds)
        folder.mkdir()
        for i, colour in enumerate((RED, BLUE)):
            # 320x240 sources: 60 s of decoded frames would be ~70 MB each if they were kept.
            solid_vp8(folder / f"RTv{i}.mkv", seconds, colour, size=(320, 240))
            tone_opus(folder / f"RTa{i}.mka", seconds, 300.0 + 100 * i)
        result = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(folder), str(seconds)],
            capture_output=True,
            text=True,
            check=True,
        )
        peaks[seconds] = float(result.stdout.strip())

    assert peaks[60] - peaks[3] < 25, peaks
