"""Retention policies (issue 19): what a preview counts is what a run deletes, for every kind; the
age boundary; holds, processing recordings and other accounts are left alone; the audit names the
policy; the daily run; and the console pages (roles, CSRF, Save only as previewed).

Celery runs eagerly; ``django_capture_on_commit_callbacks(execute=True)`` stands in for the commit
of ``policy_run``, so its bulk deletion runs to the end inside the block. The attacker's tests
come first."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.test import Client
from django.urls import reverse

from console.celery import app
from console.models import AuditEvent
from console.services import Actor
from recordings.compositions.models import Composition
from recordings.lifecycle import holds, policies
from recordings.lifecycle.models import BulkDeletion, RetentionPolicy
from recordings.video.models import Recording
from recordings.voice.models import VoiceRecording
from tests.factories import (
    CompositionFactory,
    RecordingFactory,
    RoomFactory,
    TrackFactory,
    VoiceRecordingFactory,
)
from tests.helpers import form_data

pytestmark = pytest.mark.django_db

ADMIN = Actor(name="user:admin@example.com")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=200)
_ROOMS = count(1000)


def _video(account, *, room: str = "", kind: str = "audio", when=OLD, **kwargs):
    """A completed recording in a room of its own (named ``standup-<n>`` unless given)."""
    room = room or f"standup-{next(_ROOMS)}"
    track = TrackFactory(
        participant__room=RoomFactory(account=account, unique_name=room), kind=kind
    )
    return RecordingFactory(track=track, status="completed", date_created=when, **kwargs)


def _policy(account, *, product="video", query="room=standup&type=audio", age_days=90, **kw):
    return policies.policy_create(
        account=account,
        actor=ADMIN,
        name=kw.pop("name", "Stand-ups"),
        product=product,
        query=query,
        age_days=age_days,
        **kw,
    )


def _run(policy, capture, now=NOW) -> BulkDeletion | None:
    with capture(execute=True):
        job = policies.policy_run(policy=policy, now=now)
    if job is not None:
        job.refresh_from_db()
    return job


def _status(model, row) -> str:
    return model.objects.get(pk=row.pk).status


def _preview(policy, now=NOW) -> policies.Preview:
    return policies.policy_preview(
        account=policy.account,
        product=policy.product,
        query=policy.query,
        age_days=policy.age_days,
        now=now,
    )


# --- the attacker's tests ------------------------------------------------------------------------


def test_a_policy_never_touches_another_accounts_recordings(
    account, other_account, django_capture_on_commit_callbacks
):
    mine = _video(account)
    theirs = _video(other_account)  # same room name, same age, same kind
    policy = _policy(account)

    assert _preview(policy).count == 1
    job = _run(policy, django_capture_on_commit_callbacks)

    assert (job.total, job.done) == (1, 1)
    assert _status(Recording, mine) == "deleted"
    assert _status(Recording, theirs) == "completed"


def test_another_accounts_policy_is_not_found_in_the_console(console_client, other_account):
    theirs = _policy(other_account)
    client = console_client("owner")

    for name in ("detail", "edit", "run", "delete"):
        assert client.get(reverse(f"policies:{name}", args=[theirs.sid])).status_code == 404
    assert (
        client.post(reverse("policies:run", args=[theirs.sid]), {"confirm": "1"}).status_code == 404
    )
    assert (
        client.post(reverse("policies:delete", args=[theirs.sid]), {"confirm": "1"}).status_code
        == 404
    )
    assert RetentionPolicy.objects.filter(pk=theirs.pk).exists()
    assert not BulkDeletion.objects.exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_see_policies_but_change_nothing(account, console_client, role):
    policy = _policy(account)
    client = console_client(role)

    listed = client.get(reverse("policies:list"))
    assert listed.status_code == 200
    assert "Stand-ups" in listed.content.decode()
    assert reverse("policies:create") not in listed.content.decode()
    shown = client.get(reverse("policies:detail", args=[policy.sid])).content.decode()
    assert reverse("policies:run", args=[policy.sid]) not in shown
    refused = client.get(reverse("policies:create"))
    assert refused.status_code == 403
    assert "needs the Admin role" in refused.content.decode()
    form = {"name": "x", "product": "video", "query": "", "age_days": "1", "save": "1"}
    assert client.post(reverse("policies:create"), form).status_code == 403
    assert (
        client.post(reverse("policies:run", args=[policy.sid]), {"confirm": "1"}).status_code == 403
    )
    assert (
        client.post(reverse("policies:delete", args=[policy.sid]), {"confirm": "1"}).status_code
        == 403
    )
    assert list(RetentionPolicy.objects.all()) == [policy]
    assert not BulkDeletion.objects.exists()


def test_running_a_policy_needs_the_csrf_token(account, console_client):
    policy = _policy(account)
    _video(account)
    admin = console_client("admin")
    client = Client(enforce_csrf_checks=True)
    client.cookies = admin.cookies

    response = client.post(reverse("policies:run", args=[policy.sid]), {"confirm": "1"})

    assert response.status_code == 403
    assert not BulkDeletion.objects.exists()


def test_the_logs_link_shows_only_to_those_who_write_policies(console_client):
    assert (
        "Make a retention policy"
        not in console_client("member").get("/recordings/").content.decode()
    )
    page = console_client("admin").get("/recordings/?room=standup&type=audio").content.decode()
    assert "/retention/new/?product=video&amp;query=room%3Dstandup%26type%3Daudio" in page


# --- preview == run, for every kind --------------------------------------------------------------


def test_a_video_policy_deletes_what_its_preview_counted(
    account, django_capture_on_commit_callbacks
):
    matching = [_video(account, room=f"standup-{i}") for i in range(3)]
    other_room = _video(account, room="weekly-1")
    video_track = _video(account, kind="video")
    too_young = _video(account, when=NOW - timedelta(days=10))
    policy = _policy(account)

    preview = _preview(policy)
    job = _run(policy, django_capture_on_commit_callbacks)

    assert preview.count == 3
    assert {r.sid for r in preview.sample} == {r.sid for r in matching}
    assert preview.cutoff == NOW - timedelta(days=90)
    assert (job.status, job.total, job.done, job.held) == ("done", preview.count, preview.count, 0)
    assert job.policy_sid == policy.sid and job.created_until == preview.cutoff
    assert all(_status(Recording, r) == "deleted" for r in matching)
    assert all(_status(Recording, r) == "completed" for r in (other_room, video_track, too_young))


def test_a_voice_policy_deletes_what_its_preview_counted(
    account, other_account, django_capture_on_commit_callbacks
):
    old = VoiceRecordingFactory.create_batch(
        2, call__account=account, status="completed", date_created=OLD
    )
    young = VoiceRecordingFactory(call__account=account, status="completed", date_created=NOW)
    theirs = VoiceRecordingFactory(
        call__account=other_account, status="completed", date_created=OLD
    )
    policy = _policy(account, product="voice", query="", age_days=400 - 230)

    preview = _preview(policy)
    job = _run(policy, django_capture_on_commit_callbacks)

    assert preview.count == job.done == job.total == 2
    assert all(_status(VoiceRecording, r) == "deleted" for r in old)
    assert _status(VoiceRecording, young) == _status(VoiceRecording, theirs) == "completed"


def test_a_composition_policy_deletes_what_its_preview_counted(
    account, django_capture_on_commit_callbacks
):
    mp4 = CompositionFactory(
        room__account=account, status="completed", format="mp4", date_created=OLD
    )
    webm = CompositionFactory(
        room__account=account, status="completed", format="webm", date_created=OLD
    )
    policy = _policy(account, product="composition", query="format=mp4")

    preview = _preview(policy)
    job = _run(policy, django_capture_on_commit_callbacks)

    assert preview.count == job.done == 1
    assert _status(Composition, mp4) == "deleted"
    assert _status(Composition, webm) == "completed"


def test_a_recording_created_exactly_at_the_cutoff_is_deleted_a_second_later_is_not(
    account, django_capture_on_commit_callbacks
):
    cutoff = NOW - timedelta(days=90)
    at_cutoff = _video(account, when=cutoff)
    after = _video(account, when=cutoff + timedelta(seconds=1))
    policy = _policy(account)

    assert [r.sid for r in _preview(policy).sample] == [at_cutoff.sid]
    job = _run(policy, django_capture_on_commit_callbacks)

    assert job.done == 1
    assert _status(Recording, at_cutoff) == "deleted"
    assert _status(Recording, after) == "completed"


# --- what a policy leaves ------------------------------------------------------------------------


def test_a_held_recording_survives_and_goes_in_the_next_run_after_release(
    account, django_capture_on_commit_callbacks
):
    free = _video(account, room="standup-a")
    held = _video(account, room="standup-b")
    hold = holds.legal_hold_create(
        account=account, actor=ADMIN, name="Litigation", scope="room", value=held.room_id
    )
    policy = _policy(account)

    assert _preview(policy).count == 1
    first = _run(policy, django_capture_on_commit_callbacks)

    assert (first.total, first.done, first.held) == (1, 1, 1)
    assert _status(Recording, free) == "deleted"
    assert _status(Recording, held) == "completed"

    holds.legal_hold_release(account=account, actor=ADMIN, hold=hold)
    assert _preview(policy).count == 1
    second = _run(policy, django_capture_on_commit_callbacks)

    assert (second.total, second.done, second.held) == (1, 1, 0)
    assert _status(Recording, held) == "deleted"


def test_a_processing_recording_is_never_deleted(account, django_capture_on_commit_callbacks):
    done = _video(account)
    processing = _video(account, room="standup-2")
    Recording.objects.filter(pk=processing.pk).update(status="processing")
    policy = _policy(account)

    assert _preview(policy).count == 1
    job = _run(policy, django_capture_on_commit_callbacks)

    assert (job.done, job.skipped) == (1, 1)
    assert _status(Recording, done) == "deleted"
    assert _status(Recording, processing) == "processing"


def test_nothing_to_delete_queues_no_job_but_counts_as_a_run(account):
    policy = _policy(account)

    assert policies.policy_run(policy=policy, now=NOW) is None

    policy.refresh_from_db()
    assert policy.date_last_run == NOW
    assert not BulkDeletion.objects.exists()


# --- the audit -----------------------------------------------------------------------------------


def test_the_run_and_its_chunks_are_audited_as_done_by_the_policy(
    account, django_capture_on_commit_callbacks
):
    recording = _video(account)
    policy = _policy(account)

    _run(policy, django_capture_on_commit_callbacks)

    by_policy = AuditEvent.objects.filter(account=account, actor=f"policy:{policy.sid}")
    actions = set(by_policy.values_list("action", flat=True))
    assert {"retention_policy.run", "recordings.bulk_delete_chunk"} <= actions
    run = by_policy.get(action="retention_policy.run")
    assert run.object_sid == policy.sid
    assert "1 recordings created on or before 2026-09-02" in run.detail
    chunk = by_policy.get(action="recordings.bulk_delete_chunk")
    assert recording.sid in chunk.object_repr + chunk.detail
    assert AuditEvent.objects.filter(actor=ADMIN.name, action="retention_policy.create").exists()


# --- the daily run -------------------------------------------------------------------------------


def test_the_beat_schedule_runs_the_policies_daily():
    entry = app.conf.beat_schedule["run-retention-policies"]
    assert entry["task"] == "recordings.tasks.run_retention_policies"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {7})


def test_the_daily_run_skips_disabled_policies_and_one_whose_last_run_is_unfinished(
    account, django_capture_on_commit_callbacks
):
    _video(account)
    _video(account, room="weekly-1")
    enabled = _policy(account, name="Weekly", query="room=weekly")
    disabled = _policy(account, name="Off", enabled=False)
    # Queued and never run (its commit never comes): still unfinished at the daily run.
    unfinished = _policy(account, name="Busy", query="")
    stuck = policies.policy_run(policy=unfinished, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        queued = policies.policies_run(now=NOW)

    assert queued == 1
    assert set(BulkDeletion.objects.values_list("policy_sid", flat=True)) == {
        enabled.sid,
        unfinished.sid,
    }
    assert BulkDeletion.objects.filter(policy_sid=unfinished.sid).get() == stuck
    disabled.refresh_from_db()
    assert disabled.date_last_run is None


def test_a_policy_that_fails_is_logged_and_the_others_still_run(
    account, caplog, django_capture_on_commit_callbacks
):
    _video(account)
    broken = _policy(account, name="Stored before its filter changed", query="")
    # What a selection stored by an older release looks like once a filter field is gone.
    RetentionPolicy.objects.filter(pk=broken.pk).update(selection={"gone_field": "x"})
    working = _policy(account, name="Everything", query="")

    with django_capture_on_commit_callbacks(execute=True):
        assert policies.policies_run(now=NOW) == 1

    assert BulkDeletion.objects.get().policy_sid == working.sid
    assert f"Retention policy {broken.sid} could not run" in caplog.text


# --- the console ---------------------------------------------------------------------------------


def _form(**values) -> dict:
    return {"name": "Stand-ups", "product": "video", "query": "", "age_days": "90", **values}


def test_save_is_offered_only_after_a_preview_and_saves_what_was_previewed(account, console_client):
    for i in range(3):
        _video(account, room=f"standup-{i}")
    client = console_client("admin")
    pasted = "https://vault.example.com/recordings/?sid=&room=standup&type=audio&page_size=50"

    page = client.get(reverse("policies:create"), {"product": "video", "query": "room=standup"})
    assert 'name="save"' not in page.content.decode()
    assert 'value="room=standup"' in page.content.decode()
    previewed = client.post(reverse("policies:create"), _form(query=pasted, preview="1"))

    body = previewed.content.decode()
    assert previewed.status_code == 200
    assert '<strong id="preview-count">3</strong>' in body
    assert 'name="save"' in body
    saved = client.post(
        reverse("policies:create"), {**form_data(body, None, "policy-form"), "save": "1"}
    )

    policy = RetentionPolicy.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse(
        "policies:detail", args=[policy.sid]
    )
    assert (policy.query, policy.age_days, policy.created_by) == (
        "room=standup&type=audio",
        90,
        "user:admin@example.com",
    )


def test_save_with_values_other_than_the_previewed_ones_previews_again(account, console_client):
    client = console_client("admin")
    body = client.post(reverse("policies:create"), _form(preview="1")).content.decode()
    previewed = form_data(body, None, "policy-form")

    changed = client.post(reverse("policies:create"), {**previewed, "age_days": "1", "save": "1"})
    forged = client.post(reverse("policies:create"), _form(digest="0" * 64, save="1"))

    assert changed.status_code == forged.status_code == 200
    assert "changed since the preview" in changed.content.decode()
    assert not RetentionPolicy.objects.exists()


def test_an_invalid_filter_is_refused_on_the_form(console_client):
    response = console_client("admin").post(
        reverse("policies:create"), _form(query="type=hologram", preview="1")
    )

    assert response.status_code == 400
    assert "The filter is not valid" in response.content.decode()
    assert 'name="save"' not in response.content.decode()


def test_run_now_confirms_then_shows_the_run(
    account, console_client, django_capture_on_commit_callbacks
):
    recording = _video(account, when=datetime.now(UTC) - timedelta(days=100))
    policy = _policy(account)
    client = console_client("admin")

    confirm = client.get(reverse("policies:run", args=[policy.sid]))
    assert "Delete 1 recording now" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ran = client.post(reverse("policies:run", args=[policy.sid]), {"confirm": "True"})

    job = BulkDeletion.objects.get(policy_sid=policy.sid)
    assert ran["Location"] == reverse("bulk:progress", args=[job.pk])
    assert _status(Recording, recording) == "deleted"
    detail = client.get(reverse("policies:detail", args=[policy.sid])).content.decode()
    assert reverse("bulk:progress", args=[job.pk]) in detail
    # The deletion is the policy's; who ran it out of schedule is in the evidence too.
    run = AuditEvent.objects.get(action="retention_policy.run")
    assert run.actor == f"policy:{policy.sid}"
    assert run.detail.endswith("; run now by user:admin@example.com")


def test_an_admin_edits_and_deletes_a_policy(account, console_client):
    policy = _policy(account)
    client = console_client("admin")
    body = client.post(
        reverse("policies:edit", args=[policy.sid]), _form(age_days="30", preview="1")
    ).content.decode()

    client.post(
        reverse("policies:edit", args=[policy.sid]),
        {**form_data(body, None, "policy-form"), "save": "1"},
    )
    policy.refresh_from_db()
    assert (policy.age_days, policy.product) == (30, "video")

    client.post(reverse("policies:delete", args=[policy.sid]), {"confirm": "True"})
    assert not RetentionPolicy.objects.exists()
    assert AuditEvent.objects.filter(
        action="retention_policy.delete", object_sid=policy.sid
    ).exists()
