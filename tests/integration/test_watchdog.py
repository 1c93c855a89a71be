"""The job watchdog against real processes: on the filesystem broker (no redelivery at all) a
worker killed mid bulk deletion leaves the job running for ever, until the watchdog queues it
again; on PostgreSQL, two runs of one job at once (a task taken for lost, alive after all) delete
and count each recording once."""

import re
import threading
import time

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from console.models import AuditEvent
from console.services import Actor
from recordings.lifecycle import bulk, deletion, queue, tasks
from recordings.lifecycle.models import BulkDeletion
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.models import Recording
from tests.factories import completed_recordings_create
from tests.helpers import wait_for
from tests.integration.conftest import KillableWorker, start_queue_worker, worker_env
from tests.integration.test_faults import _recordings_with_media

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WORKER = "filesystem@roomvault-test"


class FilesystemWorker(KillableWorker):
    """A killable worker on a filesystem broker of its own (its DATA_DIR's ``broker`` folder)."""

    def start(self) -> None:
        self.process = start_queue_worker(self.env, queue="celery", name=WORKER)


@pytest.fixture
def filesystem_worker(
    django_db_setup, integration_settings, shared_media_root, tmp_path, monkeypatch
):
    """A started worker on a filesystem broker; what this test's services queue goes there."""
    env = worker_env(
        shared_media_root,
        DATA_DIR=str(tmp_path),
        CELERY_BROKER_URL="filesystem://localhost//",
        SECRET_KEY=integration_settings.SECRET_KEY,
        # One task deletes the whole job unless killed: its message is the one in flight.
        BULK_DELETE_TASK_SECONDS="60",
    )
    worker = FilesystemWorker(env)
    worker.start()
    folder = tmp_path / "broker"  # as the worker's settings have it
    sender = Celery(set_as_current=False)
    sender.conf.broker_transport_options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }

    def send(task_name: str, *args: object) -> None:
        # A connection of its own: CELERY_BROKER_URL (this process's Redis) would win over the
        # app's broker argument.
        with sender.connection_for_write("filesystem://localhost//") as broker:
            sender.send_task(task_name, args=list(args), connection=broker)

    # The sweep queues media deletions through queue.enqueue_media_deletion.
    for module in (bulk, queue):
        monkeypatch.setattr(module, "enqueue", send)
    try:
        yield worker
    finally:
        worker.stop()
        sender.close()


def test_a_worker_killed_mid_bulk_deletion_on_the_filesystem_broker_is_healed_by_the_watchdog(
    filesystem_worker, integration_settings, account, shared_media_root
):
    total = 3000
    integration_settings.BULK_DELETE_CHUNK = 100
    keys = _recordings_with_media(account, shared_media_root, total)
    job = services.bulk_deletion_create(
        account=account, actor=Actor(name="watchdog test"), query="", sids=None, typed_count=total
    )
    assert wait_for(
        lambda: BulkDeletion.objects.get(pk=job.pk).done >= total // 3, seconds=60, interval=0.02
    ), "the bulk deletion did not start"
    filesystem_worker.kill()
    at_kill = BulkDeletion.objects.get(pk=job.pk)
    assert 0 < at_kill.done < total, "killed too late to test anything"
    filesystem_worker.start()

    # The broker deleted the message when the killed worker fetched it: nothing comes back.
    integration_settings.JOB_STALL_SECONDS = 2
    time.sleep(3)
    stuck = BulkDeletion.objects.get(pk=job.pk)
    assert (stuck.status, stuck.processed, stuck.restarts) == ("running", at_kill.processed, 0)

    healed_at = time.monotonic()
    assert tasks.restart_stalled_jobs() == 1
    assert wait_for(lambda: BulkDeletion.objects.get(pk=job.pk).is_finished, seconds=60)
    recovery = time.monotonic() - healed_at

    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.done, job.failed, job.skipped) == (
        "done",
        total,
        total,
        total,
        0,
        0,
    )
    assert (job.chunks, job.restarts) == (total // 100, 1)
    chunks = AuditEvent.objects.filter(
        action="recordings.bulk_delete_chunk", object_repr__startswith=f"bulk deletion {job.pk},"
    ).values_list("object_repr", flat=True)
    assert sum(int(re.search(r"deleting (\d+)", e)[1]) for e in chunks) == total
    assert not Recording.objects.filter(account=account).exclude(status="deleted").exists()

    # Media: the chunks' deletion tasks were queued after their commits and survive in the
    # broker's folder; one that the killed worker had fetched is the sweep's to do again.
    def media_gone() -> bool:
        return not Recording.objects.filter(account=account).exclude(media_key="").exists()

    if not wait_for(media_gone, seconds=20):
        integration_settings.MEDIA_SWEEP_GRACE_SECONDS = 0
        services.recordings_media_sweep(now=timezone.now())
        assert wait_for(media_gone, seconds=30), "media left after the sweep"
    store = get_media_store()
    assert not any(store.exists(key) for key in keys)
    assert recovery < 30, f"the rest of the job took {recovery:.1f} s after the restart"


def test_two_runs_of_one_bulk_deletion_at_once_delete_and_count_each_recording_once(
    integration_settings, account, monkeypatch
):
    total = 2000
    integration_settings.BULK_DELETE_CHUNK = 50
    completed_recordings_create(account, total)
    # The runs are this test's threads; media deletion is not what this test is about.
    for module in (bulk, deletion):
        monkeypatch.setattr(module, "enqueue", lambda *args: None)
    job = services.bulk_deletion_create(
        account=account, actor=Actor(name="watchdog test"), query="", sids=None, typed_count=total
    )
    errors: list[BaseException] = []

    def run() -> None:
        try:
            while bulk.bulk_deletion_run_chunk(bulk_id=job.pk):
                pass
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    # Three runs of the job at once, each from the cursor as it finds it.
    runs = [threading.Thread(target=run) for _ in range(3)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=120)

    assert errors == []
    job.refresh_from_db()
    assert (job.status, job.processed, job.done, job.failed, job.chunks) == (
        "done",
        total,
        total,
        0,
        total // 50,
    )
    assert Recording.objects.filter(account=account, status="deleted").count() == total
