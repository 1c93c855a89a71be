"""Our /v1 response bodies against Twilio's official OpenAPI description of the Video API.

The reference is ``tests/reference/twilio_video_v1.json``, vendored unmodified. Only response
bodies are validated: its ``PageSize`` maximum (100) disagrees with seed 000 (1000), which we
follow.
"""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest

from console.services import SYSTEM
from recordings.video import services
from recordings.video.choices import MediaType, RecordingStatus
from tests.factories import ParticipantFactory, RecordingFactory, RoomFactory, TrackFactory
from tests.twilio_helpers import (
    REFERENCE_DIR,
    TWILIO_TIMESTAMP,
    VIDEO_V1,
    is_absolute_url,
    reference,
    reference_response_schema,
    resolve_refs,
    schema_errors,
)

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
LIST = "/v1/Recordings"
INSTANCE = "/v1/Recordings/{Sid}"
ROOM_LIST = "/v1/Rooms/{RoomSid}/Recordings"
ROOM_INSTANCE = "/v1/Rooms/{RoomSid}/Recordings/{Sid}"
RULES = "/v1/Rooms/{RoomSid}/RecordingRules"

# Every /v1 operation we serve: (path with its parameters blanked, method) -> operationId.
OUR_OPERATIONS = {
    ("/v1/Recordings", "get"): "ListRecording",
    ("/v1/Recordings/{}", "get"): "FetchRecording",
    ("/v1/Recordings/{}", "delete"): "DeleteRecording",
    ("/v1/Recordings/{}/Media", "get"): "FetchRecordingMedia",
    ("/v1/Rooms/{}/Recordings", "get"): "ListRoomRecording",
    ("/v1/Rooms/{}/Recordings/{}", "get"): "FetchRoomRecording",
    ("/v1/Rooms/{}/Recordings/{}", "delete"): "DeleteRoomRecording",
    ("/v1/Rooms/{}/Recordings/{}/Media", "get"): "FetchRoomRecordingMedia",
    ("/v1/Rooms/{}/RecordingRules", "get"): "FetchRoomRecordingRule",
    ("/v1/Rooms/{}/RecordingRules", "post"): "UpdateRoomRecordingRule",
    ("/v1/Rooms", "get"): "ListRoom",
    ("/v1/Rooms", "post"): "CreateRoom",
    ("/v1/Rooms/{}", "get"): "FetchRoom",
    ("/v1/Rooms/{}", "post"): "UpdateRoom",
    ("/v1/Rooms/{}/Participants", "get"): "ListRoomParticipant",
    ("/v1/Rooms/{}/Participants/{}", "get"): "FetchRoomParticipant",
    ("/v1/RecordingSettings/Default", "get"): "FetchRecordingSettings",
    ("/v1/RecordingSettings/Default", "post"): "CreateRecordingSettings",
    ("/v1/Credentials/PublicKeys", "get"): "ListCredentialPublicKey",
    ("/v1/Credentials/PublicKeys", "post"): "CreateCredentialPublicKey",
    ("/v1/Credentials/AWS", "get"): "ListCredentialAws",
    ("/v1/Credentials/AWS", "post"): "CreateCredentialAws",
    ("/v1/Credentials/AWS/{}", "get"): "FetchCredentialAws",
    ("/v1/Credentials/AWS/{}", "post"): "UpdateCredentialAws",
    ("/v1/Credentials/AWS/{}", "delete"): "DeleteCredentialAws",
    ("/v1/Compositions", "get"): "ListComposition",
    ("/v1/Compositions", "post"): "CreateComposition",
    ("/v1/Compositions/{}", "get"): "FetchComposition",
    ("/v1/Compositions/{}", "delete"): "DeleteComposition",
    ("/v1/Compositions/{}/Media", "get"): "FetchCompositionMedia",
    ("/v1/CompositionHooks", "get"): "ListCompositionHook",
    ("/v1/CompositionHooks", "post"): "CreateCompositionHook",
    ("/v1/CompositionHooks/{}", "get"): "FetchCompositionHook",
    ("/v1/CompositionHooks/{}", "post"): "UpdateCompositionHook",
    ("/v1/CompositionHooks/{}", "delete"): "DeleteCompositionHook",
    ("/v1/CompositionSettings/Default", "get"): "FetchCompositionSettings",
    ("/v1/CompositionSettings/Default", "post"): "CreateCompositionSettings",
}


def blank_parameters(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def assert_conforms(body, path: str, method: str = "get") -> None:
    """Assert that a 200 body is valid under the reference and has every property it names."""
    schema = reference_response_schema(path, method)
    assert schema_errors(body, schema) == []
    resources = body[body["meta"]["key"]] if "meta" in body else [body]
    item_schema = schema["properties"][body["meta"]["key"]]["items"] if "meta" in body else schema
    for resource in resources:
        assert set(item_schema["properties"]) <= set(resource), "missing reference properties"
        for name, value in resource.items():
            if name.startswith("date_") and value is not None:
                assert TWILIO_TIMESTAMP.match(value), (name, value)
    if "meta" in body:
        assert_meta(body["meta"], schema)


def assert_meta(meta: dict, schema: dict) -> None:
    assert set(meta) == set(schema["properties"]["meta"]["properties"])
    assert meta["key"] == "recordings"
    for name in ("first_page_url", "url", "next_page_url", "previous_page_url"):
        assert meta[name] is None or is_absolute_url(meta[name]), (name, meta[name])


def get(api, url: str, **params):
    """GET a path, or an absolute URL the API returned (it must point at this server)."""
    if is_absolute_url(url):
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == "http://testserver", url
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    response = api.get(url, params or None)
    assert response.status_code == 200, response.content
    return response.json()


def post_rules(api, url: str, document: str):
    """POST a rule list the way Twilio's clients do: a form-encoded ``Rules`` field."""
    return api.post(
        url, urlencode({"Rules": document}), content_type="application/x-www-form-urlencoded"
    )


def sids(body) -> list[str]:
    return [r["sid"] for r in body["recordings"]]


@pytest.fixture
def data(account, other_account, make_completed_recording):
    """A room with recordings in every status (one per minute after T0), and a foreign one."""
    room = RoomFactory(account=account)
    alice = ParticipantFactory(room=room, identity="alice")
    audio = TrackFactory(participant=alice)
    video = TrackFactory(participant=alice, kind=MediaType.VIDEO)
    rec = {
        "completed": make_completed_recording(track=audio, date_created=T0),
        "video": make_completed_recording(track=video, date_created=T0 + timedelta(minutes=1)),
        "processing": RecordingFactory(track=audio, date_created=T0 + timedelta(minutes=2)),
        "failed": RecordingFactory(
            track=audio, date_created=T0 + timedelta(minutes=3), status=RecordingStatus.FAILED
        ),
        "deleted": make_completed_recording(track=audio, date_created=T0 + timedelta(minutes=4)),
    }
    services.recording_delete(recording=rec["deleted"], actor=SYSTEM)
    make_completed_recording(track__participant__room__account=other_account)
    return SimpleNamespace(room=room, alice=alice, audio=audio, rec=rec)


# --- the harness itself -----------------------------------------------------------------------


def test_reference_is_the_official_video_v1_description():
    repository = Path(__file__).resolve().parents[2]
    assert (repository / "manage.py").is_file()
    assert repository / "tests/reference/twilio_video_v1.json" == REFERENCE_DIR / VIDEO_V1
    assert reference()["info"]["title"] == "Twilio - Video"
    assert reference()["openapi"].startswith("3.0")
    assert {LIST, INSTANCE, ROOM_LIST, ROOM_INSTANCE, RULES} <= set(reference()["paths"])


def test_validator_rejects_bodies_that_break_the_reference():
    schema = reference_response_schema(INSTANCE)
    good = {"sid": "RT" + "a" * 32, "status": "completed", "date_created": "2026-01-01T00:00:00Z"}
    assert schema_errors(good, schema) == []
    assert "$ref" not in str(schema)

    for broken in (
        {**good, "status": "archived"},
        {**good, "sid": "RT123"},
        {**good, "date_created": "yesterday"},
        {**good, "size": "12"},
        {**good, "codec": "opus"},
    ):
        assert schema_errors(broken, schema), broken


def test_resolve_refs_inlines_nested_references():
    document = {"a": {"$ref": "#/b"}, "b": {"c": {"$ref": "#/d"}}, "d": {"type": "string"}}

    assert resolve_refs(document["a"], document) == {"c": {"type": "string"}}


# --- list -------------------------------------------------------------------------------------


LIST_QUERIES = [
    pytest.param(lambda d: {}, 4, id="no filter"),
    pytest.param(lambda d: {"Status": "deleted"}, 1, id="status deleted"),
    pytest.param(lambda d: {"Status": "processing"}, 1, id="status processing"),
    pytest.param(lambda d: {"SourceSid": d.audio.sid}, 3, id="source sid"),
    pytest.param(lambda d: {"GroupingSid": [d.room.sid, d.alice.sid]}, 4, id="grouping sids"),
    pytest.param(lambda d: {"MediaType": "video"}, 1, id="media type"),
    pytest.param(
        lambda d: {
            "Status": "completed",
            "MediaType": "audio",
            "DateCreatedAfter": "2026-02-01T09:00:00Z",
            "DateCreatedBefore": "2026-02-01T10:00:00Z",
        },
        1,
        id="combined",
    ),
    pytest.param(lambda d: {"DateCreatedAfter": "2030-01-01T00:00:00Z"}, 0, id="empty"),
]


@pytest.mark.parametrize(("query", "count"), LIST_QUERIES)
def test_list_body_conforms(api, data, query, count):
    body = get(api, LIST, **query(data))

    assert len(body["recordings"]) == count
    assert_conforms(body, LIST)


def test_empty_account_list_conforms(api):
    body = get(api, LIST)

    assert body["recordings"] == []
    assert_conforms(body, LIST)
    assert body["meta"]["next_page_url"] is None
    assert body["meta"]["previous_page_url"] is None
    assert body["meta"]["url"] == body["meta"]["first_page_url"]
    assert body["meta"]["first_page_url"] == "http://testserver/v1/Recordings?PageSize=50&Page=0"


def test_middle_page_conforms_and_its_urls_return_the_pages_they_claim(api, data):
    for minute in range(10, 17):
        RecordingFactory(track=data.audio, date_created=T0 + timedelta(minutes=minute))
    everything = sids(get(api, LIST, Status="processing", PageSize=100))
    assert len(everything) == 8

    first = get(api, LIST, Status="processing", PageSize=3)
    middle = get(api, first["meta"]["next_page_url"])

    assert_conforms(middle, LIST)
    meta = middle["meta"]
    assert (meta["page"], meta["page_size"]) == (1, 3)
    assert meta["next_page_url"] is not None
    assert meta["previous_page_url"] is not None
    assert sids(middle) == everything[3:6]
    assert sids(get(api, meta["url"])) == everything[3:6]
    assert sids(get(api, meta["first_page_url"])) == everything[:3] == sids(first)
    assert sids(get(api, meta["previous_page_url"])) == everything[:3]
    last = get(api, meta["next_page_url"])
    assert sids(last) == everything[6:]
    assert last["meta"]["page"] == 2
    assert last["meta"]["next_page_url"] is None
    assert_conforms(last, LIST)
    for url in (meta["url"], meta["first_page_url"], meta["next_page_url"]):
        assert "Status=processing" in url
        assert "PageSize=3" in url


def test_meta_keys_are_exactly_the_references(api, data):
    for path, our_path in ((LIST, LIST), (ROOM_LIST, f"/v1/Rooms/{data.room.sid}/Recordings")):
        reference_meta = reference_response_schema(path)["properties"]["meta"]["properties"]
        assert set(get(api, our_path)["meta"]) == set(reference_meta)


# --- fetch ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["processing", "completed", "video", "deleted", "failed"])
def test_fetch_body_conforms(api, data, status):
    recording = data.rec[status]

    body = get(api, f"/v1/Recordings/{recording.sid}")

    assert body["sid"] == recording.sid
    assert_conforms(body, INSTANCE)
    assert body["url"] == f"http://testserver/v1/Recordings/{recording.sid}"
    assert body["links"]["media"] == body["url"] + "/Media"


def test_deleted_fetch_has_date_deleted(api, data):
    body = get(api, f"/v1/Recordings/{data.rec['deleted'].sid}")

    assert body["status"] == "deleted"
    assert TWILIO_TIMESTAMP.match(body["date_deleted"])


def test_room_recordings_list_and_fetch_conform(api, data):
    base = f"/v1/Rooms/{data.room.sid}/Recordings"

    listed = get(api, base)
    deleted = get(api, base, Status="deleted")
    paged = get(api, base, PageSize=2)

    for body in (listed, deleted, paged):
        assert_conforms(body, ROOM_LIST)
    assert len(listed["recordings"]) == 4
    assert paged["meta"]["next_page_url"].startswith(f"http://testserver{base}?")
    for recording in data.rec.values():
        body = get(api, f"{base}/{recording.sid}")
        assert_conforms(body, ROOM_INSTANCE)
        assert body["room_sid"] == data.room.sid
        assert body["url"] == f"http://testserver{base}/{recording.sid}"


# --- recording rules --------------------------------------------------------------------------


def test_rules_fetch_and_update_conform(api, data):
    url = f"/v1/Rooms/{data.room.sid}/RecordingRules"

    before = get(api, url)
    response = post_rules(api, url, '[{"type": "include", "all": true}]')
    after = get(api, url)
    by_name = get(api, f"/v1/Rooms/{data.room.unique_name}/RecordingRules")

    assert response.status_code == 200, response.content
    assert_conforms(before, RULES)
    assert_conforms(response.json(), RULES, "post")
    assert_conforms(after, RULES)
    assert before["rules"] == []
    assert after["rules"] == [{"type": "include", "all": True}] == response.json()["rules"]
    assert after == by_name


def test_rules_with_every_filter_conform(api, data):
    rules = (
        '[{"type": "include", "kind": "audio"}, {"type": "include", "publisher": "alice",'
        ' "track": "screen"}, {"type": "exclude", "all": true}]'
    )

    response = post_rules(api, f"/v1/Rooms/{data.room.sid}/RecordingRules", rules)

    assert response.status_code == 200, response.content
    assert_conforms(response.json(), RULES, "post")


# --- the schema we serve ----------------------------------------------------------------------


@pytest.fixture
def served_schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_served_schema_is_json_by_format_or_accept_header(client, served_schema):
    by_accept = client.get("/api/schema/", headers={"accept": "application/json"})

    assert by_accept.status_code == 200
    assert by_accept["Content-Type"].startswith("application/json")
    assert by_accept.json()["paths"].keys() == served_schema["paths"].keys()
    assert served_schema["openapi"].startswith("3.")


def test_served_schema_has_every_v1_path_and_operation(served_schema):
    served = {
        (blank_parameters(path), method): operation.get("operationId")
        for path, operations in served_schema["paths"].items()
        for method, operation in operations.items()
        if path.startswith("/v1/")
    }

    assert served == OUR_OPERATIONS


def test_served_operation_ids_match_the_reference(served_schema):
    reference_operations = {
        (blank_parameters(path), method): operation["operationId"]
        for path, operations in reference()["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    shared = OUR_OPERATIONS.keys() & reference_operations.keys()

    # Everything but the three Media paths, which the reference does not describe, and the public
    # keys and AWS credentials, which Twilio serves from its Accounts API
    # (accounts.twilio.com/v1/Credentials).
    assert {path for path, _ in OUR_OPERATIONS} - {path for path, _ in shared} == {
        "/v1/Recordings/{}/Media",
        "/v1/Rooms/{}/Recordings/{}/Media",
        "/v1/Compositions/{}/Media",
        "/v1/Credentials/PublicKeys",
        "/v1/Credentials/AWS",
        "/v1/Credentials/AWS/{}",
    }
    for key in shared:
        assert OUR_OPERATIONS[key] == reference_operations[key], key


@pytest.mark.parametrize(
    ("path", "served_path"),
    [
        (LIST, "/v1/Recordings"),
        (ROOM_LIST, "/v1/Rooms/{room_sid}/Recordings"),
        ("/v1/Compositions", "/v1/Compositions"),
        ("/v1/CompositionHooks", "/v1/CompositionHooks"),
    ],
)
def test_served_list_query_parameters_are_the_references(served_schema, path, served_path):
    def query_parameters(operation: dict) -> set[str]:
        return {p["name"] for p in operation["parameters"] if p["in"] == "query"}

    served = query_parameters(served_schema["paths"][served_path]["get"])

    assert served == query_parameters(reference()["paths"][path]["get"])


@pytest.mark.parametrize(
    ("component", "reference_component"),
    [
        ("Recording", "video.v1.recording"),
        ("RoomRecording", "video.v1.room.room_recording"),
        ("RecordingRules", "video.v1.room.room_recording_rule"),
        ("Composition", "video.v1.composition"),
        ("CompositionHook", "video.v1.composition_hook"),
        ("CompositionSettings", "video.v1.composition_settings"),
    ],
)
def test_served_components_declare_every_reference_property(
    served_schema, component, reference_component
):
    served = served_schema["components"]["schemas"][component]["properties"]
    expected = reference()["components"]["schemas"][reference_component]["properties"]

    assert set(expected) <= set(served)


def test_our_bodies_validate_against_our_served_schema(api, data, served_schema):
    def served_response(path: str, method: str = "get") -> dict:
        operation = served_schema["paths"][path][method]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        return resolve_refs(schema, served_schema)

    room = data.room.sid
    rules_url = f"/v1/Rooms/{room}/RecordingRules"
    bodies = [
        (get(api, LIST, PageSize=2), served_response("/v1/Recordings")),
        (get(api, LIST, Status="deleted"), served_response("/v1/Recordings")),
        (
            get(api, f"/v1/Rooms/{room}/Recordings"),
            served_response("/v1/Rooms/{room_sid}/Recordings"),
        ),
        (get(api, rules_url), served_response("/v1/Rooms/{room}/RecordingRules")),
    ]
    for recording in data.rec.values():
        bodies.append(
            (get(api, f"/v1/Recordings/{recording.sid}"), served_response("/v1/Recordings/{sid}"))
        )
        bodies.append(
            (
                get(api, f"/v1/Rooms/{room}/Recordings/{recording.sid}"),
                served_response("/v1/Rooms/{room_sid}/Recordings/{sid}"),
            )
        )
    for body, schema in bodies:
        assert schema_errors(body, schema) == []


def test_served_schema_declares_http_basic_like_the_reference(served_schema):
    schemes = served_schema.get("components", {}).get("securitySchemes", {})
    basic = [
        name for name, s in schemes.items() if (s["type"], s.get("scheme")) == ("http", "basic")
    ]

    assert basic
    for path, operations in served_schema["paths"].items():
        if path.startswith("/v1/"):
            for operation in operations.values():
                assert {name for req in operation.get("security", []) for name in req} & set(basic)


@pytest.mark.parametrize("path", ["/v1/Recordings", "/v1/Rooms/{room_sid}/Recordings"])
def test_served_list_schema_describes_meta(served_schema, path):
    operation = served_schema["paths"][path]["get"]
    schema = resolve_refs(
        operation["responses"]["200"]["content"]["application/json"]["schema"], served_schema
    )
    expected = reference_response_schema(LIST)["properties"]["meta"]["properties"]

    assert set(schema["properties"]["meta"].get("properties", {})) == set(expected)
