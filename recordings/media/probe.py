"""Read what an uploaded track recording really holds: a whole single-track Matroska file.

Twilio Video track recordings are Matroska files with one stream: ``.mka`` (OPUS or PCMU audio)
or ``.mkv`` (VP8 or H264 video). ``probe`` accepts exactly that and raises ``InvalidMedia``, with
a reason a media-server developer can act on, for anything else.

Two independent readers look at the file, both from its path and neither loading it into memory:

1. A small EBML walker (pure Python: it reads element headers and seeks over element bodies)
   checks that the file is Matroska and structurally whole, and counts the frames its blocks
   hold. This is the truncation check; ``_walk`` explains why it is sound and FFmpeg is not.
2. FFmpeg (PyAV) demuxes the packets one by one for the stream, its codec and the duration, and
   must deliver every frame the walker counted.
"""

import codecs
import math
import os
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import BinaryIO

import av
import av.logging

# FFmpeg codec names (the codec's own, not a decoder's) → the names the API shows.
CODECS = {"opus": "OPUS", "pcm_mulaw": "PCMU", "vp8": "VP8", "h264": "H264"}
CONTAINER_FOR_KIND = {"audio": "mka", "video": "mkv"}
ACCEPTED_CODECS = {"audio": "OPUS or PCMU", "video": "VP8 or H264"}
# WebM is a profile of Matroska (same EBML layout, fewer codecs) that every Matroska reader
# reads, and it allows the codecs we take from it (OPUS, VP8): a .webm recording of those is
# stored and played exactly like a Twilio one (DocType "matroska"). Accept both.
DOCTYPES = ("matroska", "webm")

# EBML element IDs, as they appear in the file (length-marker bits included).
EBML_HEADER = 0x1A45DFA3
DOCTYPE = 0x4282
SEGMENT = 0x18538067
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
CLUSTER = 0x1F43B675
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
VOID = 0xEC
CRC32 = 0xBF
SEGMENT_CHILDREN = {
    0x114D9B74: "SeekHead",
    0x1549A966: "Info",
    TRACKS: "Tracks",
    CLUSTER: "Cluster",
    0x1C53BB6B: "Cues",
    0x1254C367: "Tags",
    0x1941A469: "Attachments",
    0x1043A770: "Chapters",
    VOID: "Void",
    CRC32: "CRC-32",
}
CLUSTER_CHILDREN = {
    0xE7: "Timestamp",
    0x5854: "SilentTracks",
    0xA7: "Position",
    0xAB: "PrevSize",
    SIMPLE_BLOCK: "SimpleBlock",
    BLOCK_GROUP: "BlockGroup",
    0xAF: "EncryptedBlock",
    VOID: "Void",
    CRC32: "CRC-32",
}
# Read size for checksumming: big enough to be fast, small enough never to matter in memory.
CRC_CHUNK = 256 * 1024
# Far more than any real EBML header (about 40 bytes); a bigger one is garbage, not a header.
MAX_EBML_HEADER = 4096

# Leading bytes of formats people upload by mistake, for the "it looks like …" hint.
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"ID3", "mp3"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
    (0, b"FLV", "FLV"),
    (0, b"#!AMR", "AMR"),
    (0, b"%PDF", "PDF"),
    (0, b"PK\x03\x04", "a ZIP archive"),
    (4, b"ftyp", "MP4/MOV"),
    (8, b"WAVE", "WAV"),
    (8, b"AVI ", "AVI"),
)

Logs = list[tuple[int, str, str]]  # (FFmpeg level, component, message), as PyAV captures them


class InvalidMedia(ValueError):
    """The uploaded file is not a recording we can accept."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MediaInfo:
    """What a valid recording file holds."""

    container_format: str  # "mka" for audio-only, "mkv" for video (decided by the stream kind)
    kind: str  # "audio" | "video"
    codec: str  # "OPUS" | "PCMU" | "VP8" | "H264"
    duration: float  # seconds, from the packets actually present


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Read a recording file's container, codec and duration, or raise InvalidMedia."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise InvalidMedia("The file is empty.")
    layout = _walk(path, size)
    if layout.track_entries == 0:
        raise InvalidMedia(_stream_count_reason([]))
    if not layout.frames:
        # FFmpeg cannot even open a Matroska file without a Cluster, so say it ourselves.
        raise InvalidMedia("The file holds no frames (its Matroska Segment has no blocks).")
    return _demux(path, layout)


def api_duration(seconds: float) -> int:
    """Return a duration as the API shows it: nearest second, and 1 for any sub-second track."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"A duration must be a finite number of seconds >= 0, not {seconds!r}")
    # Half up, not round()'s half-to-even: "nearest second" means 2.5 s → 3 s to a user.
    # Decimal(float) is exact, so 1.49 stays below the half and 1.5 is exactly on it.
    nearest = int(Decimal(seconds).to_integral_value(rounding=ROUND_HALF_UP))
    # Sub-second tracks show 1; a recording with no time in it (0 s) is sub-second too.
    return max(1, nearest)


# --- structure: is this a whole Matroska file? --------------------------------------------------


@dataclass
class _Layout:
    """What the EBML walk found: track entries, and frames per track number in the blocks."""

    track_entries: int = 0
    frames: Counter[int] = field(default_factory=Counter)


def _walk(path: str, size: int) -> _Layout:
    """Check the file is Matroska whose elements fill it exactly, and count its frames.

    Why not FFmpeg: its Matroska demuxer treats the end of the file, and also damage it cannot
    parse, as the end of the stream. Cut a file between two blocks and it returns the blocks
    before the cut without an error; cut the last byte (of the Cues, after every block) and it
    returns exactly the packets of the whole file, with the header's Duration unchanged; break a
    block header in the middle and it drops the rest of that Cluster, saying so only in a log
    line (which PyAV discards by default). No exception, flag or count it returns tells those
    files from whole ones.

    Why this is sound: a finished Matroska file says how long it is. The Segment (the one
    top-level element after the EBML header, holding everything else) carries its size; a muxer
    writing to a seekable output (FFmpeg's, when it closes the file) patches in the real size,
    after the last Cluster and the Cues. So a finished file ends exactly where its Segment ends
    and every shorter prefix of it ends before: a cut at any byte is caught by comparing one
    number with the file size. Below that, every element must lie inside its parent and the
    children must fill the parent exactly, and each block's header is read to count the frames
    it holds, which FFmpeg must then deliver one packet each (``_demux``): damage that makes
    FFmpeg skip blocks cannot pass. Where an element carries a CRC-32 (FFmpeg's muxer writes one
    in every Cluster, Info, Tracks, Cues…), it must match, which covers the frame data as well.

    A Segment of unknown size (written as a live stream to an output that cannot seek) has no
    such number: a cut between two elements leaves a file that looks whole to every reader. We
    cannot tell that it is complete, so we reject it and ask for the finished file.
    """
    with open(path, "rb") as file:
        head = file.read(64)
        magic = EBML_HEADER.to_bytes(4, "big")
        if len(head) < len(magic) and magic.startswith(head):
            raise InvalidMedia(
                f"The file is truncated: it has only {size} bytes, the start of an EBML header. "
                f"Upload the whole file."
            )
        if not head.startswith(magic):
            raise InvalidMedia(f"The file is not Matroska (it looks like {_looks_like(head)}).")
        walker = _Walker(file, size)
        _, length, start = walker.header(0, size, "EBML header")
        if length is None or length > MAX_EBML_HEADER:
            raise InvalidMedia("The file is corrupt: its EBML header has no sensible size.")
        header_end = walker.end_of("EBML header", start, length, size)
        doctype = walker.doctype(start, header_end)
        if doctype not in DOCTYPES:
            raise InvalidMedia(f"The file is not Matroska (its EBML DocType is {doctype!r}).")

        element, length, start = walker.header(header_end, size, "Segment")
        if element != SEGMENT:
            raise InvalidMedia(
                f"The file is corrupt: a Segment should follow the EBML header at byte "
                f"{header_end}, found element 0x{element:X}."
            )
        if length is None:
            raise InvalidMedia(
                "The file's Matroska Segment has no size (it was written as a live stream), so "
                "we cannot tell whether it is complete. Upload the finished file, written to a "
                "seekable output so the muxer records the Segment size."
            )
        segment_end = start + length
        if segment_end > size:
            raise InvalidMedia(
                f"The file is truncated: its Matroska Segment ends at byte {segment_end} but the "
                f"file has only {size} bytes. Upload the whole file."
            )
        if segment_end < size:
            raise InvalidMedia(
                f"The file is corrupt: it has {size - segment_end} bytes after the end of its "
                f"Matroska Segment (byte {segment_end}). Upload one recording per file."
            )
        walker.segment(start, segment_end)
        return walker.layout


class _Walker:
    """Read EBML element headers from a file, seeking over the element bodies."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self.file = file
        self.size = size
        self.layout = _Layout()

    def read(self, pos: int, length: int) -> bytes:
        """Return up to length bytes from pos."""
        self.file.seek(pos)
        return self.file.read(length)

    def header(self, pos: int, limit: int, what: str) -> tuple[int, int | None, int]:
        """Return the ID, size (None if unknown) and data offset of the element at pos."""
        raw = self.read(pos, 12)  # the longest header: a 4-byte ID and an 8-byte size
        truncated = InvalidMedia(
            f"The file is truncated: it ends at or inside the header of the {what} at byte "
            f"{pos}. Upload the whole file."
        )
        if not raw:
            raise truncated
        id_length = _vint_length(raw[0])
        if not 1 <= id_length <= 4:
            raise InvalidMedia(
                f"The file is corrupt: no valid element ID at byte {pos} (expected {what})."
            )
        if len(raw) <= id_length:
            raise truncated
        size_length = _vint_length(raw[id_length])
        if size_length == 0:
            raise InvalidMedia(f"The file is corrupt: no valid element size at byte {pos}.")
        data = pos + id_length + size_length
        if data > self.size:
            raise truncated
        if data > limit:
            raise InvalidMedia(
                f"The file is corrupt: the element at byte {pos} overruns its parent ({what})."
            )
        element = int.from_bytes(raw[:id_length], "big")
        value = _vint_value(raw[id_length : data - pos])
        # All value bits set means "unknown size" (the element runs until its parent ends).
        unknown = value == (1 << (7 * size_length)) - 1
        return element, None if unknown else value, data

    def end_of(self, name: str, data: int, length: int, limit: int) -> int:
        """Return where an element ends, checking it lies within its parent and the file."""
        end = data + length
        if end > self.size:
            raise InvalidMedia(
                f"The file is truncated: its {name} ends at byte {end} but the file has only "
                f"{self.size} bytes. Upload the whole file."
            )
        if end > limit:
            raise InvalidMedia(
                f"The file is corrupt: the {name} at byte {data} runs past the end of its parent."
            )
        return end

    def children(self, start: int, end: int, what: str) -> Iterator[tuple[int, int, int]]:
        """Yield the ID, data offset and end of each known-size child between start and end."""
        pos = start
        while pos < end:
            element, length, data = self.header(pos, end, what)
            if length is None:
                raise InvalidMedia(f"The file is corrupt: the {what} at byte {pos} has no size.")
            pos = self.end_of(what, data, length, end)
            yield element, data, pos

    def doctype(self, start: int, end: int) -> str:
        """Return the DocType string from the EBML header body between start and end."""
        for element, data, child_end in self.children(start, end, "EBML header field"):
            if element == DOCTYPE:
                return self.read(data, child_end - data).rstrip(b"\0").decode("ascii", "replace")
        raise InvalidMedia("The file is not Matroska (its EBML header has no DocType).")

    def segment(self, start: int, end: int) -> None:
        """Check the Segment's children, and each Cluster's, fill it exactly."""
        pos = start
        while pos < end:
            element, length, data = self.header(pos, end, "Segment child")
            name = SEGMENT_CHILDREN.get(element)
            if name is None:
                raise InvalidMedia(
                    f"The file is corrupt: unexpected element 0x{element:X} at byte {pos} in the "
                    f"Matroska Segment."
                )
            if element == CLUSTER:
                pos = self.cluster(data, length, end)
                continue
            if length is None:
                raise InvalidMedia(f"The file is corrupt: the {name} at byte {pos} has no size.")
            pos = self.end_of(name, data, length, end)
            if element not in (VOID, CRC32):
                self.checksum(name, data, pos)
            if element == TRACKS:
                self.layout.track_entries += sum(
                    child == TRACK_ENTRY for child, _, _ in self.children(data, pos, "Track")
                )

    def cluster(self, start: int, length: int | None, segment_end: int) -> int:
        """Check a Cluster's children lie within it, count its frames, return where it ends."""
        # An unknown-size Cluster (legal in a known-size Segment) ends where the next Segment
        # child starts, or with the Segment.
        end = segment_end if length is None else self.end_of("Cluster", start, length, segment_end)
        if length is not None:
            self.checksum("Cluster", start, end)
        pos = start
        while pos < end:
            element, child_length, data = self.header(pos, end, "Cluster child")
            if length is None and element in SEGMENT_CHILDREN and element not in (VOID, CRC32):
                return pos
            name = CLUSTER_CHILDREN.get(element)
            if name is None:
                raise InvalidMedia(
                    f"The file is corrupt: unexpected element 0x{element:X} at byte {pos} in a "
                    f"Cluster."
                )
            if child_length is None:
                raise InvalidMedia(f"The file is corrupt: the {name} at byte {pos} has no size.")
            pos = self.end_of(name, data, child_length, end)
            if element == SIMPLE_BLOCK:
                self.block(data, pos)
            elif element == BLOCK_GROUP:
                for child, block, block_end in self.children(data, pos, "BlockGroup child"):
                    if child == BLOCK:
                        self.block(block, block_end)
        return end

    def checksum(self, name: str, start: int, end: int) -> None:
        """Check a master element's CRC-32, if it has one (its first child, when present)."""
        # FFmpeg's muxer (and mkvmerge) put a CRC-32 in every level-1 element by default: it is
        # the one check that also covers the frame data, not only the structure around it.
        if start >= end:
            return
        element, length, data = self.header(start, end, f"{name} child")
        if element != CRC32:
            return
        if length != 4:
            raise InvalidMedia(f"The file is corrupt: the {name} at byte {start} has a bad CRC-32.")
        stored = int.from_bytes(self.read(data, 4), "little")
        crc, pos = 0, data + 4
        while pos < end:
            chunk = self.file.read(min(CRC_CHUNK, end - pos))
            crc = zlib.crc32(chunk, crc)
            pos += len(chunk)
        if crc != stored:
            raise InvalidMedia(
                f"The file is corrupt: the {name} at byte {start} fails its CRC-32 check (the "
                f"data changed after it was written)."
            )

    def block(self, start: int, end: int) -> None:
        """Count the frames of a (Simple)Block: track number, timestamp, flags, lace count."""
        raw = self.read(start, min(end - start, 12))
        track_length = _vint_length(raw[0]) if raw else 0
        flags_at = track_length + 2  # after the track number and the 16-bit relative timestamp
        if track_length == 0 or len(raw) <= flags_at:
            raise InvalidMedia(f"The file is corrupt: the block at byte {start} has no header.")
        track = _vint_value(raw[:track_length])
        # Lacing (flag bits 1-2) packs several frames in one block, with their count - 1 next.
        laced = raw[flags_at] & 0x06
        if laced and len(raw) <= flags_at + 1:
            raise InvalidMedia(f"The file is corrupt: the block at byte {start} has no lace count.")
        self.layout.frames[track] += raw[flags_at + 1] + 1 if laced else 1


def _vint_length(first: int) -> int:
    """Return an EBML variable-size integer's length from its first byte (0 if invalid)."""
    # The length is the position of the first set bit; a zero byte would mean more than 8.
    return 9 - first.bit_length() if first else 0


def _vint_value(raw: bytes) -> int:
    """Return the value of an EBML variable-size integer, without its length marker."""
    value = raw[0] & (0xFF >> len(raw))
    for byte in raw[1:]:
        value = value << 8 | byte
    return value


def _looks_like(head: bytes) -> str:
    """Name the format a non-Matroska file's first bytes suggest."""
    for offset, magic, name in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "AAC (ADTS)"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"
    try:
        # final=False: the 64 bytes may end inside a multi-byte character.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        text = None
    if text and all(char.isprintable() or char.isspace() for char in text):
        return "text"
    return "an unknown format: it does not start with an EBML header"


# --- streams: what does FFmpeg find in it? -----------------------------------------------------


def _demux(path: str, layout: _Layout) -> MediaInfo:
    """Demux the file packet by packet and describe its single audio or video stream."""
    with _ffmpeg_logs() as logs:
        try:
            container = av.open(path, format="matroska")
        except av.FFmpegError as exc:
            raise InvalidMedia(f"The file is corrupt: {_ffmpeg_reason(logs, exc)}.") from None
        with container:
            streams = list(container.streams)
            if len(streams) != 1 or streams[0].type not in CONTAINER_FOR_KIND:
                raise InvalidMedia(_stream_count_reason([stream.type for stream in streams]))
            stream = streams[0]
            kind = stream.type
            context = stream.codec_context
            # canonical_name is the codec's own name ("vp8"), whichever decoder would be used.
            name = context.codec.canonical_name if context is not None else "unknown"
            codec = CODECS.get(name)
            if codec is None:
                raise InvalidMedia(
                    f"The file's {kind} codec is {name}, which we do not accept: a track "
                    f"recording's {kind} is {ACCEPTED_CODECS[kind]}."
                )
            first, end, count = _packet_span(container, stream, logs)
        expected = layout.frames.total()
        if len(layout.frames) > 1:
            raise InvalidMedia(
                f"The file is corrupt: its blocks belong to {len(layout.frames)} track numbers "
                f"but it declares one {kind} track."
            )
        if count != expected:
            # FFmpeg skipped (or invented) frames: it reads damage as the end of the stream.
            detail = "; ".join(list(dict.fromkeys(_errors(logs)))[:3])
            detail = detail or "it stopped without saying why"
            raise InvalidMedia(
                f"The file is corrupt: its blocks hold {expected} frames but FFmpeg could read "
                f"{count} ({detail})."
            )
    duration = float((end - first) * stream.time_base) if stream.time_base else 0.0
    return MediaInfo(CONTAINER_FOR_KIND[kind], kind, codec, max(0.0, duration))


def _stream_count_reason(kinds: list[str]) -> str:
    """Explain that a recording holds exactly one audio or video stream."""
    streams = "stream" if len(kinds) == 1 else "streams"
    return (
        f"The file holds {len(kinds)} {streams} ({', '.join(kinds) or 'none'}); a track "
        f"recording holds exactly one audio or video stream."
    )


def _packet_span(
    container: av.container.InputContainer, stream: av.stream.Stream, logs: Logs
) -> tuple[int, int, int]:
    """Return the first timestamp, the end of the last packet and the packet count."""
    first: int | None = None
    end: int | None = None
    count = 0
    try:
        for packet in container.demux(stream):
            if packet.size == 0:  # the empty packet demux() yields at the end of the file
                continue
            if packet.is_corrupt:
                raise InvalidMedia(f"The file is corrupt: {stream.type} frame {count} is damaged.")
            timestamp = packet.pts if packet.pts is not None else packet.dts
            if timestamp is None:
                raise InvalidMedia(f"The file is corrupt: frame {count} has no timestamp.")
            first = timestamp if first is None else min(first, timestamp)
            stop = timestamp + (packet.duration or 0)
            end = stop if end is None else max(end, stop)
            count += 1
    except av.FFmpegError as exc:
        raise InvalidMedia(f"The file is corrupt: {_ffmpeg_reason(logs, exc)}.") from None
    return first or 0, end or 0, count


def _ffmpeg_reason(logs: Logs, exc: av.FFmpegError) -> str:
    """Return FFmpeg's own explanation of a failure, without the file's (temporary) path."""
    errors = _errors(logs)
    return errors[-1] if errors else (exc.strerror or type(exc).__name__)


def _errors(logs: Logs) -> list[str]:
    """Return the ERROR-or-worse messages among captured FFmpeg logs."""
    return [message.strip().rstrip(".") for level, _, message in logs if level <= av.logging.ERROR]


# FFmpeg's log settings are process-wide: concurrent probes share one change, and the last one
# out restores what was there before.
_log_lock = threading.Lock()
_log_users = 0
_log_saved: tuple[int | None, bool] = (None, True)


@contextmanager
def _ffmpeg_logs() -> Iterator[Logs]:
    """Collect FFmpeg's messages on this thread (errors at least), keeping them off stderr."""
    global _log_users, _log_saved
    with _log_lock:
        if _log_users == 0:
            level = av.logging.get_level()
            _log_saved = (level, av.logging.get_skip_repeated())
            # PyAV's default (None) drops every message, and FFmpeg's error messages are the
            # reasons we pass on: let ERROR through (keep a chattier level someone chose). And
            # report an error again when the previous probe's file had the same one.
            if level is None or level < av.logging.ERROR:
                av.logging.set_level(av.logging.ERROR)
            av.logging.set_skip_repeated(False)
        _log_users += 1
    try:
        # Capture diverts this thread's messages into a list instead of Python logging (stderr).
        with av.logging.Capture(local=True) as logs:
            yield logs
    finally:
        with _log_lock:
            _log_users -= 1
            if _log_users == 0:
                av.logging.set_level(_log_saved[0])
                av.logging.set_skip_repeated(_log_saved[1])
