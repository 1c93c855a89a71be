"""Every state change of rooms and recordings. Each service is one transaction; anything outside the
database (media deletion, callbacks) is queued with ``transaction.on_commit``.
"""

from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from console.models import Account
from console.services import Actor, audit_record
from recordings import rules as rules_algebra
from recordings import tasks
from recordings.choices import CONTAINER_FOR_TYPE, CallbackMethod, RecordingStatus, RoomType
from recordings.media.store import get_media_store
from recordings.models import Participant, Recording, RecordingRules, Room, Track


def room_create(
    *,
    account: Account,
    unique_name: str,
    type: str = RoomType.GROUP,
    record_participants_on_connect: bool = False,
    status_callback: str | None = None,
    status_callback_method: str = CallbackMethod.POST,
) -> Room:
    """Open a room; with record-on-connect its rules start as "record everything" (seed 002)."""
    now = timezone.now()
    with transaction.atomic():
        room = Room.objects.create(
            account=account,
            unique_name=unique_name,
            type=type,
            record_participants_on_connect=record_participants_on_connect,
            status_callback=status_callback,
            status_callback_method=status_callback_method,
            media_offset=int(now.timestamp() * 1000),
            date_created=now,
            date_updated=now,
        )
        if record_participants_on_connect:
            RecordingRules.objects.create(
                room=room, rules=rules_algebra.RECORD_ALL, date_created=now, date_updated=now
            )
    return room


@transaction.atomic
def participant_connect(*, room: Room, identity: str) -> Participant:
    """Add a connected participant to a room."""
    now = timezone.now()
    return Participant.objects.create(
        account_id=room.account_id, room=room, identity=identity, date_created=now, date_updated=now
    )


@transaction.atomic
def track_publish(*, participant: Participant, name: str, kind: str, codec: str) -> Track:
    """Record that a participant published a track."""
    now = timezone.now()
    return Track.objects.create(
        account_id=participant.account_id,
        room_id=participant.room_id,
        participant=participant,
        name=name,
        kind=kind,
        codec=codec,
        date_created=now,
        date_updated=now,
    )


@transaction.atomic
def recording_start(*, track: Track) -> Recording:
    """Start a new recording of a track: a new RT SID every time, status ``processing``."""
    room = track.room
    now = timezone.now()
    return Recording.objects.create(
        account_id=track.account_id,
        room=room,
        participant_id=track.participant_id,
        track=track,
        type=track.kind,
        codec=track.codec,
        container_format=CONTAINER_FOR_TYPE[track.kind],
        track_name=track.name,
        offset=room.media_offset,
        status_callback=room.status_callback,
        status_callback_method=room.status_callback_method,
        date_created=now,
        date_updated=now,
    )


class RecordingStillProcessing(Exception):
    """A recording that is still being captured cannot be deleted."""


def media_key_for(recording: Recording) -> str:
    """Return where a recording's media file lives in the media store."""
    return (
        f"{recording.account_id}/{recording.room_id}/{recording.sid}.{recording.container_format}"
    )


@transaction.atomic
def recording_complete(*, recording: Recording, media: BinaryIO, duration: int) -> Recording:
    """Store a finished recording's media file and mark the recording completed."""
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    key = media_key_for(recording)
    recording.size = get_media_store().save(key, media)
    recording.media_key = key
    recording.duration = duration
    recording.status = RecordingStatus.COMPLETED
    recording.date_updated = timezone.now()
    recording.save(update_fields=["size", "media_key", "duration", "status", "date_updated"])
    return recording


@transaction.atomic
def recording_delete(*, recording: Recording, actor: Actor) -> bool:
    """Soft-delete a recording: status ``deleted`` now, its media removed by a task after commit.

    Returns False when it was already deleted (deleting is idempotent). Raises
    RecordingStillProcessing for a recording still being captured: nothing is changed.
    """
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    if recording.status == RecordingStatus.DELETED:
        return False
    if recording.status == RecordingStatus.PROCESSING:
        raise RecordingStillProcessing(recording.sid)
    audit_record(
        account=recording.account,
        actor=actor,
        action="recording.delete",
        object_sid=recording.sid,
        object_repr=f"{recording.track_name} in {recording.room_id}",
    )
    now = timezone.now()
    recording.status = RecordingStatus.DELETED
    recording.date_deleted = now
    recording.date_updated = now
    recording.save(update_fields=["status", "date_deleted", "date_updated"])
    if recording.media_key:
        transaction.on_commit(lambda: tasks.delete_recording_media.delay(recording.sid))
    return True


def recording_media_delete(*, recording_sid: str) -> None:
    """Remove a deleted recording's media file; safe to run any number of times."""
    recording = Recording.objects.filter(sid=recording_sid, status=RecordingStatus.DELETED).first()
    if recording is None or not recording.media_key:
        return
    get_media_store().delete(recording.media_key)
    Recording.objects.filter(pk=recording.pk, media_key=recording.media_key).update(media_key="")


@transaction.atomic
def recording_rules_update(*, room: Room, document: str, actor: Actor) -> RecordingRules:
    """Replace a room's recording rules with a validated JSON rule list (seed 002).

    Raises ``rules.InvalidRules`` (Twilio 53120) and changes nothing when the list is invalid.
    """
    rules = rules_algebra.parse_rules(document)
    now = timezone.now()
    stored, _ = RecordingRules.objects.update_or_create(
        room=room,
        defaults={"rules": rules, "date_updated": now},
        create_defaults={
            "rules": rules,
            "date_created": now,
            "date_updated": now,
        },
    )
    audit_record(
        account=room.account,
        actor=actor,
        action="recording_rules.update",
        object_sid=room.sid,
        object_repr=document[:255],
    )
    return stored
