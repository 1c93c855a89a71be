"""One ``RecordingFilter`` per list: the API's parameters, the console's Logs form and a stored
bulk-deletion selection build the same filter and so select the same recordings."""

import json
from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import QueryDict
from django.utils import timezone

from console.services import Actor
from recordings.lifecycle import bulk
from recordings.lifecycle.models import BulkDeletion
from recordings.video import selectors
from recordings.video.api.filters import RecordingFilterSet, recording_filter
from recordings.video.choices import RecordingStatus
from recordings.video.filters import RecordingFilter
from recordings.video.forms import RecordingFilterForm
from recordings.video.models import Recording
from tests.factories import RecordingFactory, TrackFactory

ACTOR = Actor(name="user:admin@example.com")


def _form_filter(**params) -> RecordingFilter:
    form = RecordingFilterForm(QueryDict(mutable=True) | params)
    assert form.is_valid(), form.errors
    return form.filter()


@pytest.fixture
def world(account, other_account):
    """Audio and video recordings of two rooms of the account, in all states, and the same of
    another account."""
    made = {}
    for owner, key in ((account, "mine"), (other_account, "theirs")):
        rows = []
        for kind in ("audio", "video"):
            track = TrackFactory(participant__room__account=owner, kind=kind)
            for status in (RecordingStatus.COMPLETED, RecordingStatus.FAILED, "deleted"):
                rows.append(RecordingFactory(track=track, status=status))
        made[key] = rows
    return made


def test_the_api_the_console_and_json_build_one_filter_and_one_queryset(account, world):
    room = world["mine"][0].room_id
    api = recording_filter(
        RecordingFilterSet,
        QueryDict(
            f"Status=completed&GroupingSid={room}&MediaType=audio"
            "&DateCreatedAfter=2025-12-31T00:00:00Z&DateCreatedBefore=2027-01-01T00:00:00Z"
        ),
    )
    console = _form_filter(
        status="completed",
        room=room.upper(),
        type="audio",
        date_from="2025-12-31T00:00:00Z",
        date_to="2027-01-01T00:00:00Z",
    )
    stored = RecordingFilter.from_json(json.loads(json.dumps(console.to_json())))
    assert api == console == stored
    rows = [list(selectors.recording_list(account=account, filter=f)) for f in (api, stored)]
    assert rows[0] == rows[1] == [world["mine"][0]]


@pytest.mark.parametrize(
    "wanted",
    [
        RecordingFilter(),
        RecordingFilter(status="deleted", room_name="standup", codec="VP8"),
        RecordingFilter(include_deleted=True, grouping_sids=("RM" + "a" * 32, "PA" + "b" * 32)),
        RecordingFilter(
            room_sid="RM" + "c" * 32,
            source_sid="MT" + "d" * 32,
            track_name="mic",
            participant_identity="alice",
            date_created_after=datetime(2026, 1, 1, tzinfo=UTC),
            date_created_before=datetime(2026, 2, 1, 12, 30, tzinfo=UTC),
        ),
    ],
)
def test_a_filter_survives_its_json(wanted):
    assert RecordingFilter.from_json(json.loads(json.dumps(wanted.to_json()))) == wanted


def test_a_stored_selection_with_an_unknown_field_is_refused():
    with pytest.raises(TypeError):
        RecordingFilter.from_json({"sids_of_everyone": True})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("room", "PA" + "a" * 32, "A room SID is RM followed by 32 hex digits."),
        ("room", "MT" + "a" * 32, "A room SID is RM followed by 32 hex digits."),
        ("participant", "RM" + "a" * 32, "A participant SID is PA followed by 32 hex digits."),
    ],
)
def test_a_sid_of_the_wrong_kind_is_a_console_field_error(field, value, message):
    form = RecordingFilterForm(QueryDict(mutable=True) | {field: value})
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_a_bulk_job_stores_its_filter_and_deletes_exactly_what_it_selects(
    account, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_deletion_create(
            account=account, actor=ACTOR, query="status=completed&type=video", sids=None
        )
    job.refresh_from_db()
    assert job.selection == {"status": "completed", "media_type": "video"}
    assert job.status == BulkDeletion.Status.DONE and job.done == 1
    video_completed = world["mine"][3]
    deleted = set(Recording.objects.filter(status="deleted").values_list("sid", flat=True))
    assert deleted == {r.sid for r in world["mine"] + world["theirs"] if r.status == "deleted"} | {
        video_completed.sid
    }


def test_a_bulk_job_never_selects_another_accounts_recordings(account, world):
    """The attacker names the victim's room in the filter: the selection stays empty."""
    theirs = world["theirs"][0]
    matching = bulk.bulk_selection(account=account, query=f"room={theirs.room_id}")
    assert not matching.exists()
    with pytest.raises(bulk.InvalidBulkSelection):
        bulk.bulk_deletion_create(
            account=account, actor=ACTOR, query=f"room={theirs.room_id}", sids=None
        )
    everything = selectors.recordings_matching(account=account, selection={"include_deleted": True})
    assert set(everything) == set(world["mine"])


def test_existing_jobs_get_their_selection_from_their_query(account, world):
    """The data migration (video 0002): a job's query through the Logs form; an unfinished job
    whose query no longer parses is failed, never run on a guess."""
    now = timezone.now()
    common = {
        "account": account,
        "actor": "user:a@example.com",
        "chunk_size": 10,
        "date_created": now,
        "date_updated": now,
    }
    good = BulkDeletion.objects.create(query="status=failed&room=standup", **common)
    bad = BulkDeletion.objects.create(query="room=PA" + "a" * 32, **common)
    done = BulkDeletion.objects.create(query="sid=nope", status="done", **common)
    listed = BulkDeletion.objects.create(sids=["RT" + "a" * 32], **common)
    voice = BulkDeletion.objects.create(query="call=nope", product="voice", **common)
    # Names were matched whole when those queries were made: they stay whole.
    import_module("recordings.video.migrations.0002_bulk_selections").fill(apps, None)
    rows = {j.pk: j for j in BulkDeletion.objects.all()}
    assert rows[good.pk].selection == {"status": "failed", "room_name": "standup"}
    assert (rows[bad.pk].status, rows[bad.pk].selection) == ("failed", None)
    assert (rows[done.pk].status, rows[done.pk].selection) == ("done", None)
    assert rows[listed.pk].selection is None
    assert (rows[voice.pk].status, rows[voice.pk].selection) == ("queued", None)


def test_the_api_and_the_console_list_the_same_rows(account, world, api, console_client):
    room = world["mine"][0].room_id
    from_api = api.get("/v1/Recordings", {"GroupingSid": room, "Status": "failed"}).json()
    page = console_client("viewer").get("/recordings/", {"room": room, "status": "failed"})
    assert [r["sid"] for r in from_api["recordings"]] == [world["mine"][1].sid]
    assert world["mine"][1].sid in page.content.decode()
    assert world["mine"][0].sid not in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migrations_give_existing_jobs_of_both_products_their_selection():
    before = [("lifecycle", "0002_links"), ("video", "0001_initial"), ("voice", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    account = old.get_model("console", "Account").objects.create(friendly_name="before")
    now = timezone.now()
    make = old.get_model("lifecycle", "BulkDeletion").objects.create
    common = {"account": account, "actor": "user:a@example.com", "chunk_size": 10}
    video = make(query="status=failed&type=audio", date_created=now, date_updated=now, **common)
    call = "CA" + "a" * 32
    voice = make(
        query=f"call={call}", product="voice", date_created=now, date_updated=now, **common
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert BulkDeletion.objects.get(pk=video.pk).selection == {
        "status": "failed",
        "media_type": "audio",
    }
    assert BulkDeletion.objects.get(pk=voice.pk).selection == {"call_sid": call}
