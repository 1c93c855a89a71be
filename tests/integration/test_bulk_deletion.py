"""A bulk deletion confirmed through the pages runs on a real Celery worker, chunk by chunk."""

import time

import pytest
from django.urls import reverse

from recordings.lifecycle.models import BulkDeletion
from recordings.media.store import get_media_store
from recordings.video.models import Recording
from tests.factories import completed_recordings_create
from tests.helpers import form_data

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_bulk_deletion_of_500_recordings_completes_on_a_real_worker(
    celery_worker, integration_settings, account, console_client, make_completed_recording
):
    # The chunk size is fixed on the job when it is created, so the worker cuts 5 chunks.
    integration_settings.BULK_DELETE_CHUNK = 100
    completed_recordings_create(account, 495)
    with_media = [make_completed_recording() for _ in range(5)]
    store = get_media_store()
    assert all(store.exists(r.media_key) for r in with_media)
    client = console_client("admin")

    confirm_page = client.post(reverse("bulk:select"), {"all": "1", "query": ""})
    assert "This deletes <strong>500</strong> recordings" in confirm_page.content.decode()
    form = form_data(confirm_page.content.decode(), reverse("bulk:create"))
    created = client.post(reverse("bulk:create"), form)

    job = BulkDeletion.objects.get(account=account)
    assert created.status_code == 302
    assert created["Location"] == reverse("bulk:progress", args=[job.pk])
    deadline = time.monotonic() + 60
    page = ""
    while time.monotonic() < deadline:
        page = client.get(created["Location"]).content.decode()
        if "100 %" in page:
            break
        assert 'http-equiv="refresh"' in page
        time.sleep(0.3)
    assert "100 %" in page and "— 500 recordings deleted" in page
    assert 'http-equiv="refresh"' not in page
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.skipped, job.chunks) == ("done", 500, 500, 0, 5)
    assert not Recording.objects.filter(account=account).exclude(status="deleted").exists()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(store.exists(r.media_key) for r in with_media):
        time.sleep(0.2)
    assert not any(store.exists(r.media_key) for r in with_media)
