"""Playable renditions of video-room recordings: what the console's players are given.

A recording is stored as the media server made it, Matroska, which Safari plays not at all and
other browsers unevenly. Each recording gets one rendition that plays everywhere, made once (by a
task when the recording completes, or by the first player to ask) and kept beside the original:

* VP8 and OPUS: the packets copied into WebM, nothing transcoded;
* H.264: the packets copied into MP4 with its index first (faststart), so that a player starts
  before it has the whole file;
* PCMU: transcoded to OPUS at 48 kHz in WebM: no browser plays G.711 from a file.

Each is made packet by packet through a temporary folder, so memory stays flat whatever the
recording's length. Downloads and the API's /Media keep serving the original. An encrypted
recording gets no rendition: only the holder of the private key can read it.

A recording whose media is in its account's own bucket has its rendition written beside it, in
that bucket. Roomvault never deletes anything from an account's bucket, so that rendition stays
there when the recording is deleted, as the original does; a rendition in our store goes with its
recording (``recordings.video.kind``).
"""

import contextlib
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
from django.conf import settings

from recordings.media.keys import MediaKeyTaken, media_key
from recordings.media.store import CHUNK_SIZE, MediaStore, MediaStoreUnavailable
from recordings.video.choices import Codec, RecordingStatus
from recordings.video.media import media_store_for
from recordings.video.models import Recording

logger = logging.getLogger(__name__)

OPUS_RATE = 48_000
OPUS_FRAME = 960  # 20 ms at 48 kHz, OPUS's usual frame


@dataclass(frozen=True)
class Format:
    """A rendition's container: its file extension, FFmpeg muxer and options, and media type."""

    extension: str
    muxer: str
    content_type: str
    options: tuple[tuple[str, str], ...] = ()


WEBM_VIDEO = Format("webm", "webm", "video/webm")
WEBM_AUDIO = Format("webm", "webm", "audio/webm")
# The index (moov) is moved before the media once it is written: a second pass over the file.
MP4 = Format("mp4", "mp4", "video/mp4", (("movflags", "+faststart"),))
FORMATS = {Codec.VP8: WEBM_VIDEO, Codec.OPUS: WEBM_AUDIO, Codec.PCMU: WEBM_AUDIO, Codec.H264: MP4}


class PlaybackUnavailable(Exception):
    """A recording cannot be played in a browser; the message says why, to its user."""


class RenditionFailed(PlaybackUnavailable):
    """The recording's media could not be made into a rendition (it is damaged)."""


def rendition_key(recording: Recording) -> str:
    """Return where a recording's rendition is (or will be) stored: beside its original, in the
    store that holds it (its account's bucket keeps its keys under the bucket's path)."""
    name = f"{recording.sid}.play.{FORMATS[recording.codec].extension}"
    key = media_key(recording.account_id, recording.room_id, name)
    if not recording.media_external_location:
        return key
    root = recording.media_key[: max(recording.media_key.find(f"{recording.account_id}/"), 0)]
    return root + key


def content_type(recording: Recording) -> str:
    """Return the media type of a recording's rendition."""
    return FORMATS[recording.codec].content_type


def rendition(recording: Recording) -> str:
    """Return the key of a recording's rendition, made first if it has not been; raise
    PlaybackUnavailable when it has none (not completed, or encrypted), or RenditionFailed when
    its media cannot be made into one."""
    if not recording.has_media:
        raise PlaybackUnavailable("This recording has no media to play.")
    if recording.encryption_key:
        raise PlaybackUnavailable("This recording is encrypted: it cannot be played here.")
    store = media_store_for(recording)
    key = rendition_key(recording)
    if not store.exists(key):
        _make(recording, store, key)
    return key


def unplayable_reason(recording: Recording) -> str:
    """Make a recording's rendition if it is missing; return why it cannot be played ("" when it
    can)."""
    try:
        rendition(recording)
    except PlaybackUnavailable as exc:
        return str(exc)
    except MediaStoreUnavailable:
        return "The media store cannot be reached right now: try again in a moment."
    return ""


def playback_url(
    recording: Recording, *, base_url: str, ttl: int = settings.MEDIA_URL_TTL_DEFAULT
) -> str | None:
    """Return a signed URL of a recording's rendition, valid ``ttl`` seconds (made first if it is
    missing), or None when it cannot be played: not completed, no media, encrypted, damaged
    media, or its store cannot be reached."""
    try:
        key = rendition(recording)
    except (PlaybackUnavailable, MediaStoreUnavailable):
        return None
    return media_store_for(recording).url(
        base_url=base_url,
        key=key,
        sid=recording.sid,
        ttl=ttl,
        content_type=content_type(recording),
        disposition=f'inline; filename="{key.rsplit("/", 1)[-1]}"',
    )


def renditions_make(*, recording_sid: str) -> None:
    """Make a completed recording's rendition now, ahead of its first player (idempotent;
    nothing for a recording that has no rendition to make)."""
    recording = Recording.objects.filter(
        sid=recording_sid, status=RecordingStatus.COMPLETED
    ).first()
    if recording is None:
        return
    # Damaged media was logged by the maker; an encrypted recording has none: both are final.
    with contextlib.suppress(PlaybackUnavailable):
        rendition(recording)


def _still_completed(recording: Recording) -> bool:
    return Recording.objects.filter(pk=recording.pk, status=RecordingStatus.COMPLETED).exists()


def _make(recording: Recording, store: MediaStore, key: str) -> None:
    """Make and store a recording's rendition under key.

    Two makers may race (the completion's task and a first player): the store refuses the second
    save (MediaKeyTaken), and both have made the same file. A recording deleted meanwhile keeps no
    rendition in our store: its media deletion may have run before it was saved, and nothing else
    would remove it.
    """
    with tempfile.TemporaryDirectory(prefix="roomvault-playback-") as folder:
        source = Path(folder, f"original.{recording.container_format}")
        try:
            with store.open(recording.media_key) as stream, source.open("wb") as out:
                shutil.copyfileobj(stream, out, CHUNK_SIZE)
        except FileNotFoundError:
            # Gone from an account's own bucket, say, whose objects are the account's to remove.
            raise PlaybackUnavailable("The media file of this recording is missing.") from None
        target = Path(folder, f"rendition.{FORMATS[recording.codec].extension}")
        try:
            if recording.codec == Codec.PCMU:
                _transcode_to_opus(source, target)
            else:
                _remux(source, target, FORMATS[recording.codec])
        # A file that passed the upload's probe still fails here if it was imported unchecked.
        except (av.FFmpegError, ValueError, IndexError) as exc:
            logger.warning("No playback rendition of %s: %s", recording.sid, exc)
            raise RenditionFailed(
                "This recording's media could not be prepared for playing in a browser "
                "(the file is damaged)."
            ) from exc
        if recording.media_external_location and not _still_completed(recording):
            return  # nothing may be deleted from the account's bucket: write nothing there
        with target.open("rb") as stream, contextlib.suppress(MediaKeyTaken):
            store.save(key, stream, account_sid=recording.account_id)
    if not recording.media_external_location and not _still_completed(recording):
        store.delete(key, account_sid=recording.account_id)


def _remux(source: Path, target: Path, format: Format) -> None:
    """Copy the packets of a one-track file into another container, timestamps unchanged."""
    with (
        av.open(str(source)) as original,
        av.open(str(target), "w", format=format.muxer, options=dict(format.options)) as out,
    ):
        track = original.streams[0]
        copy = out.add_stream_from_template(track)
        for packet in original.demux(track):
            if packet.size == 0:  # the empty packet demux() yields at the end of the file
                continue
            packet.stream = copy
            out.mux(packet)


def _transcode_to_opus(source: Path, target: Path) -> None:
    """Decode a one-track audio file and encode it as 48 kHz OPUS in WebM, a frame at a time."""
    with av.open(str(source)) as original, av.open(str(target), "w", format="webm") as out:
        track = original.streams.audio[0]
        opus = out.add_stream("libopus", rate=OPUS_RATE, layout=track.layout.name)
        resampler = av.AudioResampler(
            format="flt", layout=track.layout.name, rate=OPUS_RATE, frame_size=OPUS_FRAME
        )
        samples: int | None = None

        def encode(frames: list[av.AudioFrame]) -> None:
            nonlocal samples
            for frame in frames:
                # Counted in samples: the resampler's own timestamps drift by rounding.
                frame.pts, samples = samples, (samples or 0) + frame.samples
                out.mux(opus.encode(frame))

        for frame in original.decode(track):
            if samples is None:  # the rendition starts when the original does
                samples = round((frame.time or 0) * OPUS_RATE)
            encode(resampler.resample(frame))
        encode(resampler.resample(None))
        out.mux(opus.encode(None))
