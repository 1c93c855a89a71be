"""The one soft delete, single and bulk, of every kind: attacker first, then the audit trail."""

import pytest
from django.urls import reverse

from console.models import AuditEvent
from console.selectors import audit_events
from console.services import SYSTEM, Actor
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle import bulk
from recordings.lifecycle.deletion import soft_delete
from recordings.lifecycle.exceptions import RecordingNotDeletable, RecordingStillProcessing
from recordings.lifecycle.models import BulkDeletion
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.kind import VIDEO
from recordings.video.models import Recording
from recordings.voice import services as voice_services
from recordings.voice.kind import VOICE
from recordings.voice.models import VoiceRecording
from tests.factories import RecordingFactory, TrackFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="user:admin@example.com", source_ip="127.0.0.1")


def _video(account, n=1, status=RecordingStatus.COMPLETED) -> list[Recording]:
    track = TrackFactory(participant__room__account=account)
    return RecordingFactory.create_batch(n, track=track, status=status)


def _voice(account) -> VoiceRecording:
    _, recording = simulate_call(account=account, seconds=1)
    return recording


def _status(recording) -> str:
    return type(recording).objects.values_list("status", flat=True).get(pk=recording.pk)


def _run(job: BulkDeletion) -> None:
    while bulk.bulk_deletion_run_chunk(bulk_id=job.pk):
        pass


# Attacker first --------------------------------------------------------------------------------


def test_a_foreign_sid_is_never_deleted_by_a_single_delete(account, other_account):
    (theirs,) = _video(other_account)
    their_voice = _voice(other_account)
    assert soft_delete(VIDEO, account=account, sids=[theirs.sid], actor=ACTOR) == []
    assert soft_delete(VOICE, account=account, sids=[their_voice.sid], actor=ACTOR) == []
    assert _status(theirs) == "completed" and _status(their_voice) == "completed"
    assert not AuditEvent.objects.exists()


def test_a_sid_of_another_kind_is_never_deleted(account):
    (video,) = _video(account)
    voice = _voice(account)
    assert soft_delete(VOICE, account=account, sids=[video.sid], actor=ACTOR) == []
    assert soft_delete(VIDEO, account=account, sids=[voice.sid], actor=ACTOR) == []
    assert _status(video) == "completed" and _status(voice) == "completed"


@pytest.mark.parametrize("product", ["video", "voice"])
def test_foreign_sids_in_a_bulk_selection_are_never_deleted(
    account, other_account, product, django_capture_on_commit_callbacks
):
    make = (lambda a: _video(a)[0]) if product == "video" else _voice
    mine, theirs = make(account), make(other_account)
    with django_capture_on_commit_callbacks(execute=False):
        job = bulk.bulk_deletion_create(
            account=account, actor=ACTOR, query=None, sids=[mine.sid, theirs.sid], product=product
        )
    assert job.total == 1
    _run(job)
    assert (_status(mine), _status(theirs)) == ("deleted", "completed")
    # A selection of nothing but foreign SIDs creates no job at all.
    with pytest.raises(bulk.InvalidBulkSelection):
        bulk.bulk_deletion_create(
            account=account, actor=ACTOR, query=None, sids=[theirs.sid], product=product
        )


def test_a_viewer_deletes_nothing_single_or_bulk(account, console_client):
    (recording,) = _video(account)
    voice = _voice(account)
    viewer = console_client("viewer")
    responses = [
        viewer.post(reverse("recordings:delete", args=[recording.sid]), {"confirm": "on"}),
        viewer.post(reverse("voice:delete", args=[voice.sid]), {"confirm": "on"}),
        viewer.post(reverse("bulk:select"), {"sid": [recording.sid]}),
        viewer.post(reverse("bulk:create"), {"sid": [recording.sid], "confirm": "on"}),
        viewer.post(
            reverse("bulk:create"), {"product": "voice", "sid": [voice.sid], "confirm": "on"}
        ),
    ]
    assert [r.status_code for r in responses] == [403] * 5
    assert _status(recording) == "completed" and _status(voice) == "completed"
    assert not BulkDeletion.objects.exists()


# Statuses --------------------------------------------------------------------------------------


def test_statuses_not_deletable_are_refused_for_both_kinds(account):
    (processing,) = _video(account, status=RecordingStatus.PROCESSING)
    with pytest.raises(RecordingStillProcessing):
        services.recording_delete(recording=processing, actor=ACTOR)
    absent = _voice(account)
    VoiceRecording.objects.filter(pk=absent.pk).update(status="absent")
    with pytest.raises(RecordingNotDeletable):
        voice_services.voice_recording_delete(recording=absent, actor=ACTOR)
    assert _status(processing) == "processing" and _status(absent) == "absent"
    assert not AuditEvent.objects.exists()


def test_a_bulk_chunk_skips_what_its_kind_may_not_delete(
    account, django_capture_on_commit_callbacks
):
    done = _video(account, 2)
    (processing,) = _video(account, status=RecordingStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=False):
        job = bulk.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)
    _run(job)
    job.refresh_from_db()
    assert (job.done, job.skipped) == (2, 1)
    assert [_status(r) for r in done] == ["deleted", "deleted"]
    assert _status(processing) == "processing"


# One delete, one audit trail -------------------------------------------------------------------


def test_a_single_delete_writes_one_audit_row_and_queues_its_media(
    account, make_completed_recording, django_capture_on_commit_callbacks
):
    recording = make_completed_recording()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert services.recording_delete(recording=recording, actor=ACTOR)
    assert len(queued) == 1
    event = AuditEvent.objects.get()
    assert (event.action, event.object_sid) == ("recording.delete", recording.sid)
    recording.refresh_from_db()
    assert recording.status == "deleted" and recording.date_deleted is not None
    # Deleting again is idempotent: nothing more is written.
    assert not services.recording_delete(recording=recording, actor=ACTOR)
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize("product", ["video", "voice"])
def test_every_sid_a_two_chunk_job_deletes_is_in_the_audit_log(
    account, other_account, settings, product, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK = 2
    rows = _video(account, 3) if product == "video" else [_voice(account) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False):
        job = bulk.bulk_deletion_create(
            account=account, actor=SYSTEM, query="", sids=None, product=product
        )
    _run(job)
    job.refresh_from_db()
    assert (job.chunks, job.done) == (2, 3)
    assert AuditEvent.objects.filter(action="recordings.bulk_delete_chunk").count() == 2
    for recording in rows:
        assert _status(recording) == "deleted"
        (event,) = audit_events(account=account, object_sid=recording.sid)
        assert event.action == "recordings.bulk_delete_chunk"
        assert f"bulk deletion {job.pk}" in event.object_repr
    # The trail is the account's own: another account's log finds none of it.
    assert not audit_events(account=other_account, object_sid=rows[0].sid).exists()


def test_the_audit_log_page_finds_a_bulk_chunk_by_any_sid_and_lists_its_sids(
    account, console_client
):
    rows = _video(account, 3)
    job = bulk.bulk_deletion_create(
        account=account, actor=SYSTEM, query="", sids=None, product="video"
    )
    _run(job)
    page = console_client("admin").get(reverse("team:audit"), {"object_sid": rows[1].sid})
    content = page.content.decode()
    assert "recordings.bulk_delete_chunk" in content
    assert all(recording.sid in content for recording in rows)
