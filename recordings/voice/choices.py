"""Enumerations of the voice (2010-04-01) Recording API, in seed 003's own spelling; the API shows
the values, the console the labels, as people write them."""

from django.db import models


class VoiceRecordingStatus(models.TextChoices):
    """What a fetch shows (seed 003): ``processing`` until the audio is in, then one of the rest."""

    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    ABSENT = "absent", "Absent"
    DELETED = "deleted", "Deleted"


class CaptureState(models.TextChoices):
    """The in-flight state an update answers with (seed 003: in-progress, paused or stopped)."""

    IN_PROGRESS = "in-progress", "In progress"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"


class RecordingSource(models.TextChoices):
    DIAL_VERB = "DialVerb", "Dial verb"
    CONFERENCE = "Conference", "Conference"
    OUTBOUND_API = "OutboundAPI", "Outbound API"
    TRUNKING = "Trunking", "Trunking"
    RECORD_VERB = "RecordVerb", "Record verb"
    START_CALL_RECORDING_API = "StartCallRecordingAPI", "Start Call Recording API"
    START_CONFERENCE_RECORDING_API = "StartConferenceRecordingAPI", "Start Conference Recording API"


class RecordingTrack(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    BOTH = "both", "Both"


class RecordingChannels(models.TextChoices):
    MONO = "mono", "Mono"
    DUAL = "dual", "Dual"


class Trim(models.TextChoices):
    TRIM_SILENCE = "trim-silence", "Trim silence"
    DO_NOT_TRIM = "do-not-trim", "Do not trim"


class PauseBehavior(models.TextChoices):
    SKIP = "skip", "Skip"
    SILENCE = "silence", "Silence"


class CallStatus(models.TextChoices):
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"


class CallbackEvent(models.TextChoices):
    """RecordingStatusCallbackEvent values (default ``completed``)."""

    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    ABSENT = "absent", "Absent"


# Error codes a recording is absent with (Twilio's error dictionary).
ABSENT_TOO_SHORT = 16101
ABSENT_SILENT = 16102

# The media formats of seed 003: extension → MIME type.
MEDIA_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}
