"""Governance by a real Celery worker: the daily policy task deletes what a policy names and
leaves what a legal hold covers, and the trash keeps media until its hourly expiry removes it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from console.services import SYSTEM
from recordings.lifecycle import holds, policies, trash
from recordings.lifecycle.models import BulkDeletion, TrashedItem
from recordings.lifecycle.tasks import expire_trash, run_retention_policies
from recordings.media.store import get_media_store
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_policy_task_deletes_by_policy_and_leaves_the_held_room(
    celery_worker, integration_settings, account, make_completed_recording
):
    old = timezone.now() - timedelta(days=100)
    held, *doomed = [make_completed_recording() for _ in range(3)]
    young = make_completed_recording()
    Recording.objects.update(date_created=old)
    Recording.objects.filter(pk=young.pk).update(date_created=timezone.now() - timedelta(days=89))
    holds.legal_hold_create(
        account=account, actor=SYSTEM, name="Litigation", scope="room", value=held.room_id
    )
    policy = policies.policy_create(
        account=account, actor=SYSTEM, name="90 days", product="video", query="", age_days=90
    )
    preview = policies.policy_preview(
        account=account, product="video", query="", age_days=90, now=timezone.now()
    )
    assert preview.count == 2

    run_retention_policies.delay()
    runs = BulkDeletion.objects.filter(policy_sid=policy.sid)
    assert wait_for(lambda: runs.exists() and runs.get().is_finished)
    job = runs.get()
    assert (job.status, job.done, job.held) == ("done", preview.count, 1)

    store = get_media_store()
    assert wait_for(lambda: not any(store.exists(r.media_key) for r in doomed))
    statuses = dict(Recording.objects.values_list("sid", "status"))
    assert statuses[held.sid] == statuses[young.sid] == RecordingStatus.COMPLETED
    assert {statuses[r.sid] for r in doomed} == {RecordingStatus.DELETED}
    assert store.exists(held.media_key) and store.exists(young.media_key)


def test_the_trash_keeps_media_until_the_expiry_task_removes_it(
    celery_worker, integration_settings, account, api, make_completed_recording
):
    trash.account_trash_set(account=account, actor=SYSTEM, enabled=True)
    kept, control = make_completed_recording(), make_completed_recording()
    store = get_media_store()

    assert api.delete(f"/v1/Recordings/{kept.sid}").status_code == 204
    assert api.get(f"/v1/Recordings/{kept.sid}").json()["status"] == "deleted"
    assert api.get(f"/v1/Recordings/{kept.sid}/Media").status_code == 404
    # A task queued after the delete has run: had the delete queued a media task, it ran too.
    trash.account_trash_set(account=account, actor=SYSTEM, enabled=False)
    assert api.delete(f"/v1/Recordings/{control.sid}").status_code == 204
    assert wait_for(lambda: not store.exists(control.media_key))
    assert store.exists(kept.media_key)

    TrashedItem.objects.filter(sid=kept.sid).update(date_expires=timezone.now())
    expire_trash.delay()
    assert wait_for(lambda: not store.exists(kept.media_key))
    assert wait_for(lambda: Recording.objects.get(sid=kept.sid).media_key == "")
