"""The watchdog: what would otherwise wait for ever is moved on from the database's state.

Jobs (bulk deletions, imports, compositions) keep their progress in their rows, and a brokers'
redelivery cannot be relied on to resume them: kombu's filesystem transport deletes a message
when a worker fetches it, Redis redelivers only after its visibility timeout. So each app
registers, in its ``AppConfig.ready()``, how to find its jobs that have made no progress for
``JOB_STALL_SECONDS`` and how to queue one again from its committed progress; one beat task asks
them all. A restart is a conditional UPDATE (still unfinished, still quiet since the cut-off), so a
job that moves meanwhile, or a second beat, is never re-queued twice for one stall.

Recordings whose media never came (the media server or the telephony platform gone) are given up
the same way: each kind registers how it fails those waiting past ``MEDIA_WAIT_HOURS``.
"""

import logging
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobType:
    """One kind of job the watchdog restarts."""

    noun: str  # "bulk deletion": the log line names the job with it
    # (before=…): the ids of unfinished jobs whose progress is older than ``before``, oldest first.
    stalled: Callable[..., Iterable[Hashable]]
    # (job id, before=…): count a restart of the job and queue it again, if it is still unfinished
    # and quiet since ``before`` (one transaction, the task queued after commit); tell whether it
    # did.
    restart: Callable[..., bool]


# Gives up, for one kind of recording, those still awaiting media from before the given moment;
# returns how many.
MediaWait = Callable[[datetime], int]

_JOBS: dict[str, JobType] = {}
_MEDIA_WAITS: dict[str, MediaWait] = {}


def register_job(job_type: JobType) -> None:
    """Have the watchdog restart this kind of job (again replaces it: ``ready()`` may run twice)."""
    _JOBS[job_type.noun] = job_type


def register_media_wait(name: str, give_up: MediaWait) -> None:
    """Have the watchdog give up this kind's recordings whose media never came."""
    _MEDIA_WAITS[name] = give_up


def jobs_restart_stalled(*, now: datetime) -> int:
    """Queue again every job without progress for JOB_STALL_SECONDS; return how many."""
    before = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    restarted = 0
    for job_type in tuple(_JOBS.values()):
        for job_id in job_type.stalled(before=before):
            if job_type.restart(job_id, before=before):
                restarted += 1
                logger.warning(
                    "Watchdog: %s %s made no progress for %d s; queued again",
                    job_type.noun,
                    job_id,
                    settings.JOB_STALL_SECONDS,
                )
    return restarted


def recordings_give_up_media(*, now: datetime) -> int:
    """Fail every recording still awaiting media MEDIA_WAIT_HOURS after it could have come."""
    before = now - timedelta(hours=settings.MEDIA_WAIT_HOURS)
    return sum(give_up(before) for give_up in tuple(_MEDIA_WAITS.values()))
