"""The imports' figures for /metrics, read from the shared database at each scrape."""

from django.db.models import Count, Q, Sum

from console.metrics import Figure, job_figures
from recordings.imports.models import ImportJob


def import_figures() -> list[Figure]:
    """Return the imports waiting or running, and how many recordings the running ones have seen
    (a source does not say its total in advance)."""
    running = Q(status=ImportJob.Status.RUNNING)
    row = ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).aggregate(
        queued=Count("id", filter=Q(status=ImportJob.Status.QUEUED)),
        running=Count("id", filter=running),
        processed=Sum("seen", filter=running, default=0),
    )
    return job_figures("import", **row)
