"""The lifecycle's figures for /metrics, read from the shared database at each scrape: bulk
deletions in progress, callbacks that were given up on, and deleted recordings whose media is still
stored past the media sweep's grace time (a media deletion that keeps failing)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from console.metrics import Figure, job_figures
from recordings.lifecycle.kinds import DELETED, kinds
from recordings.lifecycle.models import BulkDeletion, CallbackDelivery


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
        overdue = (
            kind.model._default_manager.filter(status=DELETED, date_deleted__lte=cutoff)
            .exclude(media_key="")
            .count()
        )
        figures.append(
            Figure(
                "media_deletions_overdue",
                "Deleted recordings whose media is still stored past MEDIA_SWEEP_GRACE_SECONDS.",
                overdue,
                {"kind": kind.name},
            )
        )
    return figures
