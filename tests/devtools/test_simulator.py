"""The simulator and its commands leave real, playable recordings made through the services."""

import json
import shutil
from datetime import timedelta
from io import StringIO
from urllib.parse import urlencode

import av
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from console.models import Account
from recordings.compositions.media import media_store_for
from recordings.compositions.models import Composition
from recordings.devtools import demo
from recordings.media.probe import MediaInfo, api_duration, probe
from recordings.media.store import get_media_store
from recordings.video.choices import RecordingStatus, RoomStatus
from recordings.video.models import Participant, Recording, Room, Track
from recordings.video.timeline import start_seconds

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def simulate(*args: str) -> dict:
    out = StringIO()
    call_command("simulate_room", *args, "--json", stdout=out)
    text = out.getvalue()
    assert text.strip().count("\n") == 0, f"more than JSON printed: {text!r}"
    return json.loads(text)


def stored_media(recording: Recording, tmp_path) -> MediaInfo:
    """Probe a recording's file as the media store holds it."""
    store = get_media_store()
    assert store.exists(recording.media_key)
    copy = tmp_path / f"probe-{recording.sid}.{recording.container_format}"
    with store.open(recording.media_key) as source, copy.open("wb") as target:
        shutil.copyfileobj(source, target)
    return probe(copy)


def assert_real_media(recording: Recording, tmp_path, seconds: int) -> None:
    assert recording.status == RecordingStatus.COMPLETED
    assert recording.duration == seconds
    assert recording.size == get_media_store().size(recording.media_key)
    info = stored_media(recording, tmp_path)
    assert info.kind == recording.type
    assert api_duration(info.duration) == seconds
    if recording.type == "audio":
        assert (info.container_format, info.codec) == ("mka", "OPUS")
        assert (recording.container_format, recording.codec) == ("mka", "OPUS")
        assert recording.media_key.endswith(".mka")
    else:
        assert (info.container_format, info.codec) == ("mkv", "VP8")
        assert (recording.container_format, recording.codec) == ("mkv", "VP8")
        assert recording.media_key.endswith(".mkv")


def test_simulate_room_json_prints_room_and_recordings_with_real_media(account, tmp_path):
    result = simulate("--account", account.sid, "--participants", "3", "--seconds", "2")

    assert set(result) == {"room_sid", "recording_sids"}
    room = Room.objects.get(sid=result["room_sid"])
    assert room.account == account
    assert room.status == RoomStatus.COMPLETED
    assert room.record_participants_on_connect
    recordings = [Recording.objects.get(sid=sid) for sid in result["recording_sids"]]
    assert len(recordings) == 6
    assert {r.room_id for r in recordings} == {room.sid}
    assert sorted(r.type for r in recordings) == ["audio"] * 3 + ["video"] * 3
    assert set(Participant.objects.filter(room=room).values_list("identity", flat=True)) == {
        "participant-1",
        "participant-2",
        "participant-3",
    }
    assert set(Participant.objects.filter(room=room).values_list("status", flat=True)) == {
        "disconnected"
    }
    for recording in recordings:
        assert_real_media(recording, tmp_path, seconds=2)
    # Every recorded track, and nothing else, in the room.
    assert Recording.objects.filter(room=room).count() == 6


def test_simulate_room_identities_and_screen_share(account, tmp_path):
    result = simulate(
        "--account",
        account.sid,
        "--identities",
        "Alice,Bob,Carl",
        "--screen",
        "Alice",
        "--seconds",
        "1",
    )
    recordings = [
        Recording.objects.select_related("participant").get(sid=sid)
        for sid in result["recording_sids"]
    ]
    assert [(r.participant.identity, r.track_name) for r in recordings] == [
        ("Alice", "Alice-audio"),
        ("Alice", "Alice-cam"),
        ("Alice", "screen"),
        ("Bob", "Bob-audio"),
        ("Bob", "Bob-cam"),
        ("Carl", "Carl-audio"),
        ("Carl", "Carl-cam"),
    ]
    assert [r.type for r in recordings] == ["audio", "video", "video"] + ["audio", "video"] * 2
    for recording in recordings:
        assert_real_media(recording, tmp_path, seconds=1)


def test_simulate_room_audio_only(account, tmp_path):
    result = simulate(
        "--account", account.sid, "--participants", "2", "--seconds", "1", "--audio-only"
    )
    room = Room.objects.get(sid=result["room_sid"])
    assert room.audio_only
    recordings = [Recording.objects.get(sid=sid) for sid in result["recording_sids"]]
    assert [r.track_name for r in recordings] == ["participant-1-audio", "participant-2-audio"]
    assert not Track.objects.filter(room=room, kind="video").exists()
    for recording in recordings:
        assert recording.type == "audio"
        assert_real_media(recording, tmp_path, seconds=1)


def test_keep_open_then_api_completion_makes_the_media(
    account, api, tmp_path, django_capture_on_commit_callbacks
):
    result = simulate(
        "--account", account.sid, "--participants", "2", "--seconds", "2", "--keep-open"
    )
    room = Room.objects.get(sid=result["room_sid"])
    assert room.status == RoomStatus.IN_PROGRESS
    assert room.end_time is None
    recordings = [Recording.objects.get(sid=sid) for sid in result["recording_sids"]]
    assert len(recordings) == 4
    for recording in recordings:
        assert recording.status == RecordingStatus.PROCESSING
        assert recording.media_key == "" and recording.size is None
    listed = api.get(f"/v1/Rooms/{room.sid}/Recordings").json()["recordings"]
    assert {r["status"] for r in listed} == {"processing"}

    # Eager Celery runs the simulate task queued by each stop, once the completion commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/v1/Rooms/{room.sid}", urlencode({"Status": "completed"}), content_type=FORM
        )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "completed"

    room.refresh_from_db()
    assert room.status == RoomStatus.COMPLETED
    for recording in recordings:
        recording.refresh_from_db()
        assert_real_media(recording, tmp_path, seconds=2)
    listed = api.get(f"/v1/Rooms/{room.sid}/Recordings").json()["recordings"]
    assert {r["status"] for r in listed} == {"completed"}
    assert {r["duration"] for r in listed} == {2}


@pytest.mark.parametrize("sid", ["AC" + "0" * 32, "nonsense", "RM" + "0" * 32])
def test_unknown_account_is_a_command_error(db, sid):
    with pytest.raises(CommandError):
        call_command("simulate_room", "--account", sid, "--json", stdout=StringIO())
    assert not Room.objects.exists()


@pytest.mark.parametrize("seconds", ["0", "601"])
def test_seconds_out_of_range_is_a_command_error(account, seconds):
    with pytest.raises(CommandError):
        call_command(
            "simulate_room", "--account", account.sid, "--seconds", seconds, stdout=StringIO()
        )
    assert not Room.objects.exists()


def test_plain_output_summarises_the_room(account):
    out = StringIO()
    call_command(
        "simulate_room",
        "--account",
        account.sid,
        "--participants",
        "1",
        "--seconds",
        "1",
        stdout=out,
    )
    room = Room.objects.get()
    assert out.getvalue().strip() == f"Room {room.sid} (completed): 2 recordings (completed)"


def test_seed_demo_creates_the_demo_account_once(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "HISTORY_ROOMS", 6)
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()

    first = StringIO()
    call_command("seed_demo", stdout=first)
    account = Account.objects.get(friendly_name="Demo")
    credentials = json.loads((settings.DATA_DIR / "demo-login.json").read_text())
    assert credentials["account_sid"] == account.sid
    assert credentials["auth_token"] == account.auth_token
    assert credentials["email"] == "demo@roomvault.local"
    assert (settings.DATA_DIR / "demo-login.json").stat().st_mode & 0o777 == 0o600
    assert account.sid in first.getvalue() and credentials["password"] in first.getvalue()

    rooms = {room.unique_name: room for room in Room.objects.filter(account=account)}
    named = {name: rooms.pop(name) for name in ("weekly-sync", "support-call", "standup-live")}
    assert {name: room.status for name, room in named.items()} == {
        "weekly-sync": "completed",
        "support-call": "completed",
        "standup-live": "in-progress",
    }
    statuses = {
        name: sorted(Recording.objects.filter(room=room).values_list("status", flat=True))
        for name, room in named.items()
    }
    assert statuses == {
        "weekly-sync": ["completed"] * 7,
        "support-call": ["completed", "deleted"],
        "standup-live": ["processing"] * 4,
    }
    # The history: finished rooms spread over the last month, every one with its recordings.
    assert len(rooms) == 6
    now = timezone.now()
    for room in rooms.values():
        assert room.status == "completed"
        assert now - timedelta(days=31) < room.date_created < now - timedelta(hours=12)
        for recording in Recording.objects.filter(room=room):
            assert room.date_created <= recording.date_created <= room.end_time
            # Moved with their room: players still place them at the room's start.
            assert start_seconds(recording) == pytest.approx(
                (recording.date_created - room.date_created).total_seconds(), abs=1
            )
    assert Recording.objects.filter(room__in=rooms.values(), status="deleted").exists()
    for recording in Recording.objects.filter(account=account, status="completed"):
        assert_real_media(recording, tmp_path, seconds=recording.room.simulated_seconds)
    (composition,) = Composition.objects.filter(account=account)
    assert (composition.room, composition.status) == (named["weekly-sync"], "completed")
    with (
        media_store_for(composition).open(composition.media_key) as media,
        av.open(media) as container,
    ):
        assert {s.codec_context.name for s in container.streams} == {"h264", "aac"}
        # The room's later joiner really sleeps before joining: a loaded machine stretches the
        # room by a little, never shortens it.
        assert 5.75 <= container.duration / av.time_base <= 7
    counts = [
        Account.objects.count(),
        Room.objects.count(),
        Participant.objects.count(),
        Recording.objects.count(),
        Composition.objects.count(),
    ]

    second = StringIO()
    call_command("seed_demo", stdout=second)
    assert first.getvalue().startswith("Creating the demo account")
    assert first.getvalue().endswith(second.getvalue())
    assert [
        Account.objects.count(),
        Room.objects.count(),
        Participant.objects.count(),
        Recording.objects.count(),
        Composition.objects.count(),
    ] == counts
