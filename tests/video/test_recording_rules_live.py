"""Recording rules enforced live (seed 002), driven only through HTTP.

A media server reports the Alice/Bob/Carl room of seed 002 through the ingest API (API key), the
application changes the rules through ``POST /v1/Rooms/{sid}/RecordingRules`` (account SID and
auth token), and after every change we look at what the media server is told to capture
(``capture``, ``awaiting_media``) and at what the public API lists.
"""

import json
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from recordings.video.models import Recording
from tests.helpers import basic_auth

FORM = "application/x-www-form-urlencoded"

# Seed 002's table: identity → (track name, kind, codec) in publication order.
ALICE_BOB_CARL = {
    "Alice": [
        ("alice-audio", "audio", "OPUS"),
        ("alice-cam", "video", "VP8"),
        ("screen", "video", "VP8"),
    ],
    "Bob": [
        ("bob-audio", "audio", "OPUS"),
        ("bob-cam", "video", "VP8"),
        ("screen", "video", "VP8"),
    ],
    "Carl": [("carl-audio", "audio", "OPUS"), ("carl-cam", "video", "VP8")],
}
EVERY_TRACK = {f"{who}/{name}" for who, tracks in ALICE_BOB_CARL.items() for name, _, _ in tracks}
AUDIO = {"Alice/alice-audio", "Bob/bob-audio", "Carl/carl-audio"}
ALICE = {"Alice/alice-audio", "Alice/alice-cam", "Alice/screen"}
BOB = {"Bob/bob-audio", "Bob/bob-cam", "Bob/screen"}
CARL = {"Carl/carl-audio", "Carl/carl-cam"}

INCLUDE_ALL = [{"type": "include", "all": True}]
EXCLUDE_ALL = [{"type": "exclude", "all": True}]
AUDIO_ONLY = [{"type": "include", "kind": "audio"}]


def client_for(username: str, password: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(username, password))
    return client


@pytest.fixture
def api(account) -> APIClient:
    """The application: account SID and auth token, form-encoded bodies (the /v1 API)."""
    return client_for(account.sid, account.auth_token)


@pytest.fixture
def ingest(ingest_key) -> APIClient:
    """The media server: an ingest key of the account, JSON bodies (the ingest API)."""
    return client_for(ingest_key.key.sid, ingest_key.secret)


class LiveRoom:
    """A group room whose events a media server reports over HTTP; tracks are named who/name."""

    def __init__(self, api: APIClient, ingest: APIClient, **params):
        self.api, self.ingest = api, ingest
        response = api.post("/v1/Rooms", urlencode(params), content_type=FORM)
        assert response.status_code == 201, response.content
        self.sid = response.json()["sid"]
        self.participants: dict[str, str] = {}  # identity → PA SID
        self.tracks: dict[str, str] = {}  # "who/name" → MT SID
        self.labels: dict[str, str] = {}  # MT SID → "who/name"

    # --- what the media server reports ---------------------------------------------------------

    def connect(self, identity: str) -> dict:
        response = self.ingest.post(
            f"/ingest/v1/Rooms/{self.sid}/Participants", {"identity": identity}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        self.participants[identity] = body["participant_sid"]
        return body

    def publish(self, identity: str, name: str, kind: str, codec: str = "") -> dict:
        response = self.ingest.post(
            f"/ingest/v1/Rooms/{self.sid}/Participants/{self.participants[identity]}/Tracks",
            {"name": name, "kind": kind, "codec": codec},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        label = f"{identity}/{name}"
        self.tracks[label] = body["track_sid"]
        self.labels[body["track_sid"]] = label
        return body

    def unpublish(self, label: str) -> dict:
        response = self.ingest.delete(f"/ingest/v1/Rooms/{self.sid}/Tracks/{self.tracks[label]}")
        assert response.status_code == 200, response.content
        return response.json()

    def disconnect(self, identity: str) -> dict:
        path = f"/ingest/v1/Rooms/{self.sid}/Participants/{self.participants[identity]}"
        response = self.ingest.delete(path)
        assert response.status_code == 200, response.content
        return response.json()

    def join(self, identity: str, tracks) -> None:
        self.connect(identity)
        for name, kind, codec in tracks:
            self.publish(identity, name, kind, codec)

    # --- what the application does and sees ----------------------------------------------------

    def set_rules(self, rules) -> dict:
        document = rules if isinstance(rules, str) else json.dumps(rules)
        response = self.api.post(
            f"/v1/Rooms/{self.sid}/RecordingRules",
            urlencode({"Rules": document}),
            content_type=FORM,
        )
        assert response.status_code == 200, response.content
        return response.json()

    def rules(self) -> list:
        response = self.api.get(f"/v1/Rooms/{self.sid}/RecordingRules")
        assert response.status_code == 200, response.content
        return response.json()["rules"]

    def state(self) -> dict:
        response = self.ingest.get(f"/ingest/v1/Rooms/{self.sid}")
        assert response.status_code == 200, response.content
        return response.json()

    def capturing(self, state: dict | None = None) -> dict[str, str]:
        """Return "who/name" → recording SID of every track the media server must record now."""
        state = state if state is not None else self.state()
        captured = {self.labels[c["track_sid"]]: c["recording_sid"] for c in state["capture"]}
        assert len(captured) == len(state["capture"]), "a track captured twice"
        return captured

    def recordings(self, **filters) -> list[dict]:
        """The room's recordings as the public API lists them."""
        response = self.api.get("/v1/Recordings", {"GroupingSid": self.sid, **filters})
        assert response.status_code == 200, response.content
        return response.json()["recordings"]


@pytest.fixture
def room(api, ingest) -> LiveRoom:
    """Seed 002's room: Alice, Bob and Carl with all their tracks published, no rules yet."""
    live = LiveRoom(api, ingest, UniqueName="alice-bob-carl")
    for identity, tracks in ALICE_BOB_CARL.items():
        live.join(identity, tracks)
    assert live.capturing() == {}
    return live


def test_the_room_is_built_as_in_the_seed_table(room):
    assert set(room.tracks) == EVERY_TRACK
    assert len(set(room.tracks.values())) == 8
    assert all(sid.startswith("PA") for sid in room.participants.values())
    assert room.state()["room_status"] == "in-progress"


# --- seed 002's examples, each as a live change of the rules --------------------------------------


def test_include_all_records_every_track(room):
    body = room.set_rules(INCLUDE_ALL)
    assert body["room_sid"] == room.sid
    assert body["rules"] == INCLUDE_ALL
    captured = room.capturing()
    assert set(captured) == EVERY_TRACK
    assert len(set(captured.values())) == 8  # one recording per track
    listed = room.recordings()
    assert {r["sid"] for r in listed} == set(captured.values())
    assert {r["status"] for r in listed} == {"processing"}
    for recording in listed:
        assert room.labels[recording["source_sid"]].endswith("/" + recording["track_name"])


def test_capture_entries_describe_the_track_and_its_recording(room):
    room.set_rules(INCLUDE_ALL)
    entries = {room.labels[c["track_sid"]]: c for c in room.state()["capture"]}
    assert set(entries["Alice/alice-audio"]) == {
        "track_sid",
        "recording_sid",
        "kind",
        "codec",
        "container_format",
    }
    audio, cam = entries["Alice/alice-audio"], entries["Alice/alice-cam"]
    assert (audio["kind"], audio["codec"], audio["container_format"]) == ("audio", "OPUS", "mka")
    assert (cam["kind"], cam["codec"], cam["container_format"]) == ("video", "VP8", "mkv")
    assert audio["recording_sid"].startswith("RT")


def test_exclude_all_stops_everything_and_leaves_recordings_awaiting_media(room):
    room.set_rules(INCLUDE_ALL)
    started = room.capturing()
    body = room.set_rules(EXCLUDE_ALL)
    assert body["rules"] == EXCLUDE_ALL
    state = room.state()
    assert state["capture"] == []
    assert set(state["awaiting_media"]) == set(started.values())
    listed = room.recordings()
    assert {r["sid"] for r in listed} == set(started.values())
    assert {r["status"] for r in listed} == {"processing"}  # until the media server uploads
    stopped = Recording.objects.filter(sid__in=started.values())
    assert all(recording.date_stopped is not None for recording in stopped)


def test_audio_only(room):
    room.set_rules(AUDIO_ONLY)
    assert set(room.capturing()) == AUDIO
    assert {r["type"] for r in room.recordings()} == {"audio"}
    assert room.recordings(MediaType="video") == []


def test_alice_plus_everyones_audio(room):
    room.set_rules(
        [{"type": "include", "publisher": "Alice"}, {"type": "include", "kind": "audio"}]
    )
    assert set(room.capturing()) == ALICE | AUDIO
    # "there will be an audio track Recording for any other Participant who joins the Room"
    room.join("Dave", [("dave-audio", "audio", "OPUS"), ("dave-cam", "video", "VP8")])
    assert set(room.capturing()) == ALICE | AUDIO | {"Dave/dave-audio"}


def test_the_four_rule_example(room):
    rules = [
        {"type": "include", "all": True},
        {"type": "exclude", "kind": "video"},
        {"type": "include", "publisher": "Bob", "track": "screen"},
        {"type": "include", "track": room.tracks["Alice/alice-cam"]},
    ]
    body = room.set_rules(rules)
    assert body["rules"] == rules
    assert set(room.capturing()) == AUDIO | {"Bob/screen", "Alice/alice-cam"}


@pytest.mark.parametrize("by", ["identity", "sid"])
def test_publisher_by_identity_or_participant_sid(room, by):
    bob = "Bob" if by == "identity" else room.participants["Bob"]
    room.set_rules([{"type": "include", "publisher": bob}])
    assert set(room.capturing()) == BOB
    carl = "Carl" if by == "identity" else room.participants["Carl"]
    room.set_rules([{"type": "include", "all": True}, {"type": "exclude", "publisher": carl}])
    assert set(room.capturing()) == ALICE | BOB


def test_track_by_name_matches_every_publishers_track_of_that_name(room):
    room.set_rules([{"type": "include", "track": "screen"}])
    assert set(room.capturing()) == {"Alice/screen", "Bob/screen"}


def test_track_by_sid_matches_exactly_that_track(room):
    room.set_rules([{"type": "include", "track": room.tracks["Bob/screen"]}])
    assert set(room.capturing()) == {"Bob/screen"}
    room.set_rules(
        [
            {"type": "include", "all": True},
            {"type": "exclude", "track": room.tracks["Alice/screen"]},
        ]
    )
    assert set(room.capturing()) == EVERY_TRACK - {"Alice/screen"}


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "include", "publisher": "alice"},
        {"type": "include", "publisher": "ALICE"},
        {"type": "include", "track": "Screen"},
        {"type": "include", "track": "Alice-Audio"},
        {"type": "include", "publisher": "Bob", "track": "SCREEN"},
    ],
    ids=lambda rule: "-".join(str(v) for v in rule.values()),
)
def test_identities_and_track_names_are_case_sensitive(room, rule):
    room.set_rules([rule])
    assert room.capturing() == {}
    assert room.recordings() == []


def test_track_sids_are_matched_exactly_too(room):
    sid = room.tracks["Carl/carl-cam"]
    room.set_rules([{"type": "include", "track": sid.lower()}])
    assert room.capturing() == {}
    room.set_rules([{"type": "include", "publisher": room.participants["Carl"].lower()}])
    assert room.capturing() == {}


# --- dynamic enforcement --------------------------------------------------------------------------


def test_changing_rules_stops_exactly_the_leaving_tracks_and_starts_the_entering_ones(room):
    room.set_rules(AUDIO_ONLY)
    audio = room.capturing()

    room.set_rules(
        [{"type": "include", "publisher": "Alice"}, {"type": "include", "kind": "audio"}]
    )
    second = room.capturing()
    assert set(second) == ALICE | AUDIO
    for label in AUDIO:  # staying tracks keep recording into the same recording
        assert second[label] == audio[label]
    entered = {second[label] for label in ALICE - AUDIO}
    assert not entered & set(audio.values())
    assert room.state()["awaiting_media"] == []  # nothing stopped

    room.set_rules([{"type": "include", "publisher": "Bob"}])
    state = room.state()
    third = room.capturing(state)
    assert set(third) == BOB
    assert third["Bob/bob-audio"] == second["Bob/bob-audio"]
    left = (ALICE | AUDIO) - BOB
    assert set(state["awaiting_media"]) == {second[label] for label in left}
    assert len(room.recordings()) == len(second) + 2  # Bob's cam and screen are new


def test_a_track_that_leaves_and_reenters_gets_a_new_recording(room):
    room.set_rules(INCLUDE_ALL)
    first = room.capturing()
    room.set_rules(EXCLUDE_ALL)
    room.set_rules(INCLUDE_ALL)
    state = room.state()
    again = room.capturing(state)
    assert set(again) == EVERY_TRACK
    for label in EVERY_TRACK:
        assert again[label] != first[label]
    assert set(state["awaiting_media"]) == set(first.values())
    response = room.api.get(f"/v1/Recordings/{first['Alice/alice-audio']}")
    assert response.status_code == 200
    old = response.json()
    assert old["status"] == "processing"
    assert old["source_sid"] == room.tracks["Alice/alice-audio"]
    listed = room.recordings(SourceSid=room.tracks["Alice/alice-audio"])
    assert [r["sid"] for r in listed] == [again["Alice/alice-audio"], first["Alice/alice-audio"]]


def test_reposting_the_same_rules_does_not_restart_recordings(room):
    room.set_rules(INCLUDE_ALL)
    first = room.capturing()
    room.set_rules(INCLUDE_ALL)
    assert room.capturing() == first
    assert room.state()["awaiting_media"] == []


def test_record_on_connect_room_records_tracks_as_they_are_published(api, ingest):
    live = LiveRoom(api, ingest, UniqueName="on-connect", RecordParticipantsOnConnect="true")
    assert live.rules() == INCLUDE_ALL
    live.connect("Alice")
    body = live.publish("Alice", "alice-audio", "audio", "OPUS")
    assert [c["track_sid"] for c in body["capture"]] == [body["track_sid"]]
    body = live.publish("Alice", "alice-cam", "video", "VP8")
    assert set(live.capturing(body)) == {"Alice/alice-audio", "Alice/alice-cam"}
    live.join("Bob", [("bob-audio", "audio", "OPUS")])
    assert set(live.capturing()) == {"Alice/alice-audio", "Alice/alice-cam", "Bob/bob-audio"}
    assert {r["status"] for r in live.recordings()} == {"processing"}
    assert len(live.recordings()) == 3


def test_a_room_without_rules_records_nothing(room):
    assert room.rules() == []
    assert room.state()["awaiting_media"] == []
    assert room.recordings() == []


def test_a_participant_joining_later_is_covered_by_the_current_rules(room):
    room.set_rules(AUDIO_ONLY)
    before = room.capturing()
    room.connect("Dave")
    body = room.publish("Dave", "dave-audio", "audio", "OPUS")
    assert set(room.capturing(body)) == AUDIO | {"Dave/dave-audio"}
    body = room.publish("Dave", "dave-cam", "video", "H264")
    captured = room.capturing(body)
    assert set(captured) == AUDIO | {"Dave/dave-audio"}
    assert {label: captured[label] for label in AUDIO} == before


def test_unpublishing_a_track_stops_its_recording(room):
    room.set_rules(INCLUDE_ALL)
    started = room.capturing()
    state = room.unpublish("Bob/bob-cam")
    assert set(room.capturing(state)) == EVERY_TRACK - {"Bob/bob-cam"}
    assert state["awaiting_media"] == [started["Bob/bob-cam"]]
    # Still stopped after a later rules change: an unpublished track is not a track any more.
    room.set_rules(INCLUDE_ALL)
    assert "Bob/bob-cam" not in room.capturing()


def test_a_participant_disconnecting_stops_all_its_recordings(room):
    room.set_rules(INCLUDE_ALL)
    started = room.capturing()
    state = room.disconnect("Alice")
    assert set(room.capturing(state)) == BOB | CARL
    assert set(state["awaiting_media"]) == {started[label] for label in ALICE}
    for label in BOB | CARL:
        assert room.capturing(state)[label] == started[label]


def test_data_tracks_are_never_recorded(room):
    room.publish("Carl", "chat", "data")
    room.set_rules(INCLUDE_ALL)
    assert set(room.capturing()) == EVERY_TRACK
    room.set_rules([{"type": "include", "track": "chat"}])
    assert room.capturing() == {}
    room.set_rules([{"type": "include", "track": room.tracks["Carl/chat"]}])
    assert room.capturing() == {}
    assert room.recordings(SourceSid=room.tracks["Carl/chat"]) == []


def test_data_tracks_are_not_recorded_in_a_record_on_connect_room(api, ingest):
    live = LiveRoom(api, ingest, RecordParticipantsOnConnect="true")
    live.connect("Alice")
    body = live.publish("Alice", "chat", "data")
    assert body["capture"] == []
    assert live.recordings() == []


@pytest.mark.parametrize(
    "document",
    [
        "[]",
        '[{"type": "include", "all": false}]',
        '[{"type": "include", "all": "true", "kind": "audio"}]',
        '[{"type": "include", "kind": "audio", "kind": "video"}]',
        '[{"type": "include", "kind": "screen"}]',
        '[{"type": "include", "kind": "Audio"}]',
        '[{"all": true}]',
        '[{"type": "exclude"}]',
        '[{"type": "include", "all": true}',
        json.dumps([{"type": "include", "track": f"t{i}"} for i in range(21)]),
    ],
    ids=[
        "empty",
        "all-false",
        "all-with-kind",
        "repeated-kind",
        "bad-kind",
        "kind-case",
        "no-type",
        "no-filter",
        "not-json",
        "21-rules",
    ],
)
def test_invalid_rules_change_nothing_about_what_is_captured(room, document):
    room.set_rules(AUDIO_ONLY)
    before = room.state()
    response = room.api.post(
        f"/v1/Rooms/{room.sid}/RecordingRules",
        urlencode({"Rules": document}),
        content_type=FORM,
    )
    assert response.status_code == 400, response.content
    error = response.json()
    assert (error["code"], error["status"]) == (53120, 400)
    assert error["more_info"] == "https://www.twilio.com/docs/errors/53120"
    assert room.state() == before
    assert room.rules() == AUDIO_ONLY
    assert {r["status"] for r in room.recordings()} == {"processing"}
    assert len(room.recordings()) == 3
