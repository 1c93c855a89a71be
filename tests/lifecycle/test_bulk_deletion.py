"""Bulk deletion: select → confirm → a job deleting in chunks; progress, audit, media removal.

Celery runs eagerly here, and ``django_capture_on_commit_callbacks(execute=True)`` stands in for
the commit of the request, so a whole job runs inside the create request. Tests that drive the
chunks one by one create the job without executing its queued task and call the service.
"""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from console.latency import Recorder
from console.models import AuditEvent
from console.services import Actor
from recordings.lifecycle import bulk, tasks
from recordings.lifecycle.models import BulkDeletion
from recordings.lifecycle.watchdog import jobs_restart_stalled
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.factories import (
    RecordingFactory,
    TrackFactory,
    VoiceRecordingFactory,
    completed_recordings_create,
)
from tests.helpers import form_data

ACTOR = Actor(name="user:admin@example.com")


def _recordings(account, n: int, *, status=RecordingStatus.COMPLETED, kind="audio", **kwargs):
    """Build ``n`` recordings of one track of ``account`` (a track per call keeps it quick)."""
    track = TrackFactory(participant__room__account=account, kind=kind)
    return RecordingFactory.create_batch(n, track=track, status=status, **kwargs)


def _status(recordings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for recording in Recording.objects.filter(sid__in=[r.sid for r in recordings]):
        counts[recording.status] = counts.get(recording.status, 0) + 1
    return counts


def _confirm_form(response) -> dict[str, list[str]]:
    return form_data(response.content.decode(), reverse("bulk:create"))


def _shown_count(response) -> int:
    return int(re.search(r"This deletes <strong>(\d+)</strong>", response.content.decode())[1])


def _select_and_confirm(client, capture, data: dict):
    """Post a selection, then post the confirmation page's own form; return both responses."""
    confirm_page = client.post(reverse("bulk:select"), data)
    assert confirm_page.status_code == 200
    with capture(execute=True):
        created = client.post(reverse("bulk:create"), _confirm_form(confirm_page))
    return confirm_page, created


def _only_job():
    (job,) = BulkDeletion.objects.all()
    return job


# Selecting and deleting ------------------------------------------------------------------------


def test_explicit_selection_deletes_exactly_the_checked_rows(
    account, console_client, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 6)
    client = console_client("admin")

    confirm_page, created = _select_and_confirm(
        client, django_capture_on_commit_callbacks, {"sid": [r.sid for r in rows[:4]]}
    )

    assert _shown_count(confirm_page) == 4
    assert created.status_code == 302
    assert _status(rows[:4]) == {RecordingStatus.DELETED: 4}
    assert _status(rows[4:]) == {RecordingStatus.COMPLETED: 2}
    job = _only_job()
    assert (job.status, job.total, job.done, job.skipped, job.failed) == ("done", 4, 4, 0, 0)
    assert all(r.date_deleted for r in Recording.objects.filter(status=RecordingStatus.DELETED))


def test_all_matching_a_filter_deletes_what_the_confirmation_counted(
    account, console_client, django_capture_on_commit_callbacks
):
    audio = _recordings(account, 25)
    video = _recordings(account, 5, kind="video")
    client = console_client("admin")

    confirm_page, _ = _select_and_confirm(
        client,
        django_capture_on_commit_callbacks,
        {"all": "1", "query": "type=audio&page_size=25", "sid": [video[0].sid]},
    )

    shown = _shown_count(confirm_page)
    assert shown == 25
    # The sample is the first 20 rows, newest first.
    page = confirm_page.content.decode()
    newest_first = sorted(audio, key=lambda r: (r.date_created, r.sid), reverse=True)
    assert all(r.sid in page for r in newest_first[:20])
    assert not any(r.sid in page for r in newest_first[20:])
    assert _status(audio) == {RecordingStatus.DELETED: shown}
    assert _status(video) == {RecordingStatus.COMPLETED: 5}
    assert _only_job().done == shown


def test_a_filter_on_a_room_name_and_a_recording_sid_narrows_the_deletion(
    account, console_client, django_capture_on_commit_callbacks
):
    kept = _recordings(account, 3)
    target = _recordings(account, 3)
    room_name = target[0].room.unique_name
    client = console_client("admin")

    confirm_page, _ = _select_and_confirm(
        client,
        django_capture_on_commit_callbacks,
        {"all": "1", "query": f"room={room_name}&sid={target[1].sid}"},
    )

    assert _shown_count(confirm_page) == 1
    assert _status([target[1]]) == {RecordingStatus.DELETED: 1}
    assert _status([*kept, target[0], target[2]]) == {RecordingStatus.COMPLETED: 5}


def test_select_all_from_the_logs_page_counts_what_the_logs_page_matches(
    account, console_client, django_capture_on_commit_callbacks
):
    audio = _recordings(account, 12)
    _recordings(account, 4, kind="video")
    client = console_client("admin")
    logs = client.get(reverse("recordings:list"), {"type": "audio", "page_size": "25"})
    matches = re.search(r"(\d+) recordings match", logs.content.decode())

    # The Logs page's own "select all matching this filter" form, posted as a browser would.
    selection = form_data(logs.content.decode(), reverse("bulk:select"), form_id="bulk-all")
    confirm_page = client.post(reverse("bulk:select"), selection)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bulk:create"), _confirm_form(confirm_page))

    assert int(matches[1]) == _shown_count(confirm_page) == 12
    assert _status(audio) == {RecordingStatus.DELETED: 12}
    assert Recording.objects.exclude(status=RecordingStatus.DELETED).count() == 4


def test_a_recording_sid_filter_matches_in_either_case(
    account, console_client, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 2)
    shouted = rows[0].sid[:2] + rows[0].sid[2:].upper()

    confirm_page, _ = _select_and_confirm(
        console_client("admin"),
        django_capture_on_commit_callbacks,
        {"all": "1", "query": f"sid={shouted}"},
    )

    assert _shown_count(confirm_page) == 1
    assert _status(rows) == {RecordingStatus.DELETED: 1, RecordingStatus.COMPLETED: 1}


def test_an_invalid_filter_is_refused_and_never_widens_to_everything(
    account, console_client, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 3)
    client = console_client("admin")
    data = {"all": "1", "query": "date_from=not-a-date", "confirm": "True"}

    selected = client.post(reverse("bulk:select"), data, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(reverse("bulk:create"), data, follow=True)

    assert "The filter is not valid" in selected.content.decode()
    assert "The filter is not valid" in created.content.decode()
    assert not BulkDeletion.objects.exists()
    assert _status(rows) == {RecordingStatus.COMPLETED: 3}


def test_nothing_selected_is_refused_with_a_message(account, console_client):
    client = console_client("admin")

    response = client.post(reverse("bulk:select"), {}, follow=True)

    assert "Select at least one recording" in response.content.decode()
    assert not BulkDeletion.objects.exists()


def test_processing_recordings_are_skipped_and_counted_never_deleted(
    account, console_client, django_capture_on_commit_callbacks
):
    done = _recordings(account, 4)
    failed = _recordings(account, 2, status=RecordingStatus.FAILED)
    processing = _recordings(account, 3, status=RecordingStatus.PROCESSING)
    client = console_client("admin")

    _, created = _select_and_confirm(
        client, django_capture_on_commit_callbacks, {"all": "1", "query": ""}
    )

    job = _only_job()
    assert (job.total, job.done, job.skipped, job.failed, job.percent) == (9, 6, 3, 0, 100)
    assert _status(done + failed) == {RecordingStatus.DELETED: 6}
    assert _status(processing) == {RecordingStatus.PROCESSING: 3}
    assert Recording.objects.filter(date_deleted__isnull=False).count() == 6
    progress = client.get(created["Location"]).content.decode()
    assert "3 skipped because still processing" in progress


def test_already_deleted_rows_do_not_count_as_done_twice(
    account, console_client, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 5)
    with django_capture_on_commit_callbacks(execute=True):
        for row in rows[:2]:
            services.recording_delete(recording=row, actor=ACTOR)
    client = console_client("admin")

    # "Any, deleted too": the deleted rows match and are passed over, not counted as done.
    confirm_page, _ = _select_and_confirm(
        client, django_capture_on_commit_callbacks, {"all": "1", "query": "status=all"}
    )

    job = _only_job()
    assert _shown_count(confirm_page) == 5
    assert (job.total, job.processed, job.done, job.percent) == (5, 5, 3, 100)
    assert services.bulk_deletion_run_chunk(bulk_id=job.pk) is False
    job.refresh_from_db()
    assert (job.processed, job.done) == (5, 3)
    # The same rows selected again: nothing left to delete, so no job.
    refused = client.post(
        reverse("bulk:create"), {"sid": [r.sid for r in rows], "confirm": "True"}, follow=True
    )
    assert "No recording that can be deleted matches" in refused.content.decode()
    assert BulkDeletion.objects.count() == 1


def test_recordings_arriving_after_the_job_was_created_are_not_deleted(
    account, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 3)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)
    later = _recordings(account, 1, date_created=timezone.now() + timedelta(seconds=5))

    while services.bulk_deletion_run_chunk(bulk_id=job.pk):
        pass

    assert _status(rows) == {RecordingStatus.DELETED: 3}
    assert _status(later) == {RecordingStatus.COMPLETED: 1}


# Chunks, cursor, resumability -----------------------------------------------------------------


def test_chunks_advance_the_cursor_and_add_up(
    account, settings, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK = 7
    rows = _recordings(account, 50)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)
    assert len(queued) == 1 and job.total == 50 and job.status == "queued"

    order = sorted(rows, key=lambda r: (r.date_created, r.sid), reverse=True)
    results = []
    for n in range(1, 9):
        results.append(services.bulk_deletion_run_chunk(bulk_id=job.pk))
        job.refresh_from_db()
        last = order[min(7 * n, 50) - 1]
        assert (job.cursor_date_created, job.cursor_sid) == (last.date_created, last.sid)
        assert (job.chunks, job.processed, job.done) == (n, min(7 * n, 50), min(7 * n, 50))
        assert _status(order[min(7 * n, 50) :]) in ({RecordingStatus.COMPLETED: 50 - 7 * n}, {})
    assert results == [True] * 7 + [False]
    assert (job.status, job.percent, job.date_finished is not None) == ("done", 100, True)
    assert services.bulk_deletion_run_chunk(bulk_id=job.pk) is False


def test_a_chunk_costs_the_same_few_queries_whatever_its_size(
    account, settings, django_capture_on_commit_callbacks
):
    # The job's row, the chunk's one locked read, the account's active legal holds (none), its
    # audit row, its UPDATE, the job's progress: recordings are read once, never again one by one
    # or to lock them a second time.
    settings.BULK_DELETE_CHUNK = 40
    _recordings(account, 30, media_key="stored.mka")
    _recordings(account, 5, status=RecordingStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)

    with (
        django_capture_on_commit_callbacks(execute=False) as queued,
        CaptureQueriesContext(connection) as captured,
    ):
        assert services.bulk_deletion_run_chunk(bulk_id=job.pk) is False
    # The chunk's own transaction is a savepoint inside the test's.
    statements = [q["sql"].split()[0] for q in captured if "SAVEPOINT" not in q["sql"]]
    assert statements == ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE", "UPDATE"]

    job.refresh_from_db()
    assert (job.done, job.skipped, job.processed) == (30, 5, 35)
    assert len(queued) == 1  # one media task for the whole chunk


def test_the_task_runs_every_chunk_through_the_pages(
    account, console_client, settings, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK = 7
    rows = _recordings(account, 50)

    _select_and_confirm(
        console_client("owner"), django_capture_on_commit_callbacks, {"all": "1", "query": ""}
    )

    job = _only_job()
    assert (job.chunks, job.done, job.status) == (8, 50, "done")
    assert _status(rows) == {RecordingStatus.DELETED: 50}


def test_a_chunk_that_crashes_rolls_back_and_a_rerun_deletes_each_recording_once(
    account, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK = 7
    rows = _recordings(account, 20)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)
    assert services.bulk_deletion_run_chunk(bulk_id=job.pk) is True
    job.refresh_from_db()
    before = (job.processed, job.done, job.chunks, job.cursor_date_created, job.cursor_sid)

    # The worker "dies" after the chunk's UPDATE, before its progress is saved.
    real_save = BulkDeletion.save

    def crash_once(self, *args, **kwargs):
        monkeypatch.setattr(BulkDeletion, "save", real_save)
        raise RuntimeError("worker lost")

    monkeypatch.setattr(BulkDeletion, "save", crash_once)
    with pytest.raises(RuntimeError):
        services.bulk_deletion_run_chunk(bulk_id=job.pk)

    job.refresh_from_db()
    assert (job.processed, job.done, job.chunks, job.cursor_date_created, job.cursor_sid) == before
    assert _status(rows) == {RecordingStatus.DELETED: 7, RecordingStatus.COMPLETED: 13}
    assert AuditEvent.objects.filter(action="recordings.bulk_delete_chunk").count() == 1

    while services.bulk_deletion_run_chunk(bulk_id=job.pk):
        pass
    job.refresh_from_db()
    assert (job.total, job.processed, job.done, job.chunks) == (20, 20, 20, 3)
    assert _status(rows) == {RecordingStatus.DELETED: 20}
    chunk_events = AuditEvent.objects.filter(action="recordings.bulk_delete_chunk")
    deleted_per_chunk = [int(re.search(r"deleting (\d+)", e.object_repr)[1]) for e in chunk_events]
    assert sorted(deleted_per_chunk) == [6, 7, 7]


def test_a_chunk_that_keeps_failing_marks_the_job_failed(
    account, console_client, monkeypatch, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 3)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)

    def broken(**kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(bulk, "bulk_deletion_run_chunk", broken)
    # As a worker runs it: the failure is recorded, not raised into the caller.
    result = tasks.run_bulk_deletion.apply(args=[job.pk], throw=False)

    assert result.failed()

    job.refresh_from_db()
    assert (job.status, job.error, job.date_finished is not None) == (
        "failed",
        "ValueError: a bug",
        True,
    )
    assert AuditEvent.objects.filter(action="recordings.bulk_delete_failed").count() == 1
    assert _status(rows) == {RecordingStatus.COMPLETED: 3}
    page = console_client("viewer").get(reverse("bulk:progress", args=[job.pk])).content.decode()
    assert "stopped: ValueError: a bug" in page and 'http-equiv="refresh"' not in page


# Audit and media -------------------------------------------------------------------------------


def test_the_job_and_each_chunk_are_audited_not_each_row(
    account, console_client, settings, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK = 7
    _recordings(account, 20)

    _select_and_confirm(
        console_client("admin"), django_capture_on_commit_callbacks, {"all": "1", "query": ""}
    )

    created = AuditEvent.objects.get(action="recordings.bulk_delete")
    assert (created.account, created.actor, created.source_ip) == (
        account,
        "user:admin@example.com",
        "127.0.0.1",
    )
    assert created.actor_user.username == "admin@example.com"
    assert "20 recordings" in created.object_repr
    chunks = AuditEvent.objects.filter(action="recordings.bulk_delete_chunk")
    assert chunks.count() == 3
    assert {e.actor for e in chunks} == {"user:admin@example.com"}
    assert not AuditEvent.objects.filter(action="recording.delete").exists()


def test_media_of_deleted_recordings_is_removed(
    account, console_client, make_completed_recording, django_capture_on_commit_callbacks
):
    rows = [make_completed_recording() for _ in range(3)]
    keys = [r.media_key for r in rows]
    store = get_media_store()
    assert all(store.exists(key) for key in keys)

    _select_and_confirm(
        console_client("admin"), django_capture_on_commit_callbacks, {"sid": [r.sid for r in rows]}
    )

    assert not any(store.exists(key) for key in keys)
    assert set(
        Recording.objects.filter(sid__in=[r.sid for r in rows]).values_list("media_key", flat=True)
    ) == {""}


# Pages: roles, isolation, PRG, progress -------------------------------------------------------


@pytest.mark.parametrize("name", ["bulk:select", "bulk:create", "bulk:list"])
def test_anonymous_is_sent_to_sign_in(client, name):
    response = client.post(reverse(name)) if name != "bulk:list" else client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_progress_is_sent_to_sign_in(client, account, django_capture_on_commit_callbacks):
    _recordings(account, 1)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)

    response = client.get(reverse("bulk:progress", args=[job.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_roles_without_delete_are_refused_and_nothing_is_deleted(
    account, console_client, role, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 3)
    client = console_client(role)
    sids = [r.sid for r in rows]

    selected = client.post(reverse("bulk:select"), {"sid": sids})
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(reverse("bulk:create"), {"sid": sids, "confirm": "True"})
        created_all = client.post(
            reverse("bulk:create"), {"all": "1", "query": "", "confirm": "True"}
        )

    assert (selected.status_code, created.status_code, created_all.status_code) == (403, 403, 403)
    assert not BulkDeletion.objects.exists()
    assert _status(rows) == {RecordingStatus.COMPLETED: 3}


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_admins_and_owners_may_bulk_delete(
    account, console_client, role, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 3)

    _, created = _select_and_confirm(
        console_client(role), django_capture_on_commit_callbacks, {"sid": [r.sid for r in rows]}
    )

    assert created.status_code == 302
    assert _status(rows) == {RecordingStatus.DELETED: 3}


@pytest.mark.parametrize("role", ["viewer", "member", "admin", "owner"])
def test_every_role_sees_progress_and_the_list(
    account, console_client, role, django_capture_on_commit_callbacks
):
    _recordings(account, 2)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)
    client = console_client(role)

    progress = client.get(reverse("bulk:progress", args=[job.pk]))
    listing = client.get(reverse("bulk:list"))

    assert (progress.status_code, listing.status_code) == (200, 200)
    assert reverse("bulk:progress", args=[job.pk]) in listing.content.decode()


def test_select_is_post_only(account, console_client):
    response = console_client("admin").get(reverse("bulk:select"))

    assert response.status_code == 405


def test_create_without_confirmation_deletes_nothing(
    account, console_client, django_capture_on_commit_callbacks
):
    rows = _recordings(account, 3)

    with django_capture_on_commit_callbacks(execute=True):
        response = console_client("admin").post(
            reverse("bulk:create"), {"sid": [r.sid for r in rows]}
        )

    assert response.status_code == 400
    assert "Confirm the deletion" in response.content.decode()
    assert not BulkDeletion.objects.exists()
    assert _status(rows) == {RecordingStatus.COMPLETED: 3}


def test_another_accounts_sids_in_a_selection_are_ignored(
    account, other_account, console_client, django_capture_on_commit_callbacks
):
    mine = _recordings(account, 2)
    theirs = _recordings(other_account, 3)
    client = console_client("admin")

    only_theirs = client.post(reverse("bulk:select"), {"sid": [r.sid for r in theirs]})
    refused = client.post(
        reverse("bulk:create"), {"sid": [r.sid for r in theirs], "confirm": "True"}, follow=True
    )
    confirm_page, _ = _select_and_confirm(
        client, django_capture_on_commit_callbacks, {"sid": [r.sid for r in mine + theirs]}
    )

    assert "Nothing to delete" in only_theirs.content.decode()
    assert not any(r.sid in only_theirs.content.decode() for r in theirs)
    assert "No recording that can be deleted matches" in refused.content.decode()
    assert _shown_count(confirm_page) == 2
    assert _status(mine) == {RecordingStatus.DELETED: 2}
    assert _status(theirs) == {RecordingStatus.COMPLETED: 3}
    assert _only_job().total == 2


def test_all_matching_never_reaches_another_account(
    account, other_account, console_client, django_capture_on_commit_callbacks
):
    mine = _recordings(account, 2)
    theirs = _recordings(other_account, 3)

    _select_and_confirm(
        console_client("admin"), django_capture_on_commit_callbacks, {"all": "1", "query": ""}
    )

    assert _status(mine) == {RecordingStatus.DELETED: 2}
    assert _status(theirs) == {RecordingStatus.COMPLETED: 3}


def test_another_accounts_job_is_not_found(
    account, other_account, console_client, django_capture_on_commit_callbacks
):
    _recordings(other_account, 2)
    with django_capture_on_commit_callbacks(execute=True):
        theirs = services.bulk_deletion_create(
            account=other_account, actor=ACTOR, query="", sids=None
        )
    client = console_client("owner")

    response = client.get(reverse("bulk:progress", args=[theirs.pk]))
    unknown = client.get(reverse("bulk:progress", args=[theirs.pk + 1000]))
    listing = client.get(reverse("bulk:list")).content.decode()

    assert (response.status_code, unknown.status_code) == (404, 404)
    assert reverse("bulk:progress", args=[theirs.pk]) not in listing
    assert "No bulk deletions yet" in listing


def test_create_redirects_to_progress_which_reaches_100_percent(
    account, console_client, django_capture_on_commit_callbacks
):
    _recordings(account, 4)
    client = console_client("admin")

    _, created = _select_and_confirm(
        client, django_capture_on_commit_callbacks, {"all": "1", "query": ""}
    )

    job = _only_job()
    assert created.status_code == 302
    assert created["Location"] == reverse("bulk:progress", args=[job.pk])
    page = client.get(created["Location"]).content.decode()
    assert "100 %" in page
    assert "— 4 recordings deleted" in page
    assert 'http-equiv="refresh"' not in page


def test_progress_refreshes_itself_while_the_job_runs(
    account, console_client, settings, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK = 2
    _recordings(account, 4)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)
    client = console_client("viewer")

    queued = client.get(reverse("bulk:progress", args=[job.pk])).content.decode()
    services.bulk_deletion_run_chunk(bulk_id=job.pk)
    halfway = client.get(reverse("bulk:progress", args=[job.pk])).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in queued and "0 %" in queued
    assert '<meta http-equiv="refresh" content="2">' in halfway and "50 %" in halfway
    assert "Running" in halfway
    assert "Yielded" not in halfway
    bulk.bulk_deletion_paused(bulk_id=job.pk, seconds=1.5)
    yielded = client.get(reverse("bulk:progress", args=[job.pk])).content.decode()
    assert "paused 1.5 s between chunks while the API was slow" in yielded


def test_the_list_page_costs_the_same_queries_at_any_length(
    account, console_client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    _recordings(account, 1)
    client = console_client("viewer")

    def jobs(n):
        with django_capture_on_commit_callbacks(execute=False):
            for _ in range(n):
                services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)

    jobs(1)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("bulk:list"))
    jobs(29)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("bulk:list"))
    assert response.content.decode().count('href="/recordings/bulk/') == 30


def test_confirmation_page_queries_do_not_grow_with_the_selection(
    account, console_client, django_assert_max_num_queries
):
    client = console_client("admin")
    _recordings(account, 3)
    with django_assert_max_num_queries(10) as few:
        client.post(reverse("bulk:select"), {"all": "1", "query": ""})
    _recordings(account, 60)
    with django_assert_max_num_queries(len(few)):
        response = client.post(reverse("bulk:select"), {"all": "1", "query": ""})
    assert _shown_count(response) == 63


# Yielding to the API ---------------------------------------------------------------------------


class FakeClock:
    """The task's clock: each reading is TICK later (a chunk takes that long), a pause passes at
    once; each pause is recorded with whether the task ran eagerly (re-queued) and the time after
    it, and the watchdog looks at the job as the pause ends."""

    TICK = 0.1

    def __init__(self):
        self.now = 0.0
        self.pauses: list[tuple[float, bool, float]] = []
        self.restarted = 0

    def monotonic(self) -> float:
        self.now += self.TICK
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        eager = bool(tasks.run_bulk_deletion.request.is_eager)
        self.pauses.append((seconds, eager, self.now))
        self.restarted += jobs_restart_stalled(now=timezone.now() + timedelta(seconds=seconds))


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(tasks, "clock", fake)
    return fake


def _queued_job(account, capture, n: int) -> BulkDeletion:
    _recordings(account, n)
    with capture(execute=False):  # run below, as a worker would
        return services.bulk_deletion_create(account=account, actor=ACTOR, query="", sids=None)


def _api_p99_is(ms: float) -> None:
    """Publish ``ms`` as a web process would (the p99 of its one request)."""
    recorder = Recorder(pid=1)
    recorder.observe(ms / 1000)
    recorder.publish_if_due(now=time.time())


def test_the_task_pauses_longer_and_longer_while_the_api_is_slow(
    account, settings, clock, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK, settings.BULK_DELETE_API_P99_MS = 5, 250
    job = _queued_job(account, django_capture_on_commit_callbacks, 30)
    _api_p99_is(900)

    tasks.run_bulk_deletion(job.pk)

    # A pause after each chunk but the last, outside its transaction (the chunk has committed:
    # the watchdog below saw its progress).
    assert [round(pause, 3) for pause, _, _ in clock.pauses] == [0.05, 0.1, 0.2, 0.4, 0.8]
    job.refresh_from_db()
    assert (job.status, job.done, job.chunks) == ("done", 30, 6)
    # The job counts what it yielded (its progress page says it).
    assert job.paused_seconds == pytest.approx(1.55)


@pytest.mark.parametrize(("p99", "limit"), [(100, 250), (900, 0)], ids=["quick", "off"])
def test_the_task_never_pauses_while_the_api_is_quick_or_yielding_is_off(
    account, settings, clock, django_capture_on_commit_callbacks, p99, limit
):
    settings.BULK_DELETE_CHUNK, settings.BULK_DELETE_API_P99_MS = 5, limit
    job = _queued_job(account, django_capture_on_commit_callbacks, 30)
    _api_p99_is(p99)

    tasks.run_bulk_deletion(job.pk)

    assert clock.pauses == []
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 30)


def test_a_job_finishes_however_long_the_api_stays_slow_and_is_never_taken_for_stalled(
    account, settings, clock, django_capture_on_commit_callbacks
):
    settings.BULK_DELETE_CHUNK, settings.BULK_DELETE_API_P99_MS = 5, 250
    # A ceiling of 0.5 s per pause, and the task's budget over after a few chunks.
    settings.JOB_STALL_SECONDS, settings.BULK_DELETE_TASK_SECONDS = 5, 2.0
    job = _queued_job(account, django_capture_on_commit_callbacks, 100)
    _api_p99_is(10_000)

    tasks.run_bulk_deletion(job.pk)

    job.refresh_from_db()
    assert (job.status, job.done, job.chunks, job.restarts) == ("done", 100, 20, 0)
    assert clock.restarted == 0
    pauses = [pause for pause, _, _ in clock.pauses]
    assert max(pauses) == 0.5  # the ceiling, under the share a 0.1 s chunk allows (0.9 s)
    # The pauses count toward the task's budget: the first task stops at its deadline (its first
    # reading, plus 2 s) and queues the rest, which runs on (eagerly here) still yielding.
    first = [after for _, eager, after in clock.pauses if not eager]
    assert first and max(first) <= FakeClock.TICK + 2.0 + 1e-9
    assert any(eager for _, eager, _ in clock.pauses)


# Scale -----------------------------------------------------------------------------------------


def test_twenty_thousand_recordings_are_deleted_in_chunks(
    account, django_capture_on_commit_callbacks
):
    track = TrackFactory(participant__room__account=account)
    start = timezone.now() - timedelta(days=30)
    template = RecordingFactory.build(track=track, status=RecordingStatus.COMPLETED)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Recording._meta.concrete_fields
        if f.attname not in ("sid", "date_created", "date_updated")
    }
    Recording.objects.bulk_create(
        [
            Recording(
                **fields,
                date_created=start + timedelta(seconds=i // 3),  # ties: the SID orders them
                date_updated=start,
            )
            for i in range(20_000)
        ],
        batch_size=2000,
    )
    with django_capture_on_commit_callbacks(execute=False):
        job = services.bulk_deletion_create(
            account=account, actor=ACTOR, query="", sids=None, typed_count=20_000
        )

    began = time.perf_counter()
    while services.bulk_deletion_run_chunk(bulk_id=job.pk):
        pass
    seconds = time.perf_counter() - began

    job.refresh_from_db()
    assert (job.total, job.done, job.processed, job.chunks, job.status) == (
        20_000,
        20_000,
        20_000,
        20,
        "done",
    )
    assert not Recording.objects.filter(account=account).exclude(status="deleted").exists()
    print(f"bulk deletion: 20000 rows in {seconds:.2f} s = {20_000 / seconds:,.0f} rows/s")


# Confirming a large deletion by its number -----------------------------------------------------


def test_more_than_a_thousand_are_confirmed_by_typing_their_number(
    account, console_client, django_capture_on_commit_callbacks
):
    completed_recordings_create(account, bulk.CONFIRM_BY_TYPING_ABOVE + 1)
    client = console_client("admin")
    confirm_page = client.post(reverse("bulk:select"), {"all": "1", "query": ""})
    assert "Type 1001 to confirm" in confirm_page.content.decode()
    confirm = _confirm_form(confirm_page)

    for typed, error in (
        ("", "Type 1001, the number of recordings this deletes, to confirm."),
        ("1000", "This deletes 1001 recordings, not 1000: type 1001 to confirm."),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post(reverse("bulk:create"), {**confirm, "count": typed})
        page = again.content.decode()
        assert again.status_code == 400
        assert f'<ul class="errorlist" id="id_count_error"><li>{error}</li></ul>' in page
        assert "Type 1001 to confirm" in page
        assert not BulkDeletion.objects.exists()
        assert not Recording.objects.filter(status=RecordingStatus.DELETED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(reverse("bulk:create"), {**confirm, "count": "1001"})
    assert created.status_code == 302
    assert _only_job().done == 1001
    assert Recording.objects.filter(status=RecordingStatus.DELETED).count() == 1001


def test_a_thousand_or_fewer_need_no_number(account, console_client):
    completed_recordings_create(account, bulk.CONFIRM_BY_TYPING_ABOVE)
    page = console_client("admin").post(reverse("bulk:select"), {"all": "1", "query": ""})
    assert "to confirm" not in page.content.decode()
    assert 'name="count"' not in page.content.decode()


def test_the_service_refuses_a_large_deletion_without_its_number(account):
    completed_recordings_create(account, bulk.CONFIRM_BY_TYPING_ABOVE + 1)
    for typed in (None, 1000, 1002):
        with pytest.raises(bulk.CountNotConfirmed):
            bulk.bulk_deletion_create(
                account=account, actor=ACTOR, query="", sids=None, typed_count=typed
            )
    assert not BulkDeletion.objects.exists()


# The selection in words ------------------------------------------------------------------------


def test_every_bulk_page_says_the_filter_in_words(
    account, console_client, django_capture_on_commit_callbacks
):
    track = TrackFactory(
        participant__room__account=account, participant__room__unique_name="Weekly-sync"
    )
    RecordingFactory(
        track=track,
        status=RecordingStatus.COMPLETED,
        date_created=datetime(2026, 12, 2, tzinfo=UTC),
    )
    query = (
        "room=weekly&type=audio&status=completed&codec=OPUS"
        "&date_from=2026-12-01T00:00&date_to=2026-12-05T09:30&page_size=25"
    )
    said = (
        "Recordings with room name starting with “weekly” (any case), status Completed, "
        "type Audio, codec Opus, created from 1 Dec 2026, created before 5 Dec 2026 09:30"
    )
    client = console_client("admin")
    confirm_page, created = _select_and_confirm(
        client, django_capture_on_commit_callbacks, {"all": "1", "query": query}
    )
    progress = client.get(created["Location"]).content.decode()
    listed = client.get(reverse("bulk:list")).content.decode()

    assert f"Selection: {said}." in confirm_page.content.decode()
    assert f"Deletes {said[0].lower()}{said[1:]}." in progress
    assert f"<dd>{said}</dd>" in progress
    assert f"<td>{said}</td>" in listed
    # The raw query stays in links (Cancel goes back to the filtered Logs), never in the text.
    for page in (confirm_page.content.decode(), progress, listed):
        assert "<code>?" not in page and "room: weekly" not in page
    assert "done — done" not in progress and "— 1 recording deleted." in progress


def test_a_voice_selection_says_its_kind_and_labels(
    account, console_client, django_capture_on_commit_callbacks
):
    VoiceRecordingFactory(account=account, status="completed", source="OutboundAPI")
    client = console_client("admin")
    _, created = _select_and_confirm(
        client,
        django_capture_on_commit_callbacks,
        {"product": "voice", "all": "1", "query": "source=OutboundAPI&status=all"},
    )
    progress = client.get(created["Location"]).content.decode()
    assert (
        "Deletes voice recordings with any status, deleted ones too, source Outbound API."
        in progress
    )
