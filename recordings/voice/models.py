"""Voice calls, conferences and their recordings (the 2010-04-01 API of seed 003).

A recording captures one call or one conference. While it is captured its ``capture`` state moves
between in-progress and paused (each pause kept, with its behaviour, in ``pauses``) until it is
stopped; its ``status`` stays ``processing`` until the telephony platform has uploaded the audio,
which Roomvault then cuts to what was asked (track, channels, pauses, trim) and stores as an 8 kHz
WAV: ``completed``, or ``absent`` when nothing audible was left.
"""

from django.db import models

from console.models import Account
from console.sids import sid_primary_key
from recordings.lifecycle.choices import CallbackMethod
from recordings.voice.choices import (
    CallStatus,
    CaptureState,
    RecordingSource,
    RecordingTrack,
    Trim,
    VoiceRecordingStatus,
)


class Conference(models.Model):
    """A conference (CF…) that calls join."""

    sid = sid_primary_key("CF")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    friendly_name = models.CharField(max_length=128)
    status = models.CharField(
        max_length=16, choices=CallStatus.choices, default=CallStatus.IN_PROGRESS
    )
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_conference"
        indexes = [models.Index(fields=["account", "-date_created", "-sid"], name="conf_account")]

    def __str__(self) -> str:
        return f"{self.friendly_name} ({self.sid})"


class Call(models.Model):
    """A phone call (CA…): the parent leg, which recordings refer to."""

    sid = sid_primary_key("CA")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    from_number = models.CharField(max_length=64, blank=True)
    to_number = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=CallStatus.choices, default=CallStatus.IN_PROGRESS
    )
    conference = models.ForeignKey(
        Conference, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_call"
        indexes = [models.Index(fields=["account", "-date_created", "-sid"], name="call_account")]

    def __str__(self) -> str:
        return self.sid


class VoiceRecording(models.Model):
    """A call or conference recording (RE…); its audio lives in the media store as a WAV.

    Indexes: one per list filter, each ending in the list order, plus the purge's partial index,
    as for video recordings.
    """

    sid = sid_primary_key("RE")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.CASCADE, db_index=False)
    conference = models.ForeignKey(
        Conference, null=True, blank=True, on_delete=models.CASCADE, db_index=False
    )
    source = models.CharField(max_length=32, choices=RecordingSource.choices)
    status = models.CharField(
        max_length=16,
        choices=VoiceRecordingStatus.choices,
        default=VoiceRecordingStatus.PROCESSING,
    )
    capture = models.CharField(
        max_length=16, choices=CaptureState.choices, default=CaptureState.IN_PROGRESS
    )
    # Pauses as [start, end or null, "skip"|"silence"], in seconds from start_time.
    pauses = models.JSONField(default=list, blank=True)
    # What was asked for: the final file's channels (1 or 2), the track, the trim.
    channels = models.PositiveSmallIntegerField(default=1)
    track = models.CharField(
        max_length=8, choices=RecordingTrack.choices, default=RecordingTrack.BOTH
    )
    trim = models.CharField(max_length=16, choices=Trim.choices, default=Trim.DO_NOT_TRIM)
    start_time = models.DateTimeField()
    duration = models.PositiveIntegerField(null=True, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    price = models.CharField(max_length=16, null=True, blank=True)
    price_unit = models.CharField(max_length=8, default="USD")
    error_code = models.PositiveIntegerField(null=True, blank=True)
    encryption_details = models.JSONField(null=True, blank=True)
    media_key = models.CharField(max_length=255, blank=True)
    status_callback = models.URLField(max_length=1024, null=True, blank=True)
    status_callback_method = models.CharField(
        max_length=4, choices=CallbackMethod.choices, default=CallbackMethod.POST
    )
    status_callback_events = models.JSONField(default=list, blank=True)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    date_stopped = models.DateTimeField(null=True, blank=True)
    date_deleted = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_voicerecording"
        indexes = [
            models.Index(fields=["account", "-date_created", "-sid"], name="vrec_account_date"),
            models.Index(
                fields=["account", "status", "-date_created", "-sid"], name="vrec_account_status"
            ),
            models.Index(fields=["call", "-date_created", "-sid"], name="vrec_call_date"),
            models.Index(fields=["conference", "-date_created", "-sid"], name="vrec_conf_date"),
            models.Index(
                fields=["date_deleted", "sid"],
                condition=models.Q(status="deleted"),
                name="vrec_deleted_purge",
            ),
            # The watchdog's: recordings still awaiting audio, a few among millions.
            models.Index(
                fields=["date_stopped", "sid"],
                condition=models.Q(status="processing"),
                name="vrec_processing",
            ),
        ]

    def __str__(self) -> str:
        return self.sid

    @property
    def has_media(self) -> bool:
        """Tell whether the audio can be served (seed 003: only completed and stored)."""
        return self.status == VoiceRecordingStatus.COMPLETED and bool(self.media_key)

    @property
    def is_active(self) -> bool:
        """Tell whether the recording is still being captured (in progress or paused)."""
        return self.capture != CaptureState.STOPPED


class Transcription(models.Model):
    """A transcription of a voice recording (TR…), as Twilio kept them; Roomvault makes none
    itself, it keeps those imported with their recordings."""

    sid = sid_primary_key("TR")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    recording = models.ForeignKey(
        VoiceRecording, on_delete=models.CASCADE, related_name="transcriptions"
    )
    status = models.CharField(max_length=16, default="completed")
    transcription_text = models.TextField(blank=True)
    type = models.CharField(max_length=16, default="fast")
    duration = models.PositiveIntegerField(null=True, blank=True)
    price = models.CharField(max_length=16, null=True, blank=True)
    price_unit = models.CharField(max_length=8, default="USD")
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()

    class Meta:
        db_table = "recordings_transcription"
        indexes = [
            models.Index(fields=["recording", "-date_created", "-sid"], name="transcription_rec")
        ]

    def __str__(self) -> str:
        return self.sid
