"""Status-callback parameters of room events, with Twilio's names (the delivery signs them)."""

from datetime import datetime

from recordings.video.models import Participant, Recording, Room, Track

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def timestamp(moment: datetime) -> str:
    """Render a callback Timestamp (UTC, millisecond precision)."""
    return moment.strftime(TIMESTAMP_FORMAT)[:-4] + "Z"


def room_params(room: Room) -> dict[str, str]:
    """Return the parameters every room event carries."""
    params = {
        "AccountSid": room.account_id,
        "RoomSid": room.sid,
        "RoomName": room.unique_name,
        "RoomStatus": room.status,
        "RoomType": room.type,
    }
    if room.end_time is not None:
        params["RoomDuration"] = str(_seconds(room.date_created, room.end_time))
    return params


def participant_params(participant: Participant) -> dict[str, str]:
    """Return the parameters that describe a participant."""
    params = {
        "ParticipantSid": participant.sid,
        "ParticipantIdentity": participant.identity,
        "ParticipantStatus": participant.status,
    }
    if participant.end_time is not None:
        params["ParticipantDuration"] = str(
            _seconds(participant.date_created, participant.end_time)
        )
    return params


def track_params(track: Track) -> dict[str, str]:
    """Return the parameters that describe a published track."""
    return {"TrackSid": track.sid, "TrackKind": track.kind, "TrackName": track.name}


def recording_params(recording: Recording) -> dict[str, str]:
    """Return the parameters that describe a recording, with its size once it has media."""
    params = {
        "RecordingSid": recording.sid,
        "RecordingUri": f"/v1/Recordings/{recording.sid}",
        "SourceSid": recording.track_id,
        "ParticipantSid": recording.participant_id,
        "TrackName": recording.track_name,
        "Container": recording.container_format,
        "Codec": recording.codec,
        "OffsetFromTwilioVideoEpoch": str(recording.offset or 0),
    }
    if recording.size is not None:
        params.update(
            {
                "Duration": str(recording.duration),
                "Size": str(recording.size),
                "MediaUri": f"/v1/Recordings/{recording.sid}/Media",
            }
        )
    return params


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))
