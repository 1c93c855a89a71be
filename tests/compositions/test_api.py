"""The /v1 Compositions, CompositionHooks and CompositionSettings endpoints, driven by the
official ``twilio`` client against a live server. Rooms are simulated with real media; composed
files are fetched through their signed media URL and checked by decoding them. Every body is
checked against Twilio's official OpenAPI."""

import ast
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import av
import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from console.models import AuditEvent
from recordings.compositions.models import Composition
from recordings.devtools.simulator import simulate_room
from recordings.lifecycle.models import CallbackDelivery
from recordings.media.store import get_media_store
from recordings.video.models import Recording
from tests.twilio_helpers import reference, reference_response_schema, schema_errors, twilio_client

pytestmark = pytest.mark.django_db(transaction=True)

GRID = {"grid": {"video_sources": ["*"]}}
COMPOSITION_FIELDS = set(reference()["components"]["schemas"]["video.v1.composition"]["properties"])
HOOK_FIELDS = set(reference()["components"]["schemas"]["video.v1.composition_hook"]["properties"])


@pytest.fixture
def client(live_server, account):
    return twilio_client(live_server.url, account.sid, account.auth_token)


@pytest.fixture
def other_client(live_server, other_account):
    return twilio_client(live_server.url, other_account.sid, other_account.auth_token)


@pytest.fixture
def callback_server():
    from tests.lifecycle.test_callbacks import CallbackServer

    server = CallbackServer()
    yield server
    server.close()


@pytest.fixture
def room(account):
    room, _ = simulate_room(account=account, identities=["alice", "bob"], seconds=2)
    return room


def raw(client, method: str, url: str, **params):
    response = client.request(
        method,
        url,
        params=params if method == "GET" else None,
        data=params if method != "GET" else None,
    )
    return response.status_code, json.loads(response.text) if response.text else None


def error_of(call) -> tuple[int, int, str]:
    with pytest.raises(TwilioRestException) as caught:
        call()
    return caught.value.status, caught.value.code, caught.value.msg


def decoded(url: str, tmp_path) -> dict:
    """Download a media URL and decode the whole file."""
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    path = tmp_path / "composed"
    path.write_bytes(response.content)
    with av.open(str(path)) as container:
        info = {
            "codecs": {s.codec_context.name for s in container.streams},
            "duration": container.duration / av.time_base,
            "size": None,
        }
        if container.streams.video:
            stream = container.streams.video[0]
            info["size"] = (stream.width, stream.height)
        audio = [frame.to_ndarray() for frame in container.decode(audio=0)]
    info["peak"] = max(float(abs(a).max()) for a in audio) if audio else 0.0
    return info


def test_create_compose_fetch_list_media_and_delete(client, live_server, room, tmp_path):
    created = client.video.v1.compositions.create(
        room_sid=room.sid,
        video_layout=GRID,
        audio_sources=["*"],
        format="mp4",
        resolution="320x240",
    )

    assert created.status == "enqueued"  # the answer of the POST, before the worker ran
    assert created.room_sid == room.sid and created.sid.startswith("CJ")
    assert created.resolution == "320x240" and created.format == "mp4" and created.trim is True
    composition = client.video.v1.compositions(created.sid).fetch()
    assert composition.status == "completed"
    assert composition.duration == 2 and composition.size > 0 and composition.bitrate > 0
    assert composition.links == {"media": f"{live_server.url}/v1/Compositions/{created.sid}/Media"}
    assert [c.sid for c in client.video.v1.compositions.list(room_sid=room.sid)] == [created.sid]
    assert [c.sid for c in client.video.v1.compositions.list(status="completed")] == [created.sid]
    assert client.video.v1.compositions.list(status="failed") == []

    status, body = raw(client, "GET", f"{live_server.url}/v1/Compositions/{created.sid}/Media")
    assert status == 302
    # Seekable in a browser: a Range request is answered with that range.
    ranged = requests.get(body["redirect_to"], headers={"Range": "bytes=0-99"}, timeout=10)
    assert (ranged.status_code, len(ranged.content)) == (206, 100)
    assert ranged.headers["Content-Type"] == "video/mp4"
    assert ranged.content[4:8] == b"ftyp"
    whole = requests.get(body["redirect_to"], timeout=10).content
    assert whole.index(b"moov") < whole.index(b"mdat")  # faststart: playable while it downloads
    media = decoded(body["redirect_to"], tmp_path)
    assert media["codecs"] == {"h264", "aac"}
    assert media["size"] == (320, 240)
    assert media["duration"] == pytest.approx(2.0, abs=0.25)
    assert media["peak"] > 0.05  # the participants' tones, mixed

    key = Composition.objects.get(pk=created.sid).media_key
    assert get_media_store().exists(key)
    assert client.video.v1.compositions(created.sid).delete() is True
    assert client.video.v1.compositions(created.sid).fetch().status == "deleted"
    assert requests.get(body["redirect_to"], timeout=10).status_code == 404
    status, _ = raw(client, "GET", f"{live_server.url}/v1/Compositions/{created.sid}/Media")
    assert status == 404
    assert not get_media_store().exists(key)
    assert AuditEvent.objects.filter(action="composition.delete", object_sid=created.sid).exists()


def test_webm_audio_only_composition(client, live_server, room, tmp_path):
    created = client.video.v1.compositions.create(
        room_sid=room.sid, audio_sources=["alice*"], format="webm"
    )

    _, body = raw(client, "GET", f"{live_server.url}/v1/Compositions/{created.sid}/Media")
    media = decoded(body["redirect_to"], tmp_path)
    assert media["codecs"] == {"opus"}
    assert media["peak"] > 0.05


def test_every_body_validates_against_twilios_schema(client, live_server, room):
    sid = client.video.v1.compositions.create(room_sid=room.sid, audio_sources=["*"]).sid
    hook = client.video.v1.composition_hooks.create(friendly_name="all", audio_sources=["*"])
    cases = [
        ("/v1/Compositions", "get", "200", "/v1/Compositions"),
        (f"/v1/Compositions/{sid}", "get", "200", "/v1/Compositions/{Sid}"),
        ("/v1/CompositionHooks", "get", "200", "/v1/CompositionHooks"),
        (f"/v1/CompositionHooks/{hook.sid}", "get", "200", "/v1/CompositionHooks/{Sid}"),
        ("/v1/CompositionSettings/Default", "get", "200", "/v1/CompositionSettings/Default"),
    ]
    for path, method, code, reference_path in cases:
        status, body = raw(client, "GET", f"{live_server.url}{path}")
        assert status == int(code)
        assert schema_errors(body, reference_response_schema(reference_path, method, code)) == []
    assert set(body) == {
        *reference_response_schema("/v1/CompositionSettings/Default")["properties"]
    }
    status, body = raw(client, "GET", f"{live_server.url}/v1/Compositions/{sid}")
    assert set(body) == COMPOSITION_FIELDS
    status, body = raw(client, "GET", f"{live_server.url}/v1/CompositionHooks/{hook.sid}")
    assert set(body) == HOOK_FIELDS


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"Resolution": "10x480"}, "Resolution"),
        ({"Resolution": "1280x1280"}, "Resolution"),
        ({"Resolution": "wide"}, "Resolution"),
        ({"Format": "avi"}, "Format"),
        ({"VideoLayout": "{not json"}, "VideoLayout"),
        ({"VideoLayout": "[1, 2]"}, "VideoLayout"),
        ({"StatusCallbackMethod": "PUT"}, "StatusCallbackMethod"),
        ({"StatusCallback": "ftp://example.com/x"}, "StatusCallback"),
        ({"Trim": "maybe"}, "Trim"),
        ({"AudioSources": "x" * 200}, "AudioSources"),
    ],
)
def test_an_invalid_field_is_a_400_naming_it(client, live_server, room, params, parameter):
    status, body = raw(
        client,
        "POST",
        f"{live_server.url}/v1/Compositions",
        **({"RoomSid": room.sid, "AudioSources": "*"} | params),
    )

    assert (status, body["code"]) == (400, 20001)
    assert parameter in body["message"]
    assert set(body) == {"code", "message", "more_info", "status"}
    assert not Composition.objects.exists()


def test_room_must_be_an_ended_group_room_of_the_account(
    client, live_server, account, other_account, room
):
    in_progress, _ = simulate_room(account=account, identities=["c"], seconds=1, keep_open=True)
    foreign, _ = simulate_room(account=other_account, identities=["d"], seconds=1)
    for room_sid, says in [
        (in_progress.sid, "in-progress"),
        (foreign.sid, "is not a room of this account"),
        ("RM" + "0" * 32, "is not a room of this account"),
        ("RMnot-a-sid", "RoomSid"),
        (None, "RoomSid"),
    ]:
        params = {"AudioSources": "*"} | ({"RoomSid": room_sid} if room_sid else {})
        status, body = raw(client, "POST", f"{live_server.url}/v1/Compositions", **params)
        assert (status, body["code"]) == (400, 20001), room_sid
        assert says in body["message"]


def test_sources_must_match_something(client, live_server, room):
    for params in [
        {},
        {"AudioSources": "nobody*"},
        {"VideoLayout": json.dumps({"main": {"video_sources": ["nobody"]}})},
    ]:
        status, body = raw(
            client, "POST", f"{live_server.url}/v1/Compositions", RoomSid=room.sid, **params
        )
        assert (status, body["code"]) == (400, 20001)
    assert not Composition.objects.exists()


def test_encrypted_recordings_cannot_be_composed(client, live_server, room):
    room.recording_set.filter(track_name="alice-audio").update(encryption_key="CR" + "1" * 32)

    status, body = raw(
        client, "POST", f"{live_server.url}/v1/Compositions", RoomSid=room.sid, AudioSources="*"
    )

    assert (status, body["code"]) == (400, 20001)
    assert "Encrypted recordings cannot be composed" in body["message"]
    # Only bob's track selected: nothing encrypted in it.
    assert client.video.v1.compositions.create(room_sid=room.sid, audio_sources=["bob*"]).sid


def test_another_account_sees_nothing(client, other_client, live_server, room):
    sid = client.video.v1.compositions.create(room_sid=room.sid, audio_sources=["*"]).sid
    hook = client.video.v1.composition_hooks.create(friendly_name="mine", audio_sources=["*"])

    assert other_client.video.v1.compositions.list() == []
    assert other_client.video.v1.composition_hooks.list() == []
    for call in [
        other_client.video.v1.compositions(sid).fetch,
        other_client.video.v1.compositions(sid).delete,
        other_client.video.v1.composition_hooks(hook.sid).fetch,
        other_client.video.v1.composition_hooks(hook.sid).delete,
        lambda: other_client.video.v1.composition_hooks(hook.sid).update(friendly_name="x"),
    ]:
        assert error_of(call)[:2] == (404, 20404)
    status, _ = raw(other_client, "GET", f"{live_server.url}/v1/Compositions/{sid}/Media")
    assert status == 404
    assert Composition.objects.get(pk=sid).status == "completed"


def test_read_key_cannot_compose_and_standard_key_cannot_manage_hooks(live_server, account, room):
    from console import services as console_services

    def client_with(scope):
        new = console_services.api_key_create(account=account, friendly_name=scope, scope=scope)
        return twilio_client(live_server.url, new.key.sid, new.secret, account.sid)

    read, standard = client_with("read"), client_with("standard")
    assert (
        error_of(lambda: read.video.v1.compositions.create(room_sid=room.sid, audio_sources=["*"]))[
            0
        ]
        == 403
    )
    assert standard.video.v1.compositions.create(room_sid=room.sid, audio_sources=["*"]).sid
    assert (
        error_of(
            lambda: standard.video.v1.composition_hooks.create(
                friendly_name="h", audio_sources=["*"]
            )
        )[0]
        == 403
    )
    assert error_of(lambda: read.video.v1.composition_settings().fetch())[0] == 403


def test_a_composition_in_flight_cannot_be_deleted(client, room):
    sid = client.video.v1.compositions.create(room_sid=room.sid, audio_sources=["*"]).sid
    Composition.objects.filter(pk=sid).update(status="processing")

    assert error_of(client.video.v1.compositions(sid).delete)[:2] == (409, 20409)


def test_status_callbacks_follow_the_composition(client, live_server, room, callback_server):
    sid = client.video.v1.compositions.create(
        room_sid=room.sid,
        audio_sources=["*"],
        video_layout=GRID,
        status_callback=callback_server.url,
    ).sid

    events = list(
        CallbackDelivery.objects.filter(recording_sid=sid)
        .order_by("id")
        .values_list("event", "params")
    )
    names = [event for event, _ in events]
    assert names[:2] == ["composition-enqueued", "composition-started"]
    assert names[-1] == "composition-available"
    progress = [params for event, params in events if event == "composition-progress"]
    assert progress and all(
        0 < int(p["PercentageDone"]) < 100 and int(p["SecondsRemaining"]) >= 0 for p in progress
    )
    assert [int(p["PercentageDone"]) for p in progress] == sorted(
        int(p["PercentageDone"]) for p in progress
    )
    available = events[-1][1]
    assert available["CompositionSid"] == sid and available["RoomSid"] == room.sid
    assert available["MediaUri"] == f"/v1/Compositions/{sid}/Media"
    assert int(available["Size"]) == Composition.objects.get(pk=sid).size
    assert callback_server.wait_for(len(names))
    assert [r.form["StatusCallbackEvent"] for r in callback_server.requests] == names


def test_hooks_create_list_fetch_update_delete(client):
    hooks = client.video.v1.composition_hooks
    hook = hooks.create(
        friendly_name="everything",
        audio_sources=["*"],
        video_layout=GRID,
        format="mp4",
        resolution="1280x720",
        enabled=False,
    )
    assert (hook.friendly_name, hook.enabled, hook.format, hook.resolution) == (
        "everything",
        False,
        "mp4",
        "1280x720",
    )
    assert [h.sid for h in hooks.list(enabled=False)] == [hook.sid]
    assert hooks.list(enabled=True) == []
    assert [h.sid for h in hooks.list(friendly_name="everything")] == [hook.sid]

    updated = client.video.v1.composition_hooks(hook.sid).update(
        friendly_name="renamed", enabled=True
    )
    assert (updated.friendly_name, updated.enabled, updated.format) == ("renamed", True, "mp4")
    assert error_of(lambda: hooks.create(friendly_name="renamed", audio_sources=["*"]))[:2] == (
        400,
        20001,
    )
    assert client.video.v1.composition_hooks(hook.sid).delete() is True
    assert hooks.list() == []


def test_an_enabled_hook_composes_every_group_room_when_it_ends(client, account):
    client.video.v1.composition_hooks.create(
        friendly_name="audio", audio_sources=["*"], format="mp4"
    )
    client.video.v1.composition_hooks.create(
        friendly_name="off", audio_sources=["*"], enabled=False
    )
    client.video.v1.composition_hooks.create(
        friendly_name="screens", video_layout={"screen": {"video_sources": ["screen*"]}}
    )

    room, _ = simulate_room(account=account, identities=["a", "b"], seconds=1)

    made = client.video.v1.compositions.list(room_sid=room.sid)
    assert [(c.format, c.status) for c in made] == [("mp4", "completed")]
    hook_failures = CallbackDelivery.objects.filter(event="composition-hook-failed")
    assert hook_failures.count() == 0  # the "screens" hook has no callback URL to tell


def test_composition_settings_fetch_and_update(client, account):
    settings = client.video.v1.composition_settings().fetch()
    assert settings.aws_storage_enabled is False and settings.encryption_enabled is False

    updated = client.video.v1.composition_settings().create(friendly_name="ours")

    assert updated.friendly_name == "ours"
    assert error_of(
        lambda: client.video.v1.composition_settings().create(
            friendly_name="x", encryption_enabled=True
        )
    )[:2] == (400, 20001)


def test_list_filters_are_checked(client, live_server):
    for params in [{"Status": "done"}, {"RoomSid": "RMxyz"}, {"DateCreatedAfter": "yesterday"}]:
        status, body = raw(client, "GET", f"{live_server.url}/v1/Compositions?{urlencode(params)}")
        assert (status, body["code"]) == (400, 20001)


def readme_example_layout() -> dict:
    """The VideoLayout of the README's Compositions example, read from the README itself."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("## Compositions", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    start = end = block.index("video_layout=") + len("video_layout=")
    depth = 0
    while depth or end == start:
        depth += {"{": 1, "}": -1}.get(block[end], 0)
        end += 1
    text = re.sub(r"#.*", "", block[start:end])
    return ast.literal_eval(text)


def test_the_readme_layout_example_composes(client, live_server, account, tmp_path):
    room, _ = simulate_room(
        account=account, identities=["presenter", "ann", "bob"], screen=["presenter"], seconds=2
    )
    layout = readme_example_layout()

    created = client.video.v1.compositions.create(
        room_sid=room.sid,
        audio_sources=["*"],
        video_layout=layout,
        resolution="1280x720",
        format="mp4",
    )

    composition = client.video.v1.compositions(created.sid).fetch()
    assert composition.status == "completed"
    assert composition.video_layout["strip"]["video_sources_excluded"] == ["presenter*"]
    assert composition.video_layout["strip"]["reuse"] == "show_newest"
    _, body = raw(client, "GET", f"{live_server.url}/v1/Compositions/{created.sid}/Media")
    media = decoded(body["redirect_to"], tmp_path)
    assert media["size"] == (1280, 720) and media["codecs"] == {"h264", "aac"}


def test_selected_recordings_over_40_gb_are_refused(client, live_server, room):
    Recording.objects.filter(room=room, track_name="alice-audio").update(size=40 * 10**9)

    status, body = raw(
        client, "POST", f"{live_server.url}/v1/Compositions", RoomSid=room.sid, AudioSources="*"
    )

    assert (status, body["code"]) == (400, 20001)
    assert "a composition takes at most 40,000,000,000" in body["message"]
    assert client.video.v1.compositions.create(room_sid=room.sid, audio_sources=["bob*"]).sid


def test_a_status_callback_to_an_internal_address_is_refused(client, live_server, room, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # the production default

    for url in ("http://127.0.0.1:8000/hook", "http://169.254.169.254/latest/meta-data"):
        status, body = raw(
            client,
            "POST",
            f"{live_server.url}/v1/Compositions",
            RoomSid=room.sid,
            AudioSources="*",
            StatusCallback=url,
        )
        assert (status, body["code"]) == (400, 21609), url
    assert not Composition.objects.exists()
