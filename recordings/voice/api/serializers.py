"""Bodies of the 2010-04-01 Recording API: Twilio's field names, RFC 2822 dates, strings where the
reference has strings (``duration``, ``price``). Output only: input is validated in the views."""

from recordings.voice.choices import VoiceRecordingStatus
from recordings.voice.models import Transcription, VoiceRecording
from recordings.voice.services import API_VERSION, recording_path, rfc2822


def _status(recording: VoiceRecording, in_flight: bool) -> str:
    """Return the status a body shows: the capture state in create and update answers while the
    recording is processing (seed 003), else the recording's status."""
    if in_flight and recording.status == VoiceRecordingStatus.PROCESSING:
        return recording.capture
    return recording.status


def _common(recording: VoiceRecording, in_flight: bool) -> dict[str, object]:
    processing = recording.status == VoiceRecordingStatus.PROCESSING
    return {
        "account_sid": recording.account_id,
        "api_version": API_VERSION,
        "call_sid": recording.call_id,
        "conference_sid": recording.conference_id,
        "date_created": rfc2822(recording.date_created),
        "date_updated": rfc2822(recording.date_updated),
        "start_time": rfc2822(recording.start_time),
        # Twilio shows -1 while a recording is processing; create/update answers show null.
        "duration": None
        if in_flight and processing
        else ("-1" if processing else str(recording.duration or 0)),
        "sid": recording.sid,
        "price": recording.price,
        "price_unit": recording.price_unit,
        "status": _status(recording, in_flight),
        "channels": recording.channels,
        "source": recording.source,
        "error_code": recording.error_code,
        "encryption_details": recording.encryption_details,
    }


def recording_body(recording: VoiceRecording, *, base_url: str) -> dict[str, object]:
    """Return a Recording as ``/Accounts/{Sid}/Recordings/{Sid}.json`` renders it."""
    path = recording_path(recording)
    return {
        **_common(recording, in_flight=False),
        "uri": f"{path}.json",
        "subresource_uris": {
            "add_on_results": f"{path}/AddOnResults.json",
            "transcriptions": f"{path}/Transcriptions.json",
        },
        "media_url": base_url + path,
    }


def call_recording_body(recording: VoiceRecording, *, in_flight: bool = False) -> dict[str, object]:
    """Return a Recording as the call's Recordings resource renders it (with ``track``)."""
    return {
        **_common(recording, in_flight),
        "track": recording.track,
        "uri": f"/{API_VERSION}/Accounts/{recording.account_id}/Calls/{recording.call_id}"
        f"/Recordings/{recording.sid}.json",
    }


def conference_recording_body(
    recording: VoiceRecording, *, in_flight: bool = False
) -> dict[str, object]:
    """Return a Recording as the conference's Recordings resource renders it."""
    return {
        **_common(recording, in_flight),
        "uri": f"/{API_VERSION}/Accounts/{recording.account_id}/Conferences/"
        f"{recording.conference_id}/Recordings/{recording.sid}.json",
    }


def transcription_body(transcription: Transcription) -> dict[str, object]:
    """Return a Transcription as the recording's Transcriptions resource renders it."""
    return {
        "account_sid": transcription.account_id,
        "api_version": API_VERSION,
        "date_created": rfc2822(transcription.date_created),
        "date_updated": rfc2822(transcription.date_updated),
        "duration": None if transcription.duration is None else str(transcription.duration),
        "price": None if transcription.price is None else float(transcription.price),
        "price_unit": transcription.price_unit,
        "recording_sid": transcription.recording_id,
        "sid": transcription.sid,
        "status": transcription.status,
        "transcription_text": transcription.transcription_text,
        "type": transcription.type,
        "uri": f"/{API_VERSION}/Accounts/{transcription.account_id}/Transcriptions/"
        f"{transcription.sid}.json",
    }
