"""Video rooms, their participants and tracks, the track recordings and the room's recording rules.

Every row carries its account so that every query can start from it. SIDs are the primary keys, so
a foreign key column already holds the SID the API renders (``room_id`` is the room SID) and no
join is needed to render ``grouping_sids`` or ``source_sid``.
"""

from django.db import models

from console.models import Account
from console.sids import sid_primary_key
from recordings.lifecycle.choices import CallbackMethod
from recordings.video.choices import (
    Codec,
    ContainerFormat,
    MediaType,
    ParticipantStatus,
    RecordingStatus,
    RoomStatus,
    RoomType,
)
from recordings.video.rules import canonical


class Room(models.Model):
    """A video room (RM…)."""

    sid = sid_primary_key("RM")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    unique_name = models.CharField(max_length=128)
    status = models.CharField(
        max_length=16, choices=RoomStatus.choices, default=RoomStatus.IN_PROGRESS
    )
    type = models.CharField(max_length=16, choices=RoomType.choices, default=RoomType.GROUP)
    record_participants_on_connect = models.BooleanField(default=False)
    status_callback = models.URLField(max_length=1024, null=True, blank=True)
    status_callback_method = models.CharField(
        max_length=4, choices=CallbackMethod.choices, default=CallbackMethod.POST
    )
    max_participants = models.PositiveIntegerField(default=50)
    max_participant_duration = models.PositiveIntegerField(default=14400)
    empty_room_timeout = models.PositiveIntegerField(default=5)
    unused_room_timeout = models.PositiveIntegerField(default=5)
    audio_only = models.BooleanField(default=False)
    # Milliseconds from the Unix epoch (common to all rooms) to this room's start: the recordings'
    # ``offset``, which lets players line up the tracks of one room.
    media_offset = models.BigIntegerField(default=0)
    # SequenceNumber of the next status callback: callbacks may arrive in any order (seed 001).
    callback_sequence = models.PositiveIntegerField(default=0)
    # Set for a room run by the simulator: Roomvault plays the media server and, when a recording
    # stops, makes real media of this many seconds for it.
    simulated_seconds = models.PositiveIntegerField(null=True, blank=True)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_room"
        indexes = [
            models.Index(fields=["account", "-date_created", "-sid"], name="room_account_date"),
            models.Index(fields=["account", "unique_name", "status"], name="room_account_name"),
        ]
        constraints = [
            # Twilio: "This value is unique for in-progress rooms."
            models.UniqueConstraint(
                fields=["account", "unique_name"],
                condition=models.Q(status="in-progress"),
                name="room_unique_name_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unique_name} ({self.sid})"


class Participant(models.Model):
    """A participant of one room (PA…)."""

    sid = sid_primary_key("PA")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    identity = models.CharField(max_length=128)
    status = models.CharField(
        max_length=16, choices=ParticipantStatus.choices, default=ParticipantStatus.CONNECTED
    )
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_participant"
        # The Logs filter by identity starts here, then takes each participant's recordings.
        indexes = [
            models.Index(fields=["account", "identity"], name="participant_account_identity")
        ]

    def __str__(self) -> str:
        return f"{self.identity} ({self.sid})"


class Track(models.Model):
    """A track published by a participant (MT…)."""

    sid = sid_primary_key("MT")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="tracks")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=8, choices=MediaType.choices)
    codec = models.CharField(max_length=8, choices=Codec.choices)
    published = models.BooleanField(default=True)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()

    class Meta:
        db_table = "recordings_track"
        # The Logs filter by track name starts here, then takes each track's recordings.
        indexes = [models.Index(fields=["account", "name"], name="track_account_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sid})"


class Recording(models.Model):
    """A single-track recording (RT…); its media lives in the media store under ``media_key``.

    Indexes: one per list filter, each ending in the list order (date_created, sid) so that any
    filtered page is an index range scan. Kept to that set: a soft delete rewrites every index.
    """

    sid = sid_primary_key("RT")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, db_index=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, db_index=False)
    track = models.ForeignKey(Track, on_delete=models.CASCADE, db_index=False)
    status = models.CharField(
        max_length=16, choices=RecordingStatus.choices, default=RecordingStatus.PROCESSING
    )
    type = models.CharField(max_length=8, choices=MediaType.choices)
    codec = models.CharField(max_length=8, choices=Codec.choices)
    container_format = models.CharField(max_length=3, choices=ContainerFormat.choices)
    track_name = models.CharField(max_length=128)
    size = models.BigIntegerField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True)
    offset = models.BigIntegerField(null=True, blank=True)
    media_key = models.CharField(max_length=255, blank=True)
    media_external_location = models.URLField(max_length=1024, null=True, blank=True)
    encryption_key = models.CharField(max_length=64, null=True, blank=True)
    status_callback = models.URLField(max_length=1024, null=True, blank=True)
    status_callback_method = models.CharField(
        max_length=4, choices=CallbackMethod.choices, default=CallbackMethod.POST
    )
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    # When capture ended (the track left the rules' set, was unpublished, or the room ended); the
    # recording stays ``processing`` until its media file arrives.
    date_stopped = models.DateTimeField(null=True, blank=True)
    date_deleted = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_recording"
        indexes = [
            models.Index(fields=["account", "-date_created", "-sid"], name="rec_account_date"),
            models.Index(
                fields=["account", "status", "-date_created", "-sid"], name="rec_account_status"
            ),
            models.Index(
                fields=["account", "type", "-date_created", "-sid"], name="rec_account_type"
            ),
            # Status and type together: the newest rows of a live vault are still processing, so
            # either one-column index would walk past all of them to find completed audio.
            models.Index(
                fields=["account", "status", "type", "-date_created", "-sid"],
                name="rec_account_status_type",
            ),
            models.Index(fields=["room", "-date_created", "-sid"], name="rec_room_date"),
            models.Index(
                fields=["participant", "-date_created", "-sid"], name="rec_participant_date"
            ),
            models.Index(fields=["track", "-date_created", "-sid"], name="rec_track_date"),
            models.Index(
                fields=["date_deleted", "sid"],
                condition=models.Q(status="deleted"),
                name="rec_deleted_purge",
            ),
            # The watchdog's: recordings still awaiting media, a few among millions.
            models.Index(
                fields=["room"], condition=models.Q(status="processing"), name="rec_processing"
            ),
        ]

    def __str__(self) -> str:
        return self.sid

    @property
    def has_media(self) -> bool:
        """Tell whether the media file can be served (seed 000: not while processing or deleted)."""
        return self.status == RecordingStatus.COMPLETED and bool(self.media_key)


class RulesField(models.JSONField):
    """A rule list, read back in canonical key order whatever the database did to it."""

    def from_db_value(self, value, expression, connection):
        rules = super().from_db_value(value, expression, connection)
        return canonical(rules) if isinstance(rules, list) else rules


class RecordingRules(models.Model):
    """The rule list in force for one room (seed 002); replaced whole on every update."""

    room = models.OneToOneField(
        Room, on_delete=models.CASCADE, primary_key=True, related_name="recording_rules"
    )
    rules = RulesField(default=list)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()

    class Meta:
        db_table = "recordings_recordingrules"
        verbose_name_plural = "recording rules"

    def __str__(self) -> str:
        return f"rules of {self.room_id}"


class StorageSettingsFields(models.Model):
    """Where an account's new media goes and whether it is encrypted: the fields the recording
    settings (/v1/RecordingSettings/Default, reference §7) and the composition settings share."""

    friendly_name = models.CharField(max_length=255, blank=True, default="")
    aws_credentials_sid = models.CharField(max_length=34, null=True, blank=True)
    aws_s3_url = models.URLField(max_length=1024, null=True, blank=True)
    aws_storage_enabled = models.BooleanField(default=False)
    # The SID (CR…) of one of the account's PublicKeys.
    encryption_key_sid = models.CharField(max_length=34, null=True, blank=True)
    encryption_enabled = models.BooleanField(default=False)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RecordingSettings(StorageSettingsFields):
    """An account's recording defaults."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="recording_settings"
    )
    # Used when a room is created without RecordParticipantsOnConnect (seed 001).
    record_participants_on_connect = models.BooleanField(default=False)

    class Meta:
        db_table = "recordings_recordingsettings"
        verbose_name_plural = "recording settings"

    def __str__(self) -> str:
        return f"recording settings of {self.account_id}"


class PublicKey(models.Model):
    """An RSA public key an account uploaded (CR…): new recordings may be encrypted for it."""

    sid = sid_primary_key("CR")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="public_keys")
    friendly_name = models.CharField(max_length=64, blank=True, default="")
    # PEM (SubjectPublicKeyInfo), as uploaded.
    public_key = models.TextField()
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recordings_publickey"
        indexes = [
            models.Index(fields=["account", "-date_created", "-sid"], name="pubkey_account_date"),
        ]

    def __str__(self) -> str:
        return f"{self.friendly_name or 'public key'} ({self.sid})"
