"""Account-scoped reads of voice recordings, shared by the 2010-04-01 API and the console."""

from datetime import datetime

from django.db.models import QuerySet

from console.models import Account
from console.sids import is_sid
from recordings.twilio_api.keyset import LIST_ORDER
from recordings.voice.choices import CaptureState, VoiceRecordingStatus
from recordings.voice.filters import VoiceRecordingFilter
from recordings.voice.models import Call, Conference, Transcription, VoiceRecording


def voice_recording_list(
    *, account: Account, filter: VoiceRecordingFilter
) -> QuerySet[VoiceRecording]:
    """Return the account's voice recordings the filter selects (``VoiceRecordingFilter``),
    newest first."""
    f = filter
    qs = VoiceRecording.objects.filter(account=account)
    if f.sid:
        qs = qs.filter(sid=f.sid)
    if f.call_sid:
        qs = qs.filter(call_id=f.call_sid)
    if f.conference_sid:
        qs = qs.filter(conference_id=f.conference_sid)
    if f.status:
        qs = qs.filter(status=f.status)
    elif not f.include_deleted:
        qs = qs.exclude(status=VoiceRecordingStatus.DELETED)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.date_created_after is not None:
        qs = qs.filter(date_created__gte=f.date_created_after)
    if f.date_created_before is not None:
        qs = qs.filter(date_created__lt=f.date_created_before)
    return qs.order_by(*LIST_ORDER)


def voice_recordings_matching(*, account: Account, selection: dict) -> QuerySet[VoiceRecording]:
    """Return the account's voice recordings a stored selection (a ``VoiceRecordingFilter`` as
    JSON) covers, newest first."""
    return voice_recording_list(account=account, filter=VoiceRecordingFilter.from_json(selection))


def voice_recording_get(
    *,
    account: Account,
    sid: str,
    include_deleted: bool = True,
    call_sid: str | None = None,
    conference_sid: str | None = None,
) -> VoiceRecording | None:
    """Return the account's voice recording with this SID (of this call or conference), or None;
    a deleted one only with ``include_deleted``."""
    if not is_sid(sid, "RE"):
        return None
    wanted = VoiceRecordingFilter(
        sid=sid,
        call_sid=call_sid,
        conference_sid=conference_sid,
        include_deleted=include_deleted,
    )
    return voice_recording_list(account=account, filter=wanted).first()


def voice_recording_media_servable(*, sid: str) -> bool:
    """Tell whether a voice recording's audio (any rendition) may still be served (completed:
    not deleted). Asked by a signed media URL, as ``recording_media_servable`` is."""
    return VoiceRecording.objects.filter(pk=sid, status=VoiceRecordingStatus.COMPLETED).exists()


def call_get(*, account: Account, sid: str) -> Call | None:
    """Return the account's call with this SID, or None (foreign and unknown alike)."""
    return Call.objects.filter(account=account, sid=sid).first() if is_sid(sid, "CA") else None


def conference_get(*, account: Account, sid: str) -> Conference | None:
    """Return the account's conference with this SID, or None (foreign and unknown alike)."""
    if not is_sid(sid, "CF"):
        return None
    return Conference.objects.filter(account=account, sid=sid).first()


def voice_recordings_of(
    *, call: Call | None = None, conference: Conference | None = None
) -> QuerySet[VoiceRecording]:
    """Return a call's (or a conference's) recordings, oldest first."""
    scope = {"call": call} if call is not None else {"conference": conference}
    return VoiceRecording.objects.filter(**scope).order_by("date_created", "sid")


def transcription_list(*, recording: VoiceRecording) -> QuerySet[Transcription]:
    """Return a recording's transcriptions, newest first."""
    return Transcription.objects.filter(recording=recording).order_by(*LIST_ORDER)


def voice_recordings_audio_overdue(*, before: datetime, limit: int) -> list[str]:
    """Return SIDs of recordings still awaiting audio whose capture ended (their call or
    conference over, or stopped) before ``before``, in every account (the watchdog's), the longest
    waiting first."""
    return list(
        VoiceRecording.objects.filter(
            status=VoiceRecordingStatus.PROCESSING,
            capture=CaptureState.STOPPED,
            date_stopped__lt=before,
        )
        .order_by("date_stopped", "sid")
        .values_list("sid", flat=True)[:limit]
    )
