"""How the refusals of recordings' services, rules and media stores read on the Twilio wire.

Registered with ``recordings.twilio_api`` when the app is ready (the API and ingest views both
answer through its exception handler), so that the wire format never imports the domain. The
console renders the same exceptions its own way.
"""

from recordings.lifecycle import exceptions
from recordings.media.external import ExternalStoreFailed
from recordings.media.store import MediaStoreUnavailable
from recordings.twilio_api import errors
from recordings.video.rules import InvalidRules

# A service's refusal: (Twilio code, HTTP status); the message is the exception's own.
SERVICE_ERRORS: dict[type[exceptions.ServiceError], tuple[int, int]] = {
    exceptions.CallbackUrlRefused: (errors.INVALID_STATUS_CALLBACK, 400),
    exceptions.RecordingStillProcessing: (errors.CONFLICT, 409),
    exceptions.RecordingNotAwaitingMedia: (errors.CONFLICT, 409),
    exceptions.MediaRejected: (errors.INVALID_PARAMETER, 400),
    exceptions.RoomNotInProgress: (errors.CONFLICT, 409),
    exceptions.ParticipantNotConnected: (errors.CONFLICT, 409),
    exceptions.RoomNameInUse: (errors.ROOM_EXISTS, 400),
    exceptions.RoomFull: (errors.ROOM_FULL, 400),
    exceptions.RulesNotSupported: (errors.RULES_NOT_SUPPORTED_FOR_ROOM_TYPE, 400),
    exceptions.InvalidTrack: (errors.INVALID_PARAMETER, 400),
    exceptions.CallNotInProgress: (errors.INVALID_CALL_STATE, 400),
    exceptions.RecordingNotActive: (errors.INVALID_CALL_STATE, 400),
    exceptions.AmbiguousCurrentRecording: (errors.INVALID_CALL_STATE, 400),
    exceptions.UnsupportedForConference: (errors.INVALID_PARAMETER, 400),
    exceptions.RecordingNotDeletable: (errors.CONFLICT, 409),
    exceptions.CredentialsInUse: (errors.CONFLICT, 409),
    exceptions.RecordingHeld: (errors.CONFLICT, 409),
}


def register_service_errors() -> None:
    """Give every refusal the API can meet its Twilio code (called from AppConfig.ready)."""
    for exc_type, (code, http_status) in SERVICE_ERRORS.items():
        errors.register_error(exc_type, code=code, http_status=http_status)
    errors.register_error(
        MediaStoreUnavailable,
        code=errors.SERVICE_UNAVAILABLE,
        http_status=503,
        message=lambda exc: "The media store is unavailable; try again later",
    )
    # The account's own bucket: its message names what failed, which the caller can fix.
    errors.register_error(
        ExternalStoreFailed,
        code=errors.SERVICE_UNAVAILABLE,
        http_status=503,
        message=lambda exc: f"{exc}; try again later",
    )
    errors.register_error(
        InvalidRules,
        code=errors.INVALID_RECORDING_RULES,
        http_status=400,
        message=lambda exc: f"Invalid Recording Rule(s): {exc.reason}",
    )
