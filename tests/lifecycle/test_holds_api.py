"""Legal holds over the API (issue 19): /roomvault/v1/LegalHolds, and the 409 every DELETE of a
held item answers, on video, voice and compositions. The attacker's tests come first."""

from urllib.parse import urlencode, urlsplit

import pytest
from rest_framework.test import APIClient

from console import services as console_services
from console.models import AuditEvent
from console.services import SYSTEM, Actor
from recordings.compositions import services as composition_services
from recordings.compositions.models import Composition
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle import holds
from recordings.media.store import get_media_store
from recordings.video.models import Recording
from recordings.voice.models import VoiceRecording
from tests.helpers import assert_twilio_error, client_for, schema_operations

pytestmark = pytest.mark.django_db

LIST = "/roomvault/v1/LegalHolds"
OWNER = Actor(name="user:owner@example.com", source_ip="127.0.0.1")


def hold(account, name="Litigation", **scope):
    return holds.legal_hold_create(account=account, actor=OWNER, name=name, **scope)


def create(client, params: dict):
    """POST a hold's parameters form-encoded, as Twilio's clients send them."""
    return client.post(LIST, urlencode(params), content_type="application/x-www-form-urlencoded")


def key_client(account, scope: str) -> APIClient:
    key = console_services.api_key_create(account=account, friendly_name=scope, scope=scope)
    return client_for(key.key.sid, key.secret)


@pytest.fixture
def room(account):
    """A completed room of two participants, each with recordings and their media."""
    return simulate_room(account=account, identities=["alice", "bob"], seconds=1)


# --- the attacker's tests ------------------------------------------------------------------------


def test_another_accounts_hold_is_not_found_nor_released_nor_listed(api, other_account):
    theirs = hold(other_account, scope="participant", value="alice")

    assert_twilio_error(api.get(f"{LIST}/{theirs.sid}"), 404, 20404)
    assert_twilio_error(api.post(f"{LIST}/{theirs.sid}/Release"), 404, 20404)
    assert api.get(LIST).json()["legal_holds"] == []
    theirs.refresh_from_db()
    assert theirs.is_active


@pytest.mark.parametrize("bad_sid", ["LH", "x", "LH" + "0" * 31, "RM" + "0" * 32])
def test_malformed_sids_are_not_found(api, bad_sid):
    assert_twilio_error(api.get(f"{LIST}/{bad_sid}"), 404, 20404)


@pytest.mark.parametrize("scope", ["standard", "read"])
def test_standard_and_read_keys_may_neither_see_nor_place_nor_release_holds(account, scope):
    mine = hold(account, scope="participant", value="alice")
    caller = key_client(account, scope)

    for response in (
        caller.get(LIST),
        caller.get(f"{LIST}/{mine.sid}"),
        create(caller, {"Name": "x", "Scope": "participant", "Value": "bob"}),
        caller.post(f"{LIST}/{mine.sid}/Release"),
    ):
        body = assert_twilio_error(response, 403, 20403)
        assert "scope main" in body["message"]
    mine.refresh_from_db()
    assert mine.is_active
    assert holds.legal_hold_list(account=account).count() == 1


def test_a_main_key_places_and_releases_holds(account):
    caller = key_client(account, "main")

    created = create(caller, {"Name": "Audit", "Scope": "participant", "Value": "bob"})
    assert created.status_code == 201, created.content
    sid = created.json()["sid"]
    assert caller.post(f"{LIST}/{sid}/Release").status_code == 200


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"Scope": "room", "Value": "RM" + "a" * 32}, "Name"),
        ({"Name": "x", "Scope": "everything"}, "Scope"),
        ({"Name": "x", "Scope": "room", "Value": "not-a-sid"}, "Value"),
        ({"Name": "x", "Scope": "call", "Value": "RM" + "a" * 32}, "Value"),
        ({"Name": "x", "Scope": "participant", "Value": ""}, "Value"),
        ({"Name": "x", "Scope": "filter", "Query": "status=deleted"}, "Product"),
        ({"Name": "x", "Scope": "filter", "Product": "fax"}, "Product"),
        ({"Name": "x", "Scope": "filter", "Product": "video", "Query": "date_from=nope"}, "Query"),
    ],
)
def test_a_bad_parameter_is_refused_with_20001_naming_it(api, params, parameter):
    body = assert_twilio_error(create(api, params), 400, 20001)

    assert body["message"].startswith(f"Invalid {parameter}:"), body["message"]
    assert api.get(LIST).json()["legal_holds"] == []


# --- placing, listing, fetching, releasing -----------------------------------------------------


def test_a_hold_is_placed_fetched_with_its_counts_and_released_once(api, account, room):
    _, recordings = room
    alice = [r for r in recordings if r.participant.identity == "alice"]

    created = create(
        api, {"Name": "Case 42", "Scope": "participant", "Value": "alice", "Reason": "Subpoena"}
    )

    assert created.status_code == 201, created.content
    body = created.json()
    sid = body["sid"]
    assert sid.startswith("LH") and body["active"] is True
    assert (body["scope"], body["value"], body["reason"]) == ("participant", "alice", "Subpoena")
    assert body["in_words"] == "recordings of participant alice"
    assert body["created_by"] == f"api:{account.sid}"
    assert body["counts"] == {"video": len(alice)}
    assert body["url"].endswith(f"{LIST}/{sid}")

    fetched = api.get(f"{LIST}/{sid}").json()
    assert fetched["counts"] == {"video": len(alice)} and fetched["date_released"] is None

    released = api.post(f"{LIST}/{sid}/Release")
    assert released.status_code == 200
    assert released.json()["active"] is False and released.json()["date_released"]
    again = assert_twilio_error(api.post(f"{LIST}/{sid}/Release"), 409, 20409)
    assert sid in again["message"]

    actions = list(
        AuditEvent.objects.filter(object_sid=sid).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["legal_hold.create", "legal_hold.release"]


def test_a_filter_hold_takes_a_logs_query(api):
    created = create(
        api,
        {
            "Name": "Q1",
            "Scope": "filter",
            "Product": "voice",
            "Query": "date_from=2026-01-01T00:00&date_to=2026-04-01T00:00",
        },
    )

    assert created.status_code == 201, created.content
    assert created.json()["counts"] == {"voice": 0}
    assert created.json()["product"] == "voice"


def test_the_list_filters_by_active_and_pages_with_meta(api, account):
    first = hold(account, "first", scope="participant", value="a")
    second = hold(account, "second", scope="participant", value="b")
    third = hold(account, "third", scope="participant", value="c")
    holds.legal_hold_release(account=account, actor=OWNER, hold=second)

    active = api.get(LIST, {"Active": "true"}).json()["legal_holds"]
    released = api.get(LIST, {"Active": "false"}).json()["legal_holds"]
    assert [h["sid"] for h in active] == [third.sid, first.sid]
    assert [h["sid"] for h in released] == [second.sid]
    assert_twilio_error(api.get(LIST, {"Active": "maybe"}), 400, 20001)

    page = api.get(LIST, {"PageSize": 2}).json()
    assert [h["sid"] for h in page["legal_holds"]] == [third.sid, second.sid]
    assert page["meta"]["key"] == "legal_holds" and page["meta"]["page_size"] == 2
    nxt = urlsplit(page["meta"]["next_page_url"])
    rest = api.get(f"{nxt.path}?{nxt.query}").json()
    assert [h["sid"] for h in rest["legal_holds"]] == [first.sid]
    assert rest["meta"]["next_page_url"] is None


def test_the_list_costs_the_same_for_many_holds(api, account, django_assert_max_num_queries):
    for n in range(30):
        hold(account, f"h{n}", scope="participant", value=f"p{n}")
    with django_assert_max_num_queries(4):
        assert len(api.get(LIST, {"PageSize": 20}).json()["legal_holds"]) == 20


# --- the 409 of a held item's DELETE -------------------------------------------------------------


def _media_served(api, recording) -> bytes:
    redirect = api.get(f"/v1/Recordings/{recording.sid}/Media")
    assert redirect.status_code == 302, redirect.content
    parts = urlsplit(redirect["Location"])
    response = APIClient().get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_deleting_a_held_video_recording_answers_409_and_keeps_it(
    api, account, room, django_capture_on_commit_callbacks
):
    room_row, recordings = room
    recording = recordings[0]
    media = get_media_store().open(recording.media_key).read()
    held = hold(account, scope="room", value=room_row.sid)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/v1/Recordings/{recording.sid}")

    body = assert_twilio_error(response, 409, 20409)
    assert held.sid in body["message"] and recording.sid in body["message"]
    assert Recording.objects.get(pk=recording.pk).status == "completed"
    assert _media_served(api, recording) == media

    holds.legal_hold_release(account=account, actor=OWNER, hold=held)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/v1/Recordings/{recording.sid}").status_code == 204
    assert not get_media_store().exists(recording.media_key)


def test_deleting_a_held_voice_recording_answers_409_and_keeps_it(api, account):
    call, recording = simulate_call(account=account, seconds=1)
    held = hold(account, scope="call", value=call.sid)
    path = f"/2010-04-01/Accounts/{account.sid}/Recordings/{recording.sid}.json"

    body = assert_twilio_error(api.delete(path), 409, 20409)

    assert held.sid in body["message"]
    recording.refresh_from_db()
    assert recording.status == "completed" and get_media_store().exists(recording.media_key)
    assert api.get(path).json()["status"] == "completed"
    holds.legal_hold_release(account=account, actor=OWNER, hold=held)
    assert api.delete(path).status_code == 204
    assert VoiceRecording.objects.get(pk=recording.pk).status == "deleted"


def test_deleting_a_held_composition_answers_409_and_keeps_it(
    api, account, room, django_capture_on_commit_callbacks
):
    room_row, _ = room
    with django_capture_on_commit_callbacks(execute=True):
        made = composition_services.composition_create(
            room=room_row, spec=spec_clean(audio_sources=["*"], format="mp4"), actor=SYSTEM
        )
    composition = Composition.objects.get(pk=made.pk)
    assert composition.status == "completed"
    held = hold(account, scope="room", value=room_row.sid)

    body = assert_twilio_error(api.delete(f"/v1/Compositions/{composition.sid}"), 409, 20409)

    assert held.sid in body["message"]
    composition.refresh_from_db()
    assert composition.status == "completed"
    assert get_media_store().exists(composition.media_key)
    assert api.get(f"/v1/Compositions/{composition.sid}/Media").status_code == 302


# --- the published schema ----------------------------------------------------------------------


def test_the_openapi_schema_publishes_legal_holds(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert schema_operations(schema, LIST) == {
        (LIST, "get"): "ListLegalHold",
        (LIST, "post"): "CreateLegalHold",
        (f"{LIST}/{{sid}}", "get"): "FetchLegalHold",
        (f"{LIST}/{{sid}}/Release", "post"): "CreateLegalHoldRelease",
    }
    release = schema["paths"][f"{LIST}/{{sid}}/Release"]["post"]["responses"]
    assert {"200", "403", "404", "409"} <= release.keys()
