"""Write one voice recording from a source into an account, under its own SIDs (and its call's or
conference's), with its audio stored as the original WAV and its renditions made after commit."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from console.models import Account
from recordings.imports import checks
from recordings.imports.common import (
    ImportRefused,
    already_here,
    ensure_row,
    insert,
    store_then_write,
)
from recordings.lifecycle.queue import enqueue
from recordings.voice import audio, media
from recordings.voice.choices import CallStatus, CaptureState, VoiceRecordingStatus
from recordings.voice.models import Call, Conference, VoiceRecording

# A source's duration is rounded to the second; the file may be up to this far from it.
DURATION_TOLERANCE = 1.5


@dataclass(frozen=True)
class VoiceMeta:
    """What a source says of a voice recording (the 2010-04-01 Recording resource's fields)."""

    sid: str
    status: str
    call_sid: str | None
    conference_sid: str | None
    source: str
    channels: int
    start_time: datetime
    date_created: datetime
    duration: int | None
    price: str | None
    price_unit: str | None
    error_code: int | None
    encryption_details: dict | None

    @property
    def has_media(self) -> bool:
        return self.status == VoiceRecordingStatus.COMPLETED


_SAME = (
    ("status", "status"),
    ("date_created", "date_created"),
    ("call_id", "call_sid"),
    ("conference_id", "conference_sid"),
    ("channels", "channels"),
    ("source", "source"),
    ("duration", "duration"),
)


def existing_verdict(*, account: Account, meta) -> bool:
    """Tell whether this recording is already here; raise ImportRefused for a field that is not
    what it must be, or its SID here with different content."""
    checks.voice_check(meta)
    return already_here(VoiceRecording, _SAME, account=account, meta=meta)


def check_audio(meta: VoiceMeta, path: Path) -> None:
    """Raise ImportRefused unless the file is whole audio of the recording's channels and length."""
    try:
        channels, duration = audio.measure(path)
    except audio.InvalidAudio as exc:
        raise ImportRefused(f"audio rejected: {exc.reason}") from None
    if channels != meta.channels:
        raise ImportRefused(f"audio has {channels} channels, the recording says {meta.channels}")
    if meta.duration is not None and abs(duration - meta.duration) > DURATION_TOLERANCE:
        raise ImportRefused(f"audio lasts {duration:.1f} s, the recording says {meta.duration} s")


def voice_lookups(*, meta: VoiceMeta, **_):
    """The rows ``voice_recording_write`` looks up."""
    return [(VoiceRecording, meta.sid), (Call, meta.call_sid), (Conference, meta.conference_sid)]


def voice_recording_write(*, account: Account, meta: VoiceMeta, media_path: Path | None) -> int:
    """Write the recording (and its call or conference where missing); return the bytes stored.
    Raises ImportRefused, with nothing written, on a bad field or a SID clash."""
    checks.voice_check(meta)
    key = ""
    if media_path is not None:
        key = media.original_key(VoiceRecording(sid=meta.sid, account=account))
    return store_then_write(
        VoiceRecording,
        sid=meta.sid,
        account=account,
        media=media_path,
        key=key,
        write=lambda size: _rows_write(account=account, meta=meta, key=key, size=size),
    )


@transaction.atomic
def _rows_write(*, account: Account, meta: VoiceMeta, key: str, size: int) -> int:
    """Write the rows of a recording whose audio (if any) is stored under ``key``."""
    now = timezone.now()
    call = conference = None
    if meta.call_sid:
        call = ensure_row(
            Call,
            meta.call_sid,
            account,
            status=CallStatus.COMPLETED,
            date_created=meta.start_time,
            date_updated=meta.date_created,
        )
    if meta.conference_sid:
        conference = ensure_row(
            Conference,
            meta.conference_sid,
            account,
            friendly_name=meta.conference_sid,
            status=CallStatus.COMPLETED,
            date_created=meta.start_time,
            date_updated=meta.date_created,
        )
    recording = VoiceRecording(
        sid=meta.sid,
        account=account,
        call=call,
        conference=conference,
        source=meta.source,
        status=meta.status,
        capture=CaptureState.STOPPED,
        channels=meta.channels,
        start_time=meta.start_time,
        duration=meta.duration,
        price=meta.price,
        price_unit=meta.price_unit or "USD",
        error_code=meta.error_code,
        encryption_details=meta.encryption_details,
        date_created=meta.date_created,
        date_updated=now,
        date_stopped=meta.date_created,
        date_deleted=now if meta.status == VoiceRecordingStatus.DELETED else None,
    )
    stored = insert(recording, key=key, size=size)
    if key:
        sid = recording.sid
        transaction.on_commit(
            lambda: enqueue("recordings.tasks.make_voice_renditions", sid), robust=True
        )
    return stored
