"""Fault injection: a worker killed mid-job, a failing media store, and the broker down.

Each test runs against PostgreSQL, Redis and real Celery worker processes; see conftest.py for the
killable worker (a queue of its own, short visibility timeout) and the session worker.
"""

import re
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from console.models import AuditEvent
from console.services import Actor
from recordings.lifecycle.models import BulkDeletion
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.factories import RecordingFactory, TrackFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _recordings_with_media(account, root: Path, n: int) -> list[str]:
    """Create n completed recordings (one query) and write a small media file for each."""
    track = TrackFactory(participant__room__account=account)
    template = RecordingFactory.build(track=track, status=RecordingStatus.COMPLETED)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Recording._meta.concrete_fields
        if f.attname not in ("sid", "date_created", "date_updated", "media_key", "size")
    }
    start = timezone.now() - timedelta(days=1)
    keys = [f"{account.sid}/{track.room_id}/bulk-{i:05d}.mka" for i in range(n)]
    Recording.objects.bulk_create(
        Recording(
            **fields,
            media_key=key,
            size=3,
            date_created=start + timedelta(milliseconds=i),
            date_updated=start,
        )
        for i, key in enumerate(keys)
    )
    folder = root / account.sid / track.room_id
    folder.mkdir(parents=True, exist_ok=True)
    for key in keys:
        (root / key).write_bytes(b"abc")
    return keys


def _sweep_now(settings) -> int:
    settings.MEDIA_SWEEP_GRACE_SECONDS = 0
    return services.recordings_media_sweep(now=timezone.now())


def test_worker_killed_mid_bulk_deletion_deletes_every_recording_once(
    killable_worker, integration_settings, account, shared_media_root
):
    total = 3000
    integration_settings.BULK_DELETE_CHUNK = 100
    keys = _recordings_with_media(account, shared_media_root, total)
    store = get_media_store()

    job = services.bulk_deletion_create(
        account=account, actor=Actor(name="fault test"), query="", sids=None, typed_count=total
    )
    assert (job.total, job.chunk_size) == (total, 100)
    assert wait_for(
        lambda: BulkDeletion.objects.get(pk=job.pk).done >= total // 3, seconds=60, interval=0.02
    ), "the bulk deletion did not start"
    killable_worker.kill()
    at_kill = BulkDeletion.objects.get(pk=job.pk)
    assert 0 < at_kill.done < total, "killed too late to test anything"
    assert at_kill.status == BulkDeletion.Status.RUNNING

    killable_worker.start()
    # The killed worker's unacknowledged chunk comes back after the visibility timeout (6 s).
    assert wait_for(lambda: BulkDeletion.objects.get(pk=job.pk).is_finished, seconds=60), (
        "the job did not finish after the worker was restarted"
    )
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.done, job.failed, job.skipped) == (
        BulkDeletion.Status.DONE,
        total,
        total,
        total,
        0,
        0,
    )
    assert job.chunks == total // 100
    chunk_events = AuditEvent.objects.filter(
        account=account,
        action="recordings.bulk_delete_chunk",
        object_repr__startswith=f"bulk deletion {job.pk},",
    ).values_list("object_repr", flat=True)
    deleted_per_chunk = [int(re.search(r"deleting (\d+)", e).group(1)) for e in chunk_events]
    assert len(deleted_per_chunk) == total // 100
    assert sum(deleted_per_chunk) == total
    assert not Recording.objects.filter(account=account).exclude(status="deleted").exists()

    # Media: the chunks' media tasks, redelivered too; a chunk whose task was never queued (killed
    # between commit and publish) is caught by the sweep.
    def media_gone() -> bool:
        return not Recording.objects.filter(account=account).exclude(media_key="").exists()

    if not wait_for(media_gone, seconds=20):
        _sweep_now(integration_settings)
        assert wait_for(media_gone, seconds=30), "media left after the sweep"
    assert not any(store.exists(k) for k in keys)


@contextmanager
def _store_failing(root: Path, folder: str):
    """Make deleting any file under root/folder fail with an OSError (NotADirectoryError).

    The folder is moved aside and a plain file put in its place: works as root too (chmod does
    not stop root). On leaving, the folder comes back with whatever it still holds.
    """
    path, aside = root / folder, root / (folder + ".aside")
    path.rename(aside)
    path.write_bytes(b"")
    try:
        yield aside
    finally:
        path.unlink()
        aside.rename(path)


def test_deletions_complete_after_the_media_store_returns(
    celery_worker, integration_settings, api, make_completed_recording, shared_media_root
):
    recordings = [make_completed_recording() for _ in range(3)]
    store = get_media_store()
    keys = [r.media_key for r in recordings]
    folder = keys[0].split("/")[0]  # the account's folder holds them all
    assert all(k.startswith(folder + "/") for k in keys)

    with _store_failing(shared_media_root, folder) as aside:
        for recording in recordings:
            assert api.delete(f"/v1/Recordings/{recording.sid}").status_code == 204
        # The worker's attempts fail and are retried (1, 2, 4 … s backoff): nothing removed.
        time.sleep(3)
        assert all((aside / k.split("/", 1)[1]).is_file() for k in keys)
        assert Recording.objects.filter(sid__in=[r.sid for r in recordings]).exclude(
            media_key=""
        ).count() == len(recordings)

    restored = time.monotonic()
    assert wait_for(lambda: not any(store.exists(k) for k in keys), seconds=30), (
        "media still stored after the store came back"
    )
    assert wait_for(
        lambda: (
            not Recording.objects.filter(sid__in=[r.sid for r in recordings])
            .exclude(media_key="")
            .exists()
        )
    )
    print(f"media gone {time.monotonic() - restored:.1f} s after the store came back")


@contextmanager
def _broker_down():
    """Point this process's Celery app at a port nothing listens on, failing fast; then restore."""
    from console.celery import app

    # broker_url would lose to the CELERY_BROKER_URL environment variable; the write URL does not.
    names = (
        "broker_write_url",
        "broker_connection_retry",
        "broker_connection_timeout",
        "task_publish_retry",
    )
    saved = {name: app.conf.get(name) for name in names}

    def reset_connections():
        # Forget (not close: kombu keeps pools per broker URL and reuses them) this app's pools.
        app._pool = None
        app.amqp._producer_pool = None
        app.amqp.__dict__.pop("send_task_message", None)  # it caches task_publish_retry

    reset_connections()
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_timeout = 1
    app.conf.task_publish_retry = False
    try:
        yield
    finally:
        reset_connections()
        for name, value in saved.items():
            app.conf[name] = value


def test_delete_answers_204_with_the_broker_down_and_the_sweep_finishes(
    celery_worker, integration_settings, api, make_completed_recording
):
    recording = make_completed_recording()
    store = get_media_store()

    with _broker_down():
        started = time.monotonic()
        response = api.delete(f"/v1/Recordings/{recording.sid}")
        took = time.monotonic() - started
    assert response.status_code == 204
    assert took < 5, f"DELETE took {took:.1f} s with the broker down"
    body = api.get(f"/v1/Recordings/{recording.sid}").json()
    assert body["status"] == RecordingStatus.DELETED
    # Nothing was queued: the media stays until the sweep.
    time.sleep(1)
    assert store.exists(recording.media_key)
    assert Recording.objects.get(sid=recording.sid).media_key == recording.media_key

    assert _sweep_now(integration_settings) >= 1
    assert wait_for(lambda: not store.exists(recording.media_key)), "sweep did not delete media"
    assert wait_for(lambda: Recording.objects.get(sid=recording.sid).media_key == "")
