"""Compositions (CJ…): a room's recordings as one playable file; the hooks (HK…) that create one
for every room of an account when it ends; and an account's composition settings."""

from django.db import models

from console.models import Account
from console.sids import sid_primary_key
from recordings.compositions.choices import CompositionFormat, CompositionStatus
from recordings.lifecycle.choices import CallbackMethod
from recordings.video.models import Room, StorageSettingsFields

DEFAULT_RESOLUTION = "640x480"


class CompositionSpec(models.Model):
    """What to compose, as a POST gives it: a composition's own, or a hook's for every room."""

    # The canonical VideoLayout (layout.layout_json): regions with their defaults filled in.
    video_layout = models.JSONField(default=dict, blank=True)
    audio_sources = models.JSONField(default=list, blank=True)
    audio_sources_excluded = models.JSONField(default=list, blank=True)
    resolution = models.CharField(max_length=9, default=DEFAULT_RESOLUTION)
    format = models.CharField(
        max_length=4, choices=CompositionFormat.choices, default=CompositionFormat.WEBM
    )
    trim = models.BooleanField(default=True)
    status_callback = models.URLField(max_length=1024, null=True, blank=True)
    status_callback_method = models.CharField(
        max_length=4, choices=CallbackMethod.choices, default=CallbackMethod.POST
    )

    class Meta:
        abstract = True


class CompositionHook(CompositionSpec):
    """A template composing every Group Room of the account that ends with recordings."""

    sid = sid_primary_key("HK")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    # Reference: "up to 100 characters long and must be unique within the account".
    friendly_name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "-date_created", "-sid"], name="hook_account_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "friendly_name"], name="hook_unique_friendly_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.friendly_name} ({self.sid})"


class Composition(CompositionSpec):
    """One composed file of one room (CJ…), made by a worker on the ``compositions`` queue.

    Indexes as recordings have them: one per list filter, each ending in the list order.
    """

    sid = sid_primary_key("CJ")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, db_index=False, related_name="compositions"
    )
    # The hook that created it, if one did (SID only: deleting a hook keeps its compositions).
    hook_sid = models.CharField(max_length=34, blank=True)
    status = models.CharField(
        max_length=16, choices=CompositionStatus.choices, default=CompositionStatus.ENQUEUED
    )
    # Whole percent of the media processed, while processing; 100 once completed.
    progress = models.PositiveSmallIntegerField(default=0)
    # How many times a worker started it: a worker lost mid-way leaves it to start over.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Times the watchdog queued it again after its task or worker was lost.
    restarts = models.PositiveIntegerField(default=0)
    # Why it failed, as the composition-failed callback's ErrorMessage says it.
    error_message = models.CharField(max_length=255, blank=True)
    bitrate = models.PositiveIntegerField(null=True, blank=True)  # bits per second
    size = models.BigIntegerField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True)  # seconds
    media_key = models.CharField(max_length=255, blank=True)
    media_external_location = models.URLField(max_length=1024, null=True, blank=True)
    encryption_key = models.CharField(max_length=34, null=True, blank=True)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    date_completed = models.DateTimeField(null=True, blank=True)
    date_deleted = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-date_created", "-sid"], name="comp_account_date"),
            models.Index(
                fields=["account", "status", "-date_created", "-sid"], name="comp_account_status"
            ),
            models.Index(fields=["room", "-date_created", "-sid"], name="comp_room_date"),
            models.Index(
                fields=["date_deleted", "sid"],
                condition=models.Q(status="deleted"),
                name="comp_deleted_purge",
            ),
        ]

    def __str__(self) -> str:
        return self.sid

    @property
    def has_media(self) -> bool:
        """Tell whether the composed file can be served (only once completed)."""
        return self.status == CompositionStatus.COMPLETED and bool(self.media_key)


class CompositionSettings(StorageSettingsFields):
    """An account's /v1/CompositionSettings/Default: external S3 storage and encryption."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="composition_settings"
    )

    class Meta:
        verbose_name_plural = "composition settings"

    def __str__(self) -> str:
        return f"composition settings of {self.account_id}"
