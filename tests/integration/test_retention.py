"""On PostgreSQL: two purge runs never overlap (advisory lock), the batch select is answered
through the partial index ``rec_deleted_purge``, and a batch is one statement that takes with it
every row that cascades from its recordings, and nothing else.
"""

import re
import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.models import AuditEvent
from console.services import SYSTEM
from console.sids import new_sid
from recordings.lifecycle import holds, retention
from recordings.lifecycle.kinds import kinds
from recordings.lifecycle.models import CallbackAttempt, CallbackDelivery, TrashedItem
from recordings.lifecycle.retention import PURGE_LOCK_KEY, purge_batch_select, recordings_purge
from recordings.video.choices import RecordingStatus
from recordings.video.kind import VIDEO
from recordings.video.models import Recording
from recordings.voice.models import Transcription, VoiceRecording
from tests.factories import (
    CallbackAttemptFactory,
    RecordingFactory,
    TranscriptionFactory,
    VoiceRecordingFactory,
)

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
        # Statistics from every row, not ANALYZE's default sample of 30,000: from a sample, the
        # 800 deleted rows' dates were sometimes estimated at 2 in the later batch's range, and
        # the planner then sorted them instead of reading the index in order (1 run in 9).
        cursor.execute("SET LOCAL default_statistics_target = 1000")
        cursor.execute(f"ANALYZE {Recording._meta.db_table}")

    cutoff = LATER - timedelta(days=30)
    plan = purge_batch_select(cutoff=cutoff, batch_size=5000, kind=VIDEO).explain()
    assert "rec_deleted_purge" in plan, plan
    assert "Seq Scan" not in plan, plan
    # A later batch starts at the previous one's last row: a range on the index, not a filter.
    after = (cutoff - timedelta(days=5), "RT" + "7" * 32)
    plan = purge_batch_select(cutoff=cutoff, batch_size=5000, after=after, kind=VIDEO).explain()
    assert "rec_deleted_purge" in plan, plan
    assert re.search(r"Index Cond: .*date_deleted >=", plan), plan
    assert "Sort" not in plan, plan


# --- one statement a batch, and all that goes with it ---------------------------------------------

VOICE_LATER = T0 + timedelta(days=41)


def _voice(account=None, *, deleted=T0, media_key="") -> VoiceRecording:
    """A deleted voice recording with a transcription and a callback delivery tried once."""
    extra = {"call__account": account} if account is not None else {}
    recording = VoiceRecordingFactory(
        status="deleted", date_deleted=deleted, media_key=media_key, **extra
    )
    TranscriptionFactory(recording=recording)
    CallbackAttemptFactory(
        delivery__account=recording.account,
        delivery__room=None,
        delivery__recording_sid=recording.sid,
        delivery__url="https://example.com/callbacks",
        delivery__method="POST",
        delivery__params={},
    )
    return recording


def _remains(recording: VoiceRecording) -> dict[str, bool]:
    deliveries = CallbackDelivery.objects.filter(recording_sid=recording.sid)
    return {
        "recording": VoiceRecording.objects.filter(pk=recording.pk).exists(),
        "transcription": Transcription.objects.filter(recording_id=recording.pk).exists(),
        "delivery": deliveries.exists(),
        "attempt": CallbackAttempt.objects.filter(delivery__in=deliveries).exists(),
    }


ALL = dict.fromkeys(["recording", "transcription", "delivery", "attempt"], True)
NONE = dict.fromkeys(ALL, False)


def test_purge_takes_transcriptions_deliveries_and_attempts_and_nothing_else(
    account, other_account, monkeypatch
):
    # No media task to run here.
    monkeypatch.setattr(retention, "enqueue_media_deletion", lambda sids: None)
    mine, theirs = _voice(account), _voice(other_account)
    recent = _voice(account, deleted=VOICE_LATER - timedelta(days=39))
    with_media = _voice(account, media_key=f"{account.sid}/voice/x.wav")
    completed = VoiceRecordingFactory(call__account=account, status="completed")
    TranscriptionFactory(recording=completed)

    assert recordings_purge(now=VOICE_LATER) == 2

    assert _remains(mine) == _remains(theirs) == NONE
    assert _remains(recent) == _remains(with_media) == ALL
    assert Transcription.objects.filter(recording=completed).exists()
    events = AuditEvent.objects.filter(action="recordings.purge")
    assert sorted(events.values_list("account_id", "object_repr")) == sorted(
        (a.sid, "1 deleted voice recording purged after 40 days") for a in (account, other_account)
    )


def test_a_batch_deletes_in_one_statement():
    recordings = _expired(5)
    with CaptureQueriesContext(connection) as queries:
        assert recordings_purge(now=LATER, batch_size=2) == 5
    statements = [q["sql"] for q in queries if "DELETE" in q["sql"] or "FOR UPDATE" in q["sql"]]
    # Batches of 2, 2 and 1, then for every kind the batch that finds nothing: each one statement.
    assert len(statements) == 3 + len(list(kinds())), statements
    assert all(s.startswith("WITH purged AS (DELETE") for s in statements), statements
    assert not Recording.objects.filter(pk__in=[r.pk for r in recordings]).exists()


def test_the_one_statement_purge_keeps_what_a_hold_covers_and_what_a_trash_holds(account):
    """The batch select with its exclusions is still one statement, and leaves held and trashed
    recordings of every kind; released, the held one goes with the next run."""
    held, free, trashed = _expired(3)
    voice_held = _voice(account)
    hold = holds.legal_hold_create(
        account=held.account, actor=SYSTEM, name="Case 1", scope="room", value=held.room_id
    )
    holds.legal_hold_create(
        account=account, actor=SYSTEM, name="Case 2", scope="call", value=voice_held.call_id
    )
    TrashedItem.objects.create(
        sid=trashed.sid,
        account=trashed.account,
        kind="video",
        previous_status="completed",
        date_trashed=T0,
        date_expires=LATER + timedelta(days=1),
    )
    assert free.room_id != held.room_id != trashed.room_id

    with CaptureQueriesContext(connection) as queries:
        assert recordings_purge(now=VOICE_LATER) == 1
    assert any(q["sql"].startswith("WITH purged AS (DELETE") for q in queries)
    assert set(Recording.objects.values_list("sid", flat=True)) == {held.sid, trashed.sid}
    assert _remains(voice_held) == ALL

    holds.legal_hold_release(account=held.account, actor=SYSTEM, hold=hold)
    assert recordings_purge(now=VOICE_LATER) == 1
    assert set(Recording.objects.values_list("sid", flat=True)) == {trashed.sid}


@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_audit_each_recording_once(monkeypatch):
    """Even without the advisory lock, a batch another purge holds is skipped, not audited twice:
    the audit counts what each purge's own DELETE returned."""
    recordings = _expired(10)
    monkeypatch.setattr(retention, "_uses_advisory_lock", lambda: False)
    holding, go = threading.Event(), threading.Event()
    real_audit = retention._audit

    def audit_then_wait(kind, rows):
        real_audit(kind, rows)
        if threading.current_thread() is not threading.main_thread():
            holding.set()
            go.wait(timeout=30)

    monkeypatch.setattr(retention, "_audit", audit_then_wait)

    def first_purge():
        try:
            recordings_purge(now=LATER, batch_size=3)
        finally:
            connection.close()

    first = threading.Thread(target=first_purge)
    first.start()
    try:
        assert holding.wait(timeout=30)
        # The first purge holds its first batch of 3, deleted but not committed.
        second = recordings_purge(now=LATER, batch_size=100)
    finally:
        go.set()
        first.join(timeout=30)
    assert second == 7
    assert not Recording.objects.filter(pk__in=[r.pk for r in recordings]).exists()
    # Each recording has an account of its own: one event each, never two.
    events = AuditEvent.objects.filter(action="recordings.purge")
    assert sorted(events.values_list("account_id", flat=True)) == sorted(
        r.account_id for r in recordings
    )
    assert set(events.values_list("object_repr", flat=True)) == {
        "1 deleted recording purged after 30 days"
    }
