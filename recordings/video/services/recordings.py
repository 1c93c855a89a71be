"""The life of a recording: start, stop, media in (→ completed), failure, delete, media removal."""

import contextlib
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from console.services import SYSTEM, Actor, audit_record
from recordings.lifecycle.deletion import soft_delete
from recordings.lifecycle.exceptions import (
    MediaRejected,
    RecordingNotAwaitingMedia,
)
from recordings.lifecycle.queue import enqueue
from recordings.media import demo
from recordings.media.encryption import encrypt_stream
from recordings.media.external import destination
from recordings.media.keys import MediaKeyTaken, media_key
from recordings.media.probe import InvalidMedia, api_duration, probe
from recordings.media.uploads import save_then_record
from recordings.video import callbacks, selectors
from recordings.video.choices import CONTAINER_FOR_TYPE, MediaType, RecordingStatus
from recordings.video.kind import VIDEO
from recordings.video.models import PublicKey, Recording, RecordingSettings, Room, Track
from recordings.video.services.callbacks import callback_enqueue


def media_key_for(recording: Recording) -> str:
    """Return where a recording's media file lives in the media store."""
    r = recording
    return media_key(r.account_id, r.room_id, f"{r.sid}.{r.container_format}")


def recording_start(*, room: Room, track: Track) -> Recording:
    """Start a new recording of a track: a new RT SID every time, status ``processing``.

    Call inside the room's transaction (``rooms`` services hold its lock).
    """
    now = timezone.now()
    recording = Recording.objects.create(
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
    callback_enqueue(
        room=room,
        event="recording-started",
        params=callbacks.recording_params(recording),
        recording_sid=recording.sid,
    )
    return recording


def recording_stop(*, room: Room, recording: Recording) -> None:
    """End a recording's capture; it completes when its media arrives (or fails).

    In a simulated room Roomvault is the media server, so it makes the media itself after commit.
    """
    now = timezone.now()
    recording.date_stopped = now
    recording.date_updated = now
    recording.save(update_fields=["date_stopped", "date_updated"])
    if room.simulated_seconds is not None:
        sid = recording.sid
        transaction.on_commit(
            lambda: enqueue("recordings.tasks.simulate_recording_media", sid), robust=True
        )


def recording_complete(
    *,
    recording: Recording,
    media: BinaryIO,
    duration: int,
    codec: str | None = None,
) -> Recording:
    """Store a finished recording's media file, then mark the recording completed.

    The file (encrypted first, where the account asks) is stored before the short transaction
    that records it, so the row is not locked during the upload; an upload that loses the race
    (the recording completed or failed meanwhile) removes its file and raises
    RecordingNotAwaitingMedia, as it would have had it waited for the lock.
    """
    recording = Recording.objects.get(pk=recording.pk)
    _require_processing(recording)
    options = RecordingSettings.objects.filter(account_id=recording.account_id).first()
    store, key, external_location = destination(options, media_key_for(recording))
    encryption_key = None
    if options is not None and options.encryption_enabled and options.encryption_key_sid:
        public_key = PublicKey.objects.get(
            account_id=recording.account_id, sid=options.encryption_key_sid
        )
        media = encrypt_stream(media, public_key_pem=public_key.public_key, key_sid=public_key.sid)
        encryption_key = public_key.sid
    try:
        return save_then_record(
            store,
            key,
            media,
            account_sid=recording.account_id,
            record=lambda size: _media_record(
                pk=recording.pk,
                key=key,
                size=size,
                external_location=external_location,
                encryption_key=encryption_key,
                duration=duration,
                codec=codec,
            ),
        )
    except MediaKeyTaken:
        # Another upload of this recording stored its file first: the recording is theirs.
        _require_processing(Recording.objects.get(pk=recording.pk))
        raise RecordingNotAwaitingMedia(
            f"Recording {recording.sid} is taking another upload of its media"
        ) from None


def _require_processing(recording: Recording) -> None:
    if recording.status != RecordingStatus.PROCESSING:
        raise RecordingNotAwaitingMedia(
            f"Recording {recording.sid} is {recording.status}: it takes no more media"
        )


@transaction.atomic
def _media_record(
    *,
    pk: str,
    key: str,
    size: int,
    external_location: str | None,
    encryption_key: str | None,
    duration: int,
    codec: str | None,
) -> Recording:
    """Record a stored file on its recording, if it still awaits media (under the row's lock)."""
    recording = Recording.objects.select_for_update().get(pk=pk)
    _require_processing(recording)
    now = timezone.now()
    recording.size = size
    recording.media_key = key
    recording.media_external_location = external_location
    recording.encryption_key = encryption_key
    recording.duration = duration
    recording.codec = codec or recording.codec
    recording.status = RecordingStatus.COMPLETED
    recording.date_stopped = recording.date_stopped or now
    recording.date_updated = now
    recording.save(
        update_fields=[
            "size",
            "media_key",
            "media_external_location",
            "encryption_key",
            "duration",
            "codec",
            "status",
            "date_stopped",
            "date_updated",
        ]
    )
    callback_enqueue(
        room=recording.room,
        event="recording-completed",
        params=callbacks.recording_params(recording),
        recording_sid=recording.sid,
    )
    if not encryption_key:
        # Remuxing takes seconds, transcoding PCMU longer: not something a player should wait for.
        sid = recording.sid
        transaction.on_commit(
            lambda: enqueue("recordings.tasks.make_playback_rendition", sid), robust=True
        )
    return recording


def recording_media_ingest(*, recording: Recording, path: Path) -> Recording:
    """Complete a recording with an uploaded file, after reading what the file really holds.

    Raises MediaRejected (nothing stored) for a file that is not a whole Matroska recording of
    the track's kind, and RecordingNotAwaitingMedia for a recording that is not processing or is
    still being captured: the rules still select its track, so taking a file now would leave that
    track unrecorded (stop capture first, or report a failure).
    """
    if recording.status == RecordingStatus.PROCESSING and recording.date_stopped is None:
        raise RecordingNotAwaitingMedia(
            f"Recording {recording.sid} is still being captured: unpublish its track (or change "
            "the rules) before uploading its file"
        )
    try:
        info = probe(path)
    except InvalidMedia as exc:
        raise MediaRejected(exc.reason) from None
    if info.kind != recording.type:
        raise MediaRejected(
            f"The file holds {info.kind} ({info.codec}) but {recording.sid} records "
            f"an {recording.type} track"
        )
    with path.open("rb") as media:
        return recording_complete(
            recording=recording,
            media=media,
            duration=api_duration(info.duration),
            codec=info.codec,
        )


@transaction.atomic
def recording_fail(*, recording: Recording, reason: str) -> Recording:
    """Mark a recording failed: the media server could not capture it."""
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    if recording.status != RecordingStatus.PROCESSING:
        raise RecordingNotAwaitingMedia(
            f"Recording {recording.sid} is {recording.status}: it cannot fail now"
        )
    now = timezone.now()
    recording.status = RecordingStatus.FAILED
    recording.date_stopped = recording.date_stopped or now
    recording.date_updated = now
    recording.save(update_fields=["status", "date_stopped", "date_updated"])
    callback_enqueue(
        room=recording.room,
        event="recording-failed",
        params={**callbacks.recording_params(recording), "FailedOperation": reason[:255]},
        recording_sid=recording.sid,
    )
    return recording


def recordings_give_up_media(before: datetime, *, batch: int = 500) -> int:
    """Fail every recording still awaiting media whose room ended before ``before`` (the media
    server that was to upload it is gone); return how many. Each is its own transaction, with
    its recording-failed callback and an audit row by the system; one that completes or fails
    meanwhile is left as it is, so running this again changes nothing."""
    given_up = 0
    while sids := selectors.recordings_media_overdue(before=before, limit=batch):
        for sid in sids:
            given_up += _give_up_media(sid)
        if len(sids) < batch:
            break
    return given_up


@transaction.atomic
def _give_up_media(sid: str) -> bool:
    recording = Recording.objects.select_related("account", "room").get(pk=sid)
    hours = settings.MEDIA_WAIT_HOURS
    try:
        recording = recording_fail(
            recording=recording, reason=f"No media arrived within {hours:g} hours of the room's end"
        )
    except RecordingNotAwaitingMedia:
        return False  # its media came, or it failed, since it was selected
    audit_record(
        account=recording.account,
        actor=SYSTEM,
        action="recording.fail",
        object_sid=recording.sid,
        object_repr=f"{recording.track_name} in {recording.room_id}: no media {hours:g} h after "
        "the room ended",
    )
    return True


def recording_simulate_media(*, recording_sid: str) -> None:
    """Make and ingest real media for a stopped recording of a simulated room (idempotent)."""
    recording = (
        Recording.objects.select_related("room")
        .filter(sid=recording_sid, status=RecordingStatus.PROCESSING, date_stopped__isnull=False)
        .first()
    )
    if recording is None or recording.room.simulated_seconds is None:
        return
    seconds = recording.room.simulated_seconds
    if recording.type == MediaType.AUDIO:
        # A different tone per track, so that the demo recordings sound apart.
        data = demo.opus_mka(seconds, frequency=220 + 55 * (int(recording.track_id[-2:], 16) % 12))
    else:
        data = demo.vp8_mkv(seconds)
    with tempfile.NamedTemporaryFile(suffix=f".{recording.container_format}") as file:
        file.write(data)
        file.flush()
        # Another run of this task may have completed it meanwhile: that is success too.
        with contextlib.suppress(RecordingNotAwaitingMedia):
            recording_media_ingest(recording=recording, path=Path(file.name))


def recording_delete(*, recording: Recording, actor: Actor) -> bool:
    """Soft-delete a recording: status ``deleted`` now, its media removed by a task after commit.

    Returns False when it was already deleted (deleting is idempotent). Raises
    RecordingStillProcessing for a recording still being captured: nothing is changed.
    """
    return bool(soft_delete(VIDEO, account=recording.account, sids=[recording.sid], actor=actor))
