"""On PostgreSQL: two purge runs never overlap (advisory lock), and the batch select is answered
through the partial index ``rec_deleted_purge``.
"""

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from console.sids import new_sid
from recordings.lifecycle.retention import PURGE_LOCK_KEY, purge_batch_select, recordings_purge
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.factories import RecordingFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=31)


def _other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )


def _expired(count: int) -> list[Recording]:
    return [
        RecordingFactory(status=RecordingStatus.DELETED, date_deleted=T0, media_key="")
        for _ in range(count)
    ]


def test_concurrent_purge_run_returns_0_and_deletes_nothing():
    recordings = _expired(3)
    with _other_connection() as other:
        # Another purge run, as PostgreSQL sees it: a session holding the purge lock.
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [PURGE_LOCK_KEY]).fetchone()[0]
        assert recordings_purge(now=LATER) == 0
        assert Recording.objects.filter(pk__in=[r.pk for r in recordings]).count() == 3
        other.execute("SELECT pg_advisory_unlock(%s)", [PURGE_LOCK_KEY])

        assert recordings_purge(now=LATER) == 3
        assert not Recording.objects.filter(pk__in=[r.pk for r in recordings]).exists()
        # The run released its lock: the next run (here, the other session) gets it.
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [PURGE_LOCK_KEY]).fetchone()[0]
        other.execute("SELECT pg_advisory_unlock(%s)", [PURGE_LOCK_KEY])


def test_purge_releases_its_lock_when_a_batch_fails(monkeypatch):
    _expired(2)

    def fail(*args, **kwargs):  # _purge_batch(kind, *, cutoff, …): one per kind of recording
        raise RuntimeError("boom")

    monkeypatch.setattr("recordings.lifecycle.retention._purge_batch", fail)
    with pytest.raises(RuntimeError):
        recordings_purge(now=LATER)
    with _other_connection() as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [PURGE_LOCK_KEY]).fetchone()[0]
        other.execute("SELECT pg_advisory_unlock(%s)", [PURGE_LOCK_KEY])


ROWS = 40_000


def test_batch_select_uses_the_partial_index():
    """40k recordings, 2% deleted: the batch select walks rec_deleted_purge, not the table."""
    template = RecordingFactory(status=RecordingStatus.COMPLETED)
    rows = []
    for n in range(ROWS):
        deleted = n % 50 == 0
        rows.append(
            Recording(
                sid=new_sid("RT"),
                account_id=template.account_id,
                room_id=template.room_id,
                participant_id=template.participant_id,
                track_id=template.track_id,
                type=template.type,
                codec=template.codec,
                container_format=template.container_format,
                track_name=template.track_name,
                offset=template.offset,
                status=RecordingStatus.DELETED if deleted else RecordingStatus.COMPLETED,
                date_created=T0 - timedelta(days=60) + timedelta(seconds=n),
                date_updated=T0,
                date_deleted=T0 - timedelta(days=n % 40) if deleted else None,
            )
        )
    Recording.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Recording._meta.db_table}")

    cutoff = LATER - timedelta(days=30)
    plan = purge_batch_select(cutoff=cutoff, batch_size=5000, model=Recording).explain()
    assert "rec_deleted_purge" in plan, plan
    assert "Seq Scan" not in plan, plan
    # A later batch starts at the previous one's last row: a range on the index, not a filter.
    after = (cutoff - timedelta(days=5), "RT" + "7" * 32)
    plan = purge_batch_select(
        cutoff=cutoff, batch_size=5000, after=after, model=Recording
    ).explain()
    assert "rec_deleted_purge" in plan, plan
    assert re.search(r"Index Cond: .*date_deleted >=", plan), plan
    assert "Sort" not in plan, plan
