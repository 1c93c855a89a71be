"""Write one video recording from a source into an account, under its own SIDs.

The source's description of a recording, its room and its participant arrive as plain records
(from the API or from an exported folder); the media file, when the recording has one, has already
been downloaded whole. It is stored first, then the rows are written in one short transaction: an
interrupted import leaves either the whole recording or nothing but a file no row names (which the
next import run replaces, see ``common.one_batch``).
"""

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
from recordings.media.probe import InvalidMedia, api_duration, probe
from recordings.video.choices import (
    CONTAINER_FOR_TYPE,
    ParticipantStatus,
    RecordingStatus,
    RoomStatus,
)
from recordings.video.models import Participant, Recording, Room, Track
from recordings.video.services.recordings import media_key_for


@dataclass(frozen=True)
class RoomMeta:
    sid: str
    unique_name: str
    type: str = "group"
    date_created: datetime | None = None
    end_time: datetime | None = None
    audio_only: bool = False


@dataclass(frozen=True)
class ParticipantMeta:
    sid: str
    identity: str
    status: str = ParticipantStatus.DISCONNECTED
    date_created: datetime | None = None
    end_time: datetime | None = None


@dataclass(frozen=True)
class VideoMeta:
    """What a source says of a video recording (the /v1 Recording resource's fields)."""

    sid: str
    status: str
    date_created: datetime
    source_sid: str
    room_sid: str
    participant_sid: str
    track_name: str
    type: str
    codec: str
    container_format: str
    size: int | None
    duration: int | None
    offset: int | None
    # When the source deleted it, where it says (the Twilio API does not).
    date_deleted: datetime | None = None

    @property
    def has_media(self) -> bool:
        return self.status == RecordingStatus.COMPLETED


# The fields that must agree for a recording already here to be this one.
_SAME = (
    ("status", "status"),
    ("date_created", "date_created"),
    ("track_id", "source_sid"),
    ("room_id", "room_sid"),
    ("participant_id", "participant_sid"),
    ("track_name", "track_name"),
    ("type", "type"),
    ("codec", "codec"),
    ("size", "size"),
    ("duration", "duration"),
)


def existing_verdict(*, account: Account, meta) -> bool:
    """Tell whether this recording is already here; raise ImportRefused for a field that is not
    what it must be, or its SID here with different content."""
    checks.video_check(meta)
    return already_here(Recording, _SAME, account=account, meta=meta)


def check_media(meta: VideoMeta, path: Path) -> None:
    """Raise ImportRefused unless the file is a whole Matroska recording of what the metadata
    says (kind, container)."""
    try:
        info = probe(path)
    except InvalidMedia as exc:
        raise ImportRefused(f"media rejected: {exc.reason}") from None
    if (info.kind, info.container_format, info.codec) != (
        meta.type,
        meta.container_format,
        meta.codec,
    ):
        raise ImportRefused(
            f"media holds {info.codec} {info.kind} in .{info.container_format}, the recording "
            f"says {meta.codec} {meta.type} in .{meta.container_format}"
        )
    if meta.duration is not None and abs(api_duration(info.duration) - meta.duration) > 1:
        raise ImportRefused(
            f"media lasts {info.duration:.1f} s, the recording says {meta.duration} s"
        )


def video_lookups(*, meta: VideoMeta, room: RoomMeta, participant: ParticipantMeta, **_):
    """The rows ``video_recording_write`` looks up."""
    return [
        (Recording, meta.sid),
        (Room, room.sid),
        (Participant, participant.sid),
        (Track, meta.source_sid),
    ]


def video_recording_write(
    *,
    account: Account,
    meta: VideoMeta,
    room: RoomMeta,
    participant: ParticipantMeta,
    media: Path | None,
) -> int:
    """Write the recording (and its room, participant and track where missing); return the bytes
    stored. Raises ImportRefused, with nothing written, on a bad field or a SID clash."""
    checks.video_check(meta)
    checks.room_check(room)
    checks.participant_check(participant)
    container_format = meta.container_format or CONTAINER_FOR_TYPE[meta.type]
    key = ""
    if media is not None:
        where = Recording(
            sid=meta.sid, account=account, room_id=room.sid, container_format=container_format
        )
        key = media_key_for(where)
    return store_then_write(
        Recording,
        sid=meta.sid,
        account=account,
        media=media,
        key=key,
        write=lambda size: _rows_write(
            account=account,
            meta=meta,
            room=room,
            participant=participant,
            container_format=container_format,
            key=key,
            size=size,
        ),
    )


@transaction.atomic
def _rows_write(
    *,
    account: Account,
    meta: VideoMeta,
    room: RoomMeta,
    participant: ParticipantMeta,
    container_format: str,
    key: str,
    size: int,
) -> int:
    """Write the rows of a recording whose file (if any) is stored under ``key``."""
    now = timezone.now()
    room_row = ensure_row(
        Room,
        room.sid,
        account,
        unique_name=room.unique_name,
        type=room.type,
        # Imported rooms are history, whatever the source said then: a room "in progress" here
        # would look live, and would hold its unique name against live rooms.
        status=RoomStatus.COMPLETED,
        audio_only=room.audio_only,
        date_created=room.date_created or meta.date_created,
        date_updated=room.end_time or room.date_created or meta.date_created,
        end_time=room.end_time,
    )
    ensure_row(
        Participant,
        participant.sid,
        account,
        room=room_row,
        identity=participant.identity,
        status=participant.status,
        date_created=participant.date_created or meta.date_created,
        date_updated=participant.end_time or participant.date_created or meta.date_created,
        end_time=participant.end_time,
    )
    ensure_row(
        Track,
        meta.source_sid,
        account,
        room=room_row,
        participant_id=participant.sid,
        name=meta.track_name,
        kind=meta.type,
        codec=meta.codec,
        published=False,
        date_created=meta.date_created,
        date_updated=meta.date_created,
    )
    recording = Recording(
        sid=meta.sid,
        account=account,
        room=room_row,
        participant_id=participant.sid,
        track_id=meta.source_sid,
        status=meta.status,
        type=meta.type,
        codec=meta.codec,
        container_format=container_format,
        track_name=meta.track_name,
        size=meta.size,
        duration=meta.duration,
        offset=meta.offset,
        date_created=meta.date_created,
        date_updated=now,
        date_stopped=meta.date_created,
        # Where the source does not say when, retention counts from the import.
        date_deleted=(meta.date_deleted or now) if meta.status == RecordingStatus.DELETED else None,
    )
    # The file's size is the recording's: the download was checked against it.
    return insert(recording, key=key, size=size)
