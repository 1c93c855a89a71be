"""Audio of voice (phone call) recordings: decode, cut, trim, mix and encode, as Twilio serves it.

Twilio's call recordings are 8 kHz, 16-bit PCM WAV (``audio/x-wav``) or 32 kbps MP3
(``audio/mpeg``), in one channel or two (the inbound leg in channel 0, the outbound in 1). PyAV
does every decode, resample, downmix and encode; numpy does the sample arithmetic in between.

Uploads and stored files are read a chunk (ten seconds) at a time and written as they are
read, through a raw PCM file on disk where a step needs the whole (trimming): a call of hours
takes no more memory than one of seconds. The whole-``Audio`` functions are the same steps on one
chunk.
"""

import io
import itertools
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
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
# Audio is handled ten seconds at a time: few Python steps an hour (a decoded frame may be an
# eighth of a second), and a third of a megabyte of samples at most.
CHUNK_SAMPLES = 10 * SAMPLE_RATE
# Streaming WAV writers cannot know the data size up front and leave one of these in its place.
UNKNOWN_WAV_SIZES = (0, 0xFFFFFFFF)
# The EBML header and Segment IDs that open a Matroska file.
MATROSKA_EBML = bytes.fromhex("1a45dfa3")
MATROSKA_SEGMENT = bytes.fromhex("18538067")
# The only demuxers a file is read with: audio containers. FFmpeg still probes with all of its own,
# but refuses one off this list before reading past the probe: a concat list (ffconcat) or a
# playlist (HLS, DASH) would open the files it names, the server's own among them. Only the file
# protocol, so that no allowed container reaches out either.
AUDIO_DEMUXERS = "wav,w64,aiff,caf,mp3,flac,ogg,matroska,webm,mov,mp4,m4a,aac,amr"
OPEN_OPTIONS = {"format_whitelist": AUDIO_DEMUXERS, "protocol_whitelist": "file"}
ENCODINGS = {"wav": ("wav", "pcm_s16le", None), "mp3": ("mp3", "libmp3lame", MP3_BIT_RATE)}


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


# The longest audio taken: a call longer than Twilio's longest (24 h) is refused rather than
# allowed to fill the disk (115 MB an hour in two channels as 8 kHz int16) and a worker's time.
MAX_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Cut:
    """What cut() wrote: its length (seconds) and channels, and whether anything was heard
    before trimming."""

    duration: float
    channels: int
    had_sound: bool


def decode(path: Path, *, max_seconds: float = MAX_SECONDS) -> Audio:
    """Read a whole audio file into memory (see chunks(); only for files known to be short)."""
    return Audio(np.concatenate(list(chunks(path, max_seconds=max_seconds)), axis=1))


def measure(path: Path, *, max_seconds: float = MAX_SECONDS) -> tuple[int, float]:
    """Return an audio file's channels and length in seconds, read a chunk at a time."""
    channels, samples = 0, 0
    for chunk in chunks(path, max_seconds=max_seconds):
        channels, samples = chunk.shape[0], samples + chunk.shape[1]
    return channels, samples / SAMPLE_RATE


def chunks(path: Path, *, max_seconds: float = MAX_SECONDS) -> Iterator[np.ndarray]:
    """Yield any audio file PyAV can decode as 8 kHz int16 chunks (channels, n) in 1 or 2
    channels, of about CHUNK_SAMPLES each.

    Raise InvalidAudio for what is not a whole call recording no longer than ``max_seconds``, as
    soon as it shows: a file cut short is only known after its last chunk, so a caller keeps
    nothing it wrote until the chunks are done.
    """
    try:
        if os.path.getsize(path) == 0:
            raise InvalidAudio("The file is empty.")
        with _open(path) as container:
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
            # Samples decoded in all, and those since the last chunk was yielded.
            samples, since, held = 0, 0, []
            for decoded in itertools.chain(container.decode(stream), [None]):
                for frame in resampler.resample(decoded):
                    samples, since = samples + frame.samples, since + frame.samples
                    held.append(frame.to_ndarray())
                if samples > max_seconds * SAMPLE_RATE:
                    raise InvalidAudio(
                        f"The audio is longer than {max_seconds / 3600:g} hours: no call is."
                    )
                if held and (since >= CHUNK_SAMPLES or decoded is None):
                    yield np.concatenate(held, axis=1)
                    since, held = 0, []
            stated = container.duration / av.time_base if container.duration else None
            format_name = container.format.name
        if samples == 0:
            raise InvalidAudio("The file holds no audio samples.")
        reason = _truncation(path, format_name, stated, samples / SAMPLE_RATE)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise _unreadable(exc) from None
    if reason:
        raise InvalidAudio(reason)


def _open(source: str | Path | BinaryIO):
    """Open a file for reading with the audio demuxers alone."""
    try:
        return av.open(
            source if isinstance(source, io.IOBase) else str(source),
            container_options=OPEN_OPTIONS,
        )
    except av.ArgumentError:
        # What FFmpeg answers for a format off the list (and a few demuxers for a header they
        # cannot take: refused all the same).
        raise InvalidAudio(
            "The file is not audio we can read: it is not in an audio format we take "
            "(WAV, MP3, FLAC, Ogg, Matroska or WebM, MP4 or M4A, AAC, AMR, AIFF or CAF)."
        ) from None


def cut(
    path: Path,
    out: BinaryIO,
    *,
    track: str,
    channels: int,
    pauses: Sequence[tuple[float, float | None, str]],
    trim: bool,
    max_seconds: float = MAX_SECONDS,
) -> Cut:
    """Write to out, as an 8 kHz WAV, what a recording keeps of an uploaded file: its track in its
    channels (select_track), its pauses (apply_pauses) and, when ``trim``, less its leading and
    trailing silence (trim_silence).

    A chunk at a time: the kept samples go to a raw PCM file on disk, since where the audio
    starts and ends once trimmed is only known after its last chunk. Raises InvalidAudio as
    chunks() does; out is then left incomplete.
    """
    loudness, read, kept, layout = _Loudness(), 0, 0, channels
    with tempfile.TemporaryFile(prefix="roomvault-pcm-") as pcm:
        for chunk in chunks(path, max_seconds=max_seconds):
            picked = select_track(Audio(chunk), track=track, channels=channels).samples
            # Pauses are placed on the upload's timeline, where this chunk starts at ``read``.
            samples = _paused(picked, pauses, first=read)
            read += chunk.shape[1]
            layout, kept = samples.shape[0], kept + samples.shape[1]
            loudness.feed(samples)
            pcm.write(samples.T.astype("<i2").tobytes())
        loudness.end()
        start, stop = loudness.span(kept) if trim else (0, kept)
        pcm.seek(start * layout * 2)
        _write(_pcm_chunks(pcm, layout, stop - start), out, channels=layout, format="wav")
    return Cut(
        duration=(stop - start) / SAMPLE_RATE,
        channels=layout,
        had_sound=loudness.first is not None,
    )


def _pcm_chunks(pcm: BinaryIO, channels: int, samples: int) -> Iterator[np.ndarray]:
    """Yield the next ``samples`` of interleaved s16 PCM from a file, as (channels, n) chunks."""
    while samples > 0:
        count = min(samples, CHUNK_SAMPLES)
        data = np.frombuffer(pcm.read(count * channels * 2), dtype="<i2")
        yield data.reshape(-1, channels).T.astype(np.int16)
        samples -= count


def transcode(path: Path, out: BinaryIO, *, format: str, channels: int) -> None:
    """Encode an audio file as 'wav' or 'mp3' (see encode) into out, downmixed when ``channels``
    is 1, a chunk at a time."""
    parts = chunks(path)
    first = next(parts)
    layout = 1 if channels == 1 else first.shape[0]
    every = itertools.chain([first], parts)
    if channels == 1:
        every = (downmix(Audio(chunk)).samples for chunk in every)
    _write(every, out, channels=layout, format=format)


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
    return Audio(_paused(audio.samples, pauses, first=0, rate=audio.sample_rate), audio.sample_rate)


def _paused(
    samples: np.ndarray,
    pauses: Sequence[tuple[float, float | None, str]],
    *,
    first: int,
    rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Apply pause spans to the samples that start ``first`` samples into the recording."""
    n = samples.shape[1]
    samples = samples.copy()
    # A mask cuts overlapping skips once and makes their order irrelevant; every span is placed
    # on the original timeline before anything is cut.
    keep = np.ones(n, dtype=bool)
    for start, end, behavior in pauses:
        begin = max(round(start * rate), 0)
        finish = None if end is None else max(round(end * rate), begin)
        # The span within these samples (empty when it lies before or after them).
        span = slice(
            min(max(begin - first, 0), n), n if finish is None else min(max(finish - first, 0), n)
        )
        if behavior == "silence":
            samples[:, span] = 0
        elif behavior == "skip":
            keep[span] = False
        else:
            raise ValueError(f"Unknown pause behavior {behavior!r}: 'skip' or 'silence'")
    return samples[:, keep]


class _Loudness:
    """Find the first and last loud 20 ms window of audio given a chunk at a time."""

    def __init__(self) -> None:
        self.windows = 0
        self.first: int | None = None
        self.last: int | None = None
        self._rest: np.ndarray | None = None

    def feed(self, samples: np.ndarray) -> None:
        """Take the next samples; whole windows are judged now, the rest with what follows."""
        if self._rest is not None:
            samples = np.concatenate([self._rest, samples], axis=1)
        whole = samples.shape[1] // WINDOW * WINDOW
        self._judge(samples[:, :whole])
        self._rest = samples[:, whole:]

    def end(self) -> None:
        """Judge the last, shorter window."""
        if self._rest is not None:
            self._judge(self._rest)
            self._rest = None

    def span(self, samples: int) -> tuple[int, int]:
        """Return the first and past-the-last sample of audio this long, trimmed of silence."""
        if self.first is None:
            return 0, 0
        return self.first * WINDOW, min((self.last + 1) * WINDOW, samples)

    def _judge(self, samples: np.ndarray) -> None:
        loud = np.flatnonzero(_loud_windows(samples))
        if loud.size:
            self.first = self.windows + loud[0] if self.first is None else self.first
            self.last = self.windows + loud[-1]
        self.windows += math.ceil(samples.shape[1] / WINDOW)


def _loud_windows(samples: np.ndarray) -> np.ndarray:
    """Return, per 20 ms window, whether any channel peaks at or above the silence threshold."""
    if samples.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    starts = np.arange(0, samples.shape[1], WINDOW)
    # Peaks from per-window max and min: abs() of int16 overflows at -32768.
    highs = np.maximum.reduceat(samples, starts, axis=1).astype(np.int32)
    lows = np.minimum.reduceat(samples, starts, axis=1).astype(np.int32)
    return (np.maximum(highs, -lows) >= SILENCE_THRESHOLD).any(axis=0)


def trim_silence(audio: Audio) -> Audio:
    """Cut leading and trailing silence (every channel below a threshold, in 20 ms windows)."""
    loudness = _Loudness()
    loudness.feed(audio.samples)
    loudness.end()
    start, stop = loudness.span(audio.samples.shape[1])
    return Audio(audio.samples[:, start:stop], audio.sample_rate)


def is_silent(audio: Audio) -> bool:
    """Tell whether no 20 ms window of any channel rises above the silence threshold."""
    return not _loud_windows(audio.samples).any()


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
    mixed = [
        frame.to_ndarray()
        for decoded in [*_frames(audio.samples, first=0, rate=audio.sample_rate), None]
        for frame in resampler.resample(decoded)
    ]
    if not mixed:
        return Audio(np.zeros((1, 0), dtype=np.int16), audio.sample_rate)
    return Audio(np.concatenate(mixed, axis=1), audio.sample_rate)


def _frames(samples: np.ndarray, *, first: int, rate: int = SAMPLE_RATE) -> list[av.AudioFrame]:
    """Split samples that start ``first`` samples into the audio into PyAV frames of a second."""
    frames = []
    for at in range(0, samples.shape[1], FRAME_SAMPLES):
        chunk = np.ascontiguousarray(samples[:, at : at + FRAME_SAMPLES])
        frame = av.AudioFrame.from_ndarray(chunk, format="s16p", layout=LAYOUTS[samples.shape[0]])
        frame.sample_rate = rate
        frame.pts = first + at
        frames.append(frame)
    return frames


def write_wav(audio: Audio, out: BinaryIO) -> None:
    """Write the audio as a PCM s16le WAV (8 kHz) with PyAV."""
    encode(audio, format="wav", out=out)


def encode(audio: Audio, *, format: str, out: BinaryIO) -> None:
    """Encode the audio as 'wav' (PCM s16le, 8 kHz) or 'mp3' (libmp3lame, 32 kbps) into out."""
    _write([audio.samples], out, channels=audio.channels, format=format)


def _write(chunks: Iterable[np.ndarray], out: BinaryIO, *, channels: int, format: str) -> None:
    """Encode (channels, n) int16 chunks at 8 kHz as 'wav' or 'mp3' into out, as they come."""
    if format not in ENCODINGS:
        raise ValueError(f"Unknown audio format {format!r}: 'wav' or 'mp3'")
    container_format, codec, bit_rate = ENCODINGS[format]
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=SAMPLE_RATE, layout=LAYOUTS[channels])
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        # PyAV writes the header with the first packet: an empty Audio would leave out empty.
        container.start_encoding()
        first = 0
        for chunk in chunks:
            for frame in _frames(chunk, first=first):
                container.mux(stream.encode(frame))
            first += chunk.shape[1]
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
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    try:
        with _open(source) as container:
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
