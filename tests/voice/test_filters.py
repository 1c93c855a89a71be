"""One ``VoiceRecordingFilter`` per list: the 2010-04-01 API's parameters, the console's Logs
form and a stored bulk-deletion selection build the same filter and so select the same rows."""

import json
from datetime import UTC, datetime

import pytest
from django.http import QueryDict

from console.services import Actor
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle import bulk
from recordings.lifecycle.models import BulkDeletion
from recordings.voice import selectors
from recordings.voice.api.params import recording_filter
from recordings.voice.filters import VoiceRecordingFilter
from recordings.voice.forms import VoiceRecordingFilterForm
from recordings.voice.models import VoiceRecording

ACTOR = Actor(name="user:admin@example.com")


@pytest.fixture
def calls(account, other_account):
    """Two recorded calls of the account and one of another account."""
    return {
        "mine": [simulate_call(account=account, seconds=1)[1] for _ in range(2)],
        "theirs": [simulate_call(account=other_account, seconds=1)[1]],
    }


def test_the_api_the_console_and_json_build_one_filter_and_one_queryset(account, calls):
    call = calls["mine"][0].call_id
    api = recording_filter(
        QueryDict(f"CallSid={call}&DateCreated>=2026-01-01T00:00:00Z&IncludeSoftDeleted=true")
    )
    form = VoiceRecordingFilterForm(
        QueryDict(mutable=True)
        | {"call": call.upper(), "status": "all", "date_from": "2026-01-01T00:00:00Z"}
    )
    assert form.is_valid(), form.errors
    stored = VoiceRecordingFilter.from_json(json.loads(json.dumps(form.filter().to_json())))
    assert api == form.filter() == stored
    rows = [list(selectors.voice_recording_list(account=account, filter=f)) for f in (api, stored)]
    assert rows[0] == rows[1] == [calls["mine"][0]]


def test_the_path_scope_wins_over_the_query():
    call = "CA" + "a" * 32
    wanted = recording_filter(QueryDict("CallSid=CA" + "b" * 32), call_sid=call)
    assert wanted == VoiceRecordingFilter(call_sid=call)


@pytest.mark.parametrize(
    "wanted",
    [
        VoiceRecordingFilter(),
        VoiceRecordingFilter(
            sid="RE" + "a" * 32,
            call_sid="CA" + "b" * 32,
            conference_sid="CF" + "c" * 32,
            status="absent",
            include_deleted=True,
            source="DialVerb",
            date_created_after=datetime(2026, 1, 1, tzinfo=UTC),
            date_created_before=datetime(2026, 1, 2, tzinfo=UTC),
        ),
    ],
)
def test_a_filter_survives_its_json(wanted):
    assert VoiceRecordingFilter.from_json(json.loads(json.dumps(wanted.to_json()))) == wanted


def test_a_call_sid_of_the_wrong_kind_is_a_console_field_error():
    form = VoiceRecordingFilterForm(QueryDict(mutable=True) | {"call": "CF" + "a" * 32})
    assert not form.is_valid()
    assert form.errors["call"] == ["A call SID is CA followed by 32 hex digits."]


def test_a_bulk_job_deletes_exactly_its_filter_and_never_another_account(
    account, calls, django_capture_on_commit_callbacks
):
    mine, theirs = calls["mine"][0], calls["theirs"][0]
    with pytest.raises(bulk.InvalidBulkSelection):  # the victim's call matches nothing of ours
        bulk.bulk_deletion_create(
            account=account, actor=ACTOR, query=f"call={theirs.call_id}", sids=None, product="voice"
        )
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_deletion_create(
            account=account, actor=ACTOR, query=f"call={mine.call_id}", sids=None, product="voice"
        )
    job.refresh_from_db()
    assert job.selection == {"call_sid": mine.call_id}
    assert (job.status, job.done) == (BulkDeletion.Status.DONE, 1)
    deleted = VoiceRecording.objects.filter(status="deleted").values_list("sid", flat=True)
    assert list(deleted) == [mine.sid]
