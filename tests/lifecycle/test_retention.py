"""Retention: the purge of deleted recordings past RECORDING_RETENTION_DAYS, and the media sweep."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from console.models import AuditEvent
from console.services import SYSTEM
from recordings.lifecycle import retention, tasks
from recordings.lifecycle.models import CallbackDelivery
from recordings.lifecycle.retention import recordings_media_sweep, recordings_purge
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.factories import RecordingFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
CALLBACK_URL = "http://127.0.0.1:9/callbacks"


@pytest.fixture
def deleted(make_completed_recording, django_capture_on_commit_callbacks):
    """Build a completed recording and delete it at ``at``; its media is removed unless told."""

    def make(at: datetime = T0, *, media_deleted: bool = True, **kwargs) -> Recording:
        recording = make_completed_recording(**kwargs)
        with time_machine.travel(at, tick=False):
            if media_deleted:
                with django_capture_on_commit_callbacks(execute=True):
                    services.recording_delete(recording=recording, actor=SYSTEM)
            else:
                # The media task is queued on commit, which never comes inside a test: the media
                # stays, as when the task was lost.
                services.recording_delete(recording=recording, actor=SYSTEM)
        recording.refresh_from_db()
        return recording

    return make


def _exists(recording: Recording) -> bool:
    return Recording.objects.filter(pk=recording.pk).exists()


def test_purge_keeps_day_29_and_removes_day_31_with_its_callback_deliveries(deleted):
    recording = deleted(track__participant__room__status_callback=CALLBACK_URL)
    assert recording.media_key == ""
    assert CallbackDelivery.objects.filter(recording_sid=recording.sid).exists()

    assert recordings_purge(now=T0 + 29 * DAY) == 0
    assert _exists(recording)
    assert recordings_purge(now=T0 + 31 * DAY) == 1
    assert not _exists(recording)
    assert not CallbackDelivery.objects.filter(recording_sid=recording.sid).exists()


@pytest.mark.parametrize("days", [30, 7])
def test_purge_boundary_follows_retention_days(deleted, settings, days):
    settings.RECORDING_RETENTION_DAYS = days
    recording = deleted()
    assert recordings_purge(now=T0 + days * DAY - timedelta(microseconds=1)) == 0
    assert _exists(recording)
    assert recordings_purge(now=T0 + days * DAY) == 1
    assert not _exists(recording)


def test_purged_recording_answers_404_and_leaves_the_deleted_list(deleted, api):
    recording = deleted()
    kept = deleted(T0 + 10 * DAY)
    listed = api.get("/v1/Recordings", {"Status": "deleted"}).json()["recordings"]
    assert {r["sid"] for r in listed} == {recording.sid, kept.sid}

    assert recordings_purge(now=T0 + 31 * DAY) == 1

    assert api.get(f"/v1/Recordings/{recording.sid}").status_code == 404
    assert api.get(f"/v1/Rooms/{recording.room_id}/Recordings/{recording.sid}").status_code == 404
    assert api.get(f"/v1/Recordings/{kept.sid}").status_code == 200
    listed = api.get("/v1/Recordings", {"Status": "deleted"}).json()["recordings"]
    assert [r["sid"] for r in listed] == [kept.sid]


def test_purge_leaves_other_statuses_and_recent_deletions_of_every_account(
    deleted, make_completed_recording, other_account
):
    completed = make_completed_recording()
    failed = services.recording_fail(
        recording=RecordingFactory(track__participant__room__account=completed.account),
        reason="lost",
    )
    processing = RecordingFactory(track__participant__room__account=completed.account)
    theirs_recent = deleted(T0 + 20 * DAY, track__participant__room__account=other_account)
    theirs_expired = deleted(track__participant__room__account=other_account)
    mine_expired = deleted()

    assert recordings_purge(now=T0 + 31 * DAY) == 2

    assert not _exists(theirs_expired) and not _exists(mine_expired)
    kept = [completed, failed, processing, theirs_recent]
    assert dict(
        Recording.objects.filter(pk__in=[r.pk for r in kept]).values_list("pk", "status")
    ) == {
        completed.pk: RecordingStatus.COMPLETED,
        failed.pk: RecordingStatus.FAILED,
        processing.pk: RecordingStatus.PROCESSING,
        theirs_recent.pk: RecordingStatus.DELETED,
    }


def test_recording_with_media_still_stored_is_skipped_and_its_media_deletion_requeued(deleted):
    recording = deleted(media_deleted=False)
    key = recording.media_key
    assert key and get_media_store().exists(key)

    # Eager tasks: the re-queued deletion runs at once, after this run's batches.
    assert recordings_purge(now=T0 + 31 * DAY) == 0
    recording.refresh_from_db()
    assert recording.media_key == ""
    assert not get_media_store().exists(key)

    assert recordings_purge(now=T0 + 31 * DAY) == 1
    assert not _exists(recording)


def test_purge_requeues_media_deletion_and_never_deletes_a_row_with_media(deleted, monkeypatch):
    recording = deleted(media_deleted=False)
    queued = []
    monkeypatch.setattr(tasks.delete_recordings_media, "delay", queued.append)

    assert recordings_purge(now=T0 + 31 * DAY) == 0
    assert queued == [[recording.sid]]
    assert _exists(recording)
    assert get_media_store().exists(recording.media_key)


def test_batches_purge_everything(deleted):
    recordings = [deleted() for _ in range(10)]
    assert recordings_purge(now=T0 + 31 * DAY, batch_size=3) == 10
    assert not Recording.objects.filter(pk__in=[r.pk for r in recordings]).exists()
    events = AuditEvent.objects.filter(action="recordings.purge")
    # One event per account and batch: batches of 3, 3, 3 and 1.
    assert sorted(int(e.object_repr.split()[0]) for e in events) == [1, 3, 3, 3]


def test_interrupted_purge_keeps_finished_batches_and_a_rerun_finishes(deleted, monkeypatch):
    recordings = [deleted() for _ in range(10)]
    real_audit = retention._audit
    calls = {"batches": 0}

    def failing_audit(kind, rows):
        # Fails after the second batch's DELETE, on every database: it goes back with the audit.
        calls["batches"] += 1
        if calls["batches"] == 2:
            raise RuntimeError("worker lost")
        real_audit(kind, rows)

    monkeypatch.setattr(retention, "_audit", failing_audit)
    with pytest.raises(RuntimeError):
        recordings_purge(now=T0 + 31 * DAY, batch_size=3)
    remaining = Recording.objects.filter(pk__in=[r.pk for r in recordings])
    assert remaining.count() == 7
    assert AuditEvent.objects.filter(action="recordings.purge").count() == 1

    monkeypatch.setattr(retention, "_audit", real_audit)
    assert recordings_purge(now=T0 + 31 * DAY, batch_size=3) == 7
    assert not remaining.exists()


def test_dry_run_counts_without_deleting(deleted):
    early, late = deleted(), deleted(T0 + 5 * DAY)
    deleted(media_deleted=False)  # not purgeable until its media is gone
    assert recordings_purge(now=T0 + 31 * DAY, dry_run=True) == 1
    assert recordings_purge(now=T0 + 40 * DAY, dry_run=True) == 2
    assert _exists(early) and _exists(late)
    assert not AuditEvent.objects.filter(action="recordings.purge").exists()


def test_one_audit_event_per_affected_account(deleted, other_account):
    mine = deleted()
    deleted()
    theirs = deleted(track__participant__room__account=other_account)
    assert recordings_purge(now=T0 + 31 * DAY) == 3
    events = {e.account_id: e for e in AuditEvent.objects.filter(action="recordings.purge")}
    assert set(events) == {mine.account_id, theirs.account_id}
    assert events[mine.account_id].object_repr.startswith("2 deleted recordings purged")
    assert events[theirs.account_id].object_repr.startswith("1 deleted recording purged")
    assert {e.actor for e in events.values()} == {"system"}


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_recordings", *args, stdout=out)
    return out.getvalue()


def test_command_prints_json(deleted):
    deleted()
    deleted(T0 + 5 * DAY)
    with time_machine.travel(T0 + 31 * DAY, tick=False):
        assert json.loads(_command("--dry-run", "--json")) == {"purged": 1}
        assert json.loads(_command("--dry-run", "--as-of", "2026-04-30T00:00:00Z", "--json")) == {
            "purged": 2
        }
        assert Recording.objects.filter(status=RecordingStatus.DELETED).count() == 2
        assert _command("--json") == '{"purged": 1}\n'
        assert Recording.objects.filter(status=RecordingStatus.DELETED).count() == 1


def test_command_refuses_as_of_without_dry_run(deleted):
    recording = deleted()
    with pytest.raises(CommandError, match="--dry-run"):
        _command("--as-of", "2030-01-01T00:00:00Z", "--json")
    with pytest.raises(CommandError, match="ISO 8601"):
        _command("--dry-run", "--as-of", "next tuesday", "--json")
    assert _exists(recording)


def test_sweep_requeues_only_past_the_grace_period(deleted, settings):
    settings.MEDIA_SWEEP_GRACE_SECONDS = 300
    recording = deleted(media_deleted=False)
    done = deleted()
    key = recording.media_key

    assert recordings_media_sweep(now=T0 + timedelta(seconds=299)) == 0
    assert get_media_store().exists(key)

    assert recordings_media_sweep(now=T0 + timedelta(seconds=300)) == 1
    recording.refresh_from_db()
    assert recording.media_key == ""
    assert not get_media_store().exists(key)
    assert _exists(recording) and _exists(done)
    assert recordings_media_sweep(now=T0 + DAY) == 0


def test_tasks_run_the_services_now(deleted):
    expired = deleted()
    pending = deleted(T0 + 31 * DAY - timedelta(minutes=20), media_deleted=False)
    with time_machine.travel(T0 + 31 * DAY, tick=False):
        tasks.sweep_deleted_media.delay()
        tasks.purge_expired_recordings.delay()
    assert not _exists(expired)
    pending.refresh_from_db()
    assert pending.media_key == ""


def test_beat_schedules_purge_daily_and_sweep_every_ten_minutes():
    from console.celery import app

    schedule = app.conf.beat_schedule
    purge = schedule["purge-expired-recordings"]
    assert purge["task"] == "recordings.tasks.purge_expired_recordings"
    assert purge["schedule"].hour == {3} and purge["schedule"].minute == {17}
    assert schedule["sweep-deleted-media"]["schedule"] == 600.0


def test_media_requeue_goes_in_batches(deleted, monkeypatch):
    recordings = [deleted(media_deleted=False) for _ in range(3)]
    queued = []
    monkeypatch.setattr(tasks.delete_recordings_media, "delay", queued.append)
    monkeypatch.setattr("recordings.lifecycle.queue.MEDIA_TASK_BATCH", 2)

    assert recordings_purge(now=T0 + 31 * DAY) == 0
    assert [len(batch) for batch in queued] == [2, 1]
    assert sorted(sid for batch in queued for sid in batch) == sorted(r.sid for r in recordings)
