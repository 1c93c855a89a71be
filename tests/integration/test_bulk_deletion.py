"""A bulk deletion confirmed through the pages runs on a real Celery worker, chunk by chunk."""

import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.choices import RecordingStatus
from recordings.media.store import get_media_store
from recordings.models import BulkDeletion, Recording
from tests.factories import RecordingFactory, TrackFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class _FormInputs(HTMLParser):
    """Collect the inputs of the form posting to ``action``, as a browser would send them."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.data = action, False, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("action") == self.action:
            self.inside = True
        elif tag == "input" and self.inside and attrs.get("name") != "csrfmiddlewaretoken":
            self.data.setdefault(attrs["name"], []).append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def _recordings(account, n: int) -> None:
    track = TrackFactory(participant__room__account=account)
    template = RecordingFactory.build(track=track, status=RecordingStatus.COMPLETED)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Recording._meta.concrete_fields
        if f.attname not in ("sid", "date_created", "date_updated")
    }
    start = timezone.now() - timedelta(days=1)
    Recording.objects.bulk_create(
        Recording(**fields, date_created=start + timedelta(seconds=i), date_updated=start)
        for i in range(n)
    )


def test_bulk_deletion_of_500_recordings_completes_on_a_real_worker(
    celery_worker, integration_settings, account, console_client, make_completed_recording
):
    # The chunk size is fixed on the job when it is created, so the worker cuts 5 chunks.
    integration_settings.BULK_DELETE_CHUNK = 100
    _recordings(account, 495)
    with_media = [make_completed_recording() for _ in range(5)]
    store = get_media_store()
    assert all(store.exists(r.media_key) for r in with_media)
    client = console_client("admin")

    confirm_page = client.post(reverse("bulk:select"), {"all": "1", "query": ""})
    assert "This deletes <strong>500</strong> recordings" in confirm_page.content.decode()
    form = _FormInputs(reverse("bulk:create"))
    form.feed(confirm_page.content.decode())
    created = client.post(reverse("bulk:create"), form.data)

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
    assert "100 %" in page and "done: 500 recordings deleted" in page
    assert 'http-equiv="refresh"' not in page
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.skipped, job.chunks) == ("done", 500, 500, 0, 5)
    assert not Recording.objects.filter(account=account).exclude(status="deleted").exists()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(store.exists(r.media_key) for r in with_media):
        time.sleep(0.2)
    assert not any(store.exists(r.media_key) for r in with_media)
