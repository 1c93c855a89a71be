"""Where a voice recording's audio lives in the media store, and its WAV/MP3 renditions.

The stored original is an 8 kHz WAV with the channels the recording was made with. Its other
renditions (MP3, and mono of a dual recording) are made by a task as soon as it completes, and
kept beside it under their own keys, so downloads are served from the store without transcoding
(a download that comes first transcodes that one rendition itself); deleting the recording
removes every rendition with it.
"""

import contextlib
import tempfile
from pathlib import Path

from django.conf import settings

from recordings.media.keys import MediaKeyTaken, media_key
from recordings.media.store import get_media_store
from recordings.voice import audio
from recordings.voice.choices import MEDIA_TYPES, VoiceRecordingStatus
from recordings.voice.models import VoiceRecording

FORMATS = ("wav", "mp3")
CHANNEL_COUNTS = (1, 2)


def original_key(recording: VoiceRecording) -> str:
    """Return the media-store key of a recording's stored WAV."""
    return media_key(recording.account_id, "voice", f"{recording.sid}.wav")


def rendition_key(recording: VoiceRecording, *, format: str, channels: int) -> str:
    """Return the key of a recording in a format and channel count (the original where it is)."""
    if format == "wav" and channels == recording.channels:
        return original_key(recording)
    return media_key(recording.account_id, "voice", f"{recording.sid}.{channels}ch.{format}")


def all_keys(account_id: str, sid: str, channels: int) -> list[str]:
    """Return every key a recording's audio may be stored under (original and renditions)."""
    recording = VoiceRecording(sid=sid, account_id=account_id, channels=channels)
    return sorted(
        {rendition_key(recording, format=f, channels=c) for f in FORMATS for c in CHANNEL_COUNTS}
    )


def rendition(recording: VoiceRecording, *, format: str, channels: int) -> str:
    """Return the key of a completed recording's audio in this format and channel count,
    transcoding (and downmixing) from the original if it has not been made yet."""
    key = rendition_key(recording, format=format, channels=channels)
    if not get_media_store().exists(key):
        renditions_make(recording, wanted=[(format, channels)])
    return key


def renditions_make(recording: VoiceRecording, *, wanted: list[tuple[str, int]] | None = None):
    """Make the missing renditions (every one, unless ``wanted`` names some) from one copy of
    the original, each transcoded a chunk at a time (memory stays flat whatever its length).

    A recording deleted meanwhile keeps none: its media deletion may have run before they were
    saved, and nothing else would remove them.
    """
    store = get_media_store()
    wanted = wanted or [(f, c) for f in FORMATS for c in CHANNEL_COUNTS if c <= recording.channels]
    missing = [
        (f, c)
        for f, c in wanted
        if not store.exists(rendition_key(recording, format=f, channels=c))
    ]
    if not missing:
        return
    with tempfile.TemporaryDirectory(prefix="roomvault-voice-") as folder:
        source = Path(folder, "original.wav")
        with store.open(original_key(recording)) as stream, source.open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                out.write(chunk)
        for format, channels in missing:
            target = Path(folder, f"rendition-{channels}.{format}")
            with target.open("wb") as out:
                audio.transcode(source, out, format=format, channels=channels)
            key = rendition_key(recording, format=format, channels=channels)
            # Made meanwhile by a download that came first: the same audio, already there.
            with target.open("rb") as stream, contextlib.suppress(MediaKeyTaken):
                store.save(key, stream, account_sid=recording.account_id)
    if not VoiceRecording.objects.filter(
        pk=recording.pk, status=VoiceRecordingStatus.COMPLETED
    ).exists():
        for format, channels in missing:
            key = rendition_key(recording, format=format, channels=channels)
            store.delete(key, account_sid=recording.account_id)


def rendition_url(
    recording: VoiceRecording, *, format: str, channels: int, base_url: str, disposition: str
) -> str:
    """Return a signed, expiring URL of a completed recording's audio in this format and channel
    count (made first if it has not been)."""
    return get_media_store().url(
        base_url=base_url,
        key=rendition(recording, format=format, channels=channels),
        sid=recording.sid,
        ttl=settings.MEDIA_URL_TTL_DEFAULT,
        content_type=MEDIA_TYPES[format],
        disposition=disposition,
    )
