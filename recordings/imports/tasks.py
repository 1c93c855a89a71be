"""Celery tasks of imports: each takes ids and calls one service.

Tasks keep the names they had before the apps were split ("recordings.tasks.…"): messages already
queued and the beat schedule name them.
"""

from celery import shared_task
from django.conf import settings

from recordings.imports import services as import_services


@shared_task(
    name="recordings.tasks.run_import",
    acks_late=True,
    reject_on_worker_lost=True,
    # Its own limits, which the settings check its slice budget against (not the default ones).
    soft_time_limit=settings.IMPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
)
def run_import(job_id: int) -> None:
    """Run a slice of an import started from the console, queuing the next; a redelivered task
    continues the same job."""
    import_services.import_job_execute(job_id=job_id)
