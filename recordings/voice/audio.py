"""Audio of voice (phone call) recordings: decode, cut, trim, mix and encode, as Twilio serves it.

Twilio's call recordings are 8 kHz, 16-bit PCM WAV (``audio/x-wav``) or 32 kbps MP3
(``audio/mpeg``), in one channel or two (the inbound leg in channel 0, the outbound in 1). PyAV
does every decode, resample, downmix and encode; numpy does the sample arithmetic in between.
"""

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

SAMPLE_RATE = 8000
MP3_BIT_RATE = 32_000
LAYOUTS = {1: "mono", 2: "stereo"}
# 20 ms windows whose peak is under -40 dBFS are silence (the level of a quiet line, not speech).
WINDOW = SAMPLE_RATE // 50
SILENCE_THRESHOLD = round(32768 * 10 ** (-40 / 20))
# A container's stated length may exceed what its packets decode to by a codec's padding; a file
# falling short by more than this was cut off.
TRUNCATION_TOLERANCE = 0.1
# Frames of one second keep PyAV's buffers small however long the call was.
FRAME_SAMPLES = SAMPLE_RATE
# Streaming WAV writers cannot know the data size up front and leave one of these in its place.
UNKNOWN_WAV_SIZES = (0, 0xFFFFFFFF)
# The EBML header and Segment IDs that open a Matroska file.
MATROSKA_EBML = bytes.fromhex("1a45dfa3")
MATROSKA_SEGMENT = bytes.fromhex("18538067")


class InvalidAudio(Exception):
    """The upload is not audio we can read (reason in .reason)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# eq=False: comparing arrays element-wise has no single truth value, so Audio compares by identity.
@dataclass(frozen=True, eq=False)
class Audio:
    """Samples of a recording: int16, shape (channels, n), with 1 or 2 channels."""

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        """Refuse samples that are not int16 in 1 or 2 channels."""
        if self.samples.dtype != np.int16 or self.samples.ndim != 2:
            raise ValueError("Audio samples must be a 2-D int16 array (channels, n)")
        if self.samples.shape[0] not in LAYOUTS:
            raise ValueError(f"Audio has 1 or 2 channels, not {self.samples.shape[0]}")

    @property
    def channels(self) -> int:
        """Return the number of channels."""
        return self.samples.shape[0]

    @property
    def duration(self) -> float:
        """Return the length in seconds."""
        return self.samples.shape[1] / self.sample_rate


# The longest audio decoded: held in memory as 8 kHz int16 (115 MB an hour in two channels), so
# a call longer than Twilio's longest (24 h) is refused rather than allowed to exhaust memory.
MAX_SECONDS = 24 * 3600


def decode(path: Path, *, max_seconds: float = MAX_SECONDS) -> Audio:
    """Read any audio file PyAV can decode into 8 kHz int16, keeping 1 or 2 channels; refuse
    audio longer than ``max_seconds``."""
    try:
        if os.path.getsize(path) == 0:
            raise InvalidAudio("The file is empty.")
        with av.open(str(path)) as container:
            if not container.streams.audio:
                kinds = ", ".join(stream.type for stream in container.streams) or "nothing"
                raise InvalidAudio(f"The file holds no audio stream (it holds {kinds}).")
            stream = container.streams.audio[0]
            if stream.channels not in LAYOUTS:
                raise InvalidAudio(
                    f"The audio has {stream.channels} channels; a call recording has 1 or 2."
                )
            resampler = av.AudioResampler(
                format="s16p", layout=LAYOUTS[stream.channels], rate=SAMPLE_RATE
            )
            chunks, samples, limit = [], 0, max_seconds * SAMPLE_RATE
            for decoded in container.decode(stream):
                for frame in resampler.resample(decoded):
                    chunks.append(frame.to_ndarray())
                    samples += frame.samples
                if samples > limit:
                    raise InvalidAudio(
                        f"The audio is longer than {max_seconds / 3600:g} hours: no call is."
                    )
            chunks += [frame.to_ndarray() for frame in resampler.resample(None)]
            stated = container.duration / av.time_base if container.duration else None
            format_name = container.format.name
        if sum(chunk.shape[1] for chunk in chunks) == 0:
            raise InvalidAudio("The file holds no audio samples.")
        audio = Audio(np.concatenate(chunks, axis=1))
        reason = _truncation(path, format_name, stated, audio.duration)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise _unreadable(exc) from None
    if reason:
        raise InvalidAudio(reason)
    return audio


def _truncation(path: Path, format_name: str, stated: float | None, duration: float) -> str | None:
    """Return why a decoded file was cut short, or None when it is whole."""
    # FFmpeg plays a WAV cut short without a word: its header's data size tells.
    if format_name == "wav" and _wav_is_truncated(path):
        return "The file is truncated: it ends before the audio its header sizes."
    # Nor does it mind a Matroska file cut in its last packets or its trailing Cues, which the
    # duration check below lets through (up to its tolerance, or entirely): a finished file's
    # Segment states its size, as a WAV's data chunk does.
    if format_name == "matroska,webm" and _matroska_is_truncated(path):
        return "The file is truncated: it ends before the Matroska Segment its header sizes."
    # Only Matroska states its length independently of its size: FFmpeg guesses other lengths
    # from the bitrate (over-long for a VBR MP3), which would refuse good files.
    if format_name == "matroska,webm" and stated and duration < stated - TRUNCATION_TOLERANCE:
        return (
            f"The file is truncated: it states {stated:.3f} s of audio but holds {duration:.3f} s."
        )
    return None


def _unreadable(exc: Exception) -> InvalidAudio:
    """Return the InvalidAudio for a file FFmpeg (or the file system) could not read."""
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return InvalidAudio(f"The file is not audio we can read: {detail}.")


def _wav_is_truncated(path: Path) -> bool:
    """Tell whether a WAV file ends before the data size its header declares."""
    with open(path, "rb") as file:
        riff = file.read(12)
        if riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
            return False
        while len(header := file.read(8)) == 8:
            size = int.from_bytes(header[4:], "little")
            if header[:4] == b"data":
                return size not in UNKNOWN_WAV_SIZES and os.path.getsize(path) - file.tell() < size
            # RIFF chunks are padded to an even length.
            file.seek(size + size % 2, io.SEEK_CUR)
    return False


def _matroska_is_truncated(path: Path) -> bool:
    """Tell whether a Matroska file ends before the size its Segment declares.

    A Segment of unknown size (written as a live stream) declares none: only the duration check
    can judge it.
    """
    with open(path, "rb") as file:
        if file.read(4) != MATROSKA_EBML:
            return False
        header = _ebml_size(file)
        if header is None:
            return False
        file.seek(header, io.SEEK_CUR)
        if file.read(4) != MATROSKA_SEGMENT:
            return False
        segment = _ebml_size(file)
        return segment is not None and os.path.getsize(path) - file.tell() < segment


def _ebml_size(file: BinaryIO) -> int | None:
    """Read an EBML element size (a variable-length integer); None when unknown or unreadable."""
    first = file.read(1)
    if not first or first[0] == 0:
        return None
    length = 9 - first[0].bit_length()  # leading zero bits + 1
    rest = file.read(length - 1)
    if len(rest) < length - 1:
        return None
    value = int.from_bytes(bytes([first[0] & (0xFF >> length)]) + rest, "big")
    # All value bits set means "unknown size".
    return None if value == (1 << (7 * length)) - 1 else value


def apply_pauses(audio: Audio, pauses: Sequence[tuple[float, float | None, str]]) -> Audio:
    """Apply pause spans (start s, end s, behavior 'skip'|'silence') from the recording's start."""
    n = audio.samples.shape[1]
    samples = audio.samples.copy()
    # A mask cuts overlapping skips once and makes their order irrelevant; every span is placed
    # on the original timeline before anything is cut.
    keep = np.ones(n, dtype=bool)
    for start, end, behavior in pauses:
        first = min(max(round(start * audio.sample_rate), 0), n)
        last = n if end is None else min(max(round(end * audio.sample_rate), first), n)
        if behavior == "silence":
            samples[:, first:last] = 0
        elif behavior == "skip":
            keep[first:last] = False
        else:
            raise ValueError(f"Unknown pause behavior {behavior!r}: 'skip' or 'silence'")
    return Audio(samples[:, keep], audio.sample_rate)


def _loud_windows(audio: Audio) -> np.ndarray:
    """Return, per 20 ms window, whether any channel peaks at or above the silence threshold."""
    samples = audio.samples
    if samples.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    starts = np.arange(0, samples.shape[1], WINDOW)
    # Peaks from per-window max and min: abs() of int16 overflows at -32768.
    highs = np.maximum.reduceat(samples, starts, axis=1).astype(np.int32)
    lows = np.minimum.reduceat(samples, starts, axis=1).astype(np.int32)
    return (np.maximum(highs, -lows) >= SILENCE_THRESHOLD).any(axis=0)


def trim_silence(audio: Audio) -> Audio:
    """Cut leading and trailing silence (every channel below a threshold, in 20 ms windows)."""
    loud = np.flatnonzero(_loud_windows(audio))
    if loud.size == 0:
        return Audio(audio.samples[:, :0], audio.sample_rate)
    return Audio(audio.samples[:, loud[0] * WINDOW : (loud[-1] + 1) * WINDOW], audio.sample_rate)


def is_silent(audio: Audio) -> bool:
    """Tell whether no 20 ms window of any channel rises above the silence threshold."""
    return not _loud_windows(audio).any()


def select_track(audio: Audio, *, track: str, channels: int) -> Audio:
    """Keep what a recording records: track 'inbound', 'outbound' or 'both', in 1 or 2 channels."""
    if track not in ("inbound", "outbound", "both"):
        raise ValueError(f"Unknown track {track!r}: 'inbound', 'outbound' or 'both'")
    if channels not in LAYOUTS:
        raise ValueError(f"A recording has 1 or 2 channels, not {channels}")
    # A one-channel upload is the call already mixed: there is no leg to pick out of it.
    if audio.channels == 1:
        return audio
    if track == "inbound":
        return Audio(audio.samples[:1], audio.sample_rate)
    if track == "outbound":
        return Audio(audio.samples[1:], audio.sample_rate)
    return audio if channels == 2 else downmix(audio)


def downmix(audio: Audio) -> Audio:
    """Mix to one channel with PyAV's resampler (a mono Audio is returned as is)."""
    if audio.channels == 1:
        return audio
    resampler = av.AudioResampler(format="s16p", layout="mono", rate=audio.sample_rate)
    chunks = [
        frame.to_ndarray()
        for decoded in [*_frames(audio), None]
        for frame in resampler.resample(decoded)
    ]
    if not chunks:
        return Audio(np.zeros((1, 0), dtype=np.int16), audio.sample_rate)
    return Audio(np.concatenate(chunks, axis=1), audio.sample_rate)


def _frames(audio: Audio) -> list[av.AudioFrame]:
    """Split the audio into PyAV frames of one second."""
    frames = []
    for first in range(0, audio.samples.shape[1], FRAME_SAMPLES):
        chunk = np.ascontiguousarray(audio.samples[:, first : first + FRAME_SAMPLES])
        frame = av.AudioFrame.from_ndarray(chunk, format="s16p", layout=LAYOUTS[audio.channels])
        frame.sample_rate = audio.sample_rate
        frame.pts = first
        frames.append(frame)
    return frames


def write_wav(audio: Audio, out: BinaryIO) -> None:
    """Write the audio as a PCM s16le WAV (8 kHz) with PyAV."""
    _write(audio, out, container_format="wav", codec="pcm_s16le")


def encode(audio: Audio, *, format: str, out: BinaryIO) -> None:
    """Encode the audio as 'wav' (PCM s16le, 8 kHz) or 'mp3' (libmp3lame, 32 kbps) into out."""
    if format == "wav":
        write_wav(audio, out)
    elif format == "mp3":
        _write(audio, out, container_format="mp3", codec="libmp3lame", bit_rate=MP3_BIT_RATE)
    else:
        raise ValueError(f"Unknown audio format {format!r}: 'wav' or 'mp3'")


def _write(
    audio: Audio, out: BinaryIO, *, container_format: str, codec: str, bit_rate: int | None = None
) -> None:
    """Encode the audio at 8 kHz with a codec into a container written to out."""
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=SAMPLE_RATE, layout=LAYOUTS[audio.channels])
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        # PyAV writes the header with the first packet: an empty Audio would leave out empty.
        container.start_encoding()
        for frame in _frames(audio):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def speech(seconds: float, *, dual: bool, seed: int = 0) -> Audio:
    """Make real call-like audio: two speakers taking turns, one per channel when dual."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SAMPLE_RATE)
    legs = np.zeros((2, n))
    pitches = (rng.uniform(110, 140), rng.uniform(200, 240))
    speaker, at = 0, 0
    while at < n:
        turn_end = at + round(rng.uniform(1.0, 3.0) * SAMPLE_RATE)
        while at < min(turn_end, n):
            length = round(rng.uniform(0.12, 0.30) * SAMPLE_RATE)
            # Too little time left for another gap and syllable: this one runs to the end, so
            # the recording ends in speech and trimming leaves it whole.
            if n - (at + length) < 0.6 * SAMPLE_RATE:
                length = n - at
            legs[speaker, at : at + length] = _syllable(length, pitches[speaker], rng)
            at += length + round(rng.uniform(0.04, 0.12) * SAMPLE_RATE)
        speaker = 1 - speaker
        at += round(rng.uniform(0.15, 0.4) * SAMPLE_RATE)
    samples = legs if dual else legs.sum(axis=0, keepdims=True)
    return Audio(np.round(samples * 32767).astype(np.int16))


def _syllable(length: int, pitch: float, rng: np.random.Generator) -> np.ndarray:
    """Return a voiced syllable: harmonics of a gliding pitch, enveloped, peaking near -10 dBFS."""
    k = np.arange(length)
    # A falling glide, as in spoken intonation.
    frequency = pitch * np.linspace(1.06, 0.94, length)
    phase = 2 * math.pi * np.cumsum(frequency) / SAMPLE_RATE
    wave = sum(np.sin(h * phase) / h for h in range(1, 6))
    ramp = 0.01 * SAMPLE_RATE  # 10 ms attack and release: no clicks
    envelope = np.clip(np.minimum(k + 1, length - k) / ramp, 0, 1)
    wave = wave * envelope
    return wave * rng.uniform(0.25, 0.35) / max(np.abs(wave).max(), 1e-9)


def info(data_or_path: bytes | Path) -> dict:
    """Return what a media file is: format, codec, channels, sample rate, duration and bit rate."""
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path)
    try:
        with av.open(source) as container:
            if not container.streams.audio:
                raise InvalidAudio("The file holds no audio stream.")
            stream = container.streams.audio[0]
            return {
                "format": container.format.name,
                # canonical_name is the codec's own name ("mp3"), not its decoder's ("mp3float").
                "codec": stream.codec_context.codec.canonical_name,
                "channels": stream.channels,
                "sample_rate": stream.rate,
                "duration": (
                    container.duration / av.time_base if container.duration is not None else None
                ),
                "bit_rate": stream.bit_rate or container.bit_rate or None,
            }
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise _unreadable(exc) from None
