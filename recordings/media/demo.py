"""Real, playable demo media, in the codecs a media server records: an OPUS or PCMU tone
(Matroska audio) and a VP8 or H.264 test pattern (Matroska video).

Files are small (a few KB per second) so the simulator and the tests can make them on the fly.
"""

import io
import math
import struct
from collections.abc import Iterator
from typing import Literal

import av
import numpy as np

SAMPLE_RATE = 48_000
PCMU_SAMPLE_RATE = 8_000  # G.711 is narrowband: 8 kHz, whatever the room's other tracks use
VIDEO_SIZE = (160, 120)
VIDEO_FPS = 10


def opus_mka(seconds: float, *, frequency: float = 440.0) -> bytes:
    """Return a Matroska audio file holding an OPUS sine tone of the given length."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="matroska") as container:
        stream = container.add_stream("libopus", rate=SAMPLE_RATE, layout="mono")
        for first, samples in _tone(seconds, SAMPLE_RATE, 960, frequency):  # 20 ms, OPUS's usual
            frame = av.AudioFrame.from_ndarray(
                samples.astype(np.float32).reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate = SAMPLE_RATE
            frame.pts = first
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def pcmu_mka(seconds: float, *, frequency: float = 440.0) -> bytes:
    """Return a Matroska audio file holding a PCMU (G.711 µ-law, 8 kHz) sine tone.

    Matroska has no codec ID of its own for G.711: FFmpeg's muxer writes it as ``A_MS/ACM`` (a
    WAVEFORMATEX of tag 7), but only when told to be non-standard, which PyAV never is. So the
    samples are encoded by FFmpeg and the file is written here, as FFmpeg would write it.
    """
    encoder = av.CodecContext.create("pcm_mulaw", "w")
    encoder.sample_rate, encoder.layout, encoder.format = PCMU_SAMPLE_RATE, "mono", "s16"
    blocks = []
    for first, samples in _tone(seconds, PCMU_SAMPLE_RATE, 160, frequency):  # 20 ms, RTP's size
        frame = av.AudioFrame.from_ndarray(
            (samples * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = PCMU_SAMPLE_RATE, first
        blocks += [(first * 1000 // PCMU_SAMPLE_RATE, bytes(p)) for p in encoder.encode(frame)]
    return _matroska_acm(blocks, seconds=seconds)


def _tone(
    seconds: float, rate: int, frame_samples: int, frequency: float
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first sample, samples) of a sine tone, a frame at a time."""
    total = round(seconds * rate)
    for first in range(0, total, frame_samples):
        t = np.arange(first, min(first + frame_samples, total)) / rate
        yield first, 0.2 * np.sin(2 * math.pi * frequency * t)


def _ebml(element: int, payload: bytes) -> bytes:
    # Every size on 8 bytes (0x01 and 7 of value): valid EBML, and no length to compute twice.
    return (
        element.to_bytes((element.bit_length() + 7) // 8, "big")
        + ((1 << 56) | len(payload)).to_bytes(8, "big")
        + payload
    )


def _uint(element: int, value: int) -> bytes:
    return _ebml(element, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def _matroska_acm(blocks: list[tuple[int, bytes]], *, seconds: float) -> bytes:
    """Return a Matroska file of one mono 8 kHz µ-law track of these (milliseconds, data)."""
    header = _ebml(
        0x1A45DFA3,
        _uint(0x4286, 1) + _uint(0x42F7, 1) + _uint(0x42F2, 4) + _uint(0x42F3, 8)
        + _ebml(0x4282, b"matroska") + _uint(0x4287, 4) + _uint(0x4285, 2),
    )  # fmt: skip
    info = _ebml(
        0x1549A966,
        _uint(0x2AD7B1, 1_000_000) + _ebml(0x4489, struct.pack(">d", seconds * 1000))
        + _ebml(0x4D80, b"roomvault demo") + _ebml(0x5741, b"roomvault demo"),
    )  # fmt: skip
    # WAVEFORMATEX: µ-law (7), 1 channel, 8000 Hz, 8000 bytes/s, 1-byte blocks, 8 bits.
    waveformat = struct.pack("<HHIIHHH", 7, 1, PCMU_SAMPLE_RATE, PCMU_SAMPLE_RATE, 1, 8, 0)
    track = _ebml(
        0xAE,
        _uint(0xD7, 1) + _uint(0x73C5, 1) + _uint(0x83, 2) + _ebml(0x86, b"A_MS/ACM")
        + _ebml(0x63A2, waveformat) + _uint(0x23E383, 20_000_000)
        + _ebml(0xE1, _ebml(0xB5, struct.pack(">d", PCMU_SAMPLE_RATE)) + _uint(0x9F, 1)),
    )  # fmt: skip
    clusters = b""
    for start in range(0, len(blocks), 500):  # 10 s a cluster: block times fit in 16 bits
        first_ms = blocks[start][0]
        clusters += _ebml(
            0x1F43B675,
            _uint(0xE7, first_ms)
            + b"".join(
                _ebml(0xA3, b"\x81" + struct.pack(">hB", ms - first_ms, 0x80) + data)
                for ms, data in blocks[start : start + 500]
            ),
        )
    return header + _ebml(0x18538067, info + _ebml(0x1654AE6B, track) + clusters)


def vp8_mkv(seconds: float) -> bytes:
    """Return a Matroska video file holding a VP8 moving test pattern of the given length."""
    return _pattern_mkv(seconds, "libvpx", {})


def h264_mkv(seconds: float) -> bytes:
    """Return a Matroska video file holding an H.264 moving test pattern of the given length."""
    # Constrained Baseline, as WebRTC sends it: no B-frames, so every frame's DTS is its PTS.
    return _pattern_mkv(
        seconds, "libx264", {"profile": "baseline", "preset": "ultrafast", "tune": "zerolatency"}
    )


def _pattern_mkv(
    seconds: float, codec: Literal["libvpx", "libx264"], options: dict[str, str]
) -> bytes:
    out = io.BytesIO()
    width, height = VIDEO_SIZE
    with av.open(out, mode="w", format="matroska") as container:
        stream = container.add_stream(codec, rate=VIDEO_FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = 100_000
        x = np.arange(width)[None, :, None]
        y = np.arange(height)[:, None, None]
        for i in range(max(1, round(seconds * VIDEO_FPS))):
            image = np.concatenate(
                [(x * 2 + i * 8) % 256 + 0 * y, (y * 2 + 0 * x) % 256, (x + y + i * 4) % 256],
                axis=2,
            ).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()
