"""`compose_room`: a simulated room becomes one playable file; other accounts' rooms do not."""

import json
from io import StringIO

import av
import pytest
from django.core.management import CommandError, call_command

from recordings.video.models import Recording

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> dict:
    out = StringIO()
    call_command(command, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def room_sid(account) -> str:
    return run("simulate_room", "--account", account.sid, "--participants", "3", "--seconds", "2")[
        "room_sid"
    ]


@pytest.mark.parametrize(("fmt", "codecs"), [("mp4", {"h264", "aac"}), ("webm", {"vp8", "opus"})])
def test_a_simulated_room_composes_into_one_playable_file(account, room_sid, tmp_path, fmt, codecs):
    out = tmp_path / f"room.{fmt}"

    result = run(
        "compose_room",
        *("--account", account.sid, "--room", room_sid, "--out", str(out)),
        *("--resolution", "320x240", "--format", fmt),
    )

    assert result == {
        "room_sid": room_sid,
        "out": str(out),
        "duration": pytest.approx(2.0, abs=0.25),
        "format": fmt,
        "resolution": "320x240",
        "video_sources": 3,
        "audio_sources": 3,
    }
    with av.open(str(out)) as container:
        assert {s.codec_context.name for s in container.streams} == codecs
        assert (container.streams.video[0].width, container.streams.video[0].height) == (320, 240)
        assert sum(1 for _ in container.decode(video=0)) >= 40


def test_another_accounts_room_is_refused_as_unknown(other_account, room_sid, tmp_path):
    with pytest.raises(CommandError, match=f"No room {room_sid} in account {other_account.sid}"):
        run(
            "compose_room",
            *("--account", other_account.sid, "--room", room_sid, "--out", str(tmp_path / "x")),
        )


def test_encrypted_recordings_cannot_be_composed(account, room_sid, tmp_path):
    encrypted = Recording.objects.filter(room_id=room_sid).first()
    Recording.objects.filter(pk=encrypted.pk).update(encryption_key="CR" + "0" * 32)

    with pytest.raises(
        CommandError, match=f"Encrypted recordings cannot be composed: {encrypted.sid}"
    ):
        run("compose_room", "--account", account.sid, "--room", room_sid, "--out", "/dev/null")


def test_a_bad_resolution_is_refused_before_any_work(account, room_sid):
    with pytest.raises(CommandError, match="between 16 and 1280"):
        run(
            "compose_room",
            *("--account", account.sid, "--room", room_sid, "--out", "/dev/null"),
            *("--resolution", "2000x10"),
        )


def test_a_layout_selects_the_video_tracks_by_name_or_sid(account, room_sid, tmp_path):
    track_sid = Recording.objects.filter(room_id=room_sid, type="video").first().track_id
    streams = {}
    for name, pattern in (("nobody", "nobody*"), ("one", track_sid)):
        out = tmp_path / f"{name}.mp4"
        layout = json.dumps({"main": {"video_sources": [pattern]}})
        run(
            "compose_room",
            *("--account", account.sid, "--room", room_sid, "--out", str(out)),
            *("--resolution", "320x240", "--layout", layout),
        )
        with av.open(str(out)) as container:
            streams[name] = sorted(s.type for s in container.streams)

    assert streams == {"nobody": ["audio"], "one": ["audio", "video"]}


def test_a_bad_layout_is_refused_naming_the_region_and_key(account, room_sid):
    layout = json.dumps({"main": {"video_sources": ["*"], "z_pos": 500}})
    with pytest.raises(CommandError, match='region "main": z_pos must be an integer'):
        run(
            "compose_room",
            *("--account", account.sid, "--room", room_sid, "--out", "/dev/null"),
            *("--layout", layout),
        )
