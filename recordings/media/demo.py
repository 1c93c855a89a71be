"""Real, playable demo media: an OPUS tone (Matroska audio) and a VP8 test pattern (Matroska video).

Files are small (a few KB per second) so the simulator and the tests can make them on the fly.
"""

import io
import math

import av
import numpy as np

SAMPLE_RATE = 48_000
VIDEO_SIZE = (160, 120)
VIDEO_FPS = 10


def opus_mka(seconds: float, *, frequency: float = 440.0) -> bytes:
    """Return a Matroska audio file holding an OPUS sine tone of the given length."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="matroska") as container:
        stream = container.add_stream("libopus", rate=SAMPLE_RATE, layout="mono")
        frame_samples = 960  # 20 ms, OPUS's usual frame
        total = round(seconds * SAMPLE_RATE)
        for first in range(0, total, frame_samples):
            n = min(frame_samples, total - first)
            t = (np.arange(first, first + n) / SAMPLE_RATE).astype(np.float32)
            samples = (0.2 * np.sin(2 * math.pi * frequency * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = first
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def vp8_mkv(seconds: float) -> bytes:
    """Return a Matroska video file holding a VP8 moving test pattern of the given length."""
    out = io.BytesIO()
    width, height = VIDEO_SIZE
    with av.open(out, mode="w", format="matroska") as container:
        stream = container.add_stream("libvpx", rate=VIDEO_FPS)
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
