"""Celery tasks: each takes ids, calls one service, and retries transient failures with backoff."""

from celery import shared_task
from django.conf import settings

from recordings import services


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=None,
    acks_late=True,
)
def delete_recording_media(recording_sid: str) -> None:
    """Delete a deleted recording's media file (idempotent)."""
    services.recording_media_delete(recording_sid=recording_sid)


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_callback(self, delivery_id: int) -> None:
    """Make the next attempt at a status callback; retry with exponential backoff."""
    try:
        services.callback_attempt(delivery_id=delivery_id)
    except services.CallbackFailed as exc:
        countdown = settings.CALLBACK_RETRY_BASE_SECONDS * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from None


@shared_task(acks_late=True)
def simulate_recording_media(recording_sid: str) -> None:
    """Play the media server of a simulated room: make and ingest a stopped recording's media."""
    services.recording_simulate_media(recording_sid=recording_sid)


@shared_task
def end_idle_rooms() -> int:
    """End rooms that stayed empty past their timeout (run every minute by beat)."""
    return services.rooms_end_idle()
