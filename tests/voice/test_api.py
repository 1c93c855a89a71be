"""The 2010-04-01 Recording API through the official ``twilio`` helper library, unmodified, against
a live Roomvault server; every JSON body is checked against Twilio's own 2010-04-01 schema.

Only the Api domain's base URL is changed: this is what code managing call and conference
recordings sees after pointing it at Roomvault.
"""

import email.utils
import io
import json
import re
import tempfile
import wave
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
import requests
import time_machine
from django.test import Client as DjangoClient
from twilio.base.exceptions import TwilioException, TwilioRestException

from console import services as console_services
from console.services import SYSTEM
from recordings.media.store import get_media_store
from recordings.voice import audio, media, services
from recordings.voice.choices import RecordingSource
from recordings.voice.models import VoiceRecording
from tests.factories import TranscriptionFactory
from tests.twilio_helpers import (
    API_V2010,
    reference_response_schema,
    resolve_refs,
    schema_errors,
    twilio_client,
)
from tests.twilio_helpers import reference as reference_document

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROOT = "/2010-04-01/Accounts/{AccountSid}"
LIST = f"{ROOT}/Recordings.json"
INSTANCE = f"{ROOT}/Recordings/{{Sid}}.json"
CALL_LIST = f"{ROOT}/Calls/{{CallSid}}/Recordings.json"
CALL_INSTANCE = f"{ROOT}/Calls/{{CallSid}}/Recordings/{{Sid}}.json"
CONFERENCE_LIST = f"{ROOT}/Conferences/{{ConferenceSid}}/Recordings.json"
CONFERENCE_INSTANCE = f"{ROOT}/Conferences/{{ConferenceSid}}/Recordings/{{Sid}}.json"
TRANSCRIPTIONS = f"{ROOT}/Recordings/{{RecordingSid}}/Transcriptions.json"
TRANSCRIPTION = f"{ROOT}/Recordings/{{RecordingSid}}/Transcriptions/{{Sid}}.json"


def days(n: float, seconds: float = 0) -> datetime:
    return T0 + timedelta(days=n, seconds=seconds)


def upload(recording: VoiceRecording, seconds: float, *, seed: int = 0) -> VoiceRecording:
    """Give a stopped recording the audio of its span, as the telephony platform would."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        audio.write_wav(audio.speech(seconds, dual=True, seed=seed), file)
        file.flush()
        recording.refresh_from_db()
        return services.voice_recording_audio_ingest(recording=recording, path=Path(file.name))


def recorded_call(account, at: datetime, seconds: float = 2, *, channels: int = 1):
    """Return (call, recording) of a finished call recorded whole, with real audio."""
    call = services.call_start(account=account, at=at)
    recording = services.voice_recording_start(
        call=call, source=RecordingSource.OUTBOUND_API, channels=channels, at=at
    )
    services.call_end(call=call, at=at + timedelta(seconds=seconds))
    return call, upload(recording, seconds)


@pytest.fixture
def client(live_server, account):
    return twilio_client(live_server.url, account.sid, account.auth_token)


@pytest.fixture
def world(account, other_account):
    """Recordings of ``account`` in every status, one a day from T0, and one of another account.

    mono (day 0, completed, 1 channel) · dual (day 1, completed, 2 channels) · conf (day 2,
    conference, completed) · live (day 3, call in progress, processing) · gone (day 4, deleted)
    · absent (day 5, silence trimmed away).
    """
    mono_call, mono = recorded_call(account, days(0))
    dual_call, dual = recorded_call(account, days(1), channels=2)
    conference = services.conference_start(account=account, friendly_name="standup", at=days(2))
    conf = services.voice_recording_start(
        conference=conference, source=RecordingSource.CONFERENCE, at=days(2)
    )
    services.conference_end(conference=conference, at=days(2, 3))
    conf = upload(conf, 3)
    live_call = services.call_start(account=account, at=days(3))
    live = services.voice_recording_start(
        call=live_call, source=RecordingSource.OUTBOUND_API, at=days(3)
    )
    _, gone = recorded_call(account, days(4))
    services.voice_recording_delete(recording=gone, actor=SYSTEM)
    silent_call = services.call_start(account=account, at=days(5))
    absent = services.voice_recording_start(
        call=silent_call, source=RecordingSource.OUTBOUND_API, trim="trim-silence", at=days(5)
    )
    services.call_end(call=silent_call, at=days(5, 2))
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        audio.write_wav(audio.Audio(audio.speech(2, dual=False).samples * 0), file)
        file.flush()
        absent = services.voice_recording_audio_ingest(recording=absent, path=Path(file.name))
    _, foreign = recorded_call(other_account, days(1, 60))
    return SimpleNamespace(
        mono=mono,
        mono_call=mono_call,
        dual=dual,
        dual_call=dual_call,
        conf=conf,
        conference=conference,
        live=live,
        live_call=live_call,
        gone=gone,
        absent=absent,
        foreign=foreign,
    )


def body(client, url: str, **params) -> dict:
    response = client.request("GET", url, params=params)
    assert response.status_code == 200, response.text
    return json.loads(response.text)


def assert_schema(document: dict, path: str, method: str = "get", status: str = "200") -> None:
    schema = reference_response_schema(path, method, status, document=API_V2010)
    assert schema_errors(document, schema) == []


def rest_error(call) -> tuple[int, int, str]:
    with pytest.raises(TwilioRestException) as raised:
        call()
    return raised.value.status, raised.value.code, raised.value.msg


def sids(items) -> list[str]:
    return [item.sid for item in items]


# --- list and filters --------------------------------------------------------------------------


def test_list_is_newest_first_without_deleted_unless_asked(client, world):
    w = world
    assert sids(client.recordings.list()) == [
        w.absent.sid,
        w.live.sid,
        w.conf.sid,
        w.dual.sid,
        w.mono.sid,
    ]
    with_deleted = sids(client.recordings.list(include_soft_deleted=True))
    assert with_deleted[1] == w.gone.sid and len(with_deleted) == 6
    assert w.foreign.sid not in with_deleted


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_created": date(2026, 3, 3)}, ["dual"]),
        ({"date_created": datetime(2026, 3, 4, 0, 0, tzinfo=UTC)}, ["conf"]),
        ({"date_created_after": datetime(2026, 3, 5, 0, 0, tzinfo=UTC)}, ["absent", "live"]),
        ({"date_created_before": datetime(2026, 3, 3, 12, 0, tzinfo=UTC)}, ["dual", "mono"]),
        (
            {
                "date_created_after": datetime(2026, 3, 3, tzinfo=UTC),
                "date_created_before": datetime(2026, 3, 5, tzinfo=UTC),
            },
            ["conf", "dual"],
        ),
    ],
)
def test_date_filters_through_the_library(client, world, params, expected):
    assert sids(client.recordings.list(**params)) == [getattr(world, n).sid for n in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("DateCreated=2026-03-03", ["dual"]),
        # A raw "<=" or ">=" reaches the server as "DateCreated<" / "DateCreated>" (seed 003).
        ("DateCreated<=2026-03-03", ["dual", "mono"]),
        ("DateCreated>=2026-03-06", ["absent"]),
        ("DateCreated>=2026-03-03&DateCreated<=2026-03-04", ["conf", "dual"]),
        ("DateCreated%3C=2026-03-02T09:00:00Z", ["mono"]),
    ],
)
def test_date_inequalities_as_written_in_a_url(
    client, live_server, account, world, query, expected
):
    url = f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Recordings.json?{query}"
    response = client.request("GET", url)
    found = [r["sid"] for r in json.loads(response.text)["recordings"]]
    assert found == [getattr(world, n).sid for n in expected]


def test_call_and_conference_filters(client, world):
    assert sids(client.recordings.list(call_sid=world.dual_call.sid)) == [world.dual.sid]
    assert sids(client.recordings.list(conference_sid=world.conference.sid)) == [world.conf.sid]
    assert client.recordings.list(call_sid=world.foreign.call_id) == []


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"DateCreated": "yesterday"}, "DateCreated"),
        ({"DateCreated<": "2026-13-01"}, "DateCreated<"),
        ({"CallSid": "CA123"}, "CallSid"),
        ({"ConferenceSid": "CA" + "0" * 32}, "ConferenceSid"),
        ({"IncludeSoftDeleted": "maybe"}, "IncludeSoftDeleted"),
        ({"PageSize": "1001"}, "PageSize"),
    ],
)
def test_bad_list_parameters_answer_400_in_the_twilio_body(
    client, live_server, account, world, params, name
):
    response = client.request(
        "GET", f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Recordings.json", params
    )
    error = json.loads(response.text)
    assert response.status_code == 400 == error["status"]
    assert error["code"] in (20001, 20007) and name in error["message"]
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{error['code']}"


def test_pages_in_the_2010_format_are_followed_by_the_library(client, live_server, account, world):
    everything = sids(client.recordings.list(include_soft_deleted=True))
    assert sids(client.recordings.list(include_soft_deleted=True, page_size=2)) == everything
    url = f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Recordings.json"
    first = body(client, url, PageSize=2, IncludeSoftDeleted="true")
    assert_schema(first, LIST)
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 2, 0, 1)
    assert first["previous_page_uri"] is None
    assert first["uri"] == first["first_page_uri"]
    assert "IncludeSoftDeleted=true" in first["next_page_uri"]
    second = body(client, live_server.url + first["next_page_uri"])
    assert (second["page"], second["start"], second["end"]) == (1, 2, 3)
    assert [r["sid"] for r in second["recordings"]] == everything[2:4]
    back = body(client, live_server.url + second["previous_page_uri"])
    assert [r["sid"] for r in back["recordings"]] == everything[:2]


# --- fetch -------------------------------------------------------------------------------------


def test_fetch_parses_every_field(client, live_server, account, world):
    rec = client.recordings(world.dual.sid).fetch()
    assert rec.sid == world.dual.sid and rec.account_sid == account.sid
    assert rec.call_sid == world.dual_call.sid and rec.conference_sid is None
    assert rec.api_version == "2010-04-01"
    # RFC 2822 dates come back as datetimes.
    assert rec.date_created == days(1) and rec.start_time == days(1)
    assert isinstance(rec.date_updated, datetime)
    assert (rec.duration, rec.status, rec.channels, rec.source) == (
        "2",
        "completed",
        2,
        "OutboundAPI",
    )
    assert rec.error_code is None and rec.price is None and rec.price_unit == "USD"
    path = f"/2010-04-01/Accounts/{account.sid}/Recordings/{rec.sid}"
    assert rec.uri == f"{path}.json"
    assert rec.media_url == live_server.url + path
    assert rec.subresource_uris["transcriptions"] == f"{path}/Transcriptions.json"
    raw = body(client, live_server.url + path + ".json")
    assert_schema(raw, INSTANCE)
    assert email.utils.parsedate_to_datetime(raw["date_created"]) == days(1)
    assert raw["date_created"] == "Tue, 03 Mar 2026 09:00:00 +0000"


def test_bodies_validate_against_our_served_schema(client, live_server, account, world):
    served = requests.get(f"{live_server.url}/api/schema/", params={"format": "json"}).json()

    def check(path: str, served_path: str) -> None:
        operation = served["paths"][served_path]["get"]
        schema = resolve_refs(
            operation["responses"]["200"]["content"]["application/json"]["schema"], served
        )
        document = body(client, live_server.url + path)
        assert schema_errors(document, schema) == []
        # Every key is described, not merely allowed by an open "object".
        assert set(document) == set(schema.get("properties", ()))
        for key, value in document.items():
            if isinstance(value, list) and value:
                assert set(value[0]) == set(schema["properties"][key]["items"]["properties"])

    accounts = f"/2010-04-01/Accounts/{account.sid}"
    ours = "/2010-04-01/Accounts/{account_sid}"
    TranscriptionFactory(recording=world.mono, duration=2)
    check(f"{accounts}/Recordings.json?IncludeSoftDeleted=true", f"{ours}/Recordings.json")
    for recording in (world.mono, world.dual, world.conf, world.live, world.absent):
        check(f"{accounts}/Recordings/{recording.sid}.json", f"{ours}/Recordings/{{sid}}.json")
    check(
        f"{accounts}/Recordings/{world.mono.sid}/Transcriptions.json",
        f"{ours}/Recordings/{{sid}}/Transcriptions.json",
    )
    check(
        f"{accounts}/Calls/{world.live_call.sid}/Recordings.json",
        f"{ours}/Calls/{{call_sid}}/Recordings.json",
    )
    check(
        f"{accounts}/Calls/{world.mono_call.sid}/Recordings/{world.mono.sid}.json",
        f"{ours}/Calls/{{call_sid}}/Recordings/{{sid}}.json",
    )
    check(
        f"{accounts}/Conferences/{world.conference.sid}/Recordings.json",
        f"{ours}/Conferences/{{conference_sid}}/Recordings.json",
    )


def test_statuses_as_a_fetch_shows_them(client, world):
    assert client.recordings(world.live.sid).fetch().status == "processing"
    assert client.recordings(world.live.sid).fetch().duration == "-1"
    absent = client.recordings(world.absent.sid).fetch()
    assert (absent.status, absent.error_code, absent.duration) == ("absent", 16102, "0")
    status, code, _ = rest_error(lambda: client.recordings(world.gone.sid).fetch())
    assert (status, code) == (404, 20404)
    deleted = client.recordings(world.gone.sid).fetch(include_soft_deleted=True)
    assert deleted.status == "deleted"


def test_fetch_as_xml(client, live_server, account, world):
    path = f"/2010-04-01/Accounts/{account.sid}/Recordings/{world.conf.sid}"
    response = client.request("GET", live_server.url + path + ".xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.text.encode())
    assert root.tag == "TwilioResponse"
    recording = root.find("Recording")
    assert recording.findtext("Sid") == world.conf.sid
    assert recording.findtext("ConferenceSid") == world.conference.sid
    assert recording.findtext("CallSid") == ""
    assert recording.findtext("Duration") == "3"
    assert recording.findtext("SubresourceUris/Transcriptions") == f"{path}/Transcriptions.json"
    missing = client.request("GET", live_server.url + path[:-4] + "0000.xml")
    assert missing.status_code == 404
    error = ElementTree.fromstring(missing.text.encode()).find("RestException")
    assert (error.findtext("Code"), error.findtext("Status")) == ("20404", "404")


def test_another_account_is_not_found(client, live_server, account, other_account, world):
    status, code, _ = rest_error(lambda: client.recordings(world.foreign.sid).fetch())
    assert (status, code) == (404, 20404)
    theirs = client.api.v2010.accounts(other_account.sid).recordings
    status, code, _ = rest_error(lambda: theirs(world.foreign.sid).fetch())
    assert (status, code) == (404, 20404)
    assert rest_error(lambda: theirs(world.foreign.sid).delete())[0] == 404
    assert VoiceRecording.objects.get(sid=world.foreign.sid).status == "completed"


def test_an_api_key_works_too(live_server, account, world):
    new = console_services.api_key_create(account=account, actor=SYSTEM)
    keyed = twilio_client(live_server.url, new.key.sid, new.secret, account.sid)
    assert keyed.recordings(world.mono.sid).fetch().sid == world.mono.sid


# --- media -------------------------------------------------------------------------------------


def fetch_media(live_server, account, sid: str, suffix: str = "", **params):
    url = f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Recordings/{sid}{suffix}"
    return requests.get(url, params=params, auth=(account.sid, account.auth_token), timeout=30)


@pytest.mark.parametrize(
    ("suffix", "params", "kind", "channels"),
    [
        ("", {}, "audio/x-wav", 2),
        (".wav", {}, "audio/x-wav", 2),
        (".wav", {"RequestedChannels": "1"}, "audio/x-wav", 1),
        (".mp3", {}, "audio/mpeg", 2),
        (".mp3", {"RequestedChannels": "1"}, "audio/mpeg", 1),
        (".mp3", {"RequestedChannels": "2"}, "audio/mpeg", 2),
    ],
)
def test_media_in_every_format_and_channel_count(
    client, live_server, account, world, suffix, params, kind, channels
):
    response = fetch_media(live_server, account, world.dual.sid, suffix, **params)
    assert response.status_code == 200
    assert response.history[0].status_code == 302
    assert response.headers["Content-Type"] == kind
    found = audio.info(response.content)
    assert found["channels"] == channels and found["sample_rate"] == 8000
    assert found["duration"] == pytest.approx(2, abs=0.1)
    if kind == "audio/x-wav":
        with wave.open(io.BytesIO(response.content)) as wav:
            assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (
                channels,
                8000,
                2,
            )
            # 8 kHz, 16 bits: 128 kbps per channel, as seed 003 says.
            assert wav.getnframes() == 16000
    else:
        assert response.content[:3] == b"ID3" or response.content[0] == 0xFF
        assert found["bit_rate"] == pytest.approx(32000, rel=0.1)


def test_renditions_are_made_once_when_the_recording_completes(live_server, account, world):
    store = get_media_store()
    made = {
        (fmt, channels): store.size(media.rendition_key(world.dual, format=fmt, channels=channels))
        for fmt in ("wav", "mp3")
        for channels in (1, 2)
    }
    key = media.rendition_key(world.dual, format="mp3", channels=1)
    stamp = Path(store.root, key).stat().st_mtime_ns
    first = fetch_media(live_server, account, world.dual.sid, ".mp3", RequestedChannels="1")
    second = fetch_media(live_server, account, world.dual.sid, ".mp3", RequestedChannels="1")
    assert first.content == second.content and len(first.content) == made[("mp3", 1)]
    assert Path(store.root, key).stat().st_mtime_ns == stamp  # served, never transcoded again
    # A mono recording has no two-channel rendition to make.
    assert not store.exists(media.rendition_key(world.mono, format="mp3", channels=2))


def test_a_download_before_the_renditions_are_made_transcodes_just_that_one(
    live_server, account, world
):
    store = get_media_store()
    keys = {c: media.rendition_key(world.dual, format="mp3", channels=c) for c in (1, 2)}
    for key in keys.values():
        store.delete(key, account_sid=account.sid)
    response = fetch_media(live_server, account, world.dual.sid, ".mp3", RequestedChannels="1")
    assert audio.info(response.content)["channels"] == 1
    assert store.exists(keys[1]) and not store.exists(keys[2])


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("mono", {"RequestedChannels": "2"}),  # two channels never recorded: Not Found
        ("conf", {"RequestedChannels": "2"}),
        ("live", {}),
        ("absent", {}),
        ("gone", {}),
        ("foreign", {}),
    ],
)
def test_media_not_found(client, live_server, account, world, name, params):
    response = fetch_media(live_server, account, getattr(world, name).sid, ".wav", **params)
    assert response.status_code == 404 and response.json()["code"] == 20404


def test_requested_channels_must_be_1_or_2(client, live_server, account, world):
    response = fetch_media(live_server, account, world.dual.sid, ".wav", RequestedChannels="3")
    assert response.status_code == 400 and response.json()["code"] == 20001


def test_media_needs_credentials(live_server, account, world):
    url = f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Recordings/{world.mono.sid}.wav"
    assert requests.get(url, timeout=10).status_code == 401


# --- delete ------------------------------------------------------------------------------------


def test_delete_keeps_metadata_for_40_days_and_removes_the_audio(client, world):
    store = get_media_store()
    key = world.mono.media_key
    assert store.exists(key)
    assert client.recordings(world.mono.sid).delete() is True
    assert not store.exists(key)
    assert rest_error(lambda: client.recordings(world.mono.sid).fetch())[:2] == (404, 20404)
    kept = client.recordings(world.mono.sid).fetch(include_soft_deleted=True)
    assert kept.status == "deleted"
    assert world.mono.sid in sids(client.recordings.list(include_soft_deleted=True))
    # Deleting it again: it is no longer there to delete.
    assert rest_error(lambda: client.recordings(world.mono.sid).delete())[:2] == (404, 20404)


@pytest.mark.parametrize("name", ["live", "absent"])
def test_only_completed_recordings_can_be_deleted(client, world, name):
    recording = getattr(world, name)
    status, code, message = rest_error(lambda: client.recordings(recording.sid).delete())
    assert (status, code) == (409, 20409) and "only completed" in message
    recording.refresh_from_db()
    assert recording.status != "deleted"


def test_delete_through_the_call_and_the_conference(client, world):
    assert client.calls(world.dual_call.sid).recordings(world.dual.sid).delete() is True
    conference = client.conferences(world.conference.sid)
    assert conference.recordings(world.conf.sid).delete() is True
    assert client.recordings.list(include_soft_deleted=False, call_sid=world.dual_call.sid) == []


# --- a live call: start, pause, resume, stop ---------------------------------------------------


def test_start_pause_resume_stop_then_the_audio_is_cut(client, account, live_server):
    with time_machine.travel(T0, tick=False) as clock:
        call = services.call_start(account=account)
        created = client.calls(call.sid).recordings.create(
            recording_channels="dual",
            recording_status_callback_event=["in-progress", "completed"],
            recording_status_callback="https://example.com/recordings",
            trim="do-not-trim",
        )
        assert (created.status, created.channels, created.track) == ("in-progress", 2, "both")
        assert created.source == "StartCallRecordingAPI" and created.duration is None
        recording = client.calls(call.sid).recordings(created.sid)
        clock.shift(2)
        paused = recording.update(status="paused", pause_behavior="skip")
        assert paused.status == "paused"
        clock.shift(3)
        assert recording.update(status="in-progress").status == "in-progress"
        clock.shift(2)
        assert recording.update(status="stopped").status == "stopped"
        assert recording.fetch().status == "processing"
        status, code, _ = rest_error(lambda: recording.update(status="paused"))
        assert (status, code) == (400, 21220)
    services.call_end(call=call)
    stored = upload(VoiceRecording.objects.get(sid=created.sid), 7)
    # 7 s of call, 3 of them paused with skip: a 4 s, two-channel file.
    assert (stored.status, stored.duration, stored.channels) == ("completed", 4, 2)
    with get_media_store().open(stored.media_key) as file, wave.open(file) as wav:
        assert (wav.getnframes(), wav.getnchannels()) == (4 * 8000, 2)
    fetched = client.calls(call.sid).recordings(created.sid).fetch()
    assert (fetched.status, fetched.duration) == ("completed", "4")


def test_pause_with_silence_keeps_the_length(client, account):
    with time_machine.travel(T0, tick=False) as clock:
        call = services.call_start(account=account)
        created = client.calls(call.sid).recordings.create()
        clock.shift(1)
        client.calls(call.sid).recordings(created.sid).update(status="paused")
        clock.shift(2)
        client.calls(call.sid).recordings(created.sid).update(status="in-progress")
        clock.shift(2)
        services.call_end(call=call)
    stored = upload(VoiceRecording.objects.get(sid=created.sid), 5)
    assert (stored.duration, stored.channels) == (5, 1)
    with get_media_store().open(stored.media_key) as file, wave.open(file) as wav:
        frames = wav.readframes(wav.getnframes())
    samples = memoryview(frames).cast("h")
    assert not any(samples[8000:24000])  # 1 s to 3 s: silence, as PauseBehavior=silence asks
    assert any(samples[:8000]) and any(samples[24000:])


def test_twilio_current_names_the_only_active_recording(client, account):
    call = services.call_start(account=account)
    first = client.calls(call.sid).recordings.create()
    current = client.calls(call.sid).recordings("Twilio.CURRENT")
    paused = current.update(status="paused")
    assert (paused.sid, paused.status) == (first.sid, "paused")
    second = client.calls(call.sid).recordings.create()
    status, code, message = rest_error(lambda: current.update(status="in-progress"))
    assert (status, code) == (400, 21220)
    assert "more than one recording" in message
    client.calls(call.sid).recordings(second.sid).update(status="stopped")
    assert current.update(status="in-progress").sid == first.sid
    assert sids(client.calls(call.sid).recordings.list()) == [second.sid, first.sid]


def test_conference_recordings_pause_and_resume_but_not_stop(client, account, live_server):
    conference = services.conference_start(account=account, friendly_name="weekly")
    recording = services.voice_recording_start(
        conference=conference, source=RecordingSource.START_CONFERENCE_RECORDING_API
    )
    current = client.conferences(conference.sid).recordings("Twilio.CURRENT")
    paused = current.update(status="paused", pause_behavior="skip")
    assert (paused.sid, paused.status) == (recording.sid, "paused")
    status, code, message = rest_error(lambda: current.update(status="stopped"))
    assert (status, code) == (400, 20001) and "stopped" in message
    assert (
        client.conferences(conference.sid).recordings(recording.sid).fetch().status == "processing"
    )
    listed = client.conferences(conference.sid).recordings.list()
    assert sids(listed) == [recording.sid]
    url = f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Conferences/{conference.sid}"
    assert_schema(body(client, url + "/Recordings.json"), CONFERENCE_LIST)
    assert_schema(body(client, f"{url}/Recordings/{recording.sid}.json"), CONFERENCE_INSTANCE)
    update = client.request(
        "POST", f"{url}/Recordings/{recording.sid}.json", data={"Status": "in-progress"}
    )
    assert_schema(json.loads(update.text), CONFERENCE_INSTANCE, "post")


def test_create_on_a_finished_call_or_with_bad_parameters(client, account, world):
    status, code, message = rest_error(
        lambda: client.calls(world.mono_call.sid).recordings.create()
    )
    assert (status, code) == (400, 21220) and "not in-progress" in message
    call = services.call_start(account=account)
    for bad in ({"recording_channels": "tri"}, {"trim": "sometimes"}, {"recording_track": "x"}):
        assert rest_error(lambda b=bad: client.calls(call.sid).recordings.create(**b))[1] == 20001
    bad_event = {"recording_status_callback_event": ["finished"]}
    assert rest_error(lambda: client.calls(call.sid).recordings.create(**bad_event))[1] == 20001
    assert not VoiceRecording.objects.filter(call=call).exists()
    unknown = "CA" + "f" * 32
    assert rest_error(lambda: client.calls(unknown).recordings.create())[:2] == (404, 20404)
    status, code, _ = rest_error(
        lambda: client.calls(call.sid).recordings(world.mono.sid).update(status="paused")
    )
    assert (status, code) == (404, 20404)  # a recording of another call


def test_call_recording_bodies_match_the_reference(client, account, live_server, world):
    call = services.call_start(account=account)
    url = f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Calls/{call.sid}/Recordings"
    created = client.request("POST", url + ".json", data={"RecordingTrack": "inbound"})
    created_body = json.loads(created.text)
    assert created.status_code == 201
    assert_schema(created_body, CALL_LIST, "post", "201")
    assert created_body["track"] == "inbound" and created_body["channels"] == 1
    instance = f"{url}/{created_body['sid']}.json"
    assert_schema(body(client, instance), CALL_INSTANCE)
    updated = client.request("POST", instance, data={"Status": "paused"})
    assert_schema(json.loads(updated.text), CALL_INSTANCE, "post")
    assert_schema(body(client, url + ".json"), CALL_LIST)
    dual_url = (
        f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Calls/{world.dual_call.sid}"
        f"/Recordings/{world.dual.sid}.json"
    )
    assert body(client, dual_url)["status"] == "completed"


# --- transcriptions ----------------------------------------------------------------------------


def test_transcriptions_of_a_recording(client, live_server, account, world):
    assert client.recordings(world.mono.sid).transcriptions.list() == []
    kept = TranscriptionFactory(
        recording=world.mono,
        transcription_text="HELLO THERE",
        duration=2,
        price="0.00",
        date_created=days(0, 10),
        date_updated=days(0, 10),
    )
    [found] = client.recordings(world.mono.sid).transcriptions.list()
    assert (found.sid, found.transcription_text, found.recording_sid) == (
        kept.sid,
        "HELLO THERE",
        world.mono.sid,
    )
    assert client.recordings(world.mono.sid).transcriptions(kept.sid).fetch().duration == "2"
    path = f"{live_server.url}/2010-04-01/Accounts/{account.sid}/Recordings/{world.mono.sid}"
    assert_schema(body(client, path + "/Transcriptions.json"), TRANSCRIPTIONS)
    assert_schema(body(client, f"{path}/Transcriptions/{kept.sid}.json"), TRANSCRIPTION)
    with pytest.raises(TwilioException):
        client.recordings(world.foreign.sid).transcriptions.list()


def test_unknown_paths_answer_a_twilio_404(client, live_server, account):
    for path in ("/2010-04-01/Accounts/{a}/Calls.json", "/2010-04-01/Nothing", "/2010-04-01"):
        response = client.request("GET", live_server.url + path.format(a=account.sid))
        assert response.status_code == 404, path
        assert '"code":20404' in response.text.replace(" ", "")


def test_our_schema_describes_every_reference_operation_but_transcription_delete(client):
    served = DjangoClient().get("/api/schema/", {"format": "json"}).json()["paths"]
    ours = {
        (re.sub(r"\{[^}]+\}", "{}", path), method, operation["operationId"])
        for path, operations in served.items()
        for method, operation in operations.items()
        if path.startswith("/2010-04-01/") and path.endswith(".json")
    }
    reference = reference_document(API_V2010)["paths"]
    expected = {
        (re.sub(r"\{[^}]+\}", "{}", path), method, "V2010" + operation["operationId"])
        for path, operations in reference.items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert expected - ours == {
        (
            "/2010-04-01/Accounts/{}/Recordings/{}/Transcriptions/{}.json",
            "delete",
            "V2010DeleteRecordingTranscription",
        )
    }
    assert ours <= expected


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "code"),
    [
        ("get", "Recordings/RE%00.json", None, 404, 20404),
        ("get", "Recordings/Twilio.CURRENT.json", None, 404, 20404),
        ("get", "Recordings.json?PageToken=nope", None, 400, 21481),
        ("get", "Recordings.json?DateCreated=" + "9" * 5000, None, 400, 20001),
        ("get", "Recordings.json?Page=-1", None, 400, 20001),
        ("post", "Recordings/{rec}.json", {}, 405, 20004),
        ("delete", "Recordings/{rec}.xml", None, 405, 20004),
        ("post", "Calls/{call}/Recordings/{rec}.json", {}, 400, 20001),
        ("post", "Calls/{call}/Recordings/{rec}.json", {"Status": "completed"}, 400, 20001),
        (
            "post",
            "Calls/{call}/Recordings/{rec}.json",
            {"Status": "paused", "PauseBehavior": "mute"},
            400,
            20001,
        ),
        (
            "post",
            "Calls/{call}/Recordings.json",
            {"RecordingStatusCallback": "ftp://x"},
            400,
            20001,
        ),
        ("post", "Calls/{call}/Recordings/Twilio.CURRENT.json", {"Status": "paused"}, 400, 21220),
        ("get", "Calls/CA%00/Recordings.json", None, 404, 20404),
        ("get", "Conferences/{call}/Recordings.json", None, 404, 20404),
    ],
)
def test_bad_requests_get_a_twilio_error_never_a_500(
    api, account, world, method, path, data, status, code
):
    url = f"/2010-04-01/Accounts/{account.sid}/" + path.format(
        rec=world.mono.sid, call=world.mono_call.sid
    )
    response = getattr(api, method)(url, data) if data is not None else getattr(api, method)(url)
    assert response.status_code == status, response.content
    error = json.loads(response.content) if not path.endswith(".xml") else None
    if error is not None:
        assert (error["code"], error["status"]) == (code, status)
    world.mono.refresh_from_db()
    assert world.mono.status == "completed"
