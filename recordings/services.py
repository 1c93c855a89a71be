"""Every state change of rooms and recordings. Each service is one transaction; anything outside the
database (media deletion, callbacks) is queued with ``transaction.on_commit``.
"""

from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from console.services import Actor, audit_record
from recordings import rules as rules_algebra
from recordings import tasks
from recordings.choices import RecordingStatus
from recordings.media.store import get_media_store
from recordings.models import Recording, RecordingRules, Room


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
