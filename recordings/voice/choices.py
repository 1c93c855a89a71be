"""Enumerations of the voice (2010-04-01) Recording API, in seed 003's own spelling."""

from django.db import models


class VoiceRecordingStatus(models.TextChoices):
    """What a fetch shows (seed 003): ``processing`` until the audio is in, then one of the rest."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    ABSENT = "absent"
    DELETED = "deleted"


class CaptureState(models.TextChoices):
    """The in-flight state an update answers with (seed 003: in-progress, paused or stopped)."""

    IN_PROGRESS = "in-progress"
    PAUSED = "paused"
    STOPPED = "stopped"


class RecordingSource(models.TextChoices):
    DIAL_VERB = "DialVerb"
    CONFERENCE = "Conference"
    OUTBOUND_API = "OutboundAPI"
    TRUNKING = "Trunking"
    RECORD_VERB = "RecordVerb"
    START_CALL_RECORDING_API = "StartCallRecordingAPI"
    START_CONFERENCE_RECORDING_API = "StartConferenceRecordingAPI"


class RecordingTrack(models.TextChoices):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BOTH = "both"


class RecordingChannels(models.TextChoices):
    MONO = "mono"
    DUAL = "dual"


class Trim(models.TextChoices):
    TRIM_SILENCE = "trim-silence"
    DO_NOT_TRIM = "do-not-trim"


class PauseBehavior(models.TextChoices):
    SKIP = "skip"
    SILENCE = "silence"


class CallStatus(models.TextChoices):
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"


class CallbackEvent(models.TextChoices):
    """RecordingStatusCallbackEvent values (default ``completed``)."""

    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    ABSENT = "absent"


# Error codes a recording is absent with (Twilio's error dictionary).
ABSENT_TOO_SHORT = 16101
ABSENT_SILENT = 16102

# The media formats of seed 003: extension → MIME type.
MEDIA_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}
