"""Every SID, enum, number and length a source says of a recording, checked in one place before
anything of it is fetched or written: a source is not trusted to send SIDs of the exact shape
(a SID becomes a media key), values within their choices (an enum reaches exports and pages) or
lengths that fit their columns (PostgreSQL would refuse the insert, SQLite keep it whole).

Each check raises ImportRefused naming the field, so the recording fails with that reason.
"""

from datetime import datetime

from console.sids import is_exact_sid
from recordings.imports.common import ImportRefused
from recordings.imports.models import ImportItem
from recordings.video.choices import (
    CONTAINER_FOR_TYPE,
    Codec,
    ParticipantStatus,
    RecordingStatus,
    RoomType,
)
from recordings.video.models import Participant, Recording, Room
from recordings.voice.choices import RecordingSource, VoiceRecordingStatus
from recordings.voice.models import VoiceRecording

# The columns' bounds: a value beyond them would fail the database write (and stop the run on
# PostgreSQL) instead of failing the one recording.
BIGINT = 2**63
POSITIVE_INT = 2**31
ROOM_NAME_LENGTH = Room._meta.get_field("unique_name").max_length
IDENTITY_LENGTH = Participant._meta.get_field("identity").max_length
TRACK_NAME_LENGTH = Recording._meta.get_field("track_name").max_length
PRICE_LENGTH = VoiceRecording._meta.get_field("price").max_length
PRICE_UNIT_LENGTH = VoiceRecording._meta.get_field("price_unit").max_length
REPORTED_LENGTH = ImportItem._meta.get_field("sid").max_length


def _refuse(field: str, problem: str, value) -> None:
    raise ImportRefused(f"'{field}' {problem}, not {repr(value)[:60]}")


def _sid(field: str, value, prefix: str, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not is_exact_sid(value, prefix):
        _refuse(field, f"must be {prefix} followed by 32 lowercase hex digits", value)


def _choice(field: str, value, choices) -> None:
    if value not in list(choices):
        _refuse(field, f"must be one of {', '.join(map(str, choices))}", value)


def _text(field: str, value, max_length: int, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        _refuse(field, f"must be text of at most {max_length} characters", value)


def _integer(field: str, value, *, minimum: int = 0, below: int = BIGINT) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < below:
        _refuse(field, f"must be an integer from {minimum} to {below - 1}", value)


def _moment(field: str, value, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, datetime) or value.tzinfo is None:
        _refuse(field, "must be a date-time with its zone", value)


def video_check(meta) -> None:
    """Refuse a video recording (VideoMeta) any of whose fields is not what it must be."""
    _sid("sid", meta.sid, "RT")
    _choice("status", meta.status, RecordingStatus.values)
    _moment("date_created", meta.date_created)
    _sid("source_sid", meta.source_sid, "MT")
    _sid("room_sid", meta.room_sid, "RM")
    _sid("participant_sid", meta.participant_sid, "PA")
    _text("track_name", meta.track_name, TRACK_NAME_LENGTH)
    _choice("type", meta.type, CONTAINER_FOR_TYPE)
    _choice("codec", meta.codec, Codec.values)
    if meta.container_format is not None:
        _choice("container_format", meta.container_format, [CONTAINER_FOR_TYPE[meta.type]])
    _integer("size", meta.size)
    _integer("duration", meta.duration, below=POSITIVE_INT)
    _integer("offset", meta.offset, minimum=-BIGINT)
    _moment("date_deleted", meta.date_deleted, required=False)


def room_check(room) -> None:
    """Refuse a room (RoomMeta) any of whose fields is not what it must be."""
    _sid("room_sid", room.sid, "RM")
    _text("unique_name", room.unique_name, ROOM_NAME_LENGTH)
    _choice("room type", room.type, RoomType.values)
    _moment("room date_created", room.date_created, required=False)
    _moment("room end_time", room.end_time, required=False)


def participant_check(participant) -> None:
    """Refuse a participant (ParticipantMeta) any of whose fields is not what it must be."""
    _sid("participant_sid", participant.sid, "PA")
    _text("identity", participant.identity, IDENTITY_LENGTH)
    _choice("participant status", participant.status, ParticipantStatus.values)
    _moment("participant date_created", participant.date_created, required=False)
    _moment("participant end_time", participant.end_time, required=False)


def voice_check(meta) -> None:
    """Refuse a voice recording (VoiceMeta) any of whose fields is not what it must be."""
    _sid("sid", meta.sid, "RE")
    _choice("status", meta.status, VoiceRecordingStatus.values)
    _sid("call_sid", meta.call_sid, "CA", required=False)
    _sid("conference_sid", meta.conference_sid, "CF", required=False)
    _choice("source", meta.source, RecordingSource.values)
    _choice("channels", meta.channels, (1, 2))
    _moment("start_time", meta.start_time)
    _moment("date_created", meta.date_created)
    _integer("duration", meta.duration, below=POSITIVE_INT)
    _text("price", meta.price, PRICE_LENGTH, required=False)
    _text("price_unit", meta.price_unit, PRICE_UNIT_LENGTH, required=False)
    _integer("error_code", meta.error_code, below=POSITIVE_INT)
    if meta.encryption_details is not None and not isinstance(meta.encryption_details, dict):
        _refuse("encryption_details", "must be an object", meta.encryption_details)


def reported_sid(sid) -> str:
    """Return what a recording is reported under: its SID as the source said it, printable and
    cut to fit an item (a SID that is not one can be anything)."""
    text = "".join(c if c.isprintable() else "?" for c in str(sid))
    return text if len(text) <= REPORTED_LENGTH else text[: REPORTED_LENGTH - 1] + "…"
