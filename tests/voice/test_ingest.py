"""The telephony platform's API under /ingest/v1 (calls, conferences, voice recordings), driven
only through HTTP with an API key.

The platform reports calls and conferences, the recordings they start, and uploads each stopped
recording's audio as the raw request body; every answer says which recordings it must capture now
(with their pauses) and which still await their audio. We check those answers, what the upload
answers, and what the media store then holds.
"""

import io
import shutil
from datetime import timedelta
from pathlib import Path

import av
import numpy as np
import pytest
import time_machine
from django.test.client import FakePayload

from console.services import SYSTEM
from recordings.media.demo import opus_mka, vp8_mkv
from recordings.media.store import get_media_store
from recordings.voice import audio, services
from recordings.voice.models import Call, Conference, VoiceRecording
from tests.helpers import assert_twilio_error as assert_error
from tests.helpers import client_for

OCTETS = "application/octet-stream"
CALL_STATE_KEYS = {"call_sid", "call_status", "conference_sid", "capture", "awaiting_audio"}
CONFERENCE_STATE_KEYS = {"conference_sid", "conference_status", "capture", "awaiting_audio"}
CAPTURE_KEYS = {"recording_sid", "state", "channels", "track", "start_time", "pauses"}
CALLBACK_URL = "https://hooks.example.com/recording"


def encoded(sound: audio.Audio, format: str) -> bytes:
    out = io.BytesIO()
    audio.encode(sound, format=format, out=out)
    return out.getvalue()


def wav_of(sound: audio.Audio) -> bytes:
    out = io.BytesIO()
    audio.write_wav(sound, out)
    return out.getvalue()


def six_channel_wav(seconds: float = 1.0) -> bytes:
    """A 5.1 WAV (PyAV, independently of the module under test): not a call recording."""
    out = io.BytesIO()
    n = round(seconds * 8000)
    samples = (np.sin(np.arange(n) / 5) * 8000).astype(np.int16)
    with av.open(out, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=8000, layout="5.1")
        frame = av.AudioFrame.from_ndarray(np.tile(samples, (6, 1)), format="s16p", layout="5.1")
        frame.sample_rate = 8000
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


# Real call audio, made once: both legs, one speaker in each channel, as the platform captures it.
CALL_AUDIO = audio.speech(4.0, dual=True, seed=1)
CALL_WAV = wav_of(CALL_AUDIO)


def start_call(ingest, record: dict | None = None, **body) -> dict:
    if record is not None:
        body["record"] = record
    response = ingest.post("/ingest/v1/Calls", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def call_state(ingest, call: str) -> dict:
    response = ingest.get(f"/ingest/v1/Calls/{call}")
    assert response.status_code == 200, response.content
    return response.json()


def start_recording(ingest, call: str, **options):
    return ingest.post(f"/ingest/v1/Calls/{call}/Recordings", options, format="json")


def end_call(ingest, call: str) -> dict:
    response = ingest.post(f"/ingest/v1/Calls/{call}/End")
    assert response.status_code == 200, response.content
    return response.json()


def upload(ingest, recording: str, data: bytes, **extra):
    path = f"/ingest/v1/VoiceRecordings/{recording}/Audio"
    return ingest.generic("PUT", path, data=data, content_type=OCTETS, **extra)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored_audio(sid: str, tmp_path) -> tuple[audio.Audio, dict]:
    """Decode a recording's file as the media store holds it, and say what kind of file it is."""
    recording = VoiceRecording.objects.get(sid=sid)
    copy = tmp_path / f"stored-{sid}.wav"
    with get_media_store().open(recording.media_key) as source, copy.open("wb") as target:
        shutil.copyfileobj(source, target)
    return audio.decode(copy), audio.info(copy)


@pytest.fixture
def recorded_call(ingest):
    """A call recorded (mono, both tracks) from its answer."""
    body = start_call(ingest, record={"source": "OutboundAPI"})
    (capture,) = body["capture"]
    return body["call_sid"], capture["recording_sid"]


@pytest.fixture
def ended_call(ingest, recorded_call):
    """The same call after it hung up: its recording awaits its audio."""
    call, recording = recorded_call
    assert end_call(ingest, call)["awaiting_audio"] == [recording]
    return call, recording


# --- authentication -------------------------------------------------------------------------------


def test_the_accounts_auth_token_is_refused(account, ingest, ended_call):
    call, recording = ended_call
    app = client_for(account.sid, account.auth_token)
    calls_before = Call.objects.count()

    response = app.post("/ingest/v1/Calls", {"record": {"source": "DialVerb"}}, format="json")
    assert_error(response, 401, 20003)
    assert response["WWW-Authenticate"].startswith("Basic")
    assert_error(app.get(f"/ingest/v1/Calls/{call}"), 401, 20003)
    assert_error(start_recording(app, call, source="DialVerb"), 401, 20003)
    assert_error(
        app.post("/ingest/v1/Conferences", {"friendly_name": "x"}, format="json"), 401, 20003
    )
    assert_error(upload(app, recording, CALL_WAV), 401, 20003)

    assert Call.objects.count() == calls_before
    assert not Conference.objects.exists()
    assert VoiceRecording.objects.get(sid=recording).status == "processing"


# --- calls ----------------------------------------------------------------------------------------


def test_a_call_without_record_is_in_progress_and_captures_nothing(ingest, account):
    body = start_call(ingest, from_number="+15005550006", to_number="+15005550001")

    assert set(body) == CALL_STATE_KEYS
    assert body["call_sid"].startswith("CA") and len(body["call_sid"]) == 34
    assert (body["call_status"], body["conference_sid"]) == ("in-progress", None)
    assert (body["capture"], body["awaiting_audio"]) == ([], [])
    call = Call.objects.get(sid=body["call_sid"])
    assert (call.account, call.from_number, call.to_number) == (
        account,
        "+15005550006",
        "+15005550001",
    )
    assert not VoiceRecording.objects.exists()
    assert call_state(ingest, call.sid) == body


def test_a_call_with_record_is_captured_from_its_answer(ingest):
    body = start_call(
        ingest,
        record={
            "source": "OutboundAPI",
            "channels": "dual",
            "trim": "trim-silence",
            "status_callback": CALLBACK_URL,
            "status_callback_method": "GET",
            "status_callback_events": ["in-progress", "completed"],
        },
    )

    (capture,) = body["capture"]
    assert set(capture) == CAPTURE_KEYS
    assert (capture["state"], capture["channels"], capture["track"], capture["pauses"]) == (
        "in-progress",
        2,
        "both",
        [],
    )
    assert body["awaiting_audio"] == []
    recording = VoiceRecording.objects.get(sid=capture["recording_sid"])
    assert recording.call_id == body["call_sid"]
    assert recording.conference_id is None
    assert (recording.source, recording.status, recording.trim) == (
        "OutboundAPI",
        "processing",
        "trim-silence",
    )
    assert (recording.status_callback, recording.status_callback_method) == (CALLBACK_URL, "GET")
    assert recording.status_callback_events == ["in-progress", "completed"]
    assert capture["start_time"] == recording.start_time.isoformat()


def test_a_recording_takes_seed_003s_defaults(ingest):
    body = start_call(ingest, record={"source": "DialVerb"})
    recording = VoiceRecording.objects.get(sid=body["capture"][0]["recording_sid"])
    assert (recording.channels, recording.track, recording.trim) == (1, "both", "do-not-trim")
    assert recording.status_callback is None
    assert recording.status_callback_method == "POST"
    assert recording.status_callback_events == ["completed"]


BAD_RECORD = {
    "no-source": {},
    "unknown-source": {"source": "Telepathy"},
    "bad-channels": {"source": "DialVerb", "channels": "triple"},
    "bad-track": {"source": "DialVerb", "track": "left"},
    "bad-trim": {"source": "DialVerb", "trim": "maybe"},
    "bad-callback-url": {"source": "DialVerb", "status_callback": "not a url"},
    "bad-callback-method": {"source": "DialVerb", "status_callback_method": "PUT"},
    "bad-callback-event": {"source": "DialVerb", "status_callback_events": ["done"]},
    "no-callback-events": {"source": "DialVerb", "status_callback_events": []},
    "a-string": "DialVerb",
    "a-list": ["DialVerb"],
}


@pytest.mark.parametrize("record", list(BAD_RECORD.values()), ids=list(BAD_RECORD))
def test_a_bad_record_is_refused_and_no_call_is_created(ingest, record):
    response = ingest.post(
        "/ingest/v1/Calls", {"from_number": "+15005550006", "record": record}, format="json"
    )
    assert_error(response, 400, 20001)
    assert not Call.objects.exists()
    assert not VoiceRecording.objects.exists()


@pytest.mark.parametrize("record", list(BAD_RECORD.values()), ids=list(BAD_RECORD))
def test_a_bad_record_is_refused_and_no_conference_is_created(ingest, record):
    response = ingest.post(
        "/ingest/v1/Conferences", {"friendly_name": "standup", "record": record}, format="json"
    )
    assert_error(response, 400, 20001)
    assert not Conference.objects.exists()
    assert not VoiceRecording.objects.exists()


@pytest.mark.parametrize(
    "source", ["DialVerb", "RecordVerb", "OutboundAPI", "Trunking", "StartCallRecordingAPI"]
)
def test_the_platform_starts_a_recording_on_a_call_in_progress(ingest, source):
    call = start_call(ingest)["call_sid"]

    response = start_recording(ingest, call, source=source, track="inbound")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CALL_STATE_KEYS
    (capture,) = body["capture"]
    assert (capture["state"], capture["track"], capture["channels"]) == (
        "in-progress",
        "inbound",
        1,
    )
    recording = VoiceRecording.objects.get(sid=capture["recording_sid"])
    assert (recording.source, recording.call_id, recording.status) == (source, call, "processing")


def test_several_recordings_of_one_call_are_all_captured_in_start_order(ingest):
    call = start_call(ingest, record={"source": "DialVerb"})["call_sid"]
    second = start_recording(ingest, call, source="RecordVerb").json()
    third = start_recording(ingest, call, source="StartCallRecordingAPI").json()

    sids = [c["recording_sid"] for c in third["capture"]]
    assert len(sids) == 3 and len(set(sids)) == 3
    assert sids[:2] == [c["recording_sid"] for c in second["capture"]]
    assert [VoiceRecording.objects.get(sid=s).source for s in sids] == [
        "DialVerb",
        "RecordVerb",
        "StartCallRecordingAPI",
    ]


def test_only_two_legs_recorded_together_make_two_channels(ingest):
    call = start_call(ingest)["call_sid"]
    start_recording(ingest, call, source="DialVerb", channels="dual", track="outbound")
    body = start_recording(ingest, call, source="DialVerb", channels="dual").json()
    assert [(c["track"], c["channels"]) for c in body["capture"]] == [("outbound", 1), ("both", 2)]


@pytest.mark.parametrize("options", list(BAD_RECORD.values())[:-2], ids=list(BAD_RECORD)[:-2])
def test_a_bad_recording_start_is_refused_and_nothing_recorded(ingest, options):
    call = start_call(ingest)["call_sid"]
    assert_error(start_recording(ingest, call, **options), 400, 20001)
    assert not VoiceRecording.objects.exists()
    assert call_state(ingest, call)["capture"] == []


def test_an_ended_call_cannot_be_recorded(ingest):
    call = start_call(ingest)["call_sid"]
    end_call(ingest, call)
    response = start_recording(ingest, call, source="StartCallRecordingAPI")
    body = assert_error(response, 400, 21220)
    assert call in body["message"]
    assert not VoiceRecording.objects.exists()


def test_the_call_state_shows_what_to_capture_with_its_pauses(ingest, recorded_call):
    call, sid = recorded_call
    recording = VoiceRecording.objects.get(sid=sid)
    start = recording.start_time
    # The 2010-04-01 API pauses and resumes through these services (seed 003's update).
    services.voice_recording_update(
        recording=recording, status="paused", at=start + timedelta(seconds=2)
    )
    services.voice_recording_update(
        recording=recording, status="in-progress", at=start + timedelta(seconds=4.5)
    )
    assert call_state(ingest, call)["capture"][0]["state"] == "in-progress"
    services.voice_recording_update(
        recording=recording,
        status="paused",
        pause_behavior="skip",
        at=start + timedelta(seconds=6),
    )

    (capture,) = call_state(ingest, call)["capture"]
    assert capture["recording_sid"] == sid
    assert capture["state"] == "paused"
    assert capture["pauses"] == [[2.0, 4.5, "silence"], [6.0, None, "skip"]]


def test_call_end_stops_its_recordings_and_they_await_their_audio(ingest, recorded_call):
    call, first = recorded_call
    started = start_recording(ingest, call, source="RecordVerb").json()
    second = started["capture"][1]["recording_sid"]
    paused = VoiceRecording.objects.get(sid=second)
    services.voice_recording_update(
        recording=paused, status="paused", at=paused.start_time + timedelta(seconds=1)
    )

    with time_machine.travel(paused.start_time + timedelta(seconds=3), tick=False):
        body = end_call(ingest, call)

    assert body["call_status"] == "completed"
    assert body["capture"] == []
    assert body["awaiting_audio"] == [first, second]
    for recording in VoiceRecording.objects.filter(call_id=call):
        assert (recording.capture, recording.status) == ("stopped", "processing")
        assert recording.date_stopped is not None
    # The open pause was closed when the call ended.
    (pause,) = VoiceRecording.objects.get(sid=second).pauses
    assert pause == [1.0, 3.0, "silence"]
    assert Call.objects.get(sid=call).end_time is not None
    # Hanging up twice changes nothing.
    assert end_call(ingest, call) == body


def test_unknown_calls_are_404(ingest):
    for sid in ("CA" + "0" * 32, "nope"):
        assert_error(ingest.get(f"/ingest/v1/Calls/{sid}"), 404, 20404)
        assert_error(start_recording(ingest, sid, source="DialVerb"), 404, 20404)
        assert_error(ingest.post(f"/ingest/v1/Calls/{sid}/End"), 404, 20404)
    assert_error(upload(ingest, "RE" + "0" * 32, CALL_WAV), 404, 20404)


# --- audio uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", ["mono", "dual"])
def test_uploading_a_wav_completes_the_recording(ingest, settings, tmp_path, upload_tmp, channels):
    body = start_call(ingest, record={"source": "OutboundAPI", "channels": channels})
    call, sid = body["call_sid"], body["capture"][0]["recording_sid"]
    end_call(ingest, call)

    response = upload(ingest, sid, CALL_WAV)

    assert response.status_code == 200, response.content
    recording = response.json()
    assert recording["sid"] == sid
    assert recording["call_sid"] == call
    assert recording["status"] == "completed"
    assert recording["duration"] == "4"
    assert recording["channels"] == (2 if channels == "dual" else 1)
    assert recording["error_code"] is None
    assert call_state(ingest, call)["awaiting_audio"] == []
    row = VoiceRecording.objects.get(sid=sid)
    assert row.media_key == f"{row.account_id}/voice/{sid}.wav"
    assert row.size == get_media_store().size(row.media_key)
    assert stored_files(settings) == [Path(settings.MEDIA_ROOT, row.media_key)]
    assert list(upload_tmp.iterdir()) == []  # the spooled upload is gone
    stored, info = stored_audio(sid, tmp_path)
    assert (info["format"], info["codec"], info["sample_rate"]) == ("wav", "pcm_s16le", 8000)
    assert info["channels"] == recording["channels"]
    assert stored.samples.shape == (recording["channels"], 4 * 8000)
    if channels == "dual":
        assert np.array_equal(stored.samples, CALL_AUDIO.samples)


def test_the_duration_is_the_audios_length_rounded(ingest, ended_call):
    _, sid = ended_call
    response = upload(ingest, sid, wav_of(audio.speech(2.6, dual=True)))
    assert response.status_code == 200, response.content
    assert response.json()["duration"] == "3"


@pytest.mark.parametrize(("length", "shown"), [(2.5, "3"), (3.5, "4"), (2.49, "2"), (1.0, "1")])
def test_the_duration_is_rounded_half_up(ingest, ended_call, length, shown):
    # "Nearest second", as for video recordings: 2.5 s is 3 s to a user, not round()'s 2.
    _, sid = ended_call
    response = upload(ingest, sid, wav_of(audio.speech(length, dual=True)))
    assert response.status_code == 200, response.content
    assert response.json()["duration"] == shown


def test_a_mixed_upload_for_a_dual_recording_is_stored_and_shown_as_one_channel(
    ingest, tmp_path, django_capture_on_commit_callbacks
):
    body = start_call(ingest, record={"source": "DialVerb", "channels": "dual"})
    call, sid = body["call_sid"], body["capture"][0]["recording_sid"]
    end_call(ingest, call)

    # The platform could only capture the call mixed: one channel, no legs to split.
    response = upload(ingest, sid, wav_of(audio.speech(3.0, dual=False)))

    assert response.status_code == 200, response.content
    stored, info = stored_audio(sid, tmp_path)
    assert info["channels"] == 1
    assert stored.samples.shape == (1, 3 * 8000)
    # Seed 003: channels is "the number of channels in the final recording file".
    assert response.json()["channels"] == 1
    assert VoiceRecording.objects.get(sid=sid).channels == 1


@pytest.mark.parametrize(("track", "leg"), [("inbound", 0), ("outbound", 1)])
def test_a_one_track_recording_keeps_that_leg_alone(ingest, tmp_path, track, leg):
    body = start_call(ingest, record={"source": "DialVerb", "track": track})
    call, sid = body["call_sid"], body["capture"][0]["recording_sid"]
    end_call(ingest, call)

    response = upload(ingest, sid, CALL_WAV)

    assert response.status_code == 200, response.content
    assert response.json()["channels"] == 1
    stored, _ = stored_audio(sid, tmp_path)
    assert np.array_equal(stored.samples[0], CALL_AUDIO.samples[leg])


def test_the_upload_is_cut_to_the_recordings_pauses(ingest, recorded_call, tmp_path):
    call, sid = recorded_call
    recording = VoiceRecording.objects.get(sid=sid)
    start = recording.start_time
    services.voice_recording_update(
        recording=recording, status="paused", pause_behavior="skip", at=start + timedelta(seconds=1)
    )
    services.voice_recording_update(
        recording=recording, status="in-progress", at=start + timedelta(seconds=2.5)
    )
    with time_machine.travel(start + timedelta(seconds=4), tick=False):
        assert end_call(ingest, call)["awaiting_audio"] == [sid]

    # The platform uploads the whole span it captured; the skipped 1.5 s are cut out.
    response = upload(ingest, sid, CALL_WAV)

    assert response.status_code == 200, response.content
    assert response.json()["duration"] == "3"  # 2.5 s, half up
    stored, _ = stored_audio(sid, tmp_path)
    mixed = audio.downmix(CALL_AUDIO).samples[0]
    assert np.array_equal(stored.samples[0], np.concatenate([mixed[:8000], mixed[20000:]]))


def test_uploading_to_a_deleted_recording_is_refused(ingest, ended_call, settings):
    _, sid = ended_call
    assert upload(ingest, sid, CALL_WAV).status_code == 200
    recording = VoiceRecording.objects.get(sid=sid)
    services.voice_recording_delete(recording=recording, actor=SYSTEM)
    assert_error(upload(ingest, sid, CALL_WAV), 409, 20409)
    assert VoiceRecording.objects.get(sid=sid).status == "deleted"


@pytest.mark.parametrize("dual", [False, True], ids=["mono-mp3", "stereo-mp3"])
def test_an_mp3_upload_is_taken(ingest, ended_call, tmp_path, dual):
    _, sid = ended_call
    response = upload(ingest, sid, encoded(audio.speech(3.0, dual=dual), "mp3"))
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["duration"]) == ("completed", "3")
    stored, info = stored_audio(sid, tmp_path)
    assert (info["format"], info["channels"], info["sample_rate"]) == ("wav", 1, 8000)
    assert not audio.is_silent(stored)


def test_an_opus_in_matroska_upload_is_taken(ingest, ended_call, tmp_path):
    _, sid = ended_call
    response = upload(ingest, sid, opus_mka(2.6))
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["duration"]) == ("completed", "3")
    stored, info = stored_audio(sid, tmp_path)
    assert (info["format"], info["channels"], info["sample_rate"]) == ("wav", 1, 8000)
    assert abs(stored.duration - 2.6) < 0.05
    assert not audio.is_silent(stored)


class _Pipe(io.RawIOBase):
    """An output that cannot seek, as a live stream's: the muxer cannot patch sizes in."""

    def __init__(self) -> None:
        self.written = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.written += data
        return len(data)


def live_opus_mka(seconds: float) -> bytes:
    """An OPUS tone in Matroska written as a live stream: its Segment has no size."""
    out = _Pipe()
    with av.open(out, mode="w", format="matroska") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        for first in range(0, round(seconds * 48000), 960):
            t = np.arange(first, first + 960) / 48000
            samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate, frame.pts = 48000, first
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return bytes(out.written)


def test_an_opus_in_matroska_written_as_a_live_stream_is_taken(ingest, ended_call, tmp_path):
    data = live_opus_mka(2.0)
    segment = data.index(bytes.fromhex("18538067"))
    assert data[segment + 4 : segment + 12] == bytes.fromhex("01ffffffffffffff")  # unknown size
    _, sid = ended_call
    response = upload(ingest, sid, data)
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["duration"]) == ("completed", "2")
    stored, _ = stored_audio(sid, tmp_path)
    assert abs(stored.duration - 2.0) < 0.05


REJECTED = {
    "garbage": lambda: b"\x00\x13 this is not audio at all " * 200,
    "text": lambda: b'{"not": "audio"}',
    "truncated-wav": lambda: CALL_WAV[: len(CALL_WAV) // 2],
    "last-byte-cut-wav": lambda: CALL_WAV[:-1],
    "truncated-opus": lambda: opus_mka(2.0)[:-200],
    "last-byte-cut-opus": lambda: opus_mka(2.0)[:-1],
    "six-channels": six_channel_wav,
    "video": lambda: vp8_mkv(1.5),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_a_file_that_is_not_a_call_recording_is_refused_and_nothing_stored(
    ingest, ended_call, settings, upload_tmp, case
):
    call, sid = ended_call

    response = upload(ingest, sid, REJECTED[case]())

    assert_error(response, 400, 20001)
    assert stored_files(settings) == []
    assert list(upload_tmp.iterdir()) == []
    recording = VoiceRecording.objects.get(sid=sid)
    assert (recording.status, recording.media_key, recording.size) == ("processing", "", None)
    assert call_state(ingest, call)["awaiting_audio"] == [sid]
    # The platform can still upload the right file.
    assert upload(ingest, sid, CALL_WAV).status_code == 200


def test_the_refusal_says_what_is_wrong(ingest, ended_call):
    _, sid = ended_call
    assert "6 channels" in upload(ingest, sid, six_channel_wav()).json()["message"]
    assert "truncated" in upload(ingest, sid, CALL_WAV[:-100]).json()["message"]
    assert "truncated" in upload(ingest, sid, opus_mka(1.0)[:-1]).json()["message"]
    assert "no audio" in upload(ingest, sid, vp8_mkv(1.0)).json()["message"]
    assert "empty" in upload(ingest, sid, b"", CONTENT_LENGTH="0").json()["message"]


def test_uploading_while_the_recording_is_still_captured_is_refused(
    ingest, recorded_call, settings
):
    call, sid = recorded_call
    body = assert_error(upload(ingest, sid, CALL_WAV), 409, 20409)
    assert sid in body["message"]
    assert stored_files(settings) == []
    assert [c["recording_sid"] for c in call_state(ingest, call)["capture"]] == [sid]
    assert VoiceRecording.objects.get(sid=sid).status == "processing"


def test_a_second_upload_is_refused_and_the_first_file_kept(ingest, ended_call, settings, tmp_path):
    _, sid = ended_call
    assert upload(ingest, sid, CALL_WAV).status_code == 200
    key = VoiceRecording.objects.get(sid=sid).media_key
    with get_media_store().open(key) as stream:
        first = stream.read()

    assert_error(upload(ingest, sid, wav_of(audio.speech(7.0, dual=True, seed=9))), 409, 20409)

    recording = VoiceRecording.objects.get(sid=sid)
    assert (recording.status, recording.duration) == ("completed", 4)
    with get_media_store().open(key) as stream:
        assert stream.read() == first
    assert len(stored_files(settings)) == 1


def test_an_upload_without_content_length_is_refused(ingest, ended_call, settings):
    _, sid = ended_call
    # No CONTENT_LENGTH at all in the WSGI environ (as for a chunked request), the body there.
    response = ingest.generic(
        "PUT",
        f"/ingest/v1/VoiceRecordings/{sid}/Audio",
        **{"wsgi.input": FakePayload(CALL_WAV), "CONTENT_TYPE": OCTETS},
    )
    body = assert_error(response, 411, 20001)
    assert "Content-Length" in body["message"]
    assert_error(upload(ingest, sid, CALL_WAV, CONTENT_LENGTH=""), 411, 20001)
    assert stored_files(settings) == []
    assert VoiceRecording.objects.get(sid=sid).status == "processing"


def test_an_upload_over_the_size_cap_is_refused(ingest, ended_call, settings):
    _, sid = ended_call
    settings.INGEST_MAX_UPLOAD_BYTES = len(CALL_WAV) - 1
    assert_error(upload(ingest, sid, CALL_WAV), 413, 20413)
    assert stored_files(settings) == []


# --- another account ------------------------------------------------------------------------------


def test_another_accounts_key_sees_nothing_of_this_account(stranger, ingest, ended_call, settings):
    call, sid = ended_call
    live = start_call(ingest, record={"source": "DialVerb"})
    conference = ingest.post(
        "/ingest/v1/Conferences", {"friendly_name": "ours"}, format="json"
    ).json()["conference_sid"]
    their_call = start_call(stranger)["call_sid"]
    their_conference = stranger.post(
        "/ingest/v1/Conferences", {"friendly_name": "theirs"}, format="json"
    ).json()["conference_sid"]
    before = call_state(ingest, live["call_sid"])

    assert_error(stranger.get(f"/ingest/v1/Calls/{call}"), 404, 20404)
    assert_error(start_recording(stranger, live["call_sid"], source="DialVerb"), 404, 20404)
    assert_error(stranger.post(f"/ingest/v1/Calls/{live['call_sid']}/End"), 404, 20404)
    assert_error(upload(stranger, sid, CALL_WAV), 404, 20404)
    join = f"/ingest/v1/Conferences/{conference}/Participants"
    assert_error(stranger.post(join, {"call_sid": their_call}, format="json"), 404, 20404)
    their_join = f"/ingest/v1/Conferences/{their_conference}/Participants"
    assert_error(stranger.post(their_join, {"call_sid": call}, format="json"), 404, 20404)
    assert_error(stranger.post(f"/ingest/v1/Conferences/{conference}/End"), 404, 20404)

    assert call_state(ingest, live["call_sid"]) == before
    assert VoiceRecording.objects.get(sid=sid).status == "processing"
    assert Conference.objects.get(sid=conference).status == "in-progress"
    assert Call.objects.get(sid=live["call_sid"]).conference_id is None
    assert stored_files(settings) == []


# --- conferences ----------------------------------------------------------------------------------


def test_a_recorded_conference_joined_ended_and_uploaded(ingest, settings, tmp_path):
    response = ingest.post(
        "/ingest/v1/Conferences",
        {"friendly_name": "standup", "record": {"source": "Conference", "channels": "dual"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CONFERENCE_STATE_KEYS
    conference = body["conference_sid"]
    assert conference.startswith("CF") and body["conference_status"] == "in-progress"
    (capture,) = body["capture"]
    sid = capture["recording_sid"]
    # A conference is recorded in one channel, whatever was asked.
    assert (capture["state"], capture["channels"]) == ("in-progress", 1)

    calls = [start_call(ingest)["call_sid"] for _ in range(2)]
    for call in calls:
        joined = ingest.post(
            f"/ingest/v1/Conferences/{conference}/Participants", {"call_sid": call}, format="json"
        )
        assert joined.status_code == 201, joined.content
        assert joined.json()["capture"] == body["capture"]
        assert call_state(ingest, call)["conference_sid"] == conference
    # A participant hanging up does not stop the conference's recording.
    assert end_call(ingest, calls[0])["awaiting_audio"] == []
    assert VoiceRecording.objects.get(sid=sid).capture == "in-progress"

    ended = ingest.post(f"/ingest/v1/Conferences/{conference}/End")
    assert ended.status_code == 200, ended.content
    assert ended.json()["conference_status"] == "completed"
    assert (ended.json()["capture"], ended.json()["awaiting_audio"]) == ([], [sid])

    uploaded = upload(ingest, sid, CALL_WAV)
    assert uploaded.status_code == 200, uploaded.content
    recording = uploaded.json()
    assert (recording["status"], recording["duration"], recording["channels"]) == (
        "completed",
        "4",
        1,
    )
    assert (recording["conference_sid"], recording["call_sid"]) == (conference, None)
    assert recording["source"] == "Conference"
    stored, info = stored_audio(sid, tmp_path)
    assert (info["channels"], info["sample_rate"]) == (1, 8000)
    assert stored.samples.shape == (1, 4 * 8000)


def test_only_a_call_in_progress_joins_a_conference_in_progress(ingest):
    conference = ingest.post(
        "/ingest/v1/Conferences", {"friendly_name": "standup"}, format="json"
    ).json()["conference_sid"]
    path = f"/ingest/v1/Conferences/{conference}/Participants"
    ended = start_call(ingest)["call_sid"]
    end_call(ingest, ended)
    assert_error(ingest.post(path, {"call_sid": ended}, format="json"), 400, 21220)
    assert_error(ingest.post(path, {"call_sid": "CA" + "0" * 32}, format="json"), 404, 20404)
    assert_error(ingest.post(path, {}, format="json"), 400, 20001)

    live = start_call(ingest)["call_sid"]
    assert ingest.post(f"/ingest/v1/Conferences/{conference}/End").status_code == 200
    assert_error(ingest.post(path, {"call_sid": live}, format="json"), 400, 21220)
    assert Call.objects.filter(conference__isnull=False).count() == 0


def test_a_conference_needs_a_friendly_name(ingest):
    assert_error(ingest.post("/ingest/v1/Conferences", {}, format="json"), 400, 20001)
    assert not Conference.objects.exists()
