"""Bad input through every /v1 endpoint: each answers a Twilio error body, never a 500 or HTML.

Paths and query strings are templates: ``{rt}`` is a completed recording, ``{rm}`` its room,
``{pa}`` its participant, ``{mt}`` its track, ``{rt_other_room}`` a recording in another room.
"""

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core import signing
from rest_framework.test import APIClient

from console.models import AuditEvent
from console.services import SYSTEM
from recordings.video import services
from recordings.video.choices import RecordingStatus, RoomType
from recordings.video.models import Recording
from tests.factories import RecordingFactory, RoomFactory
from tests.helpers import INVALID_RULES, assert_twilio_error, basic_auth

FORM = "application/x-www-form-urlencoded"
HEX = "0123456789abcdef" * 2
MISSING_RT = "RT" + "0" * 32
MISSING_RM = "RM" + "0" * 32
STORED_RULES = [{"type": "include", "kind": "audio"}]


@pytest.fixture
def world(account, make_completed_recording):
    """One room with three completed recordings (so lists have pages) and a second room."""
    first = make_completed_recording()
    room = first.room
    others = [make_completed_recording(track__participant__room=room) for _ in range(2)]
    elsewhere = make_completed_recording()
    services.recording_rules_update(room=room, document=json.dumps(STORED_RULES), actor=SYSTEM)
    return {
        "rt": first.sid,
        "rm": room.sid,
        "pa": first.participant_id,
        "mt": first.track_id,
        "room_name": room.unique_name,
        "rt_other_room": elsewhere.sid,
        "recordings": [first, *others],
    }


def fill(template: str, world: dict) -> str:
    return template.format(**world)


def form_post(client, path: str, data: dict | list):
    return client.post(path, urlencode(data), content_type=FORM)


def rules_of(api, world) -> list:
    response = api.get(fill("/v1/Rooms/{rm}/RecordingRules", world))
    assert response.status_code == 200
    return response.json()["rules"]


# --- query parameters -------------------------------------------------------------------------

LISTS = {"list": "/v1/Recordings", "room-list": "/v1/Rooms/{rm}/Recordings"}
MEDIA = {"media": "/v1/Recordings/{rt}/Media", "room-media": "/v1/Rooms/{rm}/Recordings/{rt}/Media"}


# (id, endpoints, params, http status, Twilio code, marks)
_QUERY_CASES = [
    ("Status-bogus", LISTS, {"Status": "bogus"}, 400, 20001, ()),
    ("Status-uppercase", LISTS, {"Status": "COMPLETED"}, 400, 20001, ()),
    ("MediaType-bogus", {"list": LISTS["list"]}, {"MediaType": "bogus"}, 400, 20001, ()),
    ("SourceSid-short", LISTS, {"SourceSid": "MT123"}, 400, 20001, ()),
    ("SourceSid-bad-chars", LISTS, {"SourceSid": "MT" + "z" * 32}, 400, 20001, ()),
    ("SourceSid-35-chars", LISTS, {"SourceSid": "MT" + HEX + "a"}, 400, 20001, ()),
    ("SourceSid-digit-prefix", LISTS, {"SourceSid": "M1" + HEX}, 400, 20001, ()),
    ("SourceSid-space", LISTS, {"SourceSid": "MT" + HEX[:16] + " " + HEX[17:]}, 400, 20001, ()),
    (
        "SourceSid-trailing-newline",
        LISTS,
        {"SourceSid": "MT" + HEX + "\n"},
        400,
        20001,
        (),
    ),
    ("GroupingSid-short", {"list": LISTS["list"]}, {"GroupingSid": "RM123"}, 400, 20001, ()),
    (
        "GroupingSid-bad-chars",
        {"list": LISTS["list"]},
        {"GroupingSid": "RM" + "-" * 32},
        400,
        20001,
        (),
    ),
    (
        "GroupingSid-35-chars",
        {"list": LISTS["list"]},
        {"GroupingSid": "RM" + HEX + "0"},
        400,
        20001,
        (),
    ),
    (
        "GroupingSid-second-of-two-bad",
        {"list": LISTS["list"]},
        [("GroupingSid", "{rm}"), ("GroupingSid", "PAnope")],
        400,
        20001,
        (),
    ),
    (
        "GroupingSid-trailing-newline",
        {"list": LISTS["list"]},
        {"GroupingSid": "RM" + HEX + "\n"},
        400,
        20001,
        (),
    ),
    ("DateCreatedAfter-words", LISTS, {"DateCreatedAfter": "yesterday"}, 400, 20001, ()),
    (
        "DateCreatedAfter-month-13",
        LISTS,
        {"DateCreatedAfter": "2026-13-01T00:00:00Z"},
        400,
        20001,
        (),
    ),
    ("DateCreatedBefore-words", LISTS, {"DateCreatedBefore": "tomorrow"}, 400, 20001, ()),
    (
        "DateCreatedBefore-hour-25",
        LISTS,
        {"DateCreatedBefore": "2026-01-01T25:00:00Z"},
        400,
        20001,
        (),
    ),
    ("PageSize-0", LISTS, {"PageSize": "0"}, 400, 20007, ()),
    ("PageSize-minus-1", LISTS, {"PageSize": "-1"}, 400, 20007, ()),
    ("PageSize-1001", LISTS, {"PageSize": "1001"}, 400, 20007, ()),
    ("PageSize-abc", LISTS, {"PageSize": "abc"}, 400, 20001, ()),
    ("PageSize-float", LISTS, {"PageSize": "1.5"}, 400, 20001, ()),
    ("Page-minus-1", LISTS, {"Page": "-1"}, 400, 20001, ()),
    ("Page-x", LISTS, {"Page": "x"}, 400, 20001, ()),
    ("PageToken-garbage", LISTS, {"PageToken": "garbage"}, 400, 21481, ()),
    ("PageToken-truncated", LISTS, {"PageToken": "{token_truncated}"}, 400, 21481, ()),
    ("PageToken-tampered", LISTS, {"PageToken": "{token_tampered}"}, 400, 21481, ()),
    ("PageToken-other-salt", LISTS, {"PageToken": "{token_other_salt}"}, 400, 21481, ()),
    ("PageToken-unsigned", LISTS, {"PageToken": "{token_unsigned}"}, 400, 21481, ()),
    ("Ttl-0", MEDIA, {"Ttl": "0"}, 400, 20001, ()),
    ("Ttl-3601", MEDIA, {"Ttl": "3601"}, 400, 20001, ()),
    ("Ttl-abc", MEDIA, {"Ttl": "abc"}, 400, 20001, ()),
    ("Ttl-minus-5", MEDIA, {"Ttl": "-5"}, 400, 20001, ()),
    ("Ttl-float", MEDIA, {"Ttl": "1.5"}, 400, 20001, ()),
    (
        "Ttl-superscript-two",
        MEDIA,
        {"Ttl": "\u00b2"},
        400,
        20001,
        (),
    ),
    (
        "Ttl-5000-digits",
        MEDIA,
        {"Ttl": "9" * 5000},
        400,
        20001,
        (),
    ),
    ("ContentDisposition-evil", MEDIA, {"ContentDisposition": "evil"}, 400, 20001, ()),
    (
        "ContentDisposition-crlf",
        MEDIA,
        {"ContentDisposition": "attachment\r\nSet-Cookie: a=b"},
        400,
        20001,
        (),
    ),
    (
        "ContentDisposition-lf-in-filename",
        MEDIA,
        {"ContentDisposition": 'inline; filename="a\nb.mka"'},
        400,
        20001,
        (),
    ),
    (
        "ContentDisposition-nul",
        MEDIA,
        {"ContentDisposition": 'attachment; filename="a\x00b.mka"'},
        400,
        20001,
        (),
    ),
]
QUERY_CASES = [
    pytest.param(endpoint, params, status, code, marks=marks, id=f"{name}@{endpoint_id}")
    for name, endpoints, params, status, code, marks in _QUERY_CASES
    for endpoint_id, endpoint in endpoints.items()
]


@pytest.fixture
def tokens(api, world) -> dict[str, str]:
    """A real PageToken and broken variants of it."""
    response = api.get("/v1/Recordings", {"PageSize": 1})
    token = parse_qs(urlsplit(response.json()["meta"]["next_page_url"]).query)["PageToken"][0]
    i = 3  # inside the signed payload, before the ":" that starts the signature
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    payload = ["2026-01-01T00:00:00+00:00", world["rt"], 1]
    return {
        "token_truncated": token[:-4],
        "token_tampered": tampered,
        "token_other_salt": signing.dumps(payload, salt="roomvault.media.url"),
        "token_unsigned": signing.dumps(payload, salt="roomvault.api.page-token")[:-43] + "x" * 43,
    }


@pytest.mark.parametrize(("endpoint", "params", "status", "code"), QUERY_CASES)
def test_bad_query_parameter(request, api, world, endpoint, params, status, code):
    items = params.items() if isinstance(params, dict) else params
    needs_token = any("{token" in value for _, value in items)
    values = {**world, **(request.getfixturevalue("tokens") if needs_token else {})}
    query = [(name, value.format(**values) if "{" in value else value) for name, value in items]
    response = api.get(fill(endpoint, world), query)
    assert_twilio_error(response, status, code)


@pytest.mark.parametrize(
    ("endpoint", "params", "status"),
    [
        pytest.param(LISTS["list"], {"PageSize": "1000"}, 200, id="PageSize-1000@list"),
        pytest.param(LISTS["room-list"], {"PageSize": "1000"}, 200, id="PageSize-1000@room-list"),
        pytest.param(LISTS["list"], {"PageSize": "1"}, 200, id="PageSize-1@list"),
        pytest.param(LISTS["list"], {"Page": "0"}, 200, id="Page-0@list"),
        pytest.param(LISTS["list"], {"Status": "deleted"}, 200, id="Status-deleted@list"),
        pytest.param(LISTS["list"], {"SourceSid": "MT" + HEX.upper()}, 200, id="SourceSid-upper"),
        pytest.param(MEDIA["media"], {"Ttl": "1"}, 302, id="Ttl-1@media"),
        pytest.param(MEDIA["media"], {"Ttl": "3600"}, 302, id="Ttl-3600@media"),
        pytest.param(MEDIA["room-media"], {"Ttl": "1"}, 302, id="Ttl-1@room-media"),
        pytest.param(MEDIA["room-media"], {"Ttl": "3600"}, 302, id="Ttl-3600@room-media"),
        pytest.param(MEDIA["media"], {"ContentDisposition": "inline"}, 302, id="CD-inline"),
        pytest.param(
            MEDIA["media"],
            {"ContentDisposition": 'attachment; filename="x.mka"'},
            302,
            id="CD-attachment-filename",
        ),
    ],
)
def test_boundary_values_are_accepted(api, world, endpoint, params, status):
    response = api.get(fill(endpoint, world), params)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    if status == 200:
        body = response.json()
        assert set(body) == {"recordings", "meta"}
        assert body["meta"]["page_size"] == int(params.get("PageSize", 50))
    else:
        assert response.json() == {"redirect_to": response["Location"]}


# --- paths ------------------------------------------------------------------------------------

# Near misses of a real SID (so that only validation or an exact lookup can refuse them).
MALFORMED = {
    "short": lambda sid: sid[:5],
    "33-chars": lambda sid: sid[:-1],
    "35-chars": lambda sid: sid + "0",
    "bad-char": lambda sid: sid[:-1] + "g",
    "lowercase-prefix": lambda sid: sid[:2].lower() + sid[2:],
    "upper-hex": lambda sid: sid[:2] + sid[2:].upper(),
    "wrong-prefix": lambda sid: "ZZ" + sid[2:],
    "trailing-newline": lambda sid: sid + "%0A",
    "trailing-space": lambda sid: sid + "%20",
    "trailing-nul": lambda sid: sid + "%00",
    "leading-space": lambda sid: "%20" + sid,
    "sql-wildcard": lambda sid: sid[:-1] + "%25",
    "dotdot": lambda sid: "%2e%2e",
    "unicode-digit": lambda sid: sid[:-1] + "\u0663",
}


PATH_POSITIONS = {
    "fetch": ("GET", "/v1/Recordings/{bad_rt}"),
    "delete": ("DELETE", "/v1/Recordings/{bad_rt}"),
    "media": ("GET", "/v1/Recordings/{bad_rt}/Media"),
    "room-list": ("GET", "/v1/Rooms/{bad_rm}/Recordings"),
    "room-fetch-room": ("GET", "/v1/Rooms/{bad_rm}/Recordings/{rt}"),
    "room-fetch-rec": ("GET", "/v1/Rooms/{rm}/Recordings/{bad_rt}"),
    "room-delete-room": ("DELETE", "/v1/Rooms/{bad_rm}/Recordings/{rt}"),
    "room-delete-rec": ("DELETE", "/v1/Rooms/{rm}/Recordings/{bad_rt}"),
    "room-media-room": ("GET", "/v1/Rooms/{bad_rm}/Recordings/{rt}/Media"),
    "room-media-rec": ("GET", "/v1/Rooms/{rm}/Recordings/{bad_rt}/Media"),
    "rules-get": ("GET", "/v1/Rooms/{bad_rm}/RecordingRules"),
    "rules-post": ("POST", "/v1/Rooms/{bad_rm}/RecordingRules"),
}


def _request(client, method: str, path: str, data=None):
    if method in ("POST", "PUT", "PATCH"):
        body = urlencode(data or {"Rules": '[{"type": "include", "all": true}]'})
        return getattr(client, method.lower())(path, body, content_type=FORM)
    return getattr(client, method.lower())(path)


@pytest.mark.parametrize("position", list(PATH_POSITIONS))
def test_malformed_sid_in_path_is_404(api, world, position):
    method, template = PATH_POSITIONS[position]
    for variant, near_miss in MALFORMED.items():
        path = template.format(
            **world, bad_rt=near_miss(world["rt"]), bad_rm=near_miss(world["rm"])
        )
        response = _request(api, method, path)
        assert response.status_code == 404, (variant, response.content)
        assert_twilio_error(response, 404, 20404)
    assert all(
        r.status == RecordingStatus.COMPLETED for r in Recording.objects.filter(room_id=world["rm"])
    )
    assert rules_of(api, world) == STORED_RULES


UNKNOWN_SIDS = {
    "fetch": ("GET", "/v1/Recordings/" + MISSING_RT),
    "delete": ("DELETE", "/v1/Recordings/" + MISSING_RT),
    "media": ("GET", f"/v1/Recordings/{MISSING_RT}/Media"),
    "room-list": ("GET", f"/v1/Rooms/{MISSING_RM}/Recordings"),
    "room-fetch-room": ("GET", f"/v1/Rooms/{MISSING_RM}/Recordings/{{rt}}"),
    "room-fetch-rec": ("GET", f"/v1/Rooms/{{rm}}/Recordings/{MISSING_RT}"),
    "room-fetch-other-room": ("GET", "/v1/Rooms/{rm}/Recordings/{rt_other_room}"),
    "room-delete-other-room": ("DELETE", "/v1/Rooms/{rm}/Recordings/{rt_other_room}"),
    "room-media-other-room": ("GET", "/v1/Rooms/{rm}/Recordings/{rt_other_room}/Media"),
    "room-media-room": ("GET", f"/v1/Rooms/{MISSING_RM}/Recordings/{{rt}}/Media"),
    "rules-get": ("GET", f"/v1/Rooms/{MISSING_RM}/RecordingRules"),
    "rules-post": ("POST", f"/v1/Rooms/{MISSING_RM}/RecordingRules"),
    "rules-get-unknown-name": ("GET", "/v1/Rooms/no-such-room/RecordingRules"),
    "fetch-room-sid-as-recording": ("GET", "/v1/Recordings/{rm}"),
    "rules-recording-sid-as-room": ("GET", "/v1/Rooms/{rt}/RecordingRules"),
}


@pytest.mark.parametrize("case", list(UNKNOWN_SIDS))
def test_unknown_sid_is_404(api, world, case):
    method, template = UNKNOWN_SIDS[case]
    assert_twilio_error(_request(api, method, fill(template, world)), 404, 20404)
    assert Recording.objects.get(sid=world["rt_other_room"]).status == RecordingStatus.COMPLETED


@pytest.mark.parametrize(
    "path",
    [
        "/v1/Foo",
        "/v1/",
        "/v1/recordings",
        "/v1/Recordings/",
        "/v1/Recordings/{rt}/Bar",
        "/v1/Recordings/{rt}/Media/extra",
        "/v1/Rooms/{rm}/Participants/{rt}/Bar",
        "/v1/Rooms/{rm}/Recordings/{rt}/Bar",
        "/v1/Rooms/{rm}/RecordingRules/extra",
    ],
)
def test_unknown_path_is_404(api, world, path):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        response = _request(api, method, fill(path, world), {"x": "1"})
        assert response.status_code == 404, (method, response.content)
        body = assert_twilio_error(response, 404, 20404)
        assert body["message"] == (
            f"The requested resource {fill(path, world).removeprefix('/v1')} was not found"
        )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/Recordings"),
        ("PUT", "/v1/Recordings"),
        ("PATCH", "/v1/Recordings"),
        ("DELETE", "/v1/Recordings"),
        ("POST", "/v1/Recordings/{rt}"),
        ("PUT", "/v1/Recordings/{rt}"),
        ("PATCH", "/v1/Recordings/{rt}"),
        ("POST", "/v1/Recordings/{rt}/Media"),
        ("DELETE", "/v1/Recordings/{rt}/Media"),
        ("POST", "/v1/Rooms/{rm}/Recordings"),
        ("POST", "/v1/Rooms/{rm}/Recordings/{rt}"),
        ("PUT", "/v1/Rooms/{rm}/Recordings/{rt}"),
        ("POST", "/v1/Rooms/{rm}/Recordings/{rt}/Media"),
        ("PUT", "/v1/Rooms/{rm}/RecordingRules"),
        ("PATCH", "/v1/Rooms/{rm}/RecordingRules"),
        ("DELETE", "/v1/Rooms/{rm}/RecordingRules"),
    ],
)
def test_wrong_method_is_405(api, world, method, path):
    response = getattr(api, method.lower())(
        fill(path, world), urlencode({"Rules": "[]"}), content_type=FORM
    )
    assert_twilio_error(response, 405, 20004)
    assert Recording.objects.get(sid=world["rt"]).status == RecordingStatus.COMPLETED
    assert rules_of(api, world) == STORED_RULES


# --- credentials ------------------------------------------------------------------------------

AUTH_CASES = {
    "none": lambda account: None,
    "wrong-token": lambda account: basic_auth(account.sid, "0" * 32),
    "empty-password": lambda account: basic_auth(account.sid, ""),
    "token-case-changed": lambda account: basic_auth(account.sid, account.auth_token.upper()),
    "username-only": lambda account: "Basic " + _b64(account.sid),
    "not-base64": lambda account: "Basic !!!not-base64!!!",
    "basic-no-credentials": lambda account: "Basic",
    "basic-three-parts": lambda account: "Basic a b",
    "bearer": lambda account: f"Bearer {account.auth_token}",
    "lowercase-sid": lambda account: basic_auth(account.sid.lower(), account.auth_token),
    "username-not-ac-or-sk": lambda account: basic_auth("bob", account.auth_token),
    "username-other-prefix": lambda account: basic_auth("US" + account.sid[2:], account.auth_token),
    "unknown-ac": lambda account: basic_auth("AC" + HEX, account.auth_token),
    "unknown-sk": lambda account: basic_auth("SK" + HEX, account.auth_token),
}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


AUTH_ENDPOINTS = {
    "list": ("GET", "/v1/Recordings"),
    "fetch": ("GET", "/v1/Recordings/{rt}"),
    "delete": ("DELETE", "/v1/Recordings/{rt}"),
    "media": ("GET", "/v1/Recordings/{rt}/Media"),
    "room-list": ("GET", "/v1/Rooms/{rm}/Recordings"),
    "room-fetch": ("GET", "/v1/Rooms/{rm}/Recordings/{rt}"),
    "room-media": ("GET", "/v1/Rooms/{rm}/Recordings/{rt}/Media"),
    "rules-get": ("GET", "/v1/Rooms/{rm}/RecordingRules"),
    "rules-post": ("POST", "/v1/Rooms/{rm}/RecordingRules"),
    "unknown-path": ("GET", "/v1/Foo"),
    "wrong-method": ("PUT", "/v1/Recordings"),
}


@pytest.mark.parametrize("credentials", list(AUTH_CASES))
def test_bad_credentials_are_401(api, account, world, credentials):
    client = APIClient()
    header = AUTH_CASES[credentials](account)
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    for endpoint, (method, template) in AUTH_ENDPOINTS.items():
        response = _request(client, method, fill(template, world), {"Rules": "[]"})
        assert response.status_code == 401, (endpoint, response.content)
        body = assert_twilio_error(response, 401, 20003)
        assert response["WWW-Authenticate"] == 'Basic realm="Twilio API"', endpoint
        assert body["message"] == "Authenticate"
    assert Recording.objects.get(sid=world["rt"]).status == RecordingStatus.COMPLETED
    assert rules_of(api, world) == STORED_RULES


# --- RecordingRules bodies --------------------------------------------------------------------


@pytest.mark.parametrize("document", INVALID_RULES.values(), ids=INVALID_RULES.keys())
def test_invalid_rules_are_53120_and_change_nothing(api, world, document):
    response = form_post(api, fill("/v1/Rooms/{rm}/RecordingRules", world), {"Rules": document})
    body = assert_twilio_error(response, 400, 53120)
    assert body["message"].startswith("Invalid Recording Rule(s)")
    assert rules_of(api, world) == STORED_RULES
    assert not AuditEvent.objects.filter(action="recording_rules.update", actor__startswith="api:")


def test_twenty_rules_are_accepted(api, world):
    rules = [{"type": "include", "publisher": f"p{i}"} for i in range(20)]
    response = form_post(
        api, fill("/v1/Rooms/{rm}/RecordingRules", world), {"Rules": json.dumps(rules)}
    )
    assert response.status_code == 200, response.content
    assert rules_of(api, world) == rules


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("", FORM, id="empty-body"),
        pytest.param(urlencode({"rules": "[]"}), FORM, id="lowercase-name"),
        pytest.param(urlencode({"Rule": "[]"}), FORM, id="misspelled-name"),
        pytest.param(
            json.dumps({"Rules": [{"type": "include", "all": True}]}),
            "application/json",
            id="json-body",
        ),
        pytest.param(
            json.dumps({"Rules": '[{"type": "include", "all": true}]'}),
            "application/json",
            id="json-body-string-rules",
        ),
        pytest.param('[{"type": "include", "all": true}]', "text/plain", id="text-plain"),
        pytest.param("&".join(f"f{i}=1" for i in range(1100)), FORM, id="too-many-fields"),
    ],
)
def test_rules_body_without_form_rules_is_20001(api, world, body, content_type):
    response = api.post(
        fill("/v1/Rooms/{rm}/RecordingRules", world), body, content_type=content_type
    )
    assert_twilio_error(response, 400, 20001)
    assert rules_of(api, world) == STORED_RULES


def test_oversized_body_is_413(api, world, settings):
    body = urlencode(
        {
            "Rules": '[{"type": "include", "all": true}]',
            "Padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        }
    )
    response = api.post(fill("/v1/Rooms/{rm}/RecordingRules", world), body, content_type=FORM)
    assert_twilio_error(response, 413, 20413)
    assert rules_of(api, world) == STORED_RULES


@pytest.mark.parametrize("room_type", [RoomType.PEER_TO_PEER, RoomType.GO])
@pytest.mark.parametrize("by", ["sid", "name"])
def test_rules_on_unsupported_room_type_is_53122(api, account, room_type, by):
    room = RoomFactory(account=account, type=room_type)
    ref = room.sid if by == "sid" else room.unique_name
    response = form_post(
        api, f"/v1/Rooms/{ref}/RecordingRules", {"Rules": '[{"type": "include", "all": true}]'}
    )
    assert_twilio_error(response, 400, 53122)
    after = api.get(f"/v1/Rooms/{ref}/RecordingRules")
    assert after.status_code == 200
    assert after.json()["rules"] == []
    assert after.json()["date_created"] is None


@pytest.mark.parametrize("room_type", [RoomType.GROUP, RoomType.GROUP_SMALL])
def test_rules_on_group_rooms_are_accepted(api, account, room_type):
    room = RoomFactory(account=account, type=room_type)
    response = form_post(
        api, f"/v1/Rooms/{room.sid}/RecordingRules", {"Rules": '[{"type": "include", "all": true}]'}
    )
    assert response.status_code == 200, response.content


# --- conflicts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/Recordings/{sid}", "/v1/Rooms/{room}/Recordings/{sid}"], ids=["top", "room"]
)
def test_delete_of_processing_recording_is_409_and_changes_nothing(api, account, path):
    recording = RecordingFactory(track__participant__room__account=account)
    before = Recording.objects.get(pk=recording.pk)
    response = api.delete(path.format(sid=recording.sid, room=recording.room_id))
    body = assert_twilio_error(response, 409, 20409)
    assert recording.sid in body["message"]
    after = Recording.objects.get(pk=recording.pk)
    assert (after.status, after.date_deleted, after.date_updated) == (
        RecordingStatus.PROCESSING,
        None,
        before.date_updated,
    )
    assert not AuditEvent.objects.filter(object_sid=recording.sid).exists()


# --- hostile input sweep ----------------------------------------------------------------------

HOSTILE = {
    "long": "A" * 10_000,
    "long-digits": "9" * 5000,
    "unicode": "\u03a9mega \U0001f4a5 \u202e\u0645\u0631\u062d\u0628\u0627",
    "nul": "\x00",
    "nul-in-sid": "RT" + HEX[:16] + "\x00" + HEX[17:],
    "percent-00": "%00",
    "sql-quote": "' OR '1'='1",
    "sql-drop": "x'; DROP TABLE recordings_recording; --",
    "sql-like": "%_%",
    "superscript-digit": "\u00b2",
    "arabic-digit": "\u0663",
    "negative-zero": "-0",
    "min-date-east": "0001-01-01T00:00:00+14:00",
    "max-date-west": "9999-12-31T23:59:59-14:00",
    "path-traversal": "../../etc/passwd",
    "html": "<script>alert(1)</script>",
    "crlf": "a\r\nb",
    "lone-surrogate-escape": "\\ud800",
    "json": '{"$gt": ""}',
    "whitespace": " \t ",
}
LIST_PARAMS = (
    "Status",
    "SourceSid",
    "GroupingSid",
    "DateCreatedAfter",
    "DateCreatedBefore",
    "MediaType",
    "PageSize",
    "Page",
    "PageToken",
)
ROOM_LIST_PARAMS = tuple(p for p in LIST_PARAMS if p not in ("GroupingSid", "MediaType"))
MEDIA_PARAMS = ("Ttl", "ContentDisposition")

SWEEP = [
    pytest.param(endpoint, param, id=f"{endpoint_id}-{param}")
    for endpoint_id, endpoint, params in (
        ("list", "/v1/Recordings", LIST_PARAMS),
        ("room-list", "/v1/Rooms/{rm}/Recordings", ROOM_LIST_PARAMS),
        ("media", "/v1/Recordings/{rt}/Media", MEDIA_PARAMS),
        ("room-media", "/v1/Rooms/{rm}/Recordings/{rt}/Media", MEDIA_PARAMS),
    )
    for param in params
]


def assert_error_or_valid_answer(response, context) -> None:
    assert response.status_code < 500, (context, response.content)
    assert response["Content-Type"] == "application/json", context
    body = response.json()
    if response.status_code == 200:
        assert set(body) == {"recordings", "meta"}, context
        assert body["meta"]["key"] == "recordings", context
    elif response.status_code == 302:
        assert body == {"redirect_to": response["Location"]}, context
    else:
        assert_twilio_error(response, response.status_code, body["code"])


@pytest.mark.parametrize(("endpoint", "param"), SWEEP)
def test_hostile_query_values_never_500(api, world, endpoint, param):
    for value_id, value in HOSTILE.items():
        response = api.get(fill(endpoint, world), {param: value})
        assert_error_or_valid_answer(response, (param, value_id))
    # Repeated, and mixed with other values: the same rule applies.
    values = [(param, v) for v in HOSTILE.values()]
    assert_error_or_valid_answer(api.get(fill(endpoint, world), values), (param, "all-at-once"))


@pytest.mark.parametrize("endpoint", list(LISTS.values()), ids=list(LISTS))
@pytest.mark.parametrize("param", ["DateCreatedAfter", "DateCreatedBefore"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_extreme_dates_never_500(api, world, endpoint, param, value):
    # Either a 400 or an answer (these dates are valid ISO 8601); never an OverflowError.
    response = api.get(fill(endpoint, world), {param: value})
    assert_error_or_valid_answer(response, (param, value))


@pytest.mark.parametrize(
    "template",
    [
        "/v1/Recordings/{v}",
        "/v1/Recordings/{v}/Media",
        "/v1/Rooms/{v}/Recordings",
        "/v1/Rooms/{rm}/Recordings/{v}",
        "/v1/Rooms/{v}/RecordingRules",
    ],
)
def test_hostile_values_in_path_never_500(api, world, template):
    for value_id, raw in HOSTILE.items():
        value = raw.replace("%", "%25").replace("/", "%2F").replace("?", "%3F").replace("#", "%23")
        for method in ("GET", "DELETE", "POST"):
            response = _request(
                api, method, template.replace("{rm}", world["rm"]).replace("{v}", value)
            )
            if response.status_code == 405:
                assert_twilio_error(response, 405, 20004)
            else:
                assert response.status_code == 404, (value_id, method, response.content)
                assert_twilio_error(response, 404, 20404)
