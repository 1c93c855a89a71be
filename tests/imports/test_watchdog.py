"""The job watchdog and console imports: a slice whose task was lost is queued again and the job
ends as one uninterrupted run would; a slice busy with a long download says it is alive and is
left alone; two runs of one job at once count each recording once. Against a real source
Roomvault (conftest), Celery eager."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.imports import services as import_services
from recordings.imports import tasks as import_tasks
from recordings.imports.models import ImportJob
from recordings.lifecycle.watchdog import jobs_restart_stalled
from tests.imports.jobs import start

pytestmark = pytest.mark.django_db(transaction=True)

MEDIA = r"(/Media|\.wav)$"  # a video recording's media, a voice recording's audio


def later(settings):
    """A moment past JOB_STALL_SECONDS from now."""
    return timezone.now() + timedelta(seconds=settings.JOB_STALL_SECONDS + 1)


class Broker:
    """Where import slices are queued: ``lose_after(n)`` lets n more messages through, then loses
    every one (a worker lost with each) until ``deliver()``."""

    def __init__(self):
        self.through: int | None = None

    def lose_after(self, n: int) -> None:
        self.through = n

    def deliver(self) -> None:
        self.through = None


@pytest.fixture
def broker(monkeypatch) -> Broker:
    broker = Broker()
    apply_async = import_tasks.run_import.apply_async

    def queue(args, **options):
        if broker.through is not None:
            if broker.through == 0:
                return None
            broker.through -= 1
        return apply_async(args, **options)

    monkeypatch.setattr(import_tasks.run_import, "apply_async", queue)
    return broker


def counts(job: ImportJob) -> tuple[int, int, int, int]:
    return job.seen, job.imported, job.skipped_existing, job.failed


def clean_counts(source_server) -> tuple[int, int, int, int]:
    """What an import of the source that nothing interrupts counts (seen, imported, skipped,
    failed): every recording imported but those still processing there, which fail."""
    processing = len(source_server.inventory().sids("processing"))
    return 16 + processing, 16, 0, processing


def test_a_lost_import_slice_is_queued_again_and_the_job_ends_as_one_run_would(
    source_server, settings, broker
):
    settings.IMPORT_TASK_SECONDS = 0.01  # a slice takes a recording or two
    broker.lose_after(2)  # two slices run, the third's message is lost

    job = start(source_server, source_server.base_url)
    assert job.status == "running" and 0 < job.seen < clean_counts(source_server)[0]

    broker.deliver()
    assert jobs_restart_stalled(now=later(settings)) == 1

    job.refresh_from_db()
    assert (job.status, job.restarts, job.credentials) == ("done", 1, "")
    assert counts(job) == clean_counts(source_server)
    assert job.items.count() == job.seen


def test_a_slice_waiting_for_a_long_download_is_not_taken_for_lost(
    source_server, faulty_proxy, settings, monkeypatch
):
    settings.JOB_STALL_SECONDS = 3  # the slice says it is alive every second
    settings.IMPORT_DOWNLOAD_SECONDS = 60
    faulty_proxy.slow(1, seconds=7, path=MEDIA)  # one media download takes 7 s
    looks: list[int] = []
    beat = import_services._InFlight._beat

    def beat_then_look(self):
        # The watchdog looks each time the slice wakes while it waits for its downloads.
        beat(self)
        looks.append(jobs_restart_stalled(now=timezone.now()))

    monkeypatch.setattr(import_services._InFlight, "_beat", beat_then_look)

    began = time.monotonic()
    job = start(source_server, faulty_proxy.base_url)

    assert time.monotonic() - began > 7
    # Looked at every second or so, through the download (twice JOB_STALL_SECONDS): never lost.
    assert len(looks) >= 6 and set(looks) == {0}
    assert (job.status, job.restarts) == ("done", 0)
    assert counts(job) == clean_counts(source_server)


def test_two_runs_of_one_import_at_once_count_each_recording_once(source_server, monkeypatch):
    """A slice taken for lost runs on after all: while its first downloads are in flight, the
    restarted slice settles every recording; what the first then writes changes no count."""
    write, overlapped = import_services._write, []

    def overlap_then_write(job, work, fetched):
        if not overlapped:
            overlapped.append(job.pk)
            import_services.import_job_execute(job_id=job.pk)
            assert ImportJob.objects.get(pk=job.pk).status == "done"
        return write(job, work, fetched)

    monkeypatch.setattr(import_services, "_write", overlap_then_write)

    job = start(source_server, source_server.base_url)

    assert overlapped == [job.pk]
    assert job.status == "done"
    assert counts(job) == clean_counts(source_server)
    assert job.items.count() == job.seen
