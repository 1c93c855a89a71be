"""Render a composition with PyAV: tracks on the room's clock → one MP4 or WebM file.

Inputs are a track's file and the second of the room at which its media starts; the file's own
first timestamp is that moment, later ones follow it. A video input also carries its track's name
and SID, which the layout's regions select by. A video source's SID in the layout (its order among
sources that start together) is its file's name without extension. Nothing here knows rooms or
recordings.

Video is drawn as the layout's regions place it (Twilio's default grid of every video input
without one); an input that no region names is opened only to read its size and length, and
does not count for trim. With no video shown the file is audio only.

Streaming: one decoder per input, advanced in step with the output clock, holding one video frame
(and its scaled copy) or a few audio frames per input, so memory does not grow with the room.

The output clock runs at ``FPS`` frames a second (24: smooth for camera video, half the encoding
work of 48/50) and carries ``SAMPLE_RATE // FPS`` audio samples per video frame, so the two
streams stay in step without drift. Audio is resampled to 48 kHz stereo and mixed by a linear
adder: the sources are summed, then clipped to [-1, 1].

Trim: the output covers the union of the intervals where some input has media, the gaps between
them (and the silence before the first and after the last) cut; without trim it covers the room
from its start (0) to the end of the last track.
"""

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal, NamedTuple

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from recordings.compositions.layout import DEFAULT_LAYOUT, LayoutPlan, Region, Source

FPS = 24
SAMPLE_RATE = 48_000
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS


@dataclass(frozen=True)
class OutputFormat:
    container: str
    video_codec: Literal["libx264", "libvpx"]
    audio_codec: Literal["aac", "libopus"]
    container_options: dict[str, str]
    video_options: dict[str, object]


FORMATS = {
    # faststart: the index (moov) before the media, so browsers play and seek while downloading.
    "mp4": OutputFormat(
        "mp4", "libx264", "aac", {"movflags": "+faststart"}, {"preset": "veryfast"}
    ),
    # A real-time deadline makes VP8 encode several times faster, at a little more bit rate.
    "webm": OutputFormat(
        "webm", "libvpx", "libopus", {}, {"deadline": "realtime", "cpu-used": "8"}
    ),
}

Input = tuple[str | Path, float]


class VideoInput(NamedTuple):
    """A video track's file, when its media starts in the room, and what names its track."""

    path: str | Path
    start: float
    track_name: str
    track_sid: str = ""


def _duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    """Return a file's media length in seconds, from the container or else its stream."""
    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    raise ValueError(f"{container.name}: the media length is unknown")


class _VideoTrack:
    """One video input, decoded forward only: ``at(t)`` is its latest frame at room time t."""

    def __init__(self, video: VideoInput):
        path, start = video.path, video.start
        self.container = av.open(str(path))
        stream = self.container.streams.video[0]
        # Frame threads: decoding the cameras is a third of the work, and x264 leaves a core idle.
        stream.thread_type = "AUTO"
        self._frames: Iterator[av.VideoFrame] = self.container.decode(stream)
        self._next: av.VideoFrame | None = next(self._frames, None)
        self._first = (self._next.time or 0.0) if self._next is not None else 0.0
        self._frame: av.VideoFrame | None = None
        self._scaled: tuple[av.VideoFrame, int, int, av.VideoFrame] | None = None
        # One scaler for the track: frame.reformat sets up a new one (and its threads) per call,
        # ten times the cost of the scaling itself. One thread: the codecs keep the cores busy.
        self._scaler = VideoReformatter()
        self.start = start
        width, height = stream.codec_context.width, stream.codec_context.height
        end = start + _duration(self.container, stream)
        self.source = Source(
            Path(path).stem, start, end, width, height, video.track_name, video.track_sid
        )

    def at(self, t: float) -> av.VideoFrame | None:
        while self._next is not None and self.start + (self._next.time or 0.0) - self._first <= t:
            self._frame, self._next = self._next, next(self._frames, None)
        return self._frame

    def scaled(self, t: float, width: int, height: int) -> av.VideoFrame | None:
        """Return the frame at ``t`` as 4:2:0 YUV at this size, scaling each decoded frame once.

        Cameras send 4:2:0 already, so this only scales: no trip through RGB and back.
        """
        frame = self.at(t)
        if frame is None:
            return None
        if self._scaled is None or self._scaled[:3] != (frame, width, height):
            image = self._scaler.reformat(
                frame, width=width, height=height, format="yuv420p", threads=1
            )
            self._scaled = (frame, width, height, image)
        return self._scaled[3]


class _AudioTrack:
    """One audio input, decoded forward only and resampled to 48 kHz stereo planar float."""

    def __init__(self, path: str | Path, start: float):
        self.container = av.open(str(path))
        stream = self.container.streams.audio[0]
        self._frames: Iterator[av.AudioFrame] = self.container.decode(stream)
        self._resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
        self._buffer = np.zeros((2, 0), dtype=np.float32)
        self._buffer_start = round(start * SAMPLE_RATE)  # room sample of _buffer[:, 0]
        self._done = False
        self.start = start
        self.end = start + _duration(self.container, stream)

    def _pull(self) -> None:
        frame = next(self._frames, None)
        self._done = frame is None
        chunks = [f.to_ndarray() for f in self._resampler.resample(frame)]
        if chunks:
            self._buffer = np.concatenate([self._buffer, *chunks], axis=1)

    def read(self, position: int, count: int) -> np.ndarray:
        """Return room samples [position, position + count): silence where there is no media.

        Reads only move forward; what lies before ``position`` is dropped.
        """
        end = position + count
        while not self._done and self._buffer_start + self._buffer.shape[1] < end:
            self._pull()
            self._drop_before(position)
        out = np.zeros((2, count), dtype=np.float32)
        lo = max(position, self._buffer_start)
        hi = min(end, self._buffer_start + self._buffer.shape[1])
        if hi > lo:
            out[:, lo - position : hi - position] = self._buffer[
                :, lo - self._buffer_start : hi - self._buffer_start
            ]
        self._drop_before(end)
        return out

    def _drop_before(self, position: int) -> None:
        drop = min(max(0, position - self._buffer_start), self._buffer.shape[1])
        if drop:
            self._buffer = self._buffer[:, drop:]
            self._buffer_start += drop


def _planes(frame: av.VideoFrame) -> list[np.ndarray]:
    """Return views of a 4:2:0 frame's Y, U and V planes (rows x visible width)."""
    views = []
    for plane in frame.planes:
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
        views.append(rows[: plane.height, : plane.width])
    return views


def _black(width: int, height: int) -> av.VideoFrame:
    """Return a new black 4:2:0 frame (limited range: Y 16, U and V 128).

    A new one per output frame, because the encoder may still hold the previous one.
    """
    frame = av.VideoFrame(width, height, "yuv420p")
    luma, *chroma = _planes(frame)
    luma.fill(16)
    for plane in chroma:
        plane.fill(128)
    return frame


def _paste(canvas: av.VideoFrame, image: av.VideoFrame, x: int, y: int) -> None:
    """Copy a 4:2:0 image onto the canvas with its top-left corner at (x, y)."""
    for scale, target, source in zip((1, 2, 2), _planes(canvas), _planes(image), strict=True):
        left, top = x // scale, y // scale
        rows, columns = source.shape
        target[top : top + rows, left : left + columns] = source


def spans(intervals: Sequence[tuple[float, float]], *, trim: bool) -> list[tuple[float, float]]:
    """Return the stretches of the room the output covers, in order (see the module's Trim)."""
    if not trim:
        return [(0.0, max(end for _, end in intervals))]
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [(start, end) for start, end in merged if end > start]


def compose(
    video_inputs: Sequence[VideoInput],
    audio_inputs: Sequence[Input],
    *,
    resolution: tuple[int, int],
    fmt: str,
    out_path: str | Path,
    trim: bool = True,
    layout: Sequence[Region] | None = None,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Compose the inputs into ``out_path`` and return the file's duration in seconds.

    The video (if the layout shows any input) is drawn as ``layout`` places it, None meaning
    Twilio's default grid; the audio (if any input has audio) is the mix of every audio input.
    ``progress`` is called with each new whole percent. Raise ValueError when there is nothing
    to compose.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if not video_inputs and not audio_inputs:
        raise ValueError("Nothing to compose: no video and no audio inputs")
    output = FORMATS[fmt]
    width, height = resolution
    with contextlib.ExitStack() as stack:
        videos = [_VideoTrack(VideoInput(*video)) for video in video_inputs]
        audios = [_AudioTrack(path, start) for path, start in audio_inputs]
        for container in [*(v.container for v in videos), *(a.container for a in audios)]:
            stack.callback(container.close)
        plan = LayoutPlan(
            DEFAULT_LAYOUT if layout is None else layout, [v.source for v in videos], resolution
        )
        if not plan.sources and not audios:
            raise ValueError("Nothing to compose: the layout shows no video and there is no audio")
        videos = [v for v in videos if v.source in plan.sources]
        by_sid = {v.source.sid: v for v in videos}
        covered = spans(
            [(s.start, s.end) for s in plan.sources] + [(a.start, a.end) for a in audios],
            trim=trim,
        )
        frame_counts = [math.ceil((end - start) * FPS) for start, end in covered]
        total = sum(frame_counts)

        out = stack.enter_context(
            av.open(
                str(out_path),
                mode="w",
                format=output.container,
                container_options=output.container_options,
            )
        )
        video_stream = audio_stream = None
        if videos:
            video_stream = out.add_stream(output.video_codec, rate=FPS)
            video_stream.width, video_stream.height = width, height
            video_stream.pix_fmt = "yuv420p"
            video_stream.bit_rate = 1_000_000
            video_stream.options = dict(output.video_options)
            # PyAV asks for slice threads; x264's frame threads (ffmpeg's default) do more per core.
            video_stream.thread_type = "AUTO"
        if audios:
            audio_stream = out.add_stream(output.audio_codec, rate=SAMPLE_RATE, layout="stereo")

        index, percent = 0, -1
        for (start, _), count in zip(covered, frame_counts, strict=True):
            for k in range(count):
                t = start + k / FPS
                if video_stream is not None:
                    frame = _black(width, height)
                    for place in plan.placements_at(t):
                        image = by_sid[place.source.sid].scaled(t, place.width, place.height)
                        if image is not None:
                            _paste(frame, image, place.x, place.y)
                    frame.pts, frame.time_base = index, Fraction(1, FPS)
                    out.mux(video_stream.encode(frame))
                if audio_stream is not None:
                    position = round(start * SAMPLE_RATE) + k * SAMPLES_PER_FRAME
                    mix = sum(a.read(position, SAMPLES_PER_FRAME) for a in audios)
                    samples = np.clip(mix, -1.0, 1.0).astype(np.float32)
                    chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
                    chunk.sample_rate = SAMPLE_RATE
                    chunk.pts = index * SAMPLES_PER_FRAME
                    chunk.time_base = Fraction(1, SAMPLE_RATE)
                    out.mux(audio_stream.encode(chunk))
                index += 1
                if progress is not None and (now := 100 * index // total) != percent:
                    percent = now
                    progress(percent)
        if video_stream is not None:
            out.mux(video_stream.encode(None))
        if audio_stream is not None:
            out.mux(audio_stream.encode(None))
    return total / FPS
