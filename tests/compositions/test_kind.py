"""Compositions go through the lifecycle as one more kind: bulk deletion by their Logs filter,
the retention purge, the media sweep, the drift check and the dashboard's totals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from console.services import SYSTEM
from recordings.compositions import services
from recordings.compositions.models import Composition
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.lifecycle import bulk, drift, retention, stats
from recordings.lifecycle.models import BulkDeletion
from recordings.media.store import get_media_store
from tests.factories import CompositionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def composed(account, django_capture_on_commit_callbacks) -> list[Composition]:
    """Two completed compositions of one simulated room (made by the worker's run)."""
    room, _ = simulate_room(account=account, identities=["a"], seconds=1)
    made = []
    for fmt in ("mp4", "webm"):
        spec = spec_clean(audio_sources=["*"], format=fmt)
        with django_capture_on_commit_callbacks(execute=True):
            made.append(services.composition_create(room=room, spec=spec, actor=SYSTEM))
    return [Composition.objects.get(pk=c.pk) for c in made]


def test_a_bulk_deletion_by_the_logs_filter_deletes_the_matching_compositions(
    account, other_account, composed, django_capture_on_commit_callbacks
):
    foreign = CompositionFactory(room__account=other_account, status="completed", format="mp4")

    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_deletion_create(
            account=account,
            actor=SYSTEM,
            query="format=mp4",
            sids=None,
            product=BulkDeletion.Product.COMPOSITION,
        )

    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 1, 1)
    mp4, webm = composed
    assert Composition.objects.get(pk=mp4.pk).status == "deleted"
    assert Composition.objects.get(pk=webm.pk).status == "completed"
    assert Composition.objects.get(pk=foreign.pk).status == "completed"
    assert not get_media_store().exists(mp4.media_key)


def test_purge_removes_deleted_compositions_after_their_retention(account, composed, settings):
    mp4, webm = composed
    services.composition_delete(composition=mp4, actor=SYSTEM)
    Composition.objects.filter(pk=mp4.pk).update(media_key="")
    later = timezone.now() + timedelta(days=settings.COMPOSITION_RETENTION_DAYS, seconds=1)

    assert retention.recordings_purge(now=later) == 1

    assert list(Composition.objects.values_list("pk", flat=True)) == [webm.pk]


def test_drift_sees_a_composition_file_missing(account, composed):
    mp4, _ = composed
    get_media_store().delete(mp4.media_key, account_sid=account.sid)

    report = drift.media_drift_report(account=account)

    assert report["missing_media_sample"] == [mp4.media_key]
    assert report["orphaned_media_count"] == 0


def test_dashboard_totals_count_compositions(account, composed):
    totals = stats.kind_totals(account=account)["composition"]

    assert totals.counts["completed"] == 2
    assert totals.storage_bytes == sum(c.size for c in composed)
