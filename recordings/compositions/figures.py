"""The compositions' figures for /metrics, read from the shared database at each scrape."""

from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

from console.metrics import Figure, job_figures
from recordings.compositions.choices import CompositionStatus
from recordings.compositions.models import Composition


def composition_figures() -> list[Figure]:
    """Return the compositions waiting or being made (progress in percent points), and the media
    seconds rendered and the time taken for those on record."""
    processing = Q(status=CompositionStatus.PROCESSING)
    jobs = Composition.objects.filter(
        status__in=[CompositionStatus.ENQUEUED, CompositionStatus.PROCESSING]
    ).aggregate(
        queued=Count("sid", filter=Q(status=CompositionStatus.ENQUEUED)),
        running=Count("sid", filter=processing),
        processed=Sum("progress", filter=processing, default=0),
    )
    made = Composition.objects.filter(date_completed__isnull=False).aggregate(
        count=Count("sid"),
        media=Sum("duration", default=0),
        wall=Sum(
            ExpressionWrapper(
                F("date_completed") - F("date_created"), output_field=DurationField()
            ),
            default=timedelta(0),
        ),
    )
    return [
        *job_figures("composition", **jobs, total=100 * jobs["running"]),
        Figure("compositions_made", "Compositions completed (on record).", made["count"]),
        Figure(
            "composition_media_seconds",
            "Seconds of media in the compositions completed (on record).",
            made["media"],
        ),
        Figure(
            "composition_wall_seconds",
            "Seconds from request to completed file, queue wait included (on record).",
            made["wall"].total_seconds(),
        ),
    ]
