"""recordings.media.probe: what an uploaded recording file really holds, and what we refuse."""

import io
import math
import os
import random
import resource
import struct
import tracemalloc
import wave
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import FrozenInstanceError
from fractions import Fraction
from pathlib import Path

import av
import av.logging
import numpy as np
import pytest

from recordings.media import demo
from recordings.media.probe import InvalidMedia, MediaInfo, api_duration, probe

SEGMENT_ID = bytes.fromhex("18538067")


# --- making files -----------------------------------------------------------------------------


def tone(seconds: float, rate: int, channels: int = 1) -> list[av.AudioFrame]:
    """Return 20 ms float frames of a 440 Hz tone, which encoders resample as they need."""
    layout = "mono" if channels == 1 else "stereo"
    step = rate // 50
    frames = []
    for first in range(0, round(seconds * rate), step):
        t = np.arange(first, first + step) / rate
        samples = np.tile(0.2 * np.sin(2 * math.pi * 440 * t), (channels, 1)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, first, Fraction(1, rate)
        frames.append(frame)
    return frames


def pattern(seconds: float, fps: int, size: tuple[int, int]) -> list[av.VideoFrame]:
    """Return moving-gradient video frames."""
    width, height = size
    x, y = np.meshgrid(np.arange(width), np.arange(height))
    frames = []
    for i in range(round(seconds * fps)):
        image = np.stack([(x + 5 * i) % 256, y % 256, (x + y) % 256], axis=2).astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = i
        frames.append(frame)
    return frames


def write(
    target,
    fmt: str,
    *,
    audio: dict | None = None,
    video: dict | None = None,
    seconds: float = 1.0,
    container_options: dict | None = None,
) -> None:
    """Encode a tone and/or a pattern with PyAV into target (a path or a file object)."""
    with av.open(target, mode="w", format=fmt, options=container_options or {}) as container:
        jobs = []
        if audio is not None:
            audio = dict(audio)
            codec, rate = audio.pop("codec"), audio.pop("rate", 48_000)
            channels = audio.pop("channels", 1)
            stream = container.add_stream(codec, rate=rate, options=audio.pop("options", {}))
            stream.layout = "mono" if channels == 1 else "stereo"
            jobs.append((stream, tone(seconds, rate, channels)))
        if video is not None:
            video = dict(video)
            fps, size = video.pop("fps", 10), video.pop("size", (160, 120))
            stream = container.add_stream(video.pop("codec"), rate=fps, **video)
            stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
            jobs.append((stream, pattern(seconds, fps, size)))
        for stream, items in jobs:
            for item in items:
                container.mux(stream.encode(item))
            container.mux(stream.encode(None))


def ebml(element_id: int, body: bytes) -> bytes:
    """Return one EBML element with an 8-byte size."""
    return (
        element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
        + ((1 << 56) | len(body)).to_bytes(8, "big")
        + body
    )


def ebml_header(doctype: bytes = b"matroska") -> bytes:
    """Return an EBML header naming a DocType."""
    return ebml(0x1A45DFA3, ebml(0x4282, doctype) + ebml(0x4287, b"\x04") + ebml(0x4285, b"\x02"))


def elements(data: bytes, start: int, end: int):
    """Yield (ID, body start, body end) of the EBML elements between start and end."""
    pos = start
    while pos < end:
        id_length = 9 - data[pos].bit_length()
        size_length = 9 - data[pos + id_length].bit_length()
        raw = data[pos + id_length : pos + id_length + size_length]
        size = int.from_bytes(bytes([raw[0] & (0xFF >> size_length)]) + raw[1:], "big")
        body = pos + id_length + size_length
        yield int.from_bytes(data[pos : pos + id_length], "big"), body, body + size
        pos = body + size


def simple_blocks(data: bytes) -> list[int]:
    """Return where each SimpleBlock's body (track number, timestamp, flags, frame) starts."""
    ((_, segment, segment_end),) = (e for e in elements(data, 0, len(data)) if e[0] == 0x18538067)
    return [
        body
        for element, cluster, cluster_end in elements(data, segment, segment_end)
        if element == 0x1F43B675
        for child, body, _ in elements(data, cluster, cluster_end)
        if child == 0xA3
    ]


def segment_bounds(data: bytes) -> tuple[int, int]:
    """Return where a Matroska file's Segment size field starts and how long the Segment is."""
    at = data.index(SEGMENT_ID) + len(SEGMENT_ID)
    assert data[at] == 0x01, "the demo muxer writes an 8-byte Segment size"
    return at, int.from_bytes(data[at + 1 : at + 8], "big")


def pcmu_mka(path: Path, seconds: float) -> None:
    """Write a PCMU recording in Matroska, EBML element by EBML element."""
    # PyAV cannot mux it: FFmpeg's muxer stores PCMU (as "A_MS/ACM", Matroska having no native
    # ID for it) only when told to be non-strict, and PyAV's add_stream always asks for normal.
    context = av.CodecContext.create("pcm_mulaw", "w")
    context.sample_rate, context.layout, context.format = 8000, "mono", "s16"
    packets = [bytes(p) for frame in tone(seconds, 8000) for p in context.encode(frame)]
    # WAVEFORMATEX: format 7 (mu-law), 1 channel, 8000 Hz, 8000 bytes/s, align 1, 8 bits.
    wave_format = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
    track = ebml(
        0xAE,  # TrackEntry
        ebml(0xD7, b"\x01")  # TrackNumber
        + ebml(0x73C5, b"\x01")  # TrackUID
        + ebml(0x83, b"\x02")  # TrackType: audio
        + ebml(0x86, b"A_MS/ACM")  # CodecID
        + ebml(0x63A2, wave_format)  # CodecPrivate
        + ebml(0x23E383, (20_000_000).to_bytes(4, "big"))  # DefaultDuration: 20 ms
        + ebml(0xE1, ebml(0xB5, struct.pack(">d", 8000.0)) + ebml(0x9F, b"\x01")),  # Audio
    )
    blocks = b"".join(
        # SimpleBlock: track 1, timestamp (ms) relative to the Cluster's, flags: keyframe.
        ebml(0xA3, b"\x81" + struct.pack(">hB", 20 * i, 0x80) + packet)
        for i, packet in enumerate(packets)
    )
    segment = (
        ebml(0x1549A966, ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big")))  # Info: 1 ms ticks
        + ebml(0x1654AE6B, track)  # Tracks
        + ebml(0x1F43B675, ebml(0xE7, b"\x00") + blocks)  # Cluster at 0 ms
    )
    path.write_bytes(ebml_header() + ebml(0x18538067, segment))


VALID: dict[str, tuple[Callable[[Path], None], tuple[str, str, str], float]] = {
    # name: (maker, (container_format, kind, codec), seconds)
    "demo-opus": (lambda p: p.write_bytes(demo.opus_mka(3)), ("mka", "audio", "OPUS"), 3),
    "demo-vp8": (lambda p: p.write_bytes(demo.vp8_mkv(3)), ("mkv", "video", "VP8"), 3),
    # Other settings from the same muxer: stereo OPUS in 60 ms frames at a low bit rate, and
    # tiny clusters (many of them, which the structure walk has to step through).
    "opus-60ms-stereo": (
        lambda p: write(
            p,
            "matroska",
            seconds=2,
            audio={
                "codec": "libopus",
                "channels": 2,
                "options": {"frame_duration": "60", "b": "24000"},
            },
            container_options={"cluster_time_limit": "200"},
        ),
        ("mka", "audio", "OPUS"),
        2,
    ),
    # No CRC-32 elements: then only the structure and the frame count can show damage.
    "opus-no-crc32": (
        lambda p: write(
            p,
            "matroska",
            seconds=3,
            audio={"codec": "libopus"},
            container_options={"write_crc32": "0"},
        ),
        ("mka", "audio", "OPUS"),
        3,
    ),
    "vp8-320x240-25fps": (
        lambda p: write(
            p, "matroska", seconds=2, video={"codec": "libvpx", "fps": 25, "size": (320, 240)}
        ),
        ("mkv", "video", "VP8"),
        2,
    ),
    # Cues written near the front (reserved space) instead of after the last Cluster.
    "vp8-cues-in-front": (
        lambda p: write(
            p,
            "matroska",
            seconds=2,
            video={"codec": "libvpx"},
            container_options={"reserve_index_space": "1024"},
        ),
        ("mkv", "video", "VP8"),
        2,
    ),
    "h264": (
        lambda p: write(
            p,
            "matroska",
            seconds=2,
            video={"codec": "libx264", "fps": 15, "size": (176, 144)},
        ),
        ("mkv", "video", "H264"),
        2,
    ),
    "pcmu-by-hand": (
        lambda p: pcmu_mka(p, 2),
        ("mka", "audio", "PCMU"),
        2,
    ),
    # WebM is Matroska with DocType "webm": accepted (see probe.DOCTYPES).
    "webm-opus": (
        lambda p: write(p, "webm", seconds=2, audio={"codec": "libopus"}),
        ("mka", "audio", "OPUS"),
        2,
    ),
    "webm-vp8": (
        lambda p: write(p, "webm", seconds=2, video={"codec": "libvpx"}),
        ("mkv", "video", "VP8"),
        2,
    ),
}
# One frame, the tolerance on a duration: 60 ms OPUS frames are the longest audio ones here.
FRAME = {"audio": 0.06, "video": 0.1}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("probe")


@pytest.fixture(scope="module")
def valid(files) -> dict[str, Path]:
    """Write every valid sample file once for the module."""
    paths = {}
    for name, (make, (container_format, _, _), _) in VALID.items():
        path = files / f"{name}.{container_format}"
        make(path)
        paths[name] = path
    return paths


def cut(source: Path, length: int, target: Path) -> Path:
    """Write the first length bytes of source to target, reading no more than that."""
    with source.open("rb") as file:
        target.write_bytes(file.read(length))
    return target


def reason_of(path: Path) -> str:
    with pytest.raises(InvalidMedia) as caught:
        probe(path)
    return caught.value.reason


# --- valid files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_valid_files_are_accepted_with_what_they_hold(valid, name):
    _, (container_format, kind, codec), seconds = VALID[name]
    info = probe(valid[name])
    assert (info.container_format, info.kind, info.codec) == (container_format, kind, codec)
    assert info.duration == pytest.approx(seconds, abs=FRAME[kind])


@pytest.mark.parametrize("name", ["webm-opus", "webm-vp8"])
def test_webm_samples_really_have_the_webm_doctype(valid, name):
    assert b"\x42\x82\x84webm" in valid[name].read_bytes()[:64]  # DocType, 4 bytes: "webm"


def test_probe_takes_a_str_or_a_path(valid):
    path = valid["demo-opus"]
    assert probe(str(path)) == probe(path)


def test_media_info_is_frozen(valid):
    info = probe(valid["demo-vp8"])
    assert isinstance(info, MediaInfo)
    with pytest.raises(FrozenInstanceError):
        info.codec = "H264"


@pytest.mark.parametrize("seconds", [0.3, 1, 2.5, 7])
@pytest.mark.parametrize("kind", ["audio", "video"])
def test_duration_comes_from_the_packets(files, kind, seconds):
    data = demo.opus_mka(seconds) if kind == "audio" else demo.vp8_mkv(seconds)
    path = files / f"{kind}-{seconds}.mk"
    path.write_bytes(data)
    # Within one frame (20 ms OPUS, 100 ms at 10 fps). OPUS counts its 6.5 ms pre-skip, as
    # ffprobe does.
    assert probe(path).duration == pytest.approx(seconds, abs={"audio": 0.02, "video": 0.1}[kind])


def test_duration_is_the_packets_not_the_header(valid, tmp_path):
    """A header Duration that lies (here: 10 000 s) is not what we report."""
    # The file without CRC-32s: with them, the edit would fail Info's checksum.
    data = bytearray(valid["opus-no-crc32"].read_bytes())
    # Info's Duration (ID 0x4489) is a float of 4 or 8 bytes: overwrite it in place.
    at = data.index(bytes.fromhex("4489")) + 2
    width = data[at] & 0x7F
    new = (np.float64 if width == 8 else np.float32)(10_000_000).tobytes()[::-1]
    data[at + 1 : at + 1 + width] = new
    path = tmp_path / "liar.mka"
    path.write_bytes(bytes(data))
    with av.open(str(path)) as container:
        assert container.duration > 9_000 * 1_000_000  # FFmpeg believes the header …
    assert probe(path).duration == pytest.approx(3, abs=0.02)  # … we do not


# --- truncated and damaged files --------------------------------------------------------------


@pytest.mark.parametrize("where", ["10 bytes", "25%", "50%", "90%", "size-1"])
@pytest.mark.parametrize("name", VALID)
def test_a_truncated_file_is_rejected(valid, tmp_path, name, where):
    source = valid[name]
    size = source.stat().st_size
    length = {
        "10 bytes": 10,
        "25%": size // 4,
        "50%": size // 2,
        "90%": size * 9 // 10,
        "size-1": size - 1,
    }[where]
    reason = reason_of(cut(source, length, tmp_path / source.name))
    assert reason.startswith("The file is truncated:"), reason
    assert "Upload the whole file" in reason


def test_ffmpeg_alone_cannot_see_a_missing_last_byte(valid, tmp_path):
    """Why probe walks the structure: FFmpeg demuxes a file cut by one byte as if it were whole."""
    source = valid["demo-opus"]

    def packets(path: Path) -> list[tuple[int, int, bytes]]:
        with av.open(str(path)) as container:
            return [(p.pts, p.duration, bytes(p)) for p in container.demux() if p.size]

    short = cut(source, source.stat().st_size - 1, tmp_path / "short.mka")
    assert packets(short) == packets(source)
    with pytest.raises(InvalidMedia):
        probe(short)


@pytest.mark.parametrize("name", ["demo-opus", "vp8-cues-in-front", "opus-60ms-stereo"])
def test_every_prefix_of_a_file_is_rejected(valid, tmp_path, name):
    """Not just five cuts: every length from 1 byte to size - 1 (in steps, for speed)."""
    data = valid[name].read_bytes()
    path = tmp_path / "prefix.mk"
    lengths = {*range(1, 200), *range(200, len(data), 97), len(data) - 1}
    for length in sorted(lengths):
        path.write_bytes(data[:length])
        with pytest.raises(InvalidMedia, match="truncated"):
            probe(path)


def test_bytes_after_the_segment_are_rejected(valid, tmp_path):
    path = tmp_path / "two.mka"
    path.write_bytes(valid["demo-opus"].read_bytes() + b"\0" * 100)
    assert "100 bytes after the end of its Matroska Segment" in reason_of(path)


def test_two_files_glued_together_are_rejected(valid, tmp_path):
    path = tmp_path / "two.mka"
    path.write_bytes(valid["demo-opus"].read_bytes() * 2)
    assert "after the end of its Matroska Segment" in reason_of(path)


@pytest.mark.parametrize("fill", [b"\0", b"\xa5", b"random"], ids=["zeros", "a5", "random"])
def test_damage_inside_a_cluster_is_rejected(valid, tmp_path, fill):
    data = bytearray(valid["demo-opus"].read_bytes())
    middle = len(data) // 2
    noise = random.Random(7).randbytes(300) if fill == b"random" else fill * 300
    data[middle : middle + 300] = noise
    path = tmp_path / "damaged.mka"
    path.write_bytes(bytes(data))
    assert reason_of(path).startswith("The file is corrupt:")


def damaged(source: Path, target: Path, edit: Callable[[bytearray, list[int]], None]) -> Path:
    """Write source to target after edit(data, SimpleBlock body offsets) changed it in place."""
    data = bytearray(source.read_bytes())
    edit(data, simple_blocks(data))
    target.write_bytes(bytes(data))
    return target


def test_one_flipped_bit_in_a_frame_fails_the_cluster_crc(valid, tmp_path):
    def flip(data, blocks):
        data[blocks[len(blocks) // 2] + 10] ^= 0x01  # inside the OPUS payload

    path = damaged(valid["demo-opus"], tmp_path / "flipped.mka", flip)
    assert "fails its CRC-32 check" in reason_of(path)


def test_one_flipped_bit_in_the_tracks_fails_their_crc(valid, tmp_path):
    data = bytearray(valid["demo-vp8"].read_bytes())
    data[data.index(b"V_VP8")] ^= 0x01
    path = tmp_path / "flipped.mkv"
    path.write_bytes(bytes(data))
    assert reason_of(path).startswith("The file is corrupt: the Tracks at byte")


def test_without_crc_a_block_ffmpeg_cannot_parse_is_caught_by_the_frame_count(valid, tmp_path):
    """FFmpeg drops the rest of the Cluster at a block it cannot parse: the count shows it."""

    def set_lacing(data, blocks):
        data[blocks[len(blocks) // 2] + 3] |= 0x06  # flags: EBML lacing, on an unlaced frame

    path = damaged(valid["opus-no-crc32"], tmp_path / "laced.mka", set_lacing)
    reason = reason_of(path)
    assert reason.startswith("The file is corrupt: its blocks hold"), reason
    assert "but FFmpeg could read" in reason


def test_without_crc_a_block_of_an_undeclared_track_is_rejected(valid, tmp_path):
    def retrack(data, blocks):
        data[blocks[len(blocks) // 2]] = 0x85  # track number 5; the file declares track 1

    path = damaged(valid["opus-no-crc32"], tmp_path / "retracked.mka", retrack)
    assert "its blocks belong to 2 track numbers" in reason_of(path)


def test_a_segment_that_overstates_its_size_is_truncated(valid, tmp_path):
    data = bytearray(valid["demo-vp8"].read_bytes())
    at, length = segment_bounds(data)
    data[at + 1 : at + 8] = (length + 1).to_bytes(7, "big")
    path = tmp_path / "long.mkv"
    path.write_bytes(bytes(data))
    assert "truncated" in reason_of(path)


def test_a_segment_that_understates_its_size_is_corrupt(valid, tmp_path):
    data = bytearray(valid["demo-vp8"].read_bytes())
    at, length = segment_bounds(data)
    data[at + 1 : at + 8] = (length - 23).to_bytes(7, "big")  # the Cues no longer fit
    path = tmp_path / "short.mkv"
    path.write_bytes(bytes(data))
    assert reason_of(path).startswith("The file is corrupt:")


def test_a_live_stream_file_without_a_segment_size_is_rejected(tmp_path):
    """A muxer that cannot seek back leaves the Segment size unknown: nothing shows a cut."""

    class Pipe(io.RawIOBase):  # write-only, not seekable, like a socket or a pipe
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk) -> int:
            self.data += chunk
            return len(chunk)

    pipe = Pipe()
    write(pipe, "matroska", seconds=1, audio={"codec": "libopus"})
    at, _ = segment_bounds(pipe.data)
    assert pipe.data[at : at + 8] == b"\x01" + b"\xff" * 7  # "unknown size"
    path = tmp_path / "live.mka"
    path.write_bytes(bytes(pipe.data))
    reason = reason_of(path)
    assert "no size" in reason
    assert "live stream" in reason


# --- not a recording --------------------------------------------------------------------------


def test_an_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.mka"
    path.touch()
    assert reason_of(path) == "The file is empty."


@pytest.mark.parametrize(
    ("name", "make", "looks_like"),
    [
        ("random", lambda p: p.write_bytes(random.Random(1).randbytes(5000)), "an unknown"),
        ("text", lambda p: p.write_text("This is not a recording. Bonjour, señor!\n" * 9), "text"),
        ("json", lambda p: p.write_text('{"error": "upload failed"}'), "text"),
        ("wav", None, "WAV"),
        ("mp3", lambda p: write(p, "mp3", audio={"codec": "libmp3lame", "rate": 44_100}), "mp3"),
        ("ogg", lambda p: write(p, "ogg", audio={"codec": "libopus"}), "Ogg"),
        ("mp4", lambda p: write(p, "mp4", video={"codec": "libx264"}), "MP4/MOV"),
    ],
)
def test_other_formats_are_not_matroska(tmp_path, name, make, looks_like):
    path = tmp_path / f"upload.{name}"
    if make is None:  # WAV, with the standard library
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\0\1" * 8000)
    else:
        make(path)
    reason = reason_of(path)
    assert reason.startswith(f"The file is not Matroska (it looks like {looks_like}"), reason


def test_mp3_without_id3_tag_is_named_by_its_frame_sync(tmp_path):
    path = tmp_path / "bare.mp3"
    path.write_bytes(b"\xff\xfb\x90\x64" + bytes(400))
    assert reason_of(path) == "The file is not Matroska (it looks like mp3)."


def test_other_ebml_doctypes_are_not_matroska(valid, tmp_path):
    data = valid["demo-opus"].read_bytes()
    path = tmp_path / "other.mka"
    path.write_bytes(data.replace(b"matroska", b"notmkvxx", 1))
    assert reason_of(path) == "The file is not Matroska (its EBML DocType is 'notmkvxx')."


@pytest.mark.parametrize(
    ("kind", "codec_settings", "name"),
    [
        (
            "audio",
            {"codec": "vorbis", "channels": 2, "options": {"strict": "experimental"}},
            "vorbis",
        ),
        ("audio", {"codec": "aac"}, "aac"),
        ("audio", {"codec": "libmp3lame", "rate": 44_100}, "mp3"),
        ("audio", {"codec": "pcm_s16le", "rate": 8000}, "pcm_s16le"),
        ("video", {"codec": "libvpx-vp9"}, "vp9"),
    ],
)
def test_unsupported_codecs_are_rejected_by_name(tmp_path, kind, codec_settings, name):
    path = tmp_path / f"{name}.mk"
    write(path, "matroska", seconds=0.5, **{kind: codec_settings})
    reason = reason_of(path)
    assert f"codec is {name}, which we do not accept" in reason
    assert ("OPUS or PCMU" if kind == "audio" else "VP8 or H264") in reason


def test_audio_and_video_in_one_file_are_rejected(tmp_path):
    path = tmp_path / "both.mkv"
    write(path, "matroska", seconds=0.5, audio={"codec": "libopus"}, video={"codec": "libvpx"})
    reason = reason_of(path)
    assert reason.startswith("The file holds 2 streams (audio, video)"), reason
    assert "exactly one audio or video stream" in reason


def test_two_audio_streams_are_rejected(tmp_path):
    path = tmp_path / "two.mka"
    with av.open(str(path), "w", format="matroska") as container:
        # Every stream must exist before the first packet is muxed (the header is written then).
        streams = [container.add_stream("libopus", rate=48_000) for _ in range(2)]
        for stream in streams:
            for frame in tone(0.2, 48_000):
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    assert reason_of(path).startswith("The file holds 2 streams (audio, audio)")


def test_a_matroska_without_tracks_is_rejected(tmp_path):
    """FFmpeg will not mux zero streams, so build one by hand: EBML header + Segment(Info)."""
    info = ebml(0x1549A966, ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big")))
    path = tmp_path / "none.mka"
    path.write_bytes(ebml_header() + ebml(0x18538067, info))
    assert reason_of(path).startswith("The file holds 0 streams (none)")


def test_a_track_without_frames_is_rejected(tmp_path):
    path = tmp_path / "silent.mka"
    with av.open(str(path), "w", format="matroska") as container:
        container.add_stream("libopus", rate=48_000)
        container.start_encoding()  # header and trailer, no packet
    assert reason_of(path) == "The file holds no frames (its Matroska Segment has no blocks)."


def test_invalid_media_is_a_value_error_with_a_reason():
    error = InvalidMedia("The file is empty.")
    assert isinstance(error, ValueError)
    assert error.reason == str(error) == "The file is empty."


# --- resources --------------------------------------------------------------------------------


def test_a_huge_file_is_not_read_into_memory(valid, tmp_path):
    """1 GB of Void (sparse on disk) at the end of the Segment: probe must seek over it."""
    data = bytearray(valid["demo-vp8"].read_bytes())
    at, length = segment_bounds(data)
    gigabyte = 1 << 30
    void = b"\xec" + ((1 << 56) | gigabyte).to_bytes(8, "big")
    data[at + 1 : at + 8] = (length + len(void) + gigabyte).to_bytes(7, "big")
    path = tmp_path / "huge.mkv"
    with path.open("wb") as file:
        file.write(data + void)
        file.truncate(len(data) + len(void) + gigabyte)  # a hole: no disk, no time
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    try:
        info = probe(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert info.codec == "VP8"
    assert info.duration == pytest.approx(3)
    assert peak < 2 * 1024 * 1024  # Python side
    assert rss_growth < 64 * 1024  # whole process, FFmpeg included


def lacing_damaged(valid, tmp_path) -> Path:
    """Return a file (no CRC) with a block FFmpeg cannot parse and logs an error about."""

    def set_lacing(data, blocks):
        data[blocks[len(blocks) // 2] + 3] |= 0x06

    return damaged(valid["opus-no-crc32"], tmp_path / "laced.mka", set_lacing)


@pytest.mark.parametrize("level", [None, av.logging.WARNING, av.logging.ERROR, av.logging.DEBUG])
def test_probing_is_quiet_and_leaves_pyav_logging_as_it_was(valid, tmp_path, capfd, level):
    bad = lacing_damaged(valid, tmp_path)
    before = (av.logging.get_level(), av.logging.get_skip_repeated())
    av.logging.set_level(level)
    try:
        probe(valid["demo-opus"])
        # FFmpeg's own error reaches the reason, the second time too (PyAV drops a log line
        # identical to the one before unless told otherwise).
        for _ in range(2):
            assert "(Error parsing frame sizes)" in reason_of(bad)
        assert (av.logging.get_level(), av.logging.get_skip_repeated()) == (level, True)
    finally:
        av.logging.set_level(before[0])
        av.logging.set_skip_repeated(before[1])
    assert capfd.readouterr() == ("", "")


def test_concurrent_probes_share_the_log_settings_and_restore_them(valid, tmp_path):
    bad = lacing_damaged(valid, tmp_path)

    def outcome(path: Path) -> str:
        try:
            return probe(path).codec
        except InvalidMedia as error:
            return error.reason

    jobs = [valid["demo-opus"], bad, valid["demo-vp8"], bad] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(outcome, jobs))
    assert results[:4] == ["OPUS", results[1], "VP8", results[1]]
    assert "(Error parsing frame sizes)" in results[1]
    assert results == results[:4] * 4
    assert av.logging.get_level() is None
    assert av.logging.get_skip_repeated() is True


# --- API duration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, 1),  # a zero-length recording is sub-second: still shown as 1
        (0.2, 1),
        (0.5, 1),
        (0.999, 1),
        (1, 1),
        (1.49, 1),
        (1.5, 2),  # half up: what "nearest" means to a user …
        (2.5, 3),  # … not round()'s half-to-even, which would give 2
        (3.008, 3),
        (7, 7),
        (3599.5, 3600),
    ],
)
def test_api_duration_rounds_half_up_and_never_shows_zero(seconds, shown):
    assert api_duration(seconds) == shown
    assert type(api_duration(seconds)) is int


@pytest.mark.parametrize("seconds", [-0.1, math.nan, math.inf])
def test_api_duration_refuses_impossible_durations(seconds):
    with pytest.raises(ValueError, match="finite number of seconds"):
        api_duration(seconds)


def with_big_cluster(data: bytes, filler: int) -> bytearray:
    """Append to the Segment a Cluster with a CRC-32 over filler bytes of Void (no frames)."""
    body = ebml(0xE7, b"\x00") + ebml(0xEC, bytes(filler))
    cluster = ebml(0x1F43B675, b"\xbf\x84" + zlib.crc32(body).to_bytes(4, "little") + body)
    data = bytearray(data)
    at, length = segment_bounds(data)
    data[at + 1 : at + 8] = (length + len(cluster)).to_bytes(7, "big")
    return data + cluster


def test_probe_reads_the_file_in_bounded_chunks(valid, tmp_path, monkeypatch):
    """Our own reads (headers, and CRC-32s chunk by chunk) never take much at once."""
    megabytes = 3 << 20
    path = tmp_path / "big.mkv"
    path.write_bytes(with_big_cluster(valid["demo-vp8"].read_bytes(), megabytes))
    reads: list[int] = []
    real_open = open

    class Counting(io.BufferedReader):
        def read(self, size=-1):
            assert size is not None and size >= 0, "never read to the end of the file"
            chunk = super().read(size)
            reads.append(len(chunk))
            return chunk

    def counting_open(file, mode="r", *args, **kwargs):
        if os.fspath(file) == str(path) and mode == "rb":
            return Counting(io.FileIO(file, "rb"))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    assert probe(path).codec == "VP8"
    assert sum(reads) > megabytes  # the CRC-32 covered the whole Cluster …
    assert max(reads) <= 256 * 1024  # … a chunk at a time


def test_the_crc_covers_a_whole_cluster(valid, tmp_path):
    data = with_big_cluster(valid["demo-vp8"].read_bytes(), 1 << 20)
    data[-1] ^= 0x80  # the last byte of the file
    path = tmp_path / "big.mkv"
    path.write_bytes(bytes(data))
    assert "fails its CRC-32 check" in reason_of(path)
