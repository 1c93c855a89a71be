"""The lifecycle's figures for /metrics, read from the shared database at each scrape: bulk
deletions in progress, callbacks that were given up on, deleted recordings whose media is still
stored past the media sweep's grace time (a media deletion that keeps failing; what a hold or a
trash keeps is not overdue), and governance: active legal holds, retention policies, the trash."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from console.metrics import Figure, job_figures
from recordings.lifecycle import holds
from recordings.lifecycle.kinds import DELETED, kinds
from recordings.lifecycle.models import (
    BulkDeletion,
    CallbackDelivery,
    LegalHold,
    RetentionPolicy,
    TrashedItem,
)
from recordings.lifecycle.trash import without_kept

# The trash's expiry runs hourly: an item this long past its date means it is not running.
TRASH_EXPIRY_GRACE = timedelta(hours=2)


def bulk_deletion_figures() -> list[Figure]:
    """Return the bulk deletions waiting or running, and the running ones' progress."""
    running = Q(status=BulkDeletion.Status.RUNNING)
    row = BulkDeletion.objects.filter(
        status__in=[BulkDeletion.Status.QUEUED, BulkDeletion.Status.RUNNING]
    ).aggregate(
        queued=Count("id", filter=Q(status=BulkDeletion.Status.QUEUED)),
        running=Count("id", filter=running),
        processed=Sum("processed", filter=running, default=0),
        total=Sum("total", filter=running, default=0),
    )
    return job_figures("bulk_deletion", **row)


def failure_figures() -> list[Figure]:
    """Return the callbacks given up on, and each kind's media deletions overdue."""
    figures = [
        Figure(
            "callback_deliveries_failed",
            "Status callbacks given up on after every attempt (on record).",
            CallbackDelivery.objects.filter(status=CallbackDelivery.Status.FAILED).count(),
        )
    ]
    cutoff = timezone.now() - timedelta(seconds=settings.MEDIA_SWEEP_GRACE_SECONDS)
    for kind in kinds():
        deleted = kind.model._default_manager.filter(status=DELETED, date_deleted__lte=cutoff)
        overdue = without_kept(kind, deleted.exclude(media_key="")).count()
        figures.append(
            Figure(
                "media_deletions_overdue",
                "Deleted recordings whose media is still stored past MEDIA_SWEEP_GRACE_SECONDS.",
                overdue,
                {"kind": kind.name},
            )
        )
    return figures


def governance_figures() -> list[Figure]:
    """Return the active legal holds, the retention policies by state, and each kind's items in
    a trash, with those past their date by more than the expiry's grace (expiry not running)."""
    # Aliases other than the field's own name: Django refuses an aggregate named like a field.
    by_state = RetentionPolicy.objects.aggregate(
        on=Count("sid", filter=Q(enabled=True)), off=Count("sid", filter=Q(enabled=False))
    )
    figures = [
        Figure(
            "legal_holds_active",
            "Legal holds in force (nothing they cover can be deleted).",
            LegalHold.objects.filter(date_released__isnull=True).count(),
        ),
        *(
            Figure("retention_policies", "Retention policies, by state.", n, {"state": state})
            for state, n in (("enabled", by_state["on"]), ("disabled", by_state["off"]))
        ),
    ]
    late = timezone.now() - TRASH_EXPIRY_GRACE
    for kind in kinds():
        trashed = TrashedItem.objects.filter(kind=kind.name)
        held = holds.held_q(kind)
        expired = trashed.filter(date_expires__lte=late)
        figures += [
            Figure(
                "trash_items",
                "Deleted recordings kept in a trash, restorable.",
                trashed.count(),
                {"kind": kind.name},
            ),
            Figure(
                "trash_items_overdue",
                "Trash items past their date, not held, that the hourly expiry has not removed.",
                (expired if held is None else expired.exclude(held)).count(),
                {"kind": kind.name},
            ),
        ]
    return figures
