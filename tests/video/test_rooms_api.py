"""The /v1 Rooms and Participants endpoints, driven by the official ``twilio`` client.

Live rooms and an account's recording settings are built with the services, under
``time_machine`` so that dates, durations and list order are exact. Bodies are checked against
Twilio's official OpenAPI (``video.v1.room`` and ``video.v1.room.room_participant``); raw cases
use the DRF client.
"""

import contextlib
import json
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from twilio.base.exceptions import TwilioException, TwilioRestException

from console.models import AuditEvent
from console.sids import new_sid
from recordings.lifecycle import tasks
from recordings.lifecycle.exceptions import RoomNameInUse
from recordings.lifecycle.models import CallbackDelivery
from recordings.video import selectors, services
from recordings.video.choices import MediaType, ParticipantStatus, RecordingStatus, RoomStatus
from recordings.video.models import Recording, RecordingRules, RecordingSettings, Room, Track
from recordings.video.rules import RECORD_ALL
from recordings.video.services.settings import recording_settings_update
from tests.factories import ParticipantFactory, RoomFactory
from tests.twilio_helpers import (
    TWILIO_TIMESTAMP,
    is_absolute_url,
    reference,
    reference_response_schema,
    schema_errors,
    twilio_client,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROOM_FIELDS = set(reference()["components"]["schemas"]["video.v1.room"]["properties"])
PARTICIPANT_FIELDS = set(
    reference()["components"]["schemas"]["video.v1.room.room_participant"]["properties"]
)
ROOM_LINKS = {"participants", "recordings", "recording_rules", "transcriptions"}
PARTICIPANT_LINKS = {"published_tracks", "subscribed_tracks", "subscribe_rules", "anonymize"}
FORM = "application/x-www-form-urlencoded"


def at(minutes: float, seconds: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def create_at(when: datetime, **kwargs) -> Room:
    with time_machine.travel(when, tick=False):
        return services.room_create(**kwargs)


def complete_at(when: datetime, room: Room) -> Room:
    with time_machine.travel(when, tick=False):
        return services.room_complete(room=room)


def connect_at(when: datetime, room: Room, identity: str):
    with time_machine.travel(when, tick=False):
        return services.participant_connect(room=room, identity=identity)


def disconnect_at(when: datetime, participant):
    with time_machine.travel(when, tick=False):
        return services.participant_disconnect(participant=participant)


def publish_at(when: datetime, participant, name: str, kind: str, codec: str):
    with time_machine.travel(when, tick=False):
        return services.track_publish(participant=participant, name=name, kind=kind, codec=codec)


def rest_error(call) -> tuple[int, int, str]:
    """Run a client call that must fail; return (HTTP status, Twilio code, message)."""
    try:
        result = call()
    except TwilioRestException as exc:
        return exc.status, exc.code, exc.msg.split(": ", 1)[1]
    except TwilioException as exc:  # a list: "Unable to fetch page", with the response
        result = exc.args[1]
    else:
        if getattr(result, "status_code", 0) < 400:
            pytest.fail(f"expected an error, got {result!r}")
    body = json.loads(result.text)
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == result.status_code
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    return result.status_code, body["code"], body["message"]


def sids_of(items) -> list[str]:
    return [item.sid for item in items]


def raw(client, method: str, url: str, data=None, params=None) -> tuple[int, dict]:
    response = client.request(method, url, data=data, params=params)
    return response.status_code, json.loads(response.text)


def assert_room_body(body: dict, schema: dict, base_url: str) -> None:
    assert set(body) == ROOM_FIELDS, set(body) ^ ROOM_FIELDS
    assert schema_errors(body, schema) == []
    for name in ("date_created", "date_updated"):
        assert TWILIO_TIMESTAMP.match(body[name]), body[name]
    assert body["end_time"] is None or TWILIO_TIMESTAMP.match(body["end_time"])
    assert body["url"] == f"{base_url}/v1/Rooms/{body['sid']}"
    assert set(body["links"]) == ROOM_LINKS
    assert all(is_absolute_url(link) for link in body["links"].values())
    assert body["links"]["participants"] == body["url"] + "/Participants"
    assert body["links"]["recording_rules"] == body["url"] + "/RecordingRules"


def assert_participant_body(body: dict, schema: dict, base_url: str) -> None:
    assert set(body) == PARTICIPANT_FIELDS, set(body) ^ PARTICIPANT_FIELDS
    assert schema_errors(body, schema) == []
    for name in ("date_created", "date_updated", "start_time"):
        assert TWILIO_TIMESTAMP.match(body[name]), body[name]
    assert body["url"] == (f"{base_url}/v1/Rooms/{body['room_sid']}/Participants/{body['sid']}")
    assert set(body["links"]) == PARTICIPANT_LINKS
    assert all(link.startswith(body["url"] + "/") for link in body["links"].values())


# --- fixtures ---------------------------------------------------------------------------------


class _FakeDelivery:
    """Stands in for the callback delivery task: no HTTP leaves the test."""

    def __init__(self):
        self.queued: list[int] = []


@pytest.fixture(autouse=True)
def no_callback_http(monkeypatch):
    fake = _FakeDelivery()
    monkeypatch.setattr(tasks.deliver_callback, "delay", fake.queued.append)
    return fake


@pytest.fixture
def client(live_server, account):
    return twilio_client(live_server.url, account.sid, account.auth_token)


@pytest.fixture
def other_client(live_server, other_account):
    return twilio_client(live_server.url, other_account.sid, other_account.auth_token)


@pytest.fixture
def rooms_url(live_server) -> str:
    return f"{live_server.url}/v1/Rooms"


@pytest.fixture
def rooms(account, other_account):
    """Rooms of ``account`` at minutes after T0, and two of ``other_account``.

    0 alpha (completed at 0:30) · 1 beta (in progress) · 2 alpha again (in progress) ·
    3 unnamed (completed at 3:45) · 4 gamma (failed, historic). Other account: beta at 1:30 (in
    progress, same name as ours) and delta at 2:30 (in progress). A list without Status shows
    only the in-progress ones (r2, r1).
    """
    r0 = complete_at(at(0, 30), create_at(at(0), account=account, unique_name="alpha"))
    r1 = create_at(at(1), account=account, unique_name="beta")
    r2 = create_at(at(2), account=account, unique_name="alpha")
    r3 = complete_at(at(3, 45), create_at(at(3), account=account))
    failed = RoomFactory(
        account=account,
        unique_name="gamma",
        status=RoomStatus.FAILED,
        date_created=at(4),
        end_time=at(4, 10),
    )
    foreign_beta = create_at(at(1, 30), account=other_account, unique_name="beta")
    foreign_delta = create_at(at(2, 30), account=other_account, unique_name="delta")
    return SimpleNamespace(
        r0=r0,
        r1=r1,
        r2=r2,
        r3=r3,
        failed=failed,
        foreign_beta=foreign_beta,
        foreign_delta=foreign_delta,
        all=[failed.sid, r3.sid, r2.sid, r1.sid, r0.sid],
        by_status={
            "in-progress": [r2.sid, r1.sid],
            "completed": [r3.sid, r0.sid],
            "failed": [failed.sid],
        },
    )


@pytest.fixture
def standup(account, other_account):
    """An in-progress room "standup" (created at T0) and its participants, newest first:

    carl (connected at 4) · alice2 (connected at 3, replacing alice1) · bob (connected at 2, left
    at 2:45) · alice1 (connected at 1, disconnected at 3 when alice joined again). The other
    account has a room with the same name and its own participant.
    """
    room = create_at(at(0), account=account, unique_name="standup")
    alice1 = connect_at(at(1), room, "alice")
    bob = connect_at(at(2), room, "bob")
    disconnect_at(at(2, 45), bob)
    alice2 = connect_at(at(3), room, "alice")
    carl = connect_at(at(4), room, "carl")
    foreign_room = create_at(at(0), account=other_account, unique_name="standup")
    foreign = connect_at(at(1), foreign_room, "alice")
    return SimpleNamespace(
        room=room,
        alice1=alice1,
        bob=bob,
        alice2=alice2,
        carl=carl,
        foreign_room=foreign_room,
        foreign=foreign,
    )


# --- create -----------------------------------------------------------------------------------


def test_create_with_no_parameters_answers_201_with_every_reference_field_and_defaults(
    client, live_server, rooms_url, account
):
    status, body = raw(client, "POST", rooms_url, data={})

    assert status == 201
    assert_room_body(body, reference_response_schema("/v1/Rooms", "post", "201"), live_server.url)
    assert body["sid"].startswith("RM")
    assert body["account_sid"] == account.sid
    assert body["status"] == "in-progress"
    assert body["type"] == "group"
    assert body["unique_name"] == body["sid"]
    assert body["status_callback"] is None
    assert body["status_callback_method"] == "POST"
    assert body["record_participants_on_connect"] is False
    assert body["max_participants"] == 50
    assert body["max_participant_duration"] == 14400
    assert body["max_concurrent_published_tracks"] == 170
    assert body["empty_room_timeout"] == 5
    assert body["unused_room_timeout"] == 5
    assert body["audio_only"] is False
    assert body["enable_turn"] is True
    assert body["large_room"] is False
    assert body["end_time"] is None
    assert body["duration"] is None
    assert body["date_created"] == body["date_updated"]
    # No rules were set, so none were stored: nothing would be recorded.
    assert client.video.v1.rooms(body["sid"]).recording_rules.fetch().rules == []


def test_create_through_the_official_client_parses_every_field(client, live_server):
    with time_machine.travel(at(0), tick=False):
        room = client.video.v1.rooms.create(unique_name="daily")

    assert room.sid.startswith("RM")
    assert room.unique_name == "daily"
    assert room.status == "in-progress"
    assert room.type == "group"
    assert room.date_created == room.date_updated == T0
    assert room.end_time is None
    assert room.duration is None
    assert room.url == f"{live_server.url}/v1/Rooms/{room.sid}"
    assert room.links["participants"] == f"{room.url}/Participants"
    assert Room.objects.get(sid=room.sid).unique_name == "daily"


def test_create_honours_every_parameter(client, live_server, account, no_callback_http):
    room = client.video.v1.rooms.create(
        unique_name="board-meeting",
        type="group-small",
        record_participants_on_connect=True,
        status_callback="https://hooks.example.com/video?x=1",
        status_callback_method="GET",
        max_participants=7,
        max_participant_duration=3600,
        empty_room_timeout=9,
        unused_room_timeout=11,
        audio_only=True,
    )

    expected = {
        "unique_name": "board-meeting",
        "type": "group-small",
        "record_participants_on_connect": True,
        "status_callback": "https://hooks.example.com/video?x=1",
        "status_callback_method": "GET",
        "max_participants": 7,
        "max_participant_duration": 3600,
        "empty_room_timeout": 9,
        "unused_room_timeout": 11,
        "audio_only": True,
    }
    assert {name: getattr(room, name) for name in expected} == expected
    fetched = client.video.v1.rooms(room.sid).fetch()
    assert {name: getattr(fetched, name) for name in expected} == expected
    assert Room.objects.get(sid=room.sid).max_participant_duration == 3600
    assert client.video.v1.rooms(room.sid).recording_rules.fetch().rules == RECORD_ALL
    # The status callback is used, with its method: room-created is queued to it.
    delivery = CallbackDelivery.objects.get(room_id=room.sid)
    assert (delivery.event, delivery.url, delivery.method) == (
        "room-created",
        "https://hooks.example.com/video?x=1",
        "GET",
    )
    assert no_callback_http.queued == [delivery.pk]


@pytest.mark.parametrize(
    ("room_type", "tracks"),
    [("group", 170), ("group-small", 170), ("peer-to-peer", 0), ("go", 0)],
)
def test_create_each_room_type_conforms(client, live_server, rooms_url, room_type, tracks):
    status, body = raw(client, "POST", rooms_url, data={"Type": room_type})

    assert status == 201
    assert_room_body(body, reference_response_schema("/v1/Rooms", "post", "201"), live_server.url)
    assert body["type"] == room_type
    assert body["max_concurrent_published_tracks"] == tracks


@pytest.mark.parametrize(
    ("flag", "recorded"), [(True, True), (False, False), ("True", True), ("FALSE", False)]
)
def test_record_participants_on_connect_is_honoured(client, account, flag, recorded):
    room = client.video.v1.rooms.create(record_participants_on_connect=flag)

    assert room.record_participants_on_connect is recorded
    rules = client.video.v1.rooms(room.sid).recording_rules.fetch().rules
    assert rules == (RECORD_ALL if recorded else [])
    # And it does what it says: a published track is recorded or not.
    alice = services.participant_connect(room=Room.objects.get(sid=room.sid), identity="alice")
    services.track_publish(participant=alice, name="mic", kind=MediaType.AUDIO, codec="OPUS")
    recordings = client.video.v1.rooms(room.sid).recordings.list()
    assert [r.track_name for r in recordings] == (["mic"] if recorded else [])


@pytest.mark.parametrize("account_default", [None, False, True], ids=["no-row", "off", "on"])
@pytest.mark.parametrize("param", [None, True, False], ids=["unset", "true", "false"])
def test_record_participants_on_connect_unset_takes_the_accounts_default(
    client, account, account_default, param
):
    if account_default is not None:
        recording_settings_update(account=account, record_participants_on_connect=account_default)
    kwargs = {} if param is None else {"record_participants_on_connect": param}

    room = client.video.v1.rooms.create(**kwargs)

    expected = bool(account_default) if param is None else param
    assert room.record_participants_on_connect is expected
    rules = client.video.v1.rooms(room.sid).recording_rules.fetch()
    assert rules.rules == (RECORD_ALL if expected else [])


@pytest.mark.parametrize("room_type", ["go", "peer-to-peer"])
def test_record_participants_on_connect_is_ignored_outside_group_rooms(client, account, room_type):
    recording_settings_update(account=account, record_participants_on_connect=True)

    explicit = client.video.v1.rooms.create(type=room_type, record_participants_on_connect=True)
    by_default = client.video.v1.rooms.create(type=room_type)

    assert explicit.record_participants_on_connect is False
    assert by_default.record_participants_on_connect is False
    assert not RecordingRules.objects.filter(room_id__in=[explicit.sid, by_default.sid]).exists()


RULES = [{"type": "include", "kind": "audio"}, {"type": "exclude", "publisher": "bot"}]


@pytest.mark.parametrize(
    "recording_rules",
    [RULES, {"rules": RULES}, json.dumps(RULES), json.dumps({"rules": RULES})],
    ids=["array", "wrapped", "array-text", "wrapped-text"],
)
def test_create_with_recording_rules_stores_them(client, recording_rules):
    room = client.video.v1.rooms.create(unique_name="ruled", recording_rules=recording_rules)

    assert room.record_participants_on_connect is False
    assert client.video.v1.rooms(room.sid).recording_rules.fetch().rules == RULES
    # Enforced from the first track: audio is recorded, video is not, the bot is not.
    live = Room.objects.get(sid=room.sid)
    alice = services.participant_connect(room=live, identity="alice")
    bot = services.participant_connect(room=live, identity="bot")
    services.track_publish(participant=alice, name="mic", kind=MediaType.AUDIO, codec="OPUS")
    services.track_publish(participant=alice, name="cam", kind=MediaType.VIDEO, codec="VP8")
    services.track_publish(participant=bot, name="bot-mic", kind=MediaType.AUDIO, codec="OPUS")
    recorded = client.video.v1.rooms(room.sid).recordings.list()
    assert [r.track_name for r in recorded] == ["mic"]


@pytest.mark.parametrize("room_type", ["go", "peer-to-peer"])
def test_recording_rules_on_a_non_group_room_answer_53122_and_create_nothing(
    client, account, room_type
):
    status, code, _ = rest_error(
        lambda: client.video.v1.rooms.create(
            type=room_type, unique_name="p2p", recording_rules=RULES
        )
    )

    assert (status, code) == (400, 53122)
    assert not Room.objects.filter(account=account).exists()


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        '{"rules": []}',
        '{"rules": [{"type": "include", "all": true}], "extra": 1}',
        '[{"type": "include"}]',
        '[{"type": "include", "all": false}]',
        '[{"type": "record", "all": true}]',
        '[{"type": "include", "kind": "screen"}]',
        '{"type": "include", "all": true}',
    ],
)
def test_invalid_recording_rules_answer_53120_and_create_nothing(client, account, document):
    status, code, message = rest_error(
        lambda: client.video.v1.rooms.create(unique_name="bad-rules", recording_rules=document)
    )

    assert (status, code) == (400, 53120)
    assert message.startswith("Invalid Recording Rule(s): ")
    assert not Room.objects.filter(account=account).exists()
    assert not AuditEvent.objects.filter(account=account, action="room.create").exists()
    # Nothing holds the name: the room can be created right after with valid rules.
    room = client.video.v1.rooms.create(unique_name="bad-rules", recording_rules=RECORD_ALL)
    assert room.unique_name == "bad-rules"


def test_a_unique_name_is_taken_only_while_its_room_is_in_progress(client, other_client, account):
    first = client.video.v1.rooms.create(unique_name="standup")

    status, code, message = rest_error(lambda: client.video.v1.rooms.create(unique_name="standup"))
    assert (status, code) == (400, 53113)
    assert "standup" in message
    assert Room.objects.filter(account=account).count() == 1
    # Another account has its own names.
    assert other_client.video.v1.rooms.create(unique_name="standup").unique_name == "standup"

    client.video.v1.rooms(first.sid).update(status="completed")
    second = client.video.v1.rooms.create(unique_name="standup")

    assert second.sid != first.sid
    assert client.video.v1.rooms("standup").fetch().sid == second.sid


def test_a_unique_name_may_not_repeat_a_default_name_in_progress(client, account):
    """An unnamed room is named by its SID; a name shaped like a SID is refused outright (such a
    room could never be fetched by name), so an unnamed room's SID can never be taken again."""
    unnamed = client.video.v1.rooms.create()

    status, code, message = rest_error(
        lambda: client.video.v1.rooms.create(unique_name=unnamed.sid)
    )

    assert (status, code) == (400, 20001)
    assert message == "Invalid UniqueName: must not be a SID"
    assert sids_of(Room.objects.filter(account=account)) == [unnamed.sid]
    assert client.video.v1.rooms(unnamed.sid).fetch().unique_name == unnamed.sid


@pytest.mark.parametrize(
    "name",
    [new_sid("RM"), new_sid("PA"), "rm" + "ABCDEF0123456789" * 2, f" {new_sid('RM')} "],
    ids=["room-sid", "participant-sid", "lowercase-prefix-uppercase-hex", "padded-sid"],
)
def test_a_unique_name_shaped_like_a_sid_answers_20001(api, account, name):
    response = api.post("/v1/Rooms", urlencode({"UniqueName": name}), content_type=FORM)

    assert response.status_code == 400
    assert response.json()["code"] == 20001
    assert response.json()["message"] == "Invalid UniqueName: must not be a SID"
    assert not Room.objects.filter(account=account).exists()


@pytest.mark.parametrize(
    "name",
    ["RM" + "a" * 31, "RM" + "a" * 33, "R1" + "a" * 32, "RM" + "g" * 32],
    ids=["31-hex", "33-hex", "digit-in-prefix", "not-hex"],
)
def test_a_unique_name_almost_shaped_like_a_sid_is_accepted_and_fetchable(client, name):
    room = client.video.v1.rooms.create(unique_name=name)

    assert room.unique_name == name
    assert client.video.v1.rooms(name).fetch().sid == room.sid


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_cannot_both_take_a_unique_name(account, monkeypatch):
    """Two creates race: each reads the account's settings, then waits for the other before
    inserting, so nothing read before the insert can tell them apart; only the partial unique
    constraint (account, unique_name) WHERE in-progress can. (On SQLite, IMMEDIATE transactions
    serialise them: the wait times out and the second insert meets the first's room.)"""
    barrier = threading.Barrier(2, timeout=1)

    class SettingsBeforeTheInsert:  # room_create reads the account's settings before inserting
        class objects:
            @staticmethod
            def filter(**kwargs):
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()
                return RecordingSettings.objects.filter(**kwargs)

    monkeypatch.setattr(
        "recordings.video.services.rooms.RecordingSettings", SettingsBeforeTheInsert
    )
    outcomes: list[str] = []

    def create() -> None:
        try:
            outcomes.append(services.room_create(account=account, unique_name="race").sid)
        except RoomNameInUse:
            outcomes.append("name in use")
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    in_progress = Room.objects.filter(
        account=account, unique_name="race", status=RoomStatus.IN_PROGRESS
    )
    assert in_progress.count() == 1
    assert sorted(outcomes) == sorted([in_progress.get().sid, "name in use"])


BAD_CREATE = [
    ({"Type": "bogus"}, "Type"),
    ({"MaxParticipants": "0"}, "MaxParticipants"),
    ({"MaxParticipants": "51"}, "MaxParticipants"),
    ({"MaxParticipants": "abc"}, "MaxParticipants"),
    ({"MaxParticipants": "1.5"}, "MaxParticipants"),
    ({"StatusCallback": "not-a-url"}, "StatusCallback"),
    ({"StatusCallbackMethod": "PUT"}, "StatusCallbackMethod"),
    ({"StatusCallbackMethod": "post"}, "StatusCallbackMethod"),
    ({"RecordParticipantsOnConnect": "maybe"}, "RecordParticipantsOnConnect"),
    ({"RecordParticipantsOnConnect": "1"}, "RecordParticipantsOnConnect"),
    ({"AudioOnly": "yes"}, "AudioOnly"),
    ({"EmptyRoomTimeout": "0"}, "EmptyRoomTimeout"),
    ({"EmptyRoomTimeout": "-1"}, "EmptyRoomTimeout"),
    ({"UnusedRoomTimeout": "0"}, "UnusedRoomTimeout"),
    ({"UnusedRoomTimeout": "x"}, "UnusedRoomTimeout"),
    ({"MaxParticipantDuration": "599"}, "MaxParticipantDuration"),
    ({"MaxParticipantDuration": "86401"}, "MaxParticipantDuration"),
    ({"MaxParticipantDuration": "abc"}, "MaxParticipantDuration"),
    ({"UniqueName": "n" * 129}, "UniqueName"),
]


@pytest.mark.parametrize(
    ("data", "name"), BAD_CREATE, ids=[urlencode(d)[:40] for d, _ in BAD_CREATE]
)
def test_bad_create_values_answer_20001_naming_the_parameter(api, account, data, name):
    response = api.post("/v1/Rooms", urlencode(data), content_type=FORM)

    body = response.json()
    assert response.status_code == 400, body
    assert body["code"] == 20001
    assert body["message"].startswith(f"Invalid {name}")
    assert not Room.objects.filter(account=account).exists()


@pytest.mark.parametrize("value", ["61", "1440"])
@pytest.mark.parametrize("name", ["EmptyRoomTimeout", "UnusedRoomTimeout"])
def test_room_timeouts_above_60_minutes_answer_20001(api, account, name, value):
    """The reference: 'Valid values range from 1 to 60 minutes'."""
    response = api.post("/v1/Rooms", urlencode({name: value}), content_type=FORM)

    assert (response.status_code, response.json().get("code")) == (400, 20001)
    assert response.json()["message"].startswith(f"Invalid {name}")
    assert not Room.objects.filter(account=account).exists()


@pytest.mark.parametrize("value", ["1", "60"])
@pytest.mark.parametrize("name", ["EmptyRoomTimeout", "UnusedRoomTimeout"])
def test_room_timeouts_from_1_to_60_minutes_are_accepted(api, name, value):
    response = api.post("/v1/Rooms", urlencode({name: value}), content_type=FORM)

    field = "empty_room_timeout" if name == "EmptyRoomTimeout" else "unused_room_timeout"
    assert response.status_code == 201
    assert response.json()[field] == int(value)


@pytest.mark.parametrize("value", ["600", "86400"])
def test_max_participant_duration_from_600_to_86400_seconds_is_accepted(api, value):
    response = api.post(
        "/v1/Rooms", urlencode({"MaxParticipantDuration": value}), content_type=FORM
    )

    assert response.status_code == 201
    assert response.json()["max_participant_duration"] == int(value)
    room = Room.objects.get(sid=response.json()["sid"])
    assert room.max_participant_duration == int(value)


def test_a_non_http_status_callback_answers_20001(api, account):
    """No callback attempt could ever reach an ftp:// URL: only http(s) is accepted."""
    data = {"StatusCallback": "ftp://hooks.example.com/video"}
    response = api.post("/v1/Rooms", urlencode(data), content_type=FORM)

    assert (response.status_code, response.json().get("code")) == (400, 20001)
    assert response.json()["message"].startswith("Invalid StatusCallback")
    assert not Room.objects.filter(account=account).exists()
    assert not CallbackDelivery.objects.exists()


@pytest.mark.parametrize("scheme", ["http", "https", "HTTPS"])
def test_an_http_or_https_status_callback_is_accepted(api, scheme):
    url = f"{scheme}://hooks.example.com/video"
    response = api.post("/v1/Rooms", urlencode({"StatusCallback": url}), content_type=FORM)

    assert response.status_code == 201
    assert response.json()["status_callback"] == url


def test_create_writes_a_room_create_audit_event(client, account):
    room = client.video.v1.rooms.create(unique_name="audited")

    event = AuditEvent.objects.get(account=account, action="room.create")
    assert event.object_sid == room.sid
    assert event.object_repr == "audited"
    assert event.actor == f"api:{account.sid}"
    assert event.source_ip == "127.0.0.1"


# --- list -------------------------------------------------------------------------------------

# Without Status only in-progress rooms are listed (the reference: "in-progress (default)").
LIST_CASES = [
    ("no filter: in progress only", {}, ("r2", "r1")),
    ("in-progress", {"status": "in-progress"}, ("r2", "r1")),
    ("completed", {"status": "completed"}, ("r3", "r0")),
    ("failed", {"status": "failed"}, ("failed",)),
    ("unique name, reused: in progress only", {"unique_name": "alpha"}, ("r2",)),
    ("unique name of ours only", {"unique_name": "beta"}, ("r1",)),
    ("foreign unique name", {"unique_name": "delta"}, ()),
    ("completed name", {"unique_name": "gamma"}, ()),
    ("name and status", {"unique_name": "alpha", "status": "completed"}, ("r0",)),
    ("failed name and status", {"unique_name": "gamma", "status": "failed"}, ("failed",)),
    ("after is inclusive", {"date_created_after": at(1)}, ("r2", "r1")),
    (
        "after is inclusive, completed",
        {"date_created_after": at(0), "status": "completed"},
        ("r3", "r0"),
    ),
    ("after, failed", {"date_created_after": at(1), "status": "failed"}, ("failed",)),
    ("before is exclusive", {"date_created_before": at(2)}, ("r1",)),
    (
        "before is exclusive, completed",
        {"date_created_before": at(3), "status": "completed"},
        ("r0",),
    ),
    ("between", {"date_created_after": at(1), "date_created_before": at(3)}, ("r2", "r1")),
    ("between and status", {"date_created_after": at(1), "status": "completed"}, ("r3",)),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in LIST_CASES], ids=[c[0] for c in LIST_CASES]
)
def test_list_filters(client, rooms, query, expected):
    listed = client.video.v1.rooms.list(**query)

    assert sids_of(listed) == [getattr(rooms, name).sid for name in expected]


def test_list_without_status_is_the_in_progress_list(client, live_server, rooms_url, rooms):
    """Status defaults to in-progress; the next page of a default list stays a default list."""
    default = client.video.v1.rooms.list()
    status, body = raw(client, "GET", rooms_url, params={"PageSize": 1})

    assert sids_of(default) == sids_of(client.video.v1.rooms.list(status="in-progress"))
    assert sids_of(default) == rooms.by_status["in-progress"]
    assert {room.status for room in default} == {"in-progress"}
    assert status == 200
    assert [room["sid"] for room in body["rooms"]] == rooms.by_status["in-progress"][:1]
    assert "Status" not in body["meta"]["next_page_url"]
    _, following = raw(client, "GET", body["meta"]["next_page_url"])
    assert [room["sid"] for room in following["rooms"]] == rooms.by_status["in-progress"][1:]
    assert following["meta"]["next_page_url"] is None


def test_list_parses_rooms_with_end_time_and_duration(client, rooms):
    listed = {
        room.sid: room
        for status in ("in-progress", "completed")
        for room in client.video.v1.rooms.list(status=status)
    }

    assert listed[rooms.r0.sid].status == "completed"
    assert listed[rooms.r0.sid].end_time == at(0, 30)
    assert listed[rooms.r0.sid].duration == 30
    assert listed[rooms.r3.sid].duration == 45
    assert listed[rooms.r3.sid].unique_name == rooms.r3.sid
    assert listed[rooms.r1.sid].end_time is None
    assert listed[rooms.r1.sid].duration is None


def test_list_is_scoped_to_the_account(client, other_client, rooms):
    assert sids_of(other_client.video.v1.rooms.list()) == [
        rooms.foreign_delta.sid,
        rooms.foreign_beta.sid,
    ]
    assert sids_of(other_client.video.v1.rooms.list(unique_name="alpha")) == []
    assert rooms.foreign_beta.sid not in sids_of(client.video.v1.rooms.list(unique_name="beta"))


@pytest.mark.parametrize("page_size", [1, 2, 4, 5, 50])
def test_stream_pages_through_every_room_once_newest_first(client, rooms, page_size):
    streamed = {
        status: sids_of(client.video.v1.rooms.stream(status=status, page_size=page_size))
        for status in rooms.by_status
    }

    assert streamed == rooms.by_status
    assert sorted(sid for sids in streamed.values() for sid in sids) == sorted(rooms.all)
    assert sids_of(client.video.v1.rooms.stream(page_size=page_size)) == streamed["in-progress"]
    assert (
        sids_of(client.video.v1.rooms.list(status="completed", page_size=page_size, limit=1))
        == rooms.by_status["completed"][:1]
    )


@pytest.mark.parametrize("page_size", [1, 2, 4, 5, 50])
def test_stream_pages_through_many_rooms_of_a_status_once_newest_first(client, account, page_size):
    made = [create_at(at(n), account=account, unique_name=f"s-{n}") for n in range(5)]
    for n, room in enumerate(made):
        complete_at(at(n, 30), room)
    newest_first = [room.sid for room in reversed(made)]

    streamed = client.video.v1.rooms.stream(status="completed", page_size=page_size)

    assert sids_of(streamed) == newest_first
    limited = client.video.v1.rooms.list(status="completed", page_size=page_size, limit=3)
    assert sids_of(limited) == newest_first[:3]
    assert sids_of(client.video.v1.rooms.stream(page_size=page_size)) == []


def test_rooms_created_at_the_same_instant_are_ordered_by_sid_descending(client, account):
    made = [create_at(T0, account=account) for _ in range(5)]

    listed = sids_of(client.video.v1.rooms.stream(page_size=2))

    assert listed == sorted((room.sid for room in made), reverse=True)


def test_filtered_pages_keep_the_filter(client, rooms):
    pages = client.video.v1.rooms.page(status="completed", page_size=1)

    first = sids_of(pages)
    second = pages.next_page()
    assert first == [rooms.r3.sid]
    assert sids_of(second) == [rooms.r0.sid]
    assert second.next_page() is None


@pytest.mark.parametrize("status_filter", ["in-progress", "completed", "failed"])
def test_list_page_conforms_and_names_its_key_rooms(
    client, live_server, rooms_url, rooms, status_filter
):
    expected = rooms.by_status[status_filter]
    status, body = raw(client, "GET", rooms_url, params={"Status": status_filter, "PageSize": 1})

    assert status == 200
    assert set(body) == {"rooms", "meta"}
    assert schema_errors(body, reference_response_schema("/v1/Rooms")) == []
    assert [room["sid"] for room in body["rooms"]] == expected[:1]
    for room in body["rooms"]:
        assert_room_body(room, reference_response_schema("/v1/Rooms/{Sid}"), live_server.url)
        assert room["status"] == status_filter
    meta = body["meta"]
    assert meta["key"] == "rooms"
    assert (meta["page"], meta["page_size"]) == (0, 1)
    assert meta["previous_page_url"] is None
    if len(expected) == 1:
        assert meta["next_page_url"] is None
        return
    assert meta["next_page_url"].startswith(rooms_url + "?")
    assert f"Status={status_filter}" in meta["next_page_url"]
    _, following = raw(client, "GET", meta["next_page_url"])
    assert [room["sid"] for room in following["rooms"]] == expected[1:2]
    for room in following["rooms"]:
        assert_room_body(room, reference_response_schema("/v1/Rooms/{Sid}"), live_server.url)


@pytest.mark.parametrize(
    "params",
    [
        {"Status": "open"},
        {"Status": "in_progress"},
        {"DateCreatedAfter": "yesterday"},
        {"DateCreatedBefore": "2026-13-01T00:00:00Z"},
        {"UniqueName": "u" * 129},
    ],
)
def test_bad_list_filters_answer_20001(client, rooms_url, rooms, params):
    status, code, message = rest_error(lambda: client.request("GET", rooms_url, params=params))

    assert (status, code) == (400, 20001)
    assert message.startswith(f"Invalid {next(iter(params))}")


# --- fetch ------------------------------------------------------------------------------------


def test_fetch_by_sid_and_by_unique_name_conform(client, live_server, rooms_url, rooms):
    schema = reference_response_schema("/v1/Rooms/{Sid}")
    by_sid_status, by_sid = raw(client, "GET", f"{rooms_url}/{rooms.r2.sid}")
    by_name_status, by_name = raw(client, "GET", f"{rooms_url}/alpha")

    assert by_sid_status == by_name_status == 200
    assert by_sid == by_name
    assert by_sid["sid"] == rooms.r2.sid  # the in-progress "alpha", not the completed one
    assert_room_body(by_sid, schema, live_server.url)
    assert by_sid["date_created"] == stamp(at(2))


def test_fetch_through_the_official_client(client, rooms):
    by_name = client.video.v1.rooms("beta").fetch()
    completed = client.video.v1.rooms(rooms.r0.sid).fetch()

    assert by_name.sid == rooms.r1.sid
    assert by_name.status == "in-progress"
    assert (completed.status, completed.end_time, completed.duration) == (
        "completed",
        at(0, 30),
        30,
    )


def test_a_completed_rooms_name_answers_404(client, account):
    room = client.video.v1.rooms.create(unique_name="once")
    client.video.v1.rooms(room.sid).update(status="completed")

    status, code, message = rest_error(lambda: client.video.v1.rooms("once").fetch())

    assert (status, code) == (404, 20404)
    assert message == "The requested resource /Rooms/once was not found"
    assert client.video.v1.rooms(room.sid).fetch().status == "completed"


@pytest.mark.parametrize(
    "identifier",
    [new_sid("RM"), "no-such-room", "RM123", new_sid("PA")],
    ids=["unknown-sid", "unknown-name", "short-sid", "participant-sid"],
)
def test_fetch_unknown_room_answers_404(client, rooms, identifier):
    status, code, message = rest_error(lambda: client.video.v1.rooms(identifier).fetch())

    assert (status, code) == (404, 20404)
    assert message == f"The requested resource /Rooms/{identifier} was not found"


# --- update (complete) ------------------------------------------------------------------------


@pytest.fixture
def busy(account):
    """A record-on-connect room "busy" (T0, with a status callback): alice publishes audio, video
    and data at 1; bob publishes audio at 1 and leaves at 2; carl joins at 2:30 and publishes
    nothing. Three recordings: alice's two still capturing, bob's stopped at 2."""
    room = create_at(
        at(0),
        account=account,
        unique_name="busy",
        record_participants_on_connect=True,
        status_callback="https://hooks.example.com/video",
    )
    alice = connect_at(at(1), room, "alice")
    publish_at(at(1), alice, "alice-mic", MediaType.AUDIO, "OPUS")
    publish_at(at(1), alice, "alice-cam", MediaType.VIDEO, "VP8")
    publish_at(at(1), alice, "alice-chat", MediaType.DATA, "")
    bob = connect_at(at(1), room, "bob")
    publish_at(at(1), bob, "bob-mic", MediaType.AUDIO, "OPUS")
    disconnect_at(at(2), bob)
    carl = connect_at(at(2, 30), room, "carl")
    assert len(selectors.recordings_capturing(room=room)) == 2
    return SimpleNamespace(room=room, alice=alice, bob=bob, carl=carl)


def test_completing_a_room_answers_202_and_ends_everything_in_it(
    client, live_server, rooms_url, account, busy
):
    with time_machine.travel(at(5), tick=False):
        status, body = raw(
            client, "POST", f"{rooms_url}/{busy.room.sid}", data={"Status": "completed"}
        )

    assert status == 202
    assert_room_body(
        body, reference_response_schema("/v1/Rooms/{Sid}", "post", "202"), live_server.url
    )
    assert body["status"] == "completed"
    assert body["end_time"] == body["date_updated"] == stamp(at(5))
    assert body["duration"] == 300
    # Every participant is disconnected, at the end of the room unless they had left before.
    participants = {p.identity: p for p in client.video.v1.rooms(busy.room.sid).participants.list()}
    assert {p.status for p in participants.values()} == {"disconnected"}
    assert participants["alice"].end_time == participants["carl"].end_time == at(5)
    assert (participants["alice"].duration, participants["carl"].duration) == (240, 150)
    assert (participants["bob"].end_time, participants["bob"].duration) == (at(2), 60)
    assert not Track.objects.filter(room=busy.room, published=True).exists()
    # Every capturing recording is stopped; they stay processing until their media arrives.
    recordings = Recording.objects.filter(room=busy.room).order_by("track_name")
    assert [(r.track_name, r.status, r.date_stopped) for r in recordings] == [
        ("alice-cam", RecordingStatus.PROCESSING, at(5)),
        ("alice-mic", RecordingStatus.PROCESSING, at(5)),
        ("bob-mic", RecordingStatus.PROCESSING, at(2)),
    ]
    assert selectors.recordings_capturing(room=busy.room) == []
    assert sorted(selectors.recordings_awaiting_media(room=busy.room)) == sorted(
        r.sid for r in recordings
    )
    listed = client.video.v1.rooms(busy.room.sid).recordings.list()
    assert {r.status for r in listed} == {"processing"}
    event = AuditEvent.objects.get(account=account, action="room.complete")
    assert (event.object_sid, event.actor) == (busy.room.sid, f"api:{account.sid}")
    assert CallbackDelivery.objects.filter(room=busy.room, event="room-ended").count() == 1


def test_completing_again_is_idempotent(client, account, busy):
    with time_machine.travel(at(5), tick=False):
        first = client.video.v1.rooms(busy.room.sid).update(status="completed")
    with time_machine.travel(at(9), tick=False):
        again = client.video.v1.rooms(busy.room.sid).update(status="completed")

    assert (first.status, first.end_time, first.duration) == ("completed", at(5), 300)
    assert (again.status, again.end_time, again.duration) == ("completed", at(5), 300)
    assert again.date_updated == at(5)
    assert AuditEvent.objects.filter(account=account, action="room.complete").count() == 1
    assert CallbackDelivery.objects.filter(room=busy.room, event="room-ended").count() == 1
    stopped = Recording.objects.filter(room=busy.room).values_list("date_stopped", flat=True)
    assert sorted(stopped) == [at(2), at(5), at(5)]


def test_a_completed_rooms_recording_rules_can_still_be_read(client, busy):
    client.video.v1.rooms(busy.room.sid).update(status="completed")

    rules = client.video.v1.rooms(busy.room.sid).recording_rules.fetch()

    assert rules.room_sid == busy.room.sid
    assert rules.rules == RECORD_ALL
    status, code, _ = rest_error(lambda: client.video.v1.rooms("busy").recording_rules.fetch())
    assert (status, code) == (404, 20404)


def test_a_room_in_progress_can_be_completed_by_its_unique_name(client, busy):
    ended = client.video.v1.rooms("busy").update(status="completed")

    assert (ended.sid, ended.status) == (busy.room.sid, "completed")
    status, code, _ = rest_error(lambda: client.video.v1.rooms("busy").update(status="completed"))
    assert (status, code) == (404, 20404)


@pytest.mark.parametrize(
    "data",
    [{}, {"Status": "in-progress"}, {"Status": "failed"}, {"Status": "Completed"}, {"Status": ""}],
    ids=["missing", "in-progress", "failed", "capitalised", "empty"],
)
def test_update_to_anything_but_completed_answers_20001_and_changes_nothing(
    client, rooms_url, busy, data
):
    status, code, message = rest_error(
        lambda: client.request("POST", f"{rooms_url}/{busy.room.sid}", data=data)
    )

    assert (status, code) == (400, 20001)
    assert message.startswith("Invalid Status")
    busy.room.refresh_from_db()
    assert (busy.room.status, busy.room.end_time) == (RoomStatus.IN_PROGRESS, None)
    assert len(selectors.recordings_capturing(room=busy.room)) == 2


def test_update_unknown_room_answers_404(client, rooms):
    sid = new_sid("RM")

    status, code, _ = rest_error(lambda: client.video.v1.rooms(sid).update(status="completed"))

    assert (status, code) == (404, 20404)


# --- participants -----------------------------------------------------------------------------

# standup is in progress, so without Status only connected participants are listed.
PARTICIPANT_CASES = [
    ("no filter: connected only", {}, ("carl", "alice2")),
    ("connected", {"status": "connected"}, ("carl", "alice2")),
    ("disconnected", {"status": "disconnected"}, ("bob", "alice1")),
    ("identity: connected only", {"identity": "alice"}, ("alice2",)),
    ("identity of one who left", {"identity": "bob"}, ()),
    ("identity and status", {"identity": "alice", "status": "disconnected"}, ("alice1",)),
    ("identity and left", {"identity": "bob", "status": "disconnected"}, ("bob",)),
    ("unknown identity", {"identity": "dave"}, ()),
    ("after is inclusive", {"date_created_after": at(3)}, ("carl", "alice2")),
    (
        "after is inclusive, disconnected",
        {"date_created_after": at(2), "status": "disconnected"},
        ("bob",),
    ),
    ("before is exclusive", {"date_created_before": at(4)}, ("alice2",)),
    (
        "before is exclusive, disconnected",
        {"date_created_before": at(2), "status": "disconnected"},
        ("alice1",),
    ),
    (
        "between and status",
        {"date_created_after": at(1), "date_created_before": at(4), "status": "connected"},
        ("alice2",),
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [c[1:] for c in PARTICIPANT_CASES],
    ids=[c[0] for c in PARTICIPANT_CASES],
)
def test_participant_list_filters(client, standup, query, expected):
    listed = client.video.v1.rooms(standup.room.sid).participants.list(**query)

    assert sids_of(listed) == [getattr(standup, name).sid for name in expected]


@pytest.mark.parametrize(
    ("params", "expected"),
    [({}, ("carl", "alice2")), ({"Status": "disconnected"}, ("bob", "alice1"))],
    ids=["default-connected", "disconnected"],
)
def test_participant_list_by_room_name_pages_and_conforms(
    client, live_server, standup, params, expected
):
    url = f"{live_server.url}/v1/Rooms/standup/Participants"
    expected_sids = [getattr(standup, name).sid for name in expected]
    status, body = raw(client, "GET", url, params={**params, "PageSize": 3})

    assert status == 200
    path = "/v1/Rooms/{RoomSid}/Participants"
    assert schema_errors(body, reference_response_schema(path)) == []
    assert body["meta"]["key"] == "participants"
    assert [participant["sid"] for participant in body["participants"]] == expected_sids
    item_schema = reference_response_schema(path + "/{Sid}")
    for participant in body["participants"]:
        assert_participant_body(participant, item_schema, live_server.url)
    status_filter = {"status": params["Status"]} if params else {}
    participants = client.video.v1.rooms("standup").participants
    assert sids_of(participants.stream(page_size=1, **status_filter)) == expected_sids


def test_participant_list_of_an_in_progress_room_defaults_to_connected(client, standup):
    listed = client.video.v1.rooms(standup.room.sid).participants.list()

    assert sids_of(listed) == [standup.carl.sid, standup.alice2.sid]
    assert {participant.status for participant in listed} == {"connected"}
    connected = client.video.v1.rooms(standup.room.sid).participants.list(status="connected")
    assert sids_of(listed) == sids_of(connected)
    # The ones who left are still there, for whoever asks for them.
    disconnected = client.video.v1.rooms("standup").participants.list(status="disconnected")
    assert sids_of(disconnected) == [standup.bob.sid, standup.alice1.sid]


def test_participant_list_of_a_completed_room_defaults_to_disconnected(client, standup):
    complete_at(at(5), standup.room)
    participants = client.video.v1.rooms(standup.room.sid).participants

    listed = participants.list()

    everyone = [standup.carl.sid, standup.alice2.sid, standup.bob.sid, standup.alice1.sid]
    assert sids_of(listed) == everyone  # completing the room disconnected everyone
    assert {participant.status for participant in listed} == {"disconnected"}
    assert sids_of(participants.list(status="disconnected")) == everyone
    assert sids_of(participants.list(status="connected")) == []


def test_participant_list_of_a_completed_room_leaves_out_anyone_still_marked_connected(
    client, account
):
    """A state the services never leave behind, built directly: the default is a filter on
    disconnected, not "everyone"."""
    room = RoomFactory(
        account=account, status=RoomStatus.COMPLETED, date_created=at(0), end_time=at(10)
    )
    left = ParticipantFactory(room=room, identity="left", date_created=at(1), end_time=at(2))
    stuck = ParticipantFactory(
        room=room,
        identity="stuck",
        status=ParticipantStatus.CONNECTED,
        date_created=at(3),
        end_time=None,
    )
    participants = client.video.v1.rooms(room.sid).participants

    assert sids_of(participants.list()) == [left.sid]
    assert sids_of(participants.list(status="connected")) == [stuck.sid]


def test_participant_fetch_by_sid_conforms(client, live_server, standup):
    url = f"{live_server.url}/v1/Rooms/{standup.room.sid}/Participants/{standup.bob.sid}"
    status, body = raw(client, "GET", url)

    assert status == 200
    schema = reference_response_schema("/v1/Rooms/{RoomSid}/Participants/{Sid}")
    assert_participant_body(body, schema, live_server.url)
    assert body["account_sid"] == standup.room.account_id
    assert body["room_sid"] == standup.room.sid
    assert (body["identity"], body["status"]) == ("bob", "disconnected")
    assert body["start_time"] == body["date_created"] == stamp(at(2))
    assert body["end_time"] == body["date_updated"] == stamp(at(2, 45))
    assert body["duration"] == 45


def test_participant_fetch_through_the_official_client(client, standup):
    participants = client.video.v1.rooms(standup.room.sid).participants

    connected = participants(standup.carl.sid).fetch()
    left = participants(standup.alice1.sid).fetch()

    assert (connected.identity, connected.status) == ("carl", "connected")
    assert connected.start_time == connected.date_created == at(4)
    assert (connected.end_time, connected.duration) == (None, None)
    assert (left.status, left.end_time, left.duration) == ("disconnected", at(3), 120)


def test_participant_fetch_by_identity_finds_the_connected_one(client, standup):
    by_identity = client.video.v1.rooms("standup").participants("alice").fetch()

    assert by_identity.sid == standup.alice2.sid
    status, code, _ = rest_error(
        lambda: client.video.v1.rooms("standup").participants("bob").fetch()
    )
    assert (status, code) == (404, 20404)  # bob left: an identity names connected ones only


def test_participant_duration_and_end_time_after_disconnect(client, standup):
    before = client.video.v1.rooms(standup.room.sid).participants(standup.carl.sid).fetch()
    disconnect_at(at(6, 15), standup.carl)
    after = client.video.v1.rooms(standup.room.sid).participants(standup.carl.sid).fetch()

    assert (before.status, before.end_time, before.duration) == ("connected", None, None)
    assert (after.status, after.end_time, after.duration) == ("disconnected", at(6, 15), 135)
    assert after.date_updated == at(6, 15)


@pytest.mark.parametrize(
    "participant",
    [lambda s: new_sid("PA"), lambda s: "dave", lambda s: s.foreign.sid, lambda s: "PA1"],
    ids=["unknown-sid", "unknown-identity", "foreign-participant", "short-sid"],
)
def test_participant_fetch_unknown_answers_404(client, live_server, standup, participant):
    identifier = participant(standup)
    path = f"/Rooms/{standup.room.sid}/Participants/{identifier}"

    status, code, message = rest_error(
        lambda: client.video.v1.rooms(standup.room.sid).participants(identifier).fetch()
    )

    assert (status, code) == (404, 20404)
    assert message == f"The requested resource {path} was not found"


def test_a_participant_of_another_room_of_the_account_answers_404(client, account, standup):
    other_room = create_at(at(0), account=account, unique_name="other")
    dave = connect_at(at(1), other_room, "dave")

    status, code, _ = rest_error(
        lambda: client.video.v1.rooms(standup.room.sid).participants(dave.sid).fetch()
    )

    assert (status, code) == (404, 20404)
    assert sids_of(client.video.v1.rooms("other").participants.list()) == [dave.sid]


@pytest.mark.parametrize(
    "params", [{"Status": "gone"}, {"DateCreatedAfter": "soon"}, {"Identity": "i" * 129}]
)
def test_bad_participant_filters_answer_20001(client, live_server, standup, params):
    url = f"{live_server.url}/v1/Rooms/{standup.room.sid}/Participants"

    status, code, _ = rest_error(lambda: client.request("GET", url, params=params))

    assert (status, code) == (400, 20001)


# --- account isolation ------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/Rooms/{room}", None),
    ("POST", "/Rooms/{room}", {"Status": "completed"}),
    ("GET", "/Rooms/{room}/Participants", None),
    ("GET", "/Rooms/{room}/Participants/{participant}", None),
    ("GET", "/Rooms/{room}/Participants/alice", None),
    ("GET", "/Rooms/{room}/RecordingRules", None),
    ("GET", "/Rooms/{room}/Recordings", None),
]


@pytest.mark.parametrize(
    ("method", "template", "data"), ENDPOINTS, ids=[f"{m} {t}" for m, t, _ in ENDPOINTS]
)
@pytest.mark.parametrize("by", ["sid", "name"])
def test_another_accounts_room_answers_exactly_like_an_unknown_one(
    client, live_server, other_account, standup, method, template, data, by
):
    theirs = create_at(at(0), account=other_account, unique_name="theirs")
    their_alice = connect_at(at(1), theirs, "alice")
    foreign = theirs.sid if by == "sid" else "theirs"
    unknown = new_sid("RM") if by == "sid" else "nobodys"

    def call(room: str):
        path = template.format(room=room, participant=their_alice.sid)
        return client.request(method, f"{live_server.url}/v1{path}", data=data)

    foreign_answer = call(foreign)
    unknown_answer = call(unknown)

    assert foreign_answer.status_code == unknown_answer.status_code == 404
    foreign_body = json.loads(foreign_answer.text)
    assert foreign_body == json.loads(unknown_answer.text.replace(unknown, foreign))
    assert foreign_body["code"] == 20404
    theirs.refresh_from_db()
    assert theirs.status == RoomStatus.IN_PROGRESS
    their_alice.refresh_from_db()
    assert their_alice.status == ParticipantStatus.CONNECTED


def test_a_foreign_participant_in_ones_own_room_answers_like_an_unknown_one(
    client, live_server, standup
):
    base = f"{live_server.url}/v1/Rooms/{standup.room.sid}/Participants/"
    unknown = new_sid("PA")

    foreign_answer = client.request("GET", base + standup.foreign.sid)
    unknown_answer = client.request("GET", base + unknown)

    assert foreign_answer.status_code == unknown_answer.status_code == 404
    assert json.loads(foreign_answer.text) == json.loads(
        unknown_answer.text.replace(unknown, standup.foreign.sid)
    )


def test_a_shared_name_resolves_to_each_accounts_own_room(client, other_client, standup):
    assert client.video.v1.rooms("standup").fetch().sid == standup.room.sid
    assert other_client.video.v1.rooms("standup").fetch().sid == standup.foreign_room.sid
    theirs = other_client.video.v1.rooms("standup").participants.list()
    assert sids_of(theirs) == [standup.foreign.sid]


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 10, 50, 1000])
@pytest.mark.parametrize(
    "query", [{}, {"Status": "in-progress", "UniqueName": "r-3"}, {"DateCreatedAfter": stamp(T0)}]
)
def test_a_rooms_page_costs_two_queries_whatever_its_size(
    api, account, django_assert_max_num_queries, page_size, query
):
    for n in range(12):
        create_at(at(n), account=account, unique_name=f"r-{n}")

    with django_assert_max_num_queries(2):
        response = api.get("/v1/Rooms", {**query, "PageSize": page_size})
    assert response.status_code == 200
    assert response.json()["rooms"]

    next_url = response.json()["meta"]["next_page_url"]
    if next_url:
        with django_assert_max_num_queries(2):
            assert api.get(next_url).status_code == 200


def test_a_participants_page_and_fetches_cost_a_constant_number_of_queries(
    api, account, django_assert_max_num_queries
):
    room = create_at(at(0), account=account, unique_name="crowd")
    people = [connect_at(at(1, n), room, f"p{n}") for n in range(20)]

    with django_assert_max_num_queries(3):
        assert api.get("/v1/Rooms/crowd/Participants", {"PageSize": 50}).status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get(f"/v1/Rooms/{room.sid}/Participants/{people[0].sid}").status_code == 200
    with django_assert_max_num_queries(2):
        assert api.get("/v1/Rooms/crowd").status_code == 200
