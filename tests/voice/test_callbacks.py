"""Recording status callbacks of voice recordings (seed 003's RecordingStatusCallback), delivered
over real HTTP to a local server and signed like Twilio's.

Celery is eager here: a callback is delivered when the change that queued it commits
(``django_capture_on_commit_callbacks(execute=True)`` stands in for that commit).
"""

import email.utils
import io
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from recordings.lifecycle.models import CallbackDelivery
from recordings.voice import audio, services
from recordings.voice.audio import Audio
from recordings.voice.models import VoiceRecording
from tests.lifecycle.test_callbacks import CallbackServer, Received, signature_is_valid
from tests.voice.test_ingest import client_for

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
BASE_URL = "https://voice.example.com"
# Seed 003's RecordingStatusCallback parameters; RecordingDuration only once completed.
SEED_PARAMS = {
    "AccountSid",
    "CallSid",
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingChannels",
    "RecordingStartTime",
    "RecordingSource",
    "RecordingTrack",
}
PARAMS = {
    "in-progress": SEED_PARAMS,
    "completed": SEED_PARAMS | {"RecordingDuration"},
    "absent": SEED_PARAMS | {"ErrorCode"},
}


@pytest.fixture(scope="module")
def _shared_server():
    # One server for the module: closing one takes half a second (serve_forever's poll).
    server = CallbackServer()
    yield server
    server.close()


@pytest.fixture
def callback_server(_shared_server):
    """The local callback server, with nothing received yet and answering 200."""
    _shared_server.requests.clear()
    _shared_server.fail_first = 0
    return _shared_server


@pytest.fixture(autouse=True)
def fast_callbacks(settings):
    settings.CALLBACK_TIMEOUT_SECONDS = 1.0
    settings.CALLBACK_MAX_ATTEMPTS = 3
    settings.CALLBACK_RETRY_BASE_SECONDS = 0.0
    settings.PUBLIC_BASE_URL = BASE_URL
    return settings


def wav(tmp_path, sound: Audio) -> Path:
    path = tmp_path / "upload.wav"
    with path.open("wb") as out:
        audio.write_wav(sound, out)
    return path


def record_call(account, tmp_path, sound: Audio, *, conference: bool = False, **options):
    """Record a call (or a conference) through the services, hang up and upload its audio."""
    start = timezone.now() - timedelta(seconds=sound.duration)
    if conference:
        subject = {"conference": services.conference_start(account=account, friendly_name="x")}
    else:
        subject = {"call": services.call_start(account=account, at=start)}
    options.setdefault("source", "Conference" if conference else "DialVerb")
    recording = services.voice_recording_start(at=start, **subject, **options)
    if conference:
        services.conference_end(conference=subject["conference"])
    else:
        services.call_end(call=subject["call"])
    recording.refresh_from_db()
    return services.voice_recording_audio_ingest(recording=recording, path=wav(tmp_path, sound))


def check_params(
    server: CallbackServer, received: Received, recording: VoiceRecording, account, status: str
) -> None:
    """The parameters of one callback: seed 003's names, exactly, with the recording's values."""
    params = received.params
    expected_keys = PARAMS[status] | ({"ConferenceSid"} if recording.conference_id else set())
    assert set(params) == expected_keys, sorted(params)
    assert params["AccountSid"] == account.sid
    assert params["CallSid"] == (recording.call_id or "")
    assert params["RecordingSid"] == recording.sid
    assert params["RecordingUrl"] == (
        f"{BASE_URL}/2010-04-01/Accounts/{account.sid}/Recordings/{recording.sid}"
    )
    assert params["RecordingStatus"] == status
    assert params["RecordingChannels"] == str(recording.channels)
    assert params["RecordingSource"] == recording.source
    assert params["RecordingTrack"] == recording.track
    # RFC 2822, in GMT, to the second.
    assert params["RecordingStartTime"].endswith(" +0000")
    started = email.utils.parsedate_to_datetime(params["RecordingStartTime"])
    assert started == recording.start_time.replace(microsecond=0)
    if recording.conference_id:
        assert params["ConferenceSid"] == recording.conference_id
    assert signature_is_valid(server, received, account.auth_token), params


def test_in_progress_and_completed_are_posted_signed_with_seed_003s_parameters(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account,
            tmp_path,
            audio.speech(3.0, dual=True),
            channels=2,
            status_callback=callback_server.url,
            status_callback_events=["in-progress", "completed"],
        )

    assert (recording.status, recording.duration) == ("completed", 3)
    started, completed = callback_server.requests
    for request in (started, completed):
        assert request.method == "POST"
        assert request.path == "/hooks/video"
        assert request.query == {}
        assert request.headers["content-type"] == FORM
    check_params(callback_server, started, recording, account, "in-progress")
    check_params(callback_server, completed, recording, account, "completed")
    assert completed.params["RecordingDuration"] == "3"
    assert completed.params["RecordingChannels"] == "2"
    assert (completed.params["RecordingSource"], completed.params["RecordingTrack"]) == (
        "DialVerb",
        "both",
    )


def test_by_default_only_completed_is_sent(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account,
            tmp_path,
            audio.speech(2.0, dual=True),
            track="inbound",
            source="StartCallRecordingAPI",
            status_callback=callback_server.url,
        )

    (completed,) = callback_server.requests
    check_params(callback_server, completed, recording, account, "completed")
    assert completed.params["RecordingDuration"] == "2"
    assert completed.params["RecordingTrack"] == "inbound"
    assert completed.params["RecordingSource"] == "StartCallRecordingAPI"
    assert completed.params["RecordingChannels"] == "1"


def silence(seconds: float) -> Audio:
    return Audio(np.zeros((2, round(seconds * 8000)), dtype=np.int16))


@pytest.mark.parametrize(
    ("sound", "trim", "code"),
    [(silence(4), "trim-silence", "16102"), (audio.speech(0.5, dual=True), "do-not-trim", "16101")],
    ids=["silent", "too-short"],
)
def test_absent_is_sent_for_an_absent_recording_with_its_error_code(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks, sound, trim, code
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account,
            tmp_path,
            sound,
            trim=trim,
            status_callback=callback_server.url,
            status_callback_events=["completed", "absent"],
        )

    assert recording.status == "absent"
    (absent,) = callback_server.requests
    check_params(callback_server, absent, recording, account, "absent")
    assert absent.params["ErrorCode"] == code
    assert "RecordingDuration" not in absent.params


def test_an_absent_recording_that_asked_only_for_completed_sends_nothing(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account, tmp_path, silence(3), trim="trim-silence", status_callback=callback_server.url
        )
    assert recording.status == "absent"
    assert callback_server.requests == []
    assert not CallbackDelivery.objects.exists()


def test_get_sends_the_parameters_in_the_query_signed_over_the_full_url(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    url = callback_server.url + "?customer=42"
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account,
            tmp_path,
            audio.speech(2.0, dual=True),
            status_callback=url,
            status_callback_method="GET",
            status_callback_events=["in-progress", "completed"],
        )

    started, completed = callback_server.requests
    for request, status in ((started, "in-progress"), (completed, "completed")):
        assert request.method == "GET"
        assert request.body == ""
        assert request.query.pop("customer") == "42"  # the URL's own query is kept
        check_params(callback_server, request, recording, account, status)


def test_a_conference_recording_says_its_conference(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account,
            tmp_path,
            audio.speech(2.0, dual=True),
            conference=True,
            channels=2,
            status_callback=callback_server.url,
            status_callback_events=["in-progress", "completed"],
        )

    assert recording.conference_id and recording.call_id is None
    started, completed = callback_server.requests
    check_params(callback_server, started, recording, account, "in-progress")
    check_params(callback_server, completed, recording, account, "completed")
    assert completed.params["ConferenceSid"] == recording.conference_id
    assert completed.params["RecordingSource"] == "Conference"
    assert completed.params["RecordingChannels"] == "1"  # a conference is recorded in one


def test_deliveries_are_stored_without_a_room_under_the_recording_sid(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account,
            tmp_path,
            audio.speech(2.0, dual=True),
            status_callback=callback_server.url,
            status_callback_events=["in-progress", "completed"],
        )

    deliveries = list(CallbackDelivery.objects.order_by("pk"))
    assert [d.event for d in deliveries] == ["in-progress", "completed"]
    received = callback_server.requests
    for delivery, request in zip(deliveries, received, strict=True):
        assert delivery.account_id == account.sid
        assert delivery.room is None
        assert delivery.recording_sid == recording.sid
        assert (delivery.url, delivery.method) == (callback_server.url, "POST")
        assert delivery.status == CallbackDelivery.Status.DELIVERED
        assert delivery.params == request.params  # what was sent is what was stored
        assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [(1, 200)]


def test_a_failing_receiver_is_retried(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    callback_server.fail_first = 1
    with django_capture_on_commit_callbacks(execute=True):
        recording = record_call(
            account, tmp_path, audio.speech(2.0, dual=True), status_callback=callback_server.url
        )

    first, second = callback_server.requests
    assert first.params == second.params
    check_params(callback_server, second, recording, account, "completed")
    delivery = CallbackDelivery.objects.get(recording_sid=recording.sid)
    assert delivery.status == CallbackDelivery.Status.DELIVERED
    assert [(a.number, a.status_code) for a in delivery.attempts.order_by("number")] == [
        (1, 500),
        (2, 200),
    ]


def test_no_callback_without_a_status_callback(
    account, callback_server, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_call(
            account,
            tmp_path,
            audio.speech(2.0, dual=True),
            status_callback_events=["in-progress", "completed", "absent"],
        )
    assert callback_server.requests == []
    assert not CallbackDelivery.objects.exists()


def test_a_rolled_back_start_sends_nothing(
    account, callback_server, django_capture_on_commit_callbacks
):
    call = services.call_start(account=account)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.voice_recording_start(
            call=call,
            source="DialVerb",
            status_callback=callback_server.url,
            status_callback_events=["in-progress"],
        )
        raise RuntimeError("the request failed after the start")
    assert callback_server.requests == []
    assert not VoiceRecording.objects.exists()
    assert not CallbackDelivery.objects.exists()


def test_the_simulator_sends_in_progress_and_completed(
    account, callback_server, django_capture_on_commit_callbacks
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "simulate_call",
            *("--account", account.sid, "--seconds", "4", "--dual"),
            *("--status-callback", callback_server.url, "--json"),
            stdout=out,
        )
    recording = VoiceRecording.objects.get(sid=json.loads(out.getvalue())["recording_sid"])

    started, completed = callback_server.requests
    check_params(callback_server, started, recording, account, "in-progress")
    check_params(callback_server, completed, recording, account, "completed")
    assert completed.params["CallSid"] == json.loads(out.getvalue())["call_sid"]
    assert (completed.params["RecordingDuration"], completed.params["RecordingChannels"]) == (
        "4",
        "2",
    )
    assert completed.params["RecordingSource"] == "OutboundAPI"


def test_the_ingest_api_sends_the_callbacks_it_was_asked_for(
    account, ingest_key, callback_server, django_capture_on_commit_callbacks
):
    ingest = client_for(ingest_key.key.sid, ingest_key.secret)
    data = io.BytesIO()
    audio.write_wav(audio.speech(3.0, dual=True), data)
    with django_capture_on_commit_callbacks(execute=True):
        body = ingest.post(
            "/ingest/v1/Calls",
            {
                "record": {
                    "source": "RecordVerb",
                    "status_callback": callback_server.url,
                    "status_callback_events": ["in-progress", "completed"],
                }
            },
            format="json",
        ).json()
    with django_capture_on_commit_callbacks(execute=True):
        ingest.post(f"/ingest/v1/Calls/{body['call_sid']}/End")
    sid = body["capture"][0]["recording_sid"]
    with django_capture_on_commit_callbacks(execute=True):
        response = ingest.generic(
            "PUT",
            f"/ingest/v1/VoiceRecordings/{sid}/Audio",
            data=data.getvalue(),
            content_type="application/octet-stream",
        )
    assert response.status_code == 200, response.content

    recording = VoiceRecording.objects.get(sid=sid)
    started, completed = callback_server.requests
    check_params(callback_server, started, recording, account, "in-progress")
    check_params(callback_server, completed, recording, account, "completed")
    assert completed.params["RecordingSource"] == "RecordVerb"
    assert completed.params["RecordingDuration"] == "3"
