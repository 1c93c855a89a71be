"""What the lifecycle keeps of its own work: status callbacks to deliver (and every attempt) and
bulk deletions with their progress. Kept in the tables they were created in (``recordings_…``).
"""

from django.conf import settings
from django.db import models

from console.models import Account
from console.sids import sid_primary_key
from recordings.lifecycle.choices import CallbackMethod

# An attempt keeps at most this much of the receiver's answer: enough to read an error page's
# message, bounded whatever the receiver sends.
RESPONSE_BODY_CHARS = 1024


class CallbackDelivery(models.Model):
    """One status callback to deliver, and how that went: a room's event (to its StatusCallback)
    or a voice recording's (to its RecordingStatusCallback, with no room)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    room = models.ForeignKey(
        "video.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="callbacks"
    )
    # A plain column, not a foreign key: Recording keeps no more indexes or constraints than its
    # lists need; the purge removes these rows by SID.
    recording_sid = models.CharField(max_length=34, blank=True, db_index=True)
    event = models.CharField(max_length=32)
    url = models.URLField(max_length=1024)
    method = models.CharField(max_length=4, choices=CallbackMethod.choices)
    params = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The delivery this one sends again, from the webhook log. A plain column, not a foreign key,
    # like ``recording_sid``: the purge deletes a recording's deliveries in one statement, and a
    # replay may outlive its original (the number then names a purged delivery).
    replay_of_id = models.BigIntegerField(null=True, blank=True)
    date_created = models.DateTimeField(auto_now_add=True)
    # Saved by every attempt: the dashboard finds an account's recent attempts through it.
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recordings_callbackdelivery"
        indexes = [
            # /metrics counts the callbacks given up on at every scrape: a few among every one.
            models.Index(
                fields=["id"], condition=models.Q(status="failed"), name="delivery_failed"
            ),
            # The webhook log, newest first, keyset-paged by (date_created, id) in one account.
            models.Index(fields=["account", "-date_created", "-id"], name="delivery_account_date"),
            # The dashboard's callback health: the deliveries an account attempted in 24 hours.
            models.Index(fields=["account", "date_updated"], name="delivery_account_updated"),
            # A delivery's replays: a few among millions.
            models.Index(
                fields=["replay_of_id"],
                condition=models.Q(replay_of_id__isnull=False),
                name="delivery_replay_of",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.room_id or self.recording_sid}"


class CallbackAttempt(models.Model):
    """One HTTP attempt at delivering a callback."""

    delivery = models.ForeignKey(
        CallbackDelivery, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField()
    # What the webhook log shows of the request beyond the delivery's own URL and parameters: the
    # X-Twilio-Signature it carried (keyed by the auth token of that moment, which may have been
    # rotated since; never the token), and the start of the receiver's answer.
    signature = models.CharField(max_length=64, blank=True)
    response_body = models.CharField(max_length=RESPONSE_BODY_CHARS, blank=True)
    date_created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "recordings_callbackattempt"
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class BulkDeletion(models.Model):
    """A deletion of many recordings, run by Celery in fixed-size chunks with its progress here.

    The selection is either the Logs filter (its typed filter as JSON, never a list of thousands of
    SIDs) or an explicit list of SIDs, and covers recordings created up to ``date_created``: a
    recording that arrives later is never deleted by a job confirmed before it existed. Progress
    moves with a keyset cursor (the last ``date_created`` and SID processed) that is saved in the
    same transaction as each chunk's UPDATE, so a chunk is either wholly done and counted, or not
    at all.
    """

    class Product(models.TextChoices):
        VIDEO = "video"
        VOICE = "voice"
        COMPOSITION = "composition"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Which Logs the selection is of: video (RT…), voice (RE…) recordings, or compositions (CJ…).
    product = models.CharField(max_length=16, choices=Product.choices, default=Product.VIDEO)
    # "user:<email>" as the audit log has it; the chunks' audit events are written under it too.
    actor = models.CharField(max_length=255)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    # "All matching this filter": the Logs filter as its URL query (what the pages show) and as
    # the product's typed filter in JSON (what the job selects by); or an explicit selection.
    query = models.TextField(blank=True)
    selection = models.JSONField(null=True, blank=True)
    sids = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Fixed when the job is created, so that every run of it (and a re-run) cuts the same chunks.
    chunk_size = models.PositiveIntegerField()
    # Recordings matching when the job was created (one COUNT of the filtered, scoped set).
    total = models.PositiveIntegerField(default=0)
    # Rows the cursor has passed: done + skipped + held + failed + those found already deleted.
    processed = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    # Times the watchdog queued the job again after it made no progress (its task was lost).
    restarts = models.PositiveIntegerField(default=0)
    # Rows a legal hold kept from deletion.
    held = models.PositiveIntegerField(default=0, db_default=0)
    # Seconds the job paused between chunks while the API was slow (BULK_DELETE_API_P99_MS).
    paused_seconds = models.FloatField(default=0)
    # A retention policy's run covers recordings created up to its cutoff (now less the policy's
    # age), not up to the job's creation; None for a user's job.
    created_until = models.DateTimeField(null=True, blank=True)
    # The retention policy that queued this job ("" for a user's): its page lists its runs. The
    # new columns have database defaults: the release before, during a rolling upgrade, inserts
    # jobs without them.
    policy_sid = models.CharField(max_length=34, blank=True, db_default="")
    cursor_date_created = models.DateTimeField(null=True, blank=True)
    cursor_sid = models.CharField(max_length=34, blank=True)
    error = models.CharField(max_length=255, blank=True)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    date_finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_bulkdeletion"
        indexes = [
            models.Index(fields=["account", "-date_created", "-id"], name="bulk_account_date"),
            models.Index(
                fields=["policy_sid", "-date_created"],
                condition=~models.Q(policy_sid=""),
                name="bulk_policy_runs",
            ),
        ]

    def __str__(self) -> str:
        return f"bulk deletion {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        """Tell whether the job has stopped (done or failed)."""
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        """Return how far the job is, 0 to 100; 100 only once it is done."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.processed * 100 // self.total)


class LegalHold(models.Model):
    """A legal hold: while it is active, no one and nothing may delete the recordings it covers.

    Its scope is kept as people gave it (a room, a participant identity, a call, or a Logs
    filter of one kind) and as the typed filter of every kind it covers (``selections``: kind
    name → that kind's filter as JSON, deleted recordings included), which is what the deletion
    paths read. It covers what matches now, including recordings that arrive after it was made.
    """

    class Scope(models.TextChoices):
        ROOM = "room"
        PARTICIPANT = "participant"
        CALL = "call"
        FILTER = "filter"

    sid = sid_primary_key("LH")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    name = models.CharField(max_length=255)
    reason = models.TextField(blank=True)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    # A room or call SID, or a participant identity; "" for a filter.
    value = models.CharField(max_length=255, blank=True)
    # For a filter: which Logs (a kind's name) and its URL query, as the Logs page shows it.
    product = models.CharField(max_length=16, blank=True)
    query = models.TextField(blank=True)
    selections = models.JSONField()
    created_by = models.CharField(max_length=255)  # the actor, as the audit log names it
    released_by = models.CharField(max_length=255, blank=True)
    date_created = models.DateTimeField()
    date_released = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_legalhold"
        indexes = [
            # Every delete asks for the account's active holds: a handful among the released.
            models.Index(
                fields=["account"],
                condition=models.Q(date_released__isnull=True),
                name="hold_account_active",
            ),
            models.Index(fields=["account", "-date_created"], name="hold_account_date"),
        ]

    def __str__(self) -> str:
        return f"legal hold {self.sid} ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.date_released is None


class RetentionPolicy(models.Model):
    """A rule deleting an account's recordings of one kind matching a Logs filter once they are
    ``age_days`` old (since creation); run daily as a bulk deletion (``policy_sid``)."""

    sid = sid_primary_key("RP")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    name = models.CharField(max_length=255)
    product = models.CharField(max_length=16)
    # The Logs filter as its URL query (what pages show) and as the kind's typed filter in JSON
    # (what a run selects by), as a bulk deletion keeps them.
    query = models.TextField(blank=True)
    selection = models.JSONField(blank=True)  # {}: every recording of the kind
    age_days = models.PositiveIntegerField()
    enabled = models.BooleanField(default=True)
    created_by = models.CharField(max_length=255)
    date_created = models.DateTimeField()
    date_updated = models.DateTimeField()
    date_last_run = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recordings_retentionpolicy"
        indexes = [models.Index(fields=["account", "-date_created"], name="policy_account_date")]

    def __str__(self) -> str:
        return f"retention policy {self.sid} ({self.name})"


class TrashedItem(models.Model):
    """A deleted recording whose media an account's trash keeps until ``date_expires``: the row
    says it is restorable and to which status. Gone once restored or expired (media removed)."""

    sid = models.CharField(max_length=34, primary_key=True)  # the recording's; a plain column
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    kind = models.CharField(max_length=16)
    previous_status = models.CharField(max_length=16)
    date_trashed = models.DateTimeField()
    date_expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "recordings_trasheditem"
        indexes = [
            models.Index(fields=["account", "kind", "-date_trashed"], name="trash_account_date")
        ]

    def __str__(self) -> str:
        return f"{self.sid} in the trash until {self.date_expires:%Y-%m-%d}"
