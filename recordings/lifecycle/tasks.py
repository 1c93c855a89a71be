"""Celery tasks of the lifecycle: each takes ids, calls one service, and retries transient failures
with backoff. They keep their names of before the apps were split ("recordings.tasks.…"): messages
already queued and the beat schedule name them.
"""

import logging
import math
import time
from typing import Any, Protocol

from billiard.einfo import ExceptionInfo
from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from console import latency
from recordings.lifecycle import bulk, delivery, policies, retention, throttle, trash, watchdog
from recordings.lifecycle.deletion import recordings_media_delete
from recordings.lifecycle.drift import media_drift_report
from recordings.media.store import MediaStoreUnavailable

logger = logging.getLogger(__name__)


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float, /) -> None: ...


# What the bulk deletion reads the time from and pauses with: the time module, or a test's fake.
clock: Clock = time


@shared_task(name="recordings.tasks.deliver_callback", bind=True, acks_late=True, max_retries=None)
def deliver_callback(self: Task, delivery_id: int) -> Retry | None:
    """Make the next attempt at a status callback; retry with exponential backoff."""
    try:
        delivery.callback_attempt(delivery_id=delivery_id)
    except delivery.CallbackFailed as exc:
        countdown = settings.CALLBACK_RETRY_BASE_SECONDS * 2**self.request.retries
        # Returned, not raised: a worker schedules the retry either way, and when run eagerly
        # (inside the request that queued it) Celery re-runs a *returned* Retry in place, while a
        # raised one would fail that request after its change had committed.
        return self.retry(exc=exc, countdown=countdown, throw=False)
    return None


@shared_task(
    name="recordings.tasks.delete_recordings_media",
    autoretry_for=(OSError, MediaStoreUnavailable),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=None,
    acks_late=True,
)
def delete_recordings_media(recording_sids: list[str]) -> None:
    """Delete the media files of deleted recordings, one or a chunk (idempotent, so safe to
    retry)."""
    recordings_media_delete(recording_sids=recording_sids)


class _BulkDeletionTask(Task):
    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo,
    ) -> None:
        """Mark the job failed once its chunk has failed for good (retries spent or a bug)."""
        bulk_id = kwargs.get("bulk_id", args[0] if args else None)
        if bulk_id is not None:
            bulk.bulk_deletion_fail(bulk_id=bulk_id, reason=f"{type(exc).__name__}: {exc}")


@shared_task(
    name="recordings.tasks.run_bulk_deletion",
    base=_BulkDeletionTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=8,
)
def run_bulk_deletion(self: Task, bulk_id: int) -> None:
    """Delete chunks of a bulk deletion for up to BULK_DELETE_TASK_SECONDS, then queue the rest.

    Each chunk commits with the job's cursor, so a worker lost mid-task rolls back only the chunk
    in flight and the re-delivered task goes on from the saved cursor. Several chunks per task
    spare a broker round trip per chunk; the time budget keeps the task far inside the
    visibility timeout and the time limit. Between chunks, outside their transactions, the task
    pauses while the API is slow (``throttle``); the pauses count toward the budget.
    """
    deadline = clock.monotonic() + settings.BULK_DELETE_TASK_SECONDS
    pause = 0.0
    while True:
        started = clock.monotonic()
        if not bulk.bulk_deletion_run_chunk(bulk_id=bulk_id):
            return
        finished = clock.monotonic()
        limit_ms = settings.BULK_DELETE_API_P99_MS
        pause = throttle.next_pause(
            pause,
            p99_ms=latency.api_p99_ms() if limit_ms else None,
            limit_ms=limit_ms,
            chunk_seconds=finished - started,
            ceiling=settings.JOB_STALL_SECONDS / 10,
        )
        # Run eagerly (tests, CELERY_TASK_ALWAYS_EAGER), each re-queue would nest one call deeper.
        left = math.inf if self.request.is_eager else deadline - finished
        if pause > 0 and left > 0:
            clock.sleep(min(pause, left))
            bulk.bulk_deletion_paused(bulk_id=bulk_id, seconds=min(pause, left))
        if clock.monotonic() >= deadline and not self.request.is_eager:
            break
    run_bulk_deletion.delay(bulk_id)


@shared_task(name="recordings.tasks.purge_expired_recordings", acks_late=True)
def purge_expired_recordings() -> int:
    """Purge deleted recordings past retention (run daily by beat)."""
    return retention.recordings_purge(now=timezone.now())


@shared_task(name="recordings.tasks.run_retention_policies", acks_late=True)
def run_retention_policies() -> int:
    """Queue a run of every enabled retention policy (daily, by beat)."""
    return policies.policies_run(now=timezone.now())


@shared_task(name="recordings.tasks.expire_trash", acks_late=True)
def expire_trash() -> int:
    """Take what has been in a trash TRASH_DAYS out of it and remove its media (hourly)."""
    return trash.trash_expire(now=timezone.now())


@shared_task(name="recordings.tasks.sweep_deleted_media", acks_late=True)
def sweep_deleted_media() -> int:
    """Queue media deletion again for deleted recordings whose media remains (every 10 minutes)."""
    return retention.recordings_media_sweep(now=timezone.now())


@shared_task(name="recordings.tasks.restart_stalled_jobs")
def restart_stalled_jobs() -> int:
    """Queue again the jobs that made no progress for JOB_STALL_SECONDS (every minute)."""
    return watchdog.jobs_restart_stalled(now=timezone.now())


@shared_task(name="recordings.tasks.give_up_missing_media")
def give_up_missing_media() -> int:
    """Fail the recordings whose media has not come MEDIA_WAIT_HOURS on (every 10 minutes)."""
    return watchdog.recordings_give_up_media(now=timezone.now())


@shared_task(name="recordings.tasks.check_media_drift")
def check_media_drift() -> dict:
    """Report metadata pointing at missing media and orphaned media files (run daily by beat)."""
    report = media_drift_report(limit=20)
    if report["missing_media_count"] or report["orphaned_media_count"]:
        logger.warning(
            "Media drift: %d completed recordings with missing media (e.g. %s); "
            "%d orphaned media files (e.g. %s)",
            report["missing_media_count"],
            ", ".join(report["missing_media_sample"][:5]) or "-",
            report["orphaned_media_count"],
            ", ".join(report["orphaned_media_sample"][:5]) or "-",
        )
    return report
