"""Why a service refused to act. Each interface (API, ingest, console) renders them its own way."""


class ServiceError(Exception):
    """A request the current state of things does not allow; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CallbackUrlRefused(ServiceError):
    """A status callback URL names an address Roomvault never calls (the outbound guard)."""


class RecordingStillProcessing(ServiceError):
    """A recording that is still being captured cannot be deleted."""


class RecordingNotAwaitingMedia(ServiceError):
    """Media can be given only once, to a recording still processing."""


class MediaRejected(ServiceError):
    """The uploaded file is not a recording of this track."""


class RoomNotInProgress(ServiceError):
    """The room has ended: nobody can join it or publish in it."""


class RoomNameInUse(ServiceError):
    """Another room in progress has this unique name."""


class RoomFull(ServiceError):
    """The room already holds its maximum number of participants."""


class RulesNotSupported(ServiceError):
    """Recording rules exist only in group rooms."""


class ParticipantNotConnected(ServiceError):
    """A participant who left cannot publish tracks."""


class InvalidTrack(ServiceError):
    """A track's kind and codec do not go together."""


class CallNotInProgress(ServiceError):
    """A call or conference that has ended cannot be recorded."""


class RecordingNotActive(ServiceError):
    """A recording that was stopped cannot be paused, resumed or stopped again."""


class AmbiguousCurrentRecording(ServiceError):
    """Twilio.CURRENT names no recording: the call or conference has none active, or several."""


class UnsupportedForConference(ServiceError):
    """Conference recordings cannot be stopped through the API (seed 003)."""


class RecordingNotDeletable(ServiceError):
    """Only completed voice recordings can be deleted (seed 003)."""


class CredentialsInUse(ServiceError):
    """AWS credentials the recording settings name cannot be deleted."""


class RecordingHeld(ServiceError):
    """A legal hold covers the recording: nobody may delete it until the hold is released."""
