"""Status-callback parameters with Twilio's names, and their ``X-Twilio-Signature``.

Twilio signs a callback with HMAC-SHA1 keyed by the account's auth token, over the full URL
followed, for a POST, by every form parameter's name and value sorted by name; the result is
base64-encoded. ``twilio.request_validator.RequestValidator`` checks exactly this.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from requests.utils import requote_uri

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


def request_url(url: str, method: str, params: Mapping[str, str]) -> str:
    """Return the URL a callback is sent to, exactly as it goes on the wire (percent-encoded, so
    that the receiver validates the signature over the URL it received); for GET, with the
    parameters in its query."""
    if method == "GET":
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(sorted(params.items()))) if q)
        url = urlunsplit(parts._replace(query=query))
    return requote_uri(url)


def signature(auth_token: str, url: str, method: str, params: Mapping[str, str]) -> str:
    """Return the X-Twilio-Signature of a callback sent to ``url`` by ``method``."""
    payload = request_url(url, method, params)  # the URL as sent, as the receiver sees it
    if method != "GET":
        payload += "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))
