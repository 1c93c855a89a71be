"""Celery tasks: each takes ids, calls one service, and retries transient failures with backoff."""

from celery import shared_task

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
