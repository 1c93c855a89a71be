"""The life of a recording: start, stop, media in (→ completed), failure, delete, media removal."""

import contextlib
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from console.services import Actor, audit_record
from recordings.lifecycle.delivery import callback_enqueue
from recordings.lifecycle.exceptions import (
    MediaRejected,
    RecordingNotAwaitingMedia,
    RecordingStillProcessing,
)
from recordings.lifecycle.queue import enqueue
from recordings.media import demo
from recordings.media.encryption import encrypt_stream
from recordings.media.external import external_store, object_url, parse_s3_url
from recordings.media.keys import MediaKeyTaken, UnsafeMediaKey, media_key
from recordings.media.probe import InvalidMedia, api_duration, probe
from recordings.media.store import MediaStore, get_media_store
from recordings.media.uploads import save_then_record
from recordings.video import callbacks
from recordings.video.choices import CONTAINER_FOR_TYPE, MediaType, RecordingStatus
from recordings.video.models import PublicKey, Recording, RecordingSettings, Room, Track
from recordings.voice import media as voice_media
from recordings.voice.models import VoiceRecording


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


def _destination(options: RecordingSettings | None, key: str) -> tuple[MediaStore, str, str | None]:
    """Return where new media of this recording goes: (store, key, media_external_location).

    With AwsStorageEnabled the file goes to the account's own bucket, under its AwsS3Url path,
    signed with the credentials its AwsCredentialsSid names (see media.external).
    """
    if options is None or not options.aws_storage_enabled or not options.aws_s3_url:
        return get_media_store(), key, None
    location = parse_s3_url(options.aws_s3_url)
    full_key = location.prefix + key
    return (
        external_store(
            account_id=options.account_id,
            location=location,
            credentials_sid=options.aws_credentials_sid,
        ),
        full_key,
        object_url(options.aws_s3_url, location, full_key),
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
    store, key, external_location = _destination(options, media_key_for(recording))
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
        raise RecordingStillProcessing(
            f"Recording {recording.sid} is still processing and cannot be deleted yet"
        )
    audit_record(
        account=recording.account,
        actor=actor,
        action="recording.delete",
        object_sid=recording.sid,
        object_repr=f"{recording.track_name} in {recording.room_id}",
    )
    mark_deleted(recording)
    return True


def mark_deleted(recording: Recording | VoiceRecording) -> None:
    """Mark a locked recording (video or voice) deleted now, and queue the removal of its media
    after commit (inside the caller's transaction, after its checks and audit)."""
    now = timezone.now()
    recording.status = RecordingStatus.DELETED  # both products spell it so
    recording.date_deleted = now
    recording.date_updated = now
    recording.save(update_fields=["status", "date_deleted", "date_updated"])
    if recording.media_key:
        sid = recording.sid
        transaction.on_commit(
            lambda: enqueue("recordings.tasks.delete_recordings_media", [sid]), robust=True
        )


def recordings_media_delete(*, recording_sids: list[str]) -> None:
    """Remove the media files of deleted recordings, video (RT…) or voice (RE…, the original and
    every rendition); safe to run any number of times.

    One query reads the batch and one clears it, so a bulk deletion's media goes at the store's
    speed. Files removed before a failure are cleared even so: a retry does only what remains.
    """
    video = (
        Recording.objects.filter(sid__in=recording_sids, status=RecordingStatus.DELETED)
        .exclude(media_key="")
        .values_list("sid", "account_id", "media_key", "media_external_location")
    )
    # Media in the account's own bucket is the account's: Twilio only writes there.
    _media_remove(
        Recording,
        [(sid, account, [] if external else [key]) for sid, account, key, external in video],
    )
    voice = (
        VoiceRecording.objects.filter(sid__in=recording_sids, status=RecordingStatus.DELETED)
        .exclude(media_key="")
        .values_list("sid", "account_id", "channels")
    )
    _media_remove(
        VoiceRecording,
        [
            (sid, account, voice_media.all_keys(account, sid, channels))
            for sid, account, channels in voice
        ],
    )


def _media_remove(
    model: type[Recording] | type[VoiceRecording], files: list[tuple[str, str, list[str]]]
) -> None:
    """Delete each recording's files (sid, account, keys), then clear the media key of those whose
    files are gone."""
    if not files:  # nothing to remove: open no store
        return
    removed = []
    try:
        store = get_media_store()
        for sid, account, keys in files:
            for key in keys:
                # A key outside the recording's account (written before keys were checked)
                # names someone else's file: never this recording's to remove.
                with contextlib.suppress(UnsafeMediaKey):
                    store.delete(key, account_sid=account)
            removed.append(sid)
    finally:
        if removed:
            model.objects.filter(sid__in=removed, status=RecordingStatus.DELETED).update(
                media_key=""
            )
