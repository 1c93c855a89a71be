"""The media-server (ingest) API under /ingest/v1, driven only through HTTP.

A media server authenticates with an API key, reports participants and tracks (JSON bodies) and
uploads each finished recording as the raw request body; every answer tells it what to capture
now and which stopped recordings still await their file. We check those answers, and what the
application then sees through the public /v1 API.
"""

import io
import json
import math
import os
import wave
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.http import HttpRequest
from django.test import Client
from django.test.client import FakePayload
from rest_framework.request import Request
from rest_framework.test import APIClient

from console import services as console_services
from recordings.media.demo import opus_mka, vp8_mkv
from recordings.media.store import CHUNK_SIZE, get_media_store
from recordings.video import services
from recordings.video.models import Recording
from recordings.video.services.settings import recording_settings_update
from tests.helpers import assert_twilio_error as assert_error
from tests.helpers import basic_auth, client_for

FORM = "application/x-www-form-urlencoded"
OCTETS = "application/octet-stream"
STATE_KEYS = {"room_sid", "room_status", "capture", "awaiting_media"}
CAPTURE_KEYS = {"track_sid", "recording_sid", "kind", "codec", "container_format"}

# Real recordings, made once: an OPUS tone of 2.6 s (shown as 3 s), one of 0.4 s (shown as 1 s)
# and a VP8 test pattern of 1.5 s (half up: 2 s).
AUDIO = opus_mka(2.6)
SHORT_AUDIO = opus_mka(0.4)
OTHER_AUDIO = opus_mka(1.0, frequency=880)
VIDEO = vp8_mkv(1.5)


def wav_file() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(8000)
        file.writeframes(bytes(1600))
    return out.getvalue()


def padded(media: bytes, extra: int) -> bytes:
    """Grow a real Matroska file by a Void element of ``extra`` bytes at the end of its Segment
    (still one whole, valid recording: Void elements are there to be skipped)."""
    at = media.index(bytes.fromhex("18538067")) + 4  # the Segment's 8-byte size
    assert media[at] == 0x01
    size = int.from_bytes(media[at + 1 : at + 8], "big")
    assert at + 8 + size == len(media)
    void = b"\xec\x01" + extra.to_bytes(7, "big") + bytes(extra)
    grown = size + len(void)
    return media[:at] + b"\x01" + grown.to_bytes(7, "big") + media[at + 8 :] + void


@pytest.fixture
def api(account) -> APIClient:
    """The application: account SID and auth token (the /v1 API)."""
    return client_for(account.sid, account.auth_token)


def create_room(api, **params) -> str:
    response = api.post("/v1/Rooms", urlencode(params), content_type=FORM)
    assert response.status_code == 201, response.content
    return response.json()["sid"]


def connect(ingest, room: str, identity: str):
    path = f"/ingest/v1/Rooms/{room}/Participants"
    return ingest.post(path, {"identity": identity}, format="json")


def publish(ingest, room: str, participant: str, name: str, kind: str, codec: str | None = None):
    body = {"name": name, "kind": kind} | ({} if codec is None else {"codec": codec})
    return ingest.post(
        f"/ingest/v1/Rooms/{room}/Participants/{participant}/Tracks", body, format="json"
    )


def state(ingest, room: str) -> dict:
    response = ingest.get(f"/ingest/v1/Rooms/{room}")
    assert response.status_code == 200, response.content
    return response.json()


def upload(ingest, recording: str, data: bytes, content_type: str = OCTETS, **extra):
    path = f"/ingest/v1/Recordings/{recording}/Media"
    return ingest.generic("PUT", path, data=data, content_type=content_type, **extra)


def fetch(api, recording: str) -> dict:
    response = api.get(f"/v1/Recordings/{recording}")
    assert response.status_code == 200, response.content
    return response.json()


def media_bytes(api, recording: str) -> bytes:
    """Download a recording's file as the application would: /Media, then the signed URL."""
    response = api.get(f"/v1/Recordings/{recording}/Media")
    assert response.status_code == 302, response.content
    url = urlsplit(response["Location"])
    served = Client().get(url.path + (f"?{url.query}" if url.query else ""))
    assert served.status_code == 200
    return b"".join(served.streaming_content)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class Live:
    """A recording room with Alice publishing one audio and one video track (record all)."""

    def __init__(self, api, ingest):
        self.sid = create_room(api, UniqueName="standup", RecordParticipantsOnConnect="true")
        response = connect(ingest, self.sid, "Alice")
        assert response.status_code == 201, response.content
        self.alice = response.json()["participant_sid"]
        self.audio_track = publish(ingest, self.sid, self.alice, "mic", "audio", "OPUS").json()[
            "track_sid"
        ]
        self.video_track = publish(ingest, self.sid, self.alice, "cam", "video", "VP8").json()[
            "track_sid"
        ]
        by_track = {c["track_sid"]: c["recording_sid"] for c in state(ingest, self.sid)["capture"]}
        self.audio = by_track[self.audio_track]
        self.video = by_track[self.video_track]


@pytest.fixture
def live(api, ingest) -> Live:
    return Live(api, ingest)


@pytest.fixture
def stopped(live, ingest) -> Live:
    """The same room after Alice left: both recordings stopped and awaiting their files."""
    response = ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Participants/{live.alice}")
    assert response.status_code == 200, response.content
    assert response.json()["awaiting_media"] == [live.audio, live.video]
    return live


# --- authentication -------------------------------------------------------------------------------


def test_an_api_key_authenticates(ingest, live):
    body = state(ingest, live.sid)
    assert body["room_sid"] == live.sid


def test_the_accounts_auth_token_is_refused(api, account, live):
    response = api.get(f"/ingest/v1/Rooms/{live.sid}")
    assert_error(response, 401, 20003)
    assert response["WWW-Authenticate"].startswith("Basic")
    response = connect(api, live.sid, "Mallory")
    assert_error(response, 401, 20003)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer abc", basic_auth("SK" + "0" * 32, "nope")],
    ids=["none", "bearer", "unknown-key"],
)
def test_missing_or_bad_credentials_are_refused(live, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    assert_error(client.get(f"/ingest/v1/Rooms/{live.sid}"), 401, 20003)
    assert_error(upload(client, live.audio, AUDIO), 401, 20003)


def test_a_wrong_secret_and_a_revoked_key_are_refused(account, ingest_key, live):
    key, secret = ingest_key.key, ingest_key.secret
    assert_error(client_for(key.sid, secret + "x").get(f"/ingest/v1/Rooms/{live.sid}"), 401, 20003)
    console_services.api_key_revoke(key=key)
    response = client_for(key.sid, secret).get(f"/ingest/v1/Rooms/{live.sid}")
    assert_error(response, 401, 20003)


def test_another_accounts_key_sees_nothing_of_this_account(stranger, api, ingest, stopped):
    room, alice = stopped.sid, stopped.alice
    before = state(ingest, room)
    assert_error(stranger.get(f"/ingest/v1/Rooms/{room}"), 404, 20404)
    assert_error(stranger.get("/ingest/v1/Rooms/standup"), 404, 20404)
    assert_error(connect(stranger, room, "Mallory"), 404, 20404)
    assert_error(publish(stranger, room, alice, "x", "audio", "OPUS"), 404, 20404)
    assert_error(stranger.delete(f"/ingest/v1/Rooms/{room}/Participants/{alice}"), 404, 20404)
    assert_error(
        stranger.delete(f"/ingest/v1/Rooms/{room}/Tracks/{stopped.audio_track}"), 404, 20404
    )
    assert_error(upload(stranger, stopped.audio, AUDIO), 404, 20404)
    failure = stranger.post(
        f"/ingest/v1/Recordings/{stopped.audio}/Failure", {"reason": "x"}, format="json"
    )
    assert_error(failure, 404, 20404)
    assert state(ingest, room) == before
    assert fetch(api, stopped.audio)["status"] == "processing"


# --- rooms ----------------------------------------------------------------------------------------


def test_a_media_server_opens_an_ad_hoc_room(ingest, api):
    response = ingest.post("/ingest/v1/Rooms", {"unique_name": "daily"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == STATE_KEYS
    assert body["room_sid"].startswith("RM")
    assert (body["room_status"], body["capture"], body["awaiting_media"]) == ("in-progress", [], [])
    room = api.get(f"/v1/Rooms/{body['room_sid']}").json()
    assert (room["unique_name"], room["type"], room["status"]) == ("daily", "group", "in-progress")
    assert room["record_participants_on_connect"] is False
    assert api.get(f"/v1/Rooms/{body['room_sid']}/RecordingRules").json()["rules"] == []


def test_an_ad_hoc_room_can_record_on_connect(ingest, api):
    response = ingest.post(
        "/ingest/v1/Rooms",
        {"unique_name": "recorded", "record_participants_on_connect": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    sid = response.json()["room_sid"]
    rules = api.get(f"/v1/Rooms/{sid}/RecordingRules").json()["rules"]
    assert rules == [{"type": "include", "all": True}]
    participant = connect(ingest, sid, "Alice").json()["participant_sid"]
    body = publish(ingest, sid, participant, "mic", "audio", "OPUS").json()
    assert [c["track_sid"] for c in body["capture"]] == [body["track_sid"]]


@pytest.mark.parametrize(
    ("flag", "records"), [({}, True), ({"record_participants_on_connect": False}, False)]
)
def test_an_ad_hoc_room_takes_the_account_default_unless_told(ingest, account, flag, records):
    recording_settings_update(account=account, record_participants_on_connect=True)
    response = ingest.post("/ingest/v1/Rooms", {"unique_name": "adhoc", **flag}, format="json")
    assert response.status_code == 201, response.content
    sid = response.json()["room_sid"]
    participant = connect(ingest, sid, "Alice").json()["participant_sid"]
    body = publish(ingest, sid, participant, "mic", "audio", "OPUS").json()
    assert len(body["capture"]) == (1 if records else 0)


def test_an_ad_hoc_room_name_in_use_is_refused(ingest):
    assert ingest.post("/ingest/v1/Rooms", {"unique_name": "x"}, format="json").status_code == 201
    response = ingest.post("/ingest/v1/Rooms", {"unique_name": "x"}, format="json")
    assert_error(response, 400, 53113)


@pytest.mark.parametrize("body", [{}, {"unique_name": ""}, {"unique_name": "x" * 129}])
def test_an_ad_hoc_room_needs_a_valid_name(ingest, body):
    assert_error(ingest.post("/ingest/v1/Rooms", body, format="json"), 400, 20001)


def test_ingest_bodies_are_json(ingest, live):
    response = ingest.post(
        f"/ingest/v1/Rooms/{live.sid}/Participants",
        urlencode({"identity": "Bob"}),
        content_type=FORM,
    )
    assert_error(response, 400, 20001)
    response = ingest.post(
        f"/ingest/v1/Rooms/{live.sid}/Participants", "{not json", content_type="application/json"
    )
    assert_error(response, 400, 20001)


def test_room_state_by_sid_and_by_unique_name(ingest, live):
    by_sid = state(ingest, live.sid)
    assert set(by_sid) == STATE_KEYS
    assert by_sid == state(ingest, "standup")
    assert by_sid["room_status"] == "in-progress"
    assert [c["recording_sid"] for c in by_sid["capture"]] == [live.audio, live.video]
    for entry in by_sid["capture"]:
        assert set(entry) == CAPTURE_KEYS
    assert by_sid["awaiting_media"] == []


@pytest.mark.parametrize("room", ["RM" + "0" * 32, "nobody-here", "RM123"])
def test_an_unknown_room_is_404(ingest, room):
    assert_error(ingest.get(f"/ingest/v1/Rooms/{room}"), 404, 20404)
    assert_error(connect(ingest, room, "Alice"), 404, 20404)


def test_an_unknown_ingest_path_is_404(ingest):
    assert_error(ingest.get("/ingest/v1/Nothing"), 404, 20404)


# --- participants ---------------------------------------------------------------------------------


def test_connect_answers_201_with_the_participant_sid(ingest, api):
    room = create_room(api, UniqueName="r")
    response = connect(ingest, room, "Alice")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == STATE_KEYS | {"participant_sid"}
    assert body["participant_sid"].startswith("PA")
    assert (body["room_sid"], body["capture"], body["awaiting_media"]) == (room, [], [])
    participant = api.get(f"/v1/Rooms/{room}/Participants/{body['participant_sid']}").json()
    assert (participant["identity"], participant["status"]) == ("Alice", "connected")


def test_connect_by_room_unique_name(ingest, api):
    room = create_room(api, UniqueName="by-name")
    response = connect(ingest, "by-name", "Alice")
    assert response.status_code == 201, response.content
    assert response.json()["room_sid"] == room


def test_a_second_connect_with_the_same_identity_replaces_the_first(ingest, api, live):
    response = connect(ingest, live.sid, "Alice")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["participant_sid"] != live.alice
    old = api.get(f"/v1/Rooms/{live.sid}/Participants/{live.alice}").json()
    assert old["status"] == "disconnected"
    connected = api.get(f"/v1/Rooms/{live.sid}/Participants", {"Status": "connected"}).json()
    assert [p["sid"] for p in connected["participants"]] == [body["participant_sid"]]
    # The older participant's tracks went with it.
    assert body["capture"] == []
    assert body["awaiting_media"] == [live.audio, live.video]
    response = publish(ingest, live.sid, live.alice, "mic", "audio", "OPUS")
    assert_error(response, 409, 20409)


def test_a_full_room_refuses_one_more_participant(ingest, api):
    room = create_room(api, UniqueName="small", MaxParticipants="2")
    assert connect(ingest, room, "Alice").status_code == 201
    assert connect(ingest, room, "Bob").status_code == 201
    assert_error(connect(ingest, room, "Carl"), 400, 53105)
    connected = api.get(f"/v1/Rooms/{room}/Participants", {"Status": "connected"}).json()
    assert sorted(p["identity"] for p in connected["participants"]) == ["Alice", "Bob"]
    # Someone already in the room may reconnect: the old connection makes way for the new.
    assert connect(ingest, room, "Bob").status_code == 201


def test_nobody_joins_a_completed_room(ingest, api, live):
    response = api.post(
        f"/v1/Rooms/{live.sid}", urlencode({"Status": "completed"}), content_type=FORM
    )
    assert response.status_code == 202, response.content
    assert_error(connect(ingest, live.sid, "Bob"), 409, 20409)
    assert_error(publish(ingest, live.sid, live.alice, "mic2", "audio", "OPUS"), 409, 20409)


@pytest.mark.parametrize("body", [{}, {"identity": ""}, {"identity": "x" * 129}])
def test_connect_needs_an_identity(ingest, live, body):
    response = ingest.post(f"/ingest/v1/Rooms/{live.sid}/Participants", body, format="json")
    assert_error(response, 400, 20001)


def test_disconnect_answers_the_state(ingest, api, live):
    response = ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Participants/{live.alice}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["capture"] == []
    assert body["awaiting_media"] == [live.audio, live.video]
    assert api.get(f"/v1/Rooms/{live.sid}/Participants/{live.alice}").json()["status"] == (
        "disconnected"
    )
    again = ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Participants/{live.alice}")
    assert again.status_code == 200
    assert again.json() == body


@pytest.mark.parametrize("participant", ["PA" + "0" * 32, "Alice", "PA1"])
def test_disconnecting_an_unknown_participant_is_404(ingest, live, participant):
    path = f"/ingest/v1/Rooms/{live.sid}/Participants/{participant}"
    assert_error(ingest.delete(path), 404, 20404)
    assert len(state(ingest, live.sid)["capture"]) == 2


def test_a_participant_of_another_room_is_404(ingest, api, live):
    other = create_room(api, UniqueName="other")
    bob = connect(ingest, other, "Bob").json()["participant_sid"]
    assert_error(ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Participants/{bob}"), 404, 20404)
    assert_error(publish(ingest, live.sid, bob, "mic", "audio", "OPUS"), 404, 20404)
    track = publish(ingest, other, bob, "mic", "audio", "OPUS").json()["track_sid"]
    assert_error(ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Tracks/{track}"), 404, 20404)


# --- tracks ---------------------------------------------------------------------------------------


def test_publish_answers_201_with_the_track_sid(ingest, api):
    room = create_room(api, UniqueName="r", RecordParticipantsOnConnect="true")
    alice = connect(ingest, room, "Alice").json()["participant_sid"]
    response = publish(ingest, room, alice, "mic", "audio", "OPUS")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == STATE_KEYS | {"track_sid"}
    assert body["track_sid"].startswith("MT")
    (entry,) = body["capture"]
    assert entry["track_sid"] == body["track_sid"]
    assert (entry["kind"], entry["codec"], entry["container_format"]) == ("audio", "OPUS", "mka")
    recording = fetch(api, entry["recording_sid"])
    assert (recording["source_sid"], recording["track_name"]) == (body["track_sid"], "mic")
    assert recording["status"] == "processing"
    assert recording["grouping_sids"] == {"room_sid": room, "participant_sid": alice}


@pytest.mark.parametrize(
    ("kind", "codec", "container"),
    [("audio", "PCMU", "mka"), ("video", "VP8", "mkv"), ("video", "H264", "mkv")],
)
def test_publish_every_valid_kind_and_codec(ingest, live, kind, codec, container):
    body = publish(ingest, live.sid, live.alice, "extra", kind, codec).json()
    entry = next(c for c in body["capture"] if c["track_sid"] == body["track_sid"])
    assert (entry["kind"], entry["codec"], entry["container_format"]) == (kind, codec, container)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "mic", "kind": "audio", "codec": "VP8"},
        {"name": "cam", "kind": "video", "codec": "OPUS"},
        {"name": "mic", "kind": "audio"},
        {"name": "mic", "kind": "audio", "codec": ""},
        {"name": "mic", "kind": "audio", "codec": "AAC"},
        {"name": "screen", "kind": "screen", "codec": "VP8"},
        {"name": "mic", "kind": "Audio", "codec": "OPUS"},
        {"kind": "audio", "codec": "OPUS"},
        {"name": "", "kind": "audio", "codec": "OPUS"},
    ],
    ids=[
        "audio-vp8",
        "video-opus",
        "audio-no-codec",
        "audio-blank-codec",
        "unknown-codec",
        "bad-kind",
        "kind-case",
        "no-name",
        "blank-name",
    ],
)
def test_publish_validates_kind_and_codec(ingest, api, live, body):
    before = state(ingest, live.sid)
    response = ingest.post(
        f"/ingest/v1/Rooms/{live.sid}/Participants/{live.alice}/Tracks", body, format="json"
    )
    assert_error(response, 400, 20001)
    assert state(ingest, live.sid) == before
    assert len(api.get("/v1/Recordings", {"GroupingSid": live.sid}).json()["recordings"]) == 2


def test_a_data_track_is_published_but_never_captured(ingest, live):
    response = publish(ingest, live.sid, live.alice, "chat", "data")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["track_sid"].startswith("MT")
    assert body["track_sid"] not in {c["track_sid"] for c in body["capture"]}


def test_a_disconnected_participant_cannot_publish(ingest, stopped):
    response = publish(ingest, stopped.sid, stopped.alice, "mic2", "audio", "OPUS")
    assert_error(response, 409, 20409)


def test_publish_for_an_unknown_participant_is_404(ingest, live):
    assert_error(publish(ingest, live.sid, "PA" + "0" * 32, "mic", "audio", "OPUS"), 404, 20404)


def test_unpublish_stops_the_recording(ingest, api, live):
    response = ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Tracks/{live.video_track}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [c["recording_sid"] for c in body["capture"]] == [live.audio]
    assert body["awaiting_media"] == [live.video]
    again = ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Tracks/{live.video_track}")
    assert again.status_code == 200
    assert again.json() == body


@pytest.mark.parametrize("track", ["MT" + "0" * 32, "cam", "MT1"])
def test_unpublishing_an_unknown_track_is_404(ingest, live, track):
    assert_error(ingest.delete(f"/ingest/v1/Rooms/{live.sid}/Tracks/{track}"), 404, 20404)
    assert len(state(ingest, live.sid)["capture"]) == 2


# --- uploads: the happy path ----------------------------------------------------------------------


@pytest.mark.parametrize(("media", "seconds"), [(AUDIO, 3), (SHORT_AUDIO, 1)], ids=["2.6s", "0.4s"])
def test_uploading_an_audio_recording_completes_it(
    ingest, api, stopped, upload_tmp, settings, media, seconds
):
    response = upload(ingest, stopped.audio, media)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sid"] == stopped.audio
    assert body["status"] == "completed"
    assert body["size"] == len(media)
    assert body["duration"] == seconds
    assert (body["codec"], body["container_format"], body["type"]) == ("OPUS", "mka", "audio")
    assert fetch(api, stopped.audio) | {"date_updated": None} == body | {"date_updated": None}
    assert media_bytes(api, stopped.audio) == media
    assert state(ingest, stopped.sid)["awaiting_media"] == [stopped.video]
    assert len(stored_files(settings)) == 1
    assert list(upload_tmp.iterdir()) == []  # the spooled upload is gone


def test_uploading_a_video_recording_completes_it(ingest, api, stopped, settings):
    response = upload(ingest, stopped.video, VIDEO)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["size"], body["duration"]) == ("completed", len(VIDEO), 2)
    assert (body["codec"], body["container_format"], body["type"]) == ("VP8", "mkv", "video")
    assert media_bytes(api, stopped.video) == VIDEO
    assert stored_files(settings)[0].name == f"{stopped.video}.mkv"


def test_the_content_type_of_an_upload_does_not_matter(ingest, stopped):
    response = upload(ingest, stopped.audio, AUDIO, content_type="audio/x-matroska")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"


def test_an_upload_exactly_at_the_size_cap_is_taken(ingest, stopped, settings):
    settings.INGEST_MAX_UPLOAD_BYTES = len(AUDIO)
    response = upload(ingest, stopped.audio, AUDIO)
    assert response.status_code == 200, response.content


# --- uploads: refused, and then nothing changed ---------------------------------------------------


def assert_untouched(ingest, api, live: Live, sid: str, settings, spool: Path) -> None:
    recording = fetch(api, sid)
    assert recording["status"] == "processing"
    assert (recording["size"], recording["duration"]) == (None, None)
    assert sid in state(ingest, live.sid)["awaiting_media"]
    key = services.media_key_for(Recording.objects.get(sid=sid))
    assert not get_media_store().exists(key)
    assert stored_files(settings) == []  # not even a half-written temporary file
    assert list(spool.iterdir()) == []
    assert_error(api.get(f"/v1/Recordings/{sid}/Media"), 404, 20404)


REJECTED = {
    "random-bytes": ("audio", lambda: os.urandom(4096)),
    "wav": ("audio", wav_file),
    "truncated-audio": ("audio", lambda: AUDIO[: len(AUDIO) // 2]),
    "truncated-video": ("video", lambda: VIDEO[: len(VIDEO) // 2]),
    "last-byte-cut": ("audio", lambda: AUDIO[:-1]),
    "video-to-audio-track": ("audio", lambda: VIDEO),
    "audio-to-video-track": ("video", lambda: AUDIO),
    "two-files-in-one": ("audio", lambda: AUDIO + AUDIO),
    "text": ("audio", lambda: b'{"not": "a recording"}'),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_a_file_that_is_not_a_whole_recording_of_the_track_is_refused(
    ingest, api, stopped, settings, upload_tmp, case
):
    kind, make = REJECTED[case]
    sid = stopped.audio if kind == "audio" else stopped.video
    response = upload(ingest, sid, make())
    assert_error(response, 400, 20001)
    assert_untouched(ingest, api, stopped, sid, settings, upload_tmp)


def test_the_refusal_says_what_is_wrong(ingest, stopped):
    assert "WAV" in upload(ingest, stopped.audio, wav_file()).json()["message"]
    assert "truncated" in upload(ingest, stopped.audio, AUDIO[:-100]).json()["message"]
    message = upload(ingest, stopped.audio, VIDEO).json()["message"]
    assert "video" in message
    assert stopped.audio in message


def test_an_empty_body_is_refused(ingest, api, stopped, settings, upload_tmp):
    response = upload(ingest, stopped.audio, b"", CONTENT_LENGTH="0")
    assert_error(response, 400, 20001)
    assert "empty" in response.json()["message"]
    assert_untouched(ingest, api, stopped, stopped.audio, settings, upload_tmp)


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(
    ingest, api, stopped, settings, upload_tmp, monkeypatch
):
    settings.INGEST_MAX_UPLOAD_BYTES = len(AUDIO) - 1
    reads = []
    stream = Request.stream
    monkeypatch.setattr(Request, "stream", property(lambda r: reads.append(1) or stream.fget(r)))
    response = upload(ingest, stopped.audio, AUDIO)
    assert_error(response, 413, 20413)
    assert str(len(AUDIO) - 1) in response.json()["message"]
    assert reads == []
    assert_untouched(ingest, api, stopped, stopped.audio, settings, upload_tmp)


def test_an_upload_without_content_length_is_refused(ingest, api, stopped, settings, upload_tmp):
    # No CONTENT_LENGTH at all in the WSGI environ (as for a chunked request), the body there.
    response = ingest.generic(
        "PUT",
        f"/ingest/v1/Recordings/{stopped.audio}/Media",
        **{"wsgi.input": FakePayload(AUDIO), "CONTENT_TYPE": OCTETS},
    )
    assert_error(response, 411, 20001)
    assert "Content-Length" in response.json()["message"]
    response = upload(ingest, stopped.audio, AUDIO, CONTENT_LENGTH="")
    assert_error(response, 411, 20001)
    response = upload(ingest, stopped.audio, AUDIO, CONTENT_LENGTH="-5")
    assert_error(response, 411, 20001)
    assert_untouched(ingest, api, stopped, stopped.audio, settings, upload_tmp)


def test_a_body_shorter_than_its_content_length_says_so(ingest, api, stopped, settings, upload_tmp):
    # The client declares fewer bytes than it sends: only the declared ones are read, and
    # they are a truncated file.
    response = upload(ingest, stopped.audio, AUDIO, CONTENT_LENGTH=str(len(AUDIO) - 10))
    assert_error(response, 400, 20001)
    assert_untouched(ingest, api, stopped, stopped.audio, settings, upload_tmp)


def test_uploading_to_an_unknown_recording_is_404(ingest):
    assert_error(upload(ingest, "RT" + "0" * 32, AUDIO), 404, 20404)
    assert_error(upload(ingest, "not-a-sid", AUDIO), 404, 20404)


# --- uploads: only once, only while processing ----------------------------------------------------


def test_a_second_upload_is_refused_and_the_first_file_kept(ingest, api, stopped, settings):
    assert upload(ingest, stopped.audio, AUDIO).status_code == 200
    response = upload(ingest, stopped.audio, OTHER_AUDIO)
    assert_error(response, 409, 20409)
    recording = fetch(api, stopped.audio)
    assert (recording["status"], recording["size"], recording["duration"]) == (
        "completed",
        len(AUDIO),
        3,
    )
    assert media_bytes(api, stopped.audio) == AUDIO
    assert len(stored_files(settings)) == 1


def test_uploading_to_a_deleted_recording_is_refused(ingest, api, stopped):
    assert upload(ingest, stopped.audio, AUDIO).status_code == 200
    assert api.delete(f"/v1/Recordings/{stopped.audio}").status_code == 204
    assert_error(upload(ingest, stopped.audio, OTHER_AUDIO), 409, 20409)
    response = api.get(f"/v1/Recordings/{stopped.audio}")
    assert response.json()["status"] == "deleted"


def test_a_reported_failure_fails_the_recording_and_no_file_is_taken(
    ingest, api, stopped, settings
):
    response = ingest.post(
        f"/ingest/v1/Recordings/{stopped.audio}/Failure", {"reason": "disk full"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["sid"], body["status"]) == (stopped.audio, "failed")
    assert fetch(api, stopped.audio)["status"] == "failed"
    assert state(ingest, stopped.sid)["awaiting_media"] == [stopped.video]

    assert_error(upload(ingest, stopped.audio, AUDIO), 409, 20409)
    assert fetch(api, stopped.audio)["status"] == "failed"
    assert stored_files(settings) == []
    again = ingest.post(
        f"/ingest/v1/Recordings/{stopped.audio}/Failure", {"reason": "again"}, format="json"
    )
    assert_error(again, 409, 20409)


def test_a_capturing_recording_can_be_reported_failed(ingest, api, live):
    response = ingest.post(
        f"/ingest/v1/Recordings/{live.video}/Failure", {"reason": "encoder crashed"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert fetch(api, live.video)["status"] == "failed"


def test_a_completed_recording_cannot_fail(ingest, stopped):
    assert upload(ingest, stopped.audio, AUDIO).status_code == 200
    response = ingest.post(
        f"/ingest/v1/Recordings/{stopped.audio}/Failure", {"reason": "late"}, format="json"
    )
    assert_error(response, 409, 20409)


def test_an_upload_never_leaves_a_selected_track_uncaptured(ingest, api, live):
    # The rules (record everything) select Alice's published mic: its file is refused until its
    # capture stops, so the mic stays captured into the same recording.
    assert_error(upload(ingest, live.audio, AUDIO), 409, 20409)
    captured = {c["recording_sid"] for c in state(ingest, live.sid)["capture"]}
    assert live.audio in captured
    assert fetch(api, live.audio)["status"] == "processing"


@pytest.mark.parametrize("body", [{}, {"reason": ""}])
def test_a_failure_needs_a_reason(ingest, api, stopped, body):
    response = ingest.post(f"/ingest/v1/Recordings/{stopped.audio}/Failure", body, format="json")
    assert_error(response, 400, 20001)
    assert fetch(api, stopped.audio)["status"] == "processing"


# --- the end of a room ----------------------------------------------------------------------------


def test_room_end_stops_everything_and_the_uploads_complete_everything(ingest, api, live, settings):
    bob = connect(ingest, live.sid, "Bob").json()["participant_sid"]
    publish(ingest, live.sid, bob, "bob-mic", "audio", "PCMU")
    capturing = {c["recording_sid"]: c["kind"] for c in state(ingest, live.sid)["capture"]}
    assert len(capturing) == 3

    response = api.post(
        f"/v1/Rooms/{live.sid}", urlencode({"Status": "completed"}), content_type=FORM
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "completed"
    ended = state(ingest, live.sid)
    assert (ended["room_status"], ended["capture"]) == ("completed", [])
    assert sorted(ended["awaiting_media"]) == sorted(capturing)
    connected = api.get(f"/v1/Rooms/{live.sid}/Participants", {"Status": "connected"}).json()
    assert connected["participants"] == []

    for sid, kind in capturing.items():
        media = AUDIO if kind == "audio" else VIDEO
        response = upload(ingest, sid, media)
        assert response.status_code == 200, response.content
        assert response.json()["size"] == len(media)
    assert state(ingest, live.sid)["awaiting_media"] == []
    listed = api.get("/v1/Recordings", {"GroupingSid": live.sid}).json()["recordings"]
    assert {r["sid"]: r["status"] for r in listed} == dict.fromkeys(capturing, "completed")
    assert len(stored_files(settings)) == 3
    codecs = {r["sid"]: r["codec"] for r in listed}
    # The codec shown is what the file holds (Bob announced PCMU but sent OPUS).
    assert set(codecs.values()) == {"OPUS", "VP8"}


# --- streaming ------------------------------------------------------------------------------------


def test_a_multi_megabyte_upload_works(ingest, api, stopped, settings, upload_tmp):
    big = padded(OTHER_AUDIO, 3 * 1024 * 1024 + 12345)
    assert len(big) > 3 * CHUNK_SIZE
    response = upload(ingest, stopped.audio, big)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["size"], body["duration"]) == ("completed", len(big), 1)
    assert media_bytes(api, stopped.audio) == big
    assert list(upload_tmp.iterdir()) == []


def test_the_upload_is_read_from_the_stream_a_chunk_at_a_time(ingest, stopped, monkeypatch):
    big = padded(AUDIO, 2 * CHUNK_SIZE + 777)
    reads: list[tuple[int, int]] = []  # (asked, got)
    stream_of = Request.stream.fget

    class CountingStream:
        def __init__(self, inner):
            self.inner = inner

        def read(self, size=-1):
            data = self.inner.read(size)
            reads.append((size, len(data)))
            return data

    def never(request):
        raise AssertionError("the whole body was read into memory (request.body)")

    monkeypatch.setattr(Request, "stream", property(lambda r: CountingStream(stream_of(r))))
    monkeypatch.setattr(HttpRequest, "body", property(never))
    response = upload(ingest, stopped.audio, big)
    assert response.status_code == 200, response.content
    assert len(reads) == math.ceil(len(big) / CHUNK_SIZE) == 3
    assert all(0 < asked <= CHUNK_SIZE for asked, _ in reads)
    assert sum(got for _, got in reads) == len(big)


def test_the_ingest_answers_are_json(ingest, live):
    response = ingest.get(f"/ingest/v1/Rooms/{live.sid}")
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == response.json()


def test_a_media_folder_that_cannot_be_written_answers_503_and_changes_nothing(
    ingest, api, stopped, settings, tmp_path
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocked
    get_media_store.cache_clear()
    assert_error(upload(ingest, stopped.audio, AUDIO), 503, 20503)
    assert fetch(api, stopped.audio)["status"] == "processing"
