"""Every state change of calls, conferences and voice recordings (seed 003).

Each service is one transaction; callbacks and media deletion are queued after commit. ``at`` lets
the call simulator play a call's timeline in an instant; everything else leaves it to the clock.
"""

import email.utils
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from console.models import Account
from console.services import SYSTEM, Actor, audit_record
from recordings.lifecycle.choices import CallbackMethod
from recordings.lifecycle.deletion import soft_delete
from recordings.lifecycle.delivery import callback_send, callback_url_check
from recordings.lifecycle.exceptions import (
    AmbiguousCurrentRecording,
    CallNotInProgress,
    MediaRejected,
    RecordingNotActive,
    RecordingNotAwaitingMedia,
    UnsupportedForConference,
)
from recordings.lifecycle.queue import enqueue
from recordings.media.keys import MediaKeyTaken
from recordings.media.probe import api_duration
from recordings.media.store import get_media_store
from recordings.media.uploads import save_then_record
from recordings.voice import audio, media
from recordings.voice import selectors as voice_selectors
from recordings.voice.choices import (
    ABSENT_SILENT,
    ABSENT_TOO_SHORT,
    CallbackEvent,
    CallStatus,
    CaptureState,
    PauseBehavior,
    RecordingTrack,
    Trim,
    VoiceRecordingStatus,
)
from recordings.voice.kind import VOICE
from recordings.voice.models import Call, Conference, VoiceRecording

API_VERSION = "2010-04-01"
# Shorter than this once cut, a recording is absent as too short (error 16101).
MIN_SECONDS = 1.0


def rfc2822(moment: datetime | None) -> str | None:
    """Render a time as the 2010-04-01 API does: ``Fri, 14 Oct 2016 21:56:34 +0000``."""
    if moment is None:
        return None
    return email.utils.format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def recording_path(recording: VoiceRecording) -> str:
    """Return a recording's URI without extension (its media), relative to the API root."""
    return f"/{API_VERSION}/Accounts/{recording.account_id}/Recordings/{recording.sid}"


def call_start(
    *, account: Account, from_number: str = "", to_number: str = "", at: datetime | None = None
) -> Call:
    """Report a call that was answered: it is in progress and can be recorded."""
    now = at or timezone.now()
    return Call.objects.create(
        account=account,
        from_number=from_number,
        to_number=to_number,
        date_created=now,
        date_updated=now,
    )


@transaction.atomic
def call_end(*, call: Call, at: datetime | None = None) -> Call:
    """Report that a call hung up: its recordings stop and wait for their audio."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.status == CallStatus.COMPLETED:
        return call
    now = at or timezone.now()
    for recording in _active(voice_selectors.voice_recordings_of(call=call).select_for_update()):
        _stop(recording, now)
    call.status = CallStatus.COMPLETED
    call.end_time = now
    call.date_updated = now
    call.save(update_fields=["status", "end_time", "date_updated"])
    return call


def conference_start(
    *, account: Account, friendly_name: str, at: datetime | None = None
) -> Conference:
    """Report a conference that began."""
    now = at or timezone.now()
    return Conference.objects.create(
        account=account, friendly_name=friendly_name, date_created=now, date_updated=now
    )


@transaction.atomic
def conference_join(*, conference: Conference, call: Call) -> Call:
    """Report that a call joined a conference."""
    conference = Conference.objects.select_for_update().get(pk=conference.pk)
    if conference.status != CallStatus.IN_PROGRESS or call.status != CallStatus.IN_PROGRESS:
        raise CallNotInProgress("Only a call in progress can join a conference in progress")
    call.conference = conference
    call.date_updated = timezone.now()
    call.save(update_fields=["conference", "date_updated"])
    return call


@transaction.atomic
def conference_end(*, conference: Conference, at: datetime | None = None) -> Conference:
    """Report that a conference ended: its recordings stop and wait for their audio."""
    conference = Conference.objects.select_for_update().get(pk=conference.pk)
    if conference.status == CallStatus.COMPLETED:
        return conference
    now = at or timezone.now()
    for recording in _active(
        voice_selectors.voice_recordings_of(conference=conference).select_for_update()
    ):
        _stop(recording, now)
    conference.status = CallStatus.COMPLETED
    conference.end_time = now
    conference.date_updated = now
    conference.save(update_fields=["status", "end_time", "date_updated"])
    return conference


@transaction.atomic
def voice_recording_start(
    *,
    source: str,
    call: Call | None = None,
    conference: Conference | None = None,
    channels: int = 1,
    track: str = RecordingTrack.BOTH,
    trim: str = Trim.DO_NOT_TRIM,
    status_callback: str | None = None,
    status_callback_method: str = CallbackMethod.POST,
    status_callback_events: Sequence[str] = (CallbackEvent.COMPLETED,),
    at: datetime | None = None,
) -> VoiceRecording:
    """Start recording a call (or a conference) in progress: a new RE SID, status processing.

    Only a call's two legs can be split into two channels, and only when both are recorded.
    Raises CallNotInProgress, or CallbackUrlRefused for a status callback to an internal address.
    """
    callback_url_check(status_callback)
    subject = call or conference
    assert subject is not None  # callers pass a call or a conference
    locked = type(subject).objects.select_for_update().get(pk=subject.pk)
    if locked.status != CallStatus.IN_PROGRESS:
        kind = "Call" if call else "Conference"
        raise CallNotInProgress(
            f"{kind} {subject.sid} is not in-progress. Cannot create recording."
        )
    if conference is not None or track != RecordingTrack.BOTH:
        channels = 1
    now = at or timezone.now()
    recording = VoiceRecording.objects.create(
        account_id=subject.account_id,
        call=call,
        conference=conference,
        source=source,
        channels=channels,
        track=track,
        trim=trim,
        start_time=now,
        status_callback=status_callback,
        status_callback_method=status_callback_method,
        status_callback_events=list(dict.fromkeys(status_callback_events)),
        date_created=now,
        date_updated=now,
    )
    _callback(recording, CallbackEvent.IN_PROGRESS)
    return recording


def voice_recording_current(
    *, call: Call | None = None, conference: Conference | None = None
) -> VoiceRecording:
    """Return the one active recording ``Twilio.CURRENT`` stands for; raise
    AmbiguousCurrentRecording when there is none, or more than one (seed 003)."""
    active = list(
        _active(voice_selectors.voice_recordings_of(call=call, conference=conference))[:2]
    )
    kind = "Call" if call else "Conference"
    if len(active) > 1:
        raise AmbiguousCurrentRecording(
            f"Request failed because there is more than one recording for the given {kind}"
        )
    if not active:
        raise AmbiguousCurrentRecording(f"There is no active recording for the given {kind}")
    return active[0]


@transaction.atomic
def voice_recording_update(
    *,
    recording: VoiceRecording,
    status: str,
    pause_behavior: str = PauseBehavior.SILENCE,
    at: datetime | None = None,
) -> VoiceRecording:
    """Pause, resume or stop a recording being captured (seed 003).

    Pausing a paused recording, or resuming a running one, changes nothing. ``stopped`` ends the
    capture for good; it is refused for conference recordings.
    """
    recording = VoiceRecording.objects.select_for_update().get(pk=recording.pk)
    if status == CaptureState.STOPPED and recording.conference_id:
        raise UnsupportedForConference("Conference recordings cannot be stopped, only paused")
    if not recording.is_active:
        raise RecordingNotActive(
            f"Recording {recording.sid} is not in-progress or paused: it was stopped"
        )
    now = at or timezone.now()
    offset = _offset(recording, now)
    if status == CaptureState.PAUSED and recording.capture == CaptureState.IN_PROGRESS:
        recording.pauses = [*recording.pauses, [offset, None, pause_behavior]]
        recording.capture = CaptureState.PAUSED
    elif status == CaptureState.IN_PROGRESS and recording.capture == CaptureState.PAUSED:
        _close_pause(recording, offset)
        recording.capture = CaptureState.IN_PROGRESS
    elif status == CaptureState.STOPPED:
        _stop(recording, now)
        return recording
    recording.date_updated = now
    recording.save(update_fields=["pauses", "capture", "date_updated"])
    return recording


def voice_recording_audio_ingest(*, recording: VoiceRecording, path: Path) -> VoiceRecording:
    """Complete a stopped recording with the audio the platform captured over its whole span.

    The audio (channel 0 the inbound leg, channel 1 the outbound one) is cut to what was asked:
    the track and channels, the pauses (skipped or silenced), the trim. What is left is stored as
    an 8 kHz WAV (``completed``), or nothing is stored and the recording is ``absent`` (16101
    when too short, 16102 when silence was all there was). Raises MediaRejected for a file that
    is not readable audio, and RecordingNotAwaitingMedia unless the recording is stopped and
    still processing; nothing is stored then.
    """
    # As it is now, not as the caller last saw it.
    recording = VoiceRecording.objects.get(pk=recording.pk)
    _require_awaiting_audio(recording)
    trim = recording.trim == Trim.TRIM_SILENCE
    with tempfile.TemporaryFile(prefix="roomvault-voice-") as wav:
        try:
            kept = audio.cut(
                path,
                wav,
                track=recording.track,
                channels=recording.channels,
                pauses=[tuple(p) for p in recording.pauses],
                trim=trim,
            )
        except audio.InvalidAudio as exc:
            raise MediaRejected(exc.reason) from None
        if kept.duration < MIN_SECONDS:
            # Silence is only told apart where it was trimmed away.
            error_code = ABSENT_SILENT if trim and not kept.had_sound else ABSENT_TOO_SHORT
            return _record(recording.pk, error_code=error_code)
        wav.seek(0)
        key = media.original_key(recording)
        try:
            # Stored before the short transaction that records it: the row is not locked during
            # the upload, and an upload that loses the race removes its file.
            return save_then_record(
                get_media_store(),
                key,
                wav,
                account_sid=recording.account_id,
                record=lambda size: _record(
                    recording.pk, key=key, size=size, duration=kept.duration, channels=kept.channels
                ),
            )
        except MediaKeyTaken:
            # Another upload of this recording stored its file first: the recording is theirs.
            _require_awaiting_audio(VoiceRecording.objects.get(pk=recording.pk))
            raise RecordingNotAwaitingMedia(
                f"Recording {recording.sid} is taking another upload of its audio"
            ) from None


@transaction.atomic
def _record(
    pk: str,
    *,
    error_code: int | None = None,
    key: str = "",
    size: int = 0,
    duration: float = 0.0,
    channels: int = 1,
) -> VoiceRecording:
    """Complete a recording with its stored audio (``key``), or without any make it absent with
    ``error_code`` (None: no audio came at all), if it still awaits its audio (under the row's
    lock)."""
    recording = VoiceRecording.objects.select_for_update().get(pk=pk)
    _require_awaiting_audio(recording)
    now = timezone.now()
    if key:
        recording.media_key = key
        recording.size = size
        # Half up, as for video recordings: 2.5 s is 3 s to a user (round() would say 2).
        recording.duration = api_duration(duration)
        # Seed 003: the channels of the final file. A dual recording whose platform could only
        # upload the call mixed has one, and must say so (and serve it as the original).
        recording.channels = channels
        recording.status = VoiceRecordingStatus.COMPLETED
    else:
        recording.duration = 0
        recording.error_code = error_code
        recording.status = VoiceRecordingStatus.ABSENT
    recording.date_updated = now
    recording.save(
        update_fields=[
            "size",
            "media_key",
            "duration",
            "channels",
            "error_code",
            "status",
            "date_updated",
        ]
    )
    _callback(
        recording,
        CallbackEvent.COMPLETED
        if recording.status == VoiceRecordingStatus.COMPLETED
        else CallbackEvent.ABSENT,
    )
    if recording.status == VoiceRecordingStatus.COMPLETED:
        # An hour of dual-channel MP3 takes ~15 s to encode: not something a download should wait
        # for.
        sid = recording.sid
        transaction.on_commit(
            lambda: enqueue("recordings.tasks.make_voice_renditions", sid), robust=True
        )
    return recording


def voice_recordings_give_up_audio(before: datetime, *, batch: int = 500) -> int:
    """Make absent every recording still awaiting audio whose capture ended before ``before``
    (the telephony platform that was to upload it is gone); return how many. Each is its own
    transaction, with its ``absent`` callback (where asked for) and an audit row by the system;
    one whose audio arrives meanwhile is left as it is, so running this again changes nothing.

    Seed 003 has no ``failed`` status: ``absent`` is what a recording without audio is. Twilio's
    error codes for it (16101 too short, 16102 silent) do not fit, so ``error_code`` stays null.
    """
    given_up = 0
    while sids := voice_selectors.voice_recordings_audio_overdue(before=before, limit=batch):
        for sid in sids:
            given_up += _give_up_audio(sid)
        if len(sids) < batch:
            break
    return given_up


@transaction.atomic
def _give_up_audio(sid: str) -> bool:
    try:
        recording = _record(sid)
    except RecordingNotAwaitingMedia:
        return False  # its audio came since it was selected
    audit_record(
        account=recording.account,
        actor=SYSTEM,
        action="voice_recording.absent",
        object_sid=recording.sid,
        object_repr=f"recording of {recording.call_id or recording.conference_id}: no audio "
        f"{settings.MEDIA_WAIT_HOURS:g} h after it stopped",
    )
    return True


def voice_recording_renditions_make(*, recording_sid: str) -> None:
    """Make a completed recording's renditions now (idempotent; nothing for any other status)."""
    recording = VoiceRecording.objects.filter(
        sid=recording_sid, status=VoiceRecordingStatus.COMPLETED
    ).first()
    if recording is not None:
        media.renditions_make(recording)


def voice_recording_delete(*, recording: VoiceRecording, actor: Actor) -> bool:
    """Soft-delete a completed recording: status ``deleted`` now, its audio removed after commit.

    Returns False when it was already deleted. Raises RecordingNotDeletable for any other status
    (seed 003: only completed recordings can be deleted); nothing is changed then.
    """
    return bool(soft_delete(VOICE, account=recording.account, sids=[recording.sid], actor=actor))


# A callback's RecordingStatus for each recording status; any other reads "absent".
_CALLBACK_STATUS: dict[str, str] = {
    VoiceRecordingStatus.PROCESSING: CallbackEvent.IN_PROGRESS,
    VoiceRecordingStatus.COMPLETED: CallbackEvent.COMPLETED,
}


def callback_params(recording: VoiceRecording) -> dict[str, str]:
    """Return a recording status callback's parameters, named as seed 003 names them."""
    params = {
        "AccountSid": recording.account_id,
        "CallSid": recording.call_id or "",
        "RecordingSid": recording.sid,
        "RecordingUrl": settings.PUBLIC_BASE_URL + recording_path(recording),
        "RecordingStatus": _CALLBACK_STATUS.get(recording.status, CallbackEvent.ABSENT),
        "RecordingChannels": str(recording.channels),
        "RecordingStartTime": rfc2822(recording.start_time),
        "RecordingSource": recording.source,
        "RecordingTrack": recording.track,
    }
    if recording.conference_id:
        params["ConferenceSid"] = recording.conference_id
    if recording.status == VoiceRecordingStatus.COMPLETED:
        params["RecordingDuration"] = str(recording.duration)
    if recording.error_code is not None:
        params["ErrorCode"] = str(recording.error_code)
    return params


def _callback(recording: VoiceRecording, event: str) -> None:
    """Queue a recording status callback if the recording asked for this event."""
    if recording.status_callback and event in recording.status_callback_events:
        callback_send(
            account_id=recording.account_id,
            event=event,
            url=recording.status_callback,
            method=recording.status_callback_method,
            params=callback_params(recording),
            recording_sid=recording.sid,
        )


def _active(qs):
    return qs.exclude(capture=CaptureState.STOPPED).order_by("date_created", "sid")


def _offset(recording: VoiceRecording, moment: datetime) -> float:
    return max(0.0, round((moment - recording.start_time).total_seconds(), 3))


def _close_pause(recording: VoiceRecording, offset: float) -> None:
    if recording.pauses and recording.pauses[-1][1] is None:
        start, _, behavior = recording.pauses[-1]
        recording.pauses = [*recording.pauses[:-1], [start, offset, behavior]]


def _stop(recording: VoiceRecording, now: datetime) -> None:
    """End a recording's capture (inside the caller's transaction, on a locked row)."""
    _close_pause(recording, _offset(recording, now))
    recording.capture = CaptureState.STOPPED
    recording.date_stopped = now
    recording.date_updated = now
    recording.save(update_fields=["pauses", "capture", "date_stopped", "date_updated"])


def _require_awaiting_audio(recording: VoiceRecording) -> None:
    if recording.status != VoiceRecordingStatus.PROCESSING:
        raise RecordingNotAwaitingMedia(
            f"Recording {recording.sid} is {recording.status}: it takes no more audio"
        )
    if recording.is_active:
        raise RecordingNotAwaitingMedia(
            f"Recording {recording.sid} is still being captured: stop it (or end its call) "
            "before uploading its audio"
        )
