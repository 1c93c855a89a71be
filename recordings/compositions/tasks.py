"""Celery tasks of compositions. ``compositions.compose`` runs on its own queue (``compositions``,
console.settings routes it), so composition workers can run on machines of their own:
``celery -A console worker -Q compositions``."""

from celery import Task, shared_task
from django.conf import settings

from recordings.compositions import services


@shared_task(
    name="compositions.compose",
    bind=True,
    acks_late=True,
    time_limit=settings.COMPOSITION_TIME_LIMIT,
    soft_time_limit=settings.COMPOSITION_TIME_LIMIT - 60,
    max_retries=None,
)
def compose(self: Task, composition_sid: str) -> str:
    """Make a composition (a lost worker's task is delivered again and starts over)."""
    outcome = services.composition_run(sid=composition_sid)
    if outcome is services.Outcome.WAIT and not self.request.is_eager:
        # The room's recordings are still arriving; an eager run leaves it to the watchdog.
        raise self.retry(countdown=settings.COMPOSITION_MEDIA_POLL_SECONDS)
    return outcome.value
