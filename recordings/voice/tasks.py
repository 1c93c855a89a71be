"""Celery tasks of voice recordings: each takes ids and calls one service.

Tasks keep the names they had before the apps were split ("recordings.tasks.…"): messages already
queued and the beat schedule name them.
"""

from celery import shared_task

from recordings.media.store import MediaStoreUnavailable
from recordings.voice import services as voice_services


@shared_task(
    name="recordings.tasks.make_voice_renditions",
    autoretry_for=(OSError, MediaStoreUnavailable),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
)
def make_voice_renditions(recording_sid: str) -> None:
    """Transcode a completed voice recording's MP3 and mono renditions ahead of its downloads."""
    voice_services.voice_recording_renditions_make(recording_sid=recording_sid)
