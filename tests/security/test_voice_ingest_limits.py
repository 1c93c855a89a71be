"""Finding 6: a voice audio upload may neither take memory that grows with its length nor make
FFmpeg read another file of the server (an ``ffconcat`` list or a playlist naming it).

The attacker is the telephony platform's API key of one tenant, uploading a recording's audio
through /ingest/v1 as the platform does; what it must never get is another file's audio stored
as its recording, or the server's memory.
"""

import json
import math
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest

from recordings.voice import audio
from tests.helpers import assert_twilio_error, client_for

OCTETS = "application/octet-stream"
# A tone no call upload of these tests holds: found anywhere, it came from the secret file.
SECRET_HZ = 1234
# Two hours of silence: a FLAC of a few megabytes, ~115 MB once decoded to 8 kHz mono int16.
LONG_SECONDS = 2 * 3600
# What ingesting it may add to the process's peak memory, whatever the length: a few 1 s frames,
# FFmpeg's and numpy's buffers, well under one copy of the decoded audio.
PEAK_GROWTH_BOUND_MB = 48


@pytest.fixture
def spool(tmp_path, monkeypatch) -> Path:
    """The server's temp folder, where uploads are spooled (a folder of the test's own)."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def platform(ingest_key):
    return client_for(ingest_key.key.sid, ingest_key.secret)


def write_secret(folder: Path) -> bytes:
    """Write someone else's audio (a tone, as WAV and MP3) into the folder; return PCM of it."""
    t = np.arange(3 * audio.SAMPLE_RATE) / audio.SAMPLE_RATE
    tone = audio.Audio(np.round(9000 * np.sin(2 * math.pi * SECRET_HZ * t)).astype(np.int16)[None])
    for name, format in (("secret.wav", "wav"), ("secret.mp3", "mp3")):
        with (folder / name).open("wb") as out:
            audio.encode(tone, format=format, out=out)
    return tone.samples[0, 8000:8400].astype("<i2").tobytes()


def ended_recording(platform) -> tuple[str, str]:
    """Start a recorded call and hang it up: its recording awaits its audio."""
    body = platform.post(
        "/ingest/v1/Calls", {"record": {"source": "OutboundAPI"}}, format="json"
    ).json()
    assert platform.post(f"/ingest/v1/Calls/{body['call_sid']}/End").status_code == 200
    return body["call_sid"], body["capture"][0]["recording_sid"]


def upload(platform, sid: str, data: bytes):
    path = f"/ingest/v1/VoiceRecordings/{sid}/Audio"
    return platform.generic("PUT", path, data=data, content_type=OCTETS)


def assert_refused_and_secret_unread(platform, settings, body: bytes, pcm: bytes) -> str:
    """Upload the body as a recording's audio; return the refusal's message."""
    call, sid = ended_recording(platform)

    response = upload(platform, sid, body)

    error = assert_twilio_error(response, 400, 20001)
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert not any(pcm in p.read_bytes() for p in stored)
    # Still awaiting its audio: nothing was taken as the recording.
    assert platform.get(f"/ingest/v1/Calls/{call}").json()["awaiting_audio"] == [sid]
    return error["message"]


@pytest.mark.parametrize("name", ["secret.wav", "{spool}/secret.wav"], ids=["relative", "absolute"])
def test_an_ffconcat_body_naming_a_file_in_the_temp_folder_is_refused_unread(
    platform, settings, spool, name
):
    pcm = write_secret(spool)
    body = f"ffconcat version 1.0\nfile {name.format(spool=spool)}\n".encode()

    message = assert_refused_and_secret_unread(platform, settings, body, pcm)

    assert "not in an audio format we take" in message


@pytest.mark.parametrize("name", ["secret.mp3", "{spool}/secret.mp3", "file:{spool}/secret.mp3"])
def test_an_m3u8_playlist_naming_a_file_in_the_temp_folder_is_refused_unread(
    platform, settings, spool, name
):
    pcm = write_secret(spool)
    body = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:3.0,\n{name.format(spool=spool)}\n#EXT-X-ENDLIST\n"
    ).encode()

    assert_refused_and_secret_unread(platform, settings, body, pcm)


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        (".m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\nsecret.mp3\n#EXT-X-ENDLIST\n"),
        (".ffconcat", "ffconcat version 1.0\nfile secret.mp3\n"),
    ],
    ids=["m3u8", "ffconcat"],
)
def test_no_audio_file_name_lets_a_playlist_read_another_file(tmp_path, suffix, body):
    # FFmpeg takes HLS only from a file named .m3u8; the upload spool never names one so, but
    # the demuxers allowed must not depend on how a caller names its file.
    write_secret(tmp_path)
    playlist = tmp_path / f"upload{suffix}"
    playlist.write_text(body)

    with pytest.raises(audio.InvalidAudio) as caught:
        audio.decode(playlist)

    assert "not audio we can read" in caught.value.reason


def long_silent_flac(path: Path, seconds: int) -> None:
    """Write a mono 8 kHz FLAC of silence (a few MB for hours), as an attacker makes it."""
    with av.open(str(path), mode="w", format="flac") as container:
        stream = container.add_stream("flac", rate=audio.SAMPLE_RATE, layout="mono")
        minute = np.zeros((1, 60 * audio.SAMPLE_RATE), dtype=np.int16)
        for first in range(0, seconds * audio.SAMPLE_RATE, minute.shape[1]):
            frame = av.AudioFrame.from_ndarray(minute, format="s16p", layout="mono")
            frame.sample_rate, frame.pts = audio.SAMPLE_RATE, first
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


# Run in a process of its own, so its peak resident memory (numpy's and FFmpeg's allocations
# included) is the ingest's alone: a Django of its own on a SQLite file, the upload made as
# the ingest view makes it, the peak read before and after.
INGEST_CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    from pathlib import Path

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from console.services import api_key_create
    from console.models import Account
    from recordings.voice import services

    account = Account.objects.create(friendly_name="attacker")
    call = services.call_start(account=account)
    recording = services.voice_recording_start(call=call, source="OutboundAPI")
    services.call_end(call=call)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    recording = services.voice_recording_audio_ingest(recording=recording, path=Path(sys.argv[1]))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kb": before, "after_kb": after, "status": recording.status,
                      "duration": recording.duration}))
    """
)


def test_ingesting_hours_of_silence_does_not_take_memory_in_proportion(tmp_path):
    flac = tmp_path / "silence.flac"
    long_silent_flac(flac, LONG_SECONDS)
    assert flac.stat().st_size < 10 * 2**20  # small to send, huge once decoded
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'child.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "TMPDIR": str(tmp_path),
    }

    done = subprocess.run(
        [sys.executable, "-c", INGEST_CHILD, str(flac)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert (figures["status"], figures["duration"]) == ("completed", LONG_SECONDS)
    growth_mb = (figures["after_kb"] - figures["before_kb"]) / 1024
    assert growth_mb < PEAK_GROWTH_BOUND_MB, f"ingest grew the peak by {growth_mb:.0f} MB"
