"""Import jobs and their per-recording results: the state that makes an import resumable.

A job is one source (an API base URL and account, or a folder) imported into one account with one
set of options. Running the same import again continues its latest unfinished job; every
recording it has already settled (imported, or found already there) is passed over without being
fetched again.
"""

from django.conf import settings
from django.db import models

from console.models import Account


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        TWILIO = "twilio"
        FOLDER = "folder"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The API base URL and source account SID, or the folder's path.
    source = models.CharField(max_length=1024)
    source_account_sid = models.CharField(max_length=34, blank=True)
    # What was asked for: {"voice", "include_deleted", "since", "until"}.
    options = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # The source's auth token while a console-started job waits or runs, encrypted with a key
    # derived from SECRET_KEY; cleared the moment the job stops.
    credentials = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seen = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    skipped_existing = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    # Times the watchdog queued a slice again after the job made no progress (its task was lost).
    restarts = models.PositiveIntegerField(default=0)
    date_created = models.DateTimeField(auto_now_add=True)
    # Its last progress: every recording settled, and a running slice's heartbeat meanwhile.
    date_updated = models.DateTimeField(auto_now=True)
    date_finished = models.DateTimeField(null=True, blank=True)
    # A dry run's failures ({"sid", "reason"}), on the instance only: a dry run keeps no items.
    failures: list[dict[str, str]]

    class Meta:
        db_table = "recordings_importjob"
        indexes = [models.Index(fields=["account", "-date_created"], name="import_account_date")]

    def __str__(self) -> str:
        return f"import {self.pk} from {self.source} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportItem(models.Model):
    """What became of one source recording in one job (the latest attempt)."""

    class Result(models.TextChoices):
        IMPORTED = "imported"
        SKIPPED_EXISTING = "skipped_existing"
        FAILED = "failed"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="items")
    sid = models.CharField(max_length=34)
    result = models.CharField(max_length=16, choices=Result.choices)
    reason = models.CharField(max_length=255, blank=True)
    bytes = models.BigIntegerField(default=0)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recordings_importitem"
        constraints = [
            models.UniqueConstraint(fields=["job", "sid"], name="import_item_unique_sid")
        ]

    def __str__(self) -> str:
        return f"{self.sid}: {self.result}"
