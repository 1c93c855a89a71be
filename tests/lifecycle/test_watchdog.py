"""The job watchdog: a bulk deletion whose task was lost is queued again from its saved cursor and
finishes with exact counts; a job that moves is left alone; one stall is restarted once. Celery
runs eagerly here; tests/integration/test_watchdog.py kills a real worker. Imports:
tests/imports/test_watchdog.py; compositions: tests/compositions/test_run.py."""

import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from console.services import Actor
from recordings.lifecycle import bulk
from recordings.lifecycle.models import BulkDeletion
from recordings.lifecycle.watchdog import jobs_restart_stalled
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.factories import completed_recordings_create

SHOW_INTERVALS = """
from console.celery import app
schedule = app.conf.beat_schedule
print(schedule["restart-stalled-jobs"]["schedule"], schedule["sweep-deleted-media"]["schedule"])
"""
ACTOR = Actor(name="user:admin@example.com")


def later(settings, seconds: float = 1):
    """The moment the watchdog looks, JOB_STALL_SECONDS (and ``seconds``) from now."""
    return timezone.now() + timedelta(seconds=settings.JOB_STALL_SECONDS + seconds)


def deletion_left_behind(account, n: int, *, chunks_done: int, capture) -> BulkDeletion:
    """A bulk deletion of ``n`` recordings whose task was lost after ``chunks_done`` chunks."""
    completed_recordings_create(account, n)
    with capture(execute=False):  # its message never reaches a worker
        job = bulk.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)
    for _ in range(chunks_done):
        bulk.bulk_deletion_run_chunk(bulk_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
@pytest.mark.parametrize("chunks_done", [0, 2], ids=["queued", "running"])
def test_a_lost_bulk_deletion_is_queued_again_and_finishes_with_exact_counts(
    account, console_client, settings, django_capture_on_commit_callbacks, caplog, chunks_done
):
    settings.BULK_DELETE_CHUNK = 7
    job = deletion_left_behind(
        account, 30, chunks_done=chunks_done, capture=django_capture_on_commit_callbacks
    )
    assert job.status == ("queued" if chunks_done == 0 else "running")

    with (
        caplog.at_level(logging.WARNING, logger="recordings.lifecycle.watchdog"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert jobs_restart_stalled(now=later(settings)) == 1

    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.done, job.skipped, job.failed) == (
        "done",
        30,
        30,
        30,
        0,
        0,
    )
    assert (job.chunks, job.restarts) == (5, 1)
    assert set(Recording.objects.values_list("status", flat=True)) == {RecordingStatus.DELETED}
    assert f"bulk deletion {job.pk} made no progress" in caplog.text
    page = console_client("viewer").get(reverse("bulk:progress", args=[job.pk])).content.decode()
    assert "1 time by the watchdog" in page


@pytest.mark.django_db
def test_a_job_that_made_progress_lately_is_left_alone(
    account, console_client, settings, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK = 7
    job = deletion_left_behind(
        account, 30, chunks_done=1, capture=django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert jobs_restart_stalled(now=later(settings, seconds=-2)) == 0

    assert queued == []
    job.refresh_from_db()
    assert (job.status, job.processed, job.restarts) == ("running", 7, 0)
    page = console_client("viewer").get(reverse("bulk:progress", args=[job.pk])).content.decode()
    assert "by the watchdog" not in page


@pytest.mark.django_db
def test_one_stall_is_restarted_once_even_if_the_watchdog_looks_twice(
    account, settings, django_capture_on_commit_callbacks
):
    job = deletion_left_behind(
        account, 5, chunks_done=0, capture=django_capture_on_commit_callbacks
    )

    with (
        time_machine.travel(later(settings), tick=False),
        django_capture_on_commit_callbacks(execute=False) as queued,
    ):
        first = jobs_restart_stalled(now=timezone.now())
        # The restart counts as the job's progress: another look now (a second beat, a beat
        # task delivered twice) finds it moved.
        second = jobs_restart_stalled(now=timezone.now())

    assert (first, second, len(queued)) == (1, 0, 1)
    job.refresh_from_db()
    assert job.restarts == 1


def test_beat_runs_one_watchdog_every_minute_and_gives_up_media_every_ten():
    from console.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["restart-stalled-jobs"] == {
        "task": "recordings.tasks.restart_stalled_jobs",
        "schedule": 60.0,
    }
    assert schedule["give-up-missing-media"]["schedule"] == 600.0
    # One entry for every kind of job: the compositions' own resume is folded in.
    assert all(entry["task"] in app.tasks for entry in schedule.values())
    assert "compositions.resume_compositions" not in app.tasks


def test_beat_intervals_of_the_watchdog_and_the_sweep_come_from_the_environment():
    # A fresh process, as beat starts: the schedule is read from its environment.
    shown = subprocess.run(
        [sys.executable, "-c", SHOW_INTERVALS],
        env={**os.environ, "JOB_WATCHDOG_SECONDS": "5", "MEDIA_SWEEP_SECONDS": "10"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == ["5.0", "10.0"]
