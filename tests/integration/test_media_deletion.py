"""Deleting through the API removes the media file by a real Celery worker, after commit."""

import pytest

from recordings.media.store import get_media_store
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_deletes_media_after_api_delete(
    celery_worker, integration_settings, api, make_completed_recording
):
    recordings = [make_completed_recording() for _ in range(3)]
    store = get_media_store()
    keys = [r.media_key for r in recordings]
    assert all(store.exists(k) for k in keys)

    for recording in recordings:
        assert api.delete(f"/v1/Recordings/{recording.sid}").status_code == 204
        body = api.get(f"/v1/Recordings/{recording.sid}").json()
        assert body["status"] == RecordingStatus.DELETED
        assert body["date_deleted"] is not None

    assert wait_for(lambda: not any(store.exists(k) for k in keys)), "media still in the store"
    assert wait_for(
        lambda: (
            not Recording.objects.filter(sid__in=[r.sid for r in recordings])
            .exclude(media_key="")
            .exists()
        )
    )
    # Metadata stays, as deleted, with the media gone.
    rows = api.get("/v1/Recordings", {"Status": "deleted"}).json()["recordings"]
    assert {r["sid"] for r in rows} == {r.sid for r in recordings}
    assert api.get(f"/v1/Recordings/{recordings[0].sid}/Media").status_code == 404


def test_worker_deletion_is_idempotent_when_media_already_gone(
    celery_worker, integration_settings, api, make_completed_recording
):
    recording = make_completed_recording()
    get_media_store().delete(recording.media_key, account_sid=recording.account_id)
    assert api.delete(f"/v1/Recordings/{recording.sid}").status_code == 204
    assert wait_for(lambda: Recording.objects.get(sid=recording.sid).media_key == "")
