"""Celery tasks of rooms and video recordings: each takes ids and calls one service.

Tasks keep the names they had before the apps were split ("recordings.tasks.…"): messages already
queued and the beat schedule name them.
"""

from celery import shared_task

from recordings.media.store import MediaStoreUnavailable
from recordings.video import playback, services


@shared_task(name="recordings.tasks.simulate_recording_media", acks_late=True)
def simulate_recording_media(recording_sid: str) -> None:
    """Play the media server of a simulated room: make and ingest a stopped recording's media."""
    services.recording_simulate_media(recording_sid=recording_sid)


@shared_task(name="recordings.tasks.end_idle_rooms")
def end_idle_rooms() -> int:
    """End rooms that stayed empty past their timeout (run every minute by beat)."""
    return services.rooms_end_idle()


@shared_task(
    name="recordings.tasks.make_playback_rendition",
    autoretry_for=(OSError, MediaStoreUnavailable),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
)
def make_playback_rendition(recording_sid: str) -> None:
    """Make a completed recording's playable rendition ahead of its first player."""
    playback.renditions_make(recording_sid=recording_sid)
