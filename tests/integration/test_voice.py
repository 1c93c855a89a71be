"""Voice recordings with the real Celery worker: a simulated call's recording status callbacks
leave from the worker after commit, signed, and deleting the recording removes its audio (the
original and every cached rendition) from the media folder the worker shares."""

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command

from console.services import SYSTEM
from recordings.lifecycle.models import CallbackDelivery
from recordings.media.store import get_media_store
from recordings.voice import media, services
from recordings.voice.models import VoiceRecording
from tests.helpers import wait_for
from tests.lifecycle.test_callbacks import signature_is_valid

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _simulate(account, *args: str) -> VoiceRecording:
    out = StringIO()
    call_command("simulate_call", "--account", account.sid, *args, "--json", stdout=out)
    return VoiceRecording.objects.get(sid=json.loads(out.getvalue())["recording_sid"])


def test_a_simulated_calls_callbacks_arrive_from_the_worker_signed(
    celery_worker, integration_settings, account, callback_server
):
    integration_settings.PUBLIC_BASE_URL = "https://voice.example.com"
    recording = _simulate(
        account, "--seconds", "3", "--dual", "--status-callback", callback_server.url
    )
    assert recording.status == "completed"
    deliveries = CallbackDelivery.objects.filter(recording_sid=recording.sid)
    assert sorted(deliveries.values_list("event", flat=True)) == ["completed", "in-progress"]

    assert callback_server.wait_for(2), f"{len(callback_server.requests)} arrived"
    assert wait_for(
        lambda: (
            set(deliveries.values_list("status", flat=True)) == {CallbackDelivery.Status.DELIVERED}
        )
    )
    time.sleep(0.3)  # nothing more arrives
    received = callback_server.requests
    assert len(received) == 2

    by_status = {r.form["RecordingStatus"]: r for r in received}
    assert set(by_status) == {"in-progress", "completed"}
    for request in received:
        assert request.method == "POST"
        assert signature_is_valid(callback_server, request, account.auth_token), request.form
        assert request.form["AccountSid"] == account.sid
        assert request.form["CallSid"] == recording.call_id
        assert request.form["RecordingSid"] == recording.sid
        assert request.form["RecordingUrl"] == (
            f"https://voice.example.com/2010-04-01/Accounts/{account.sid}/Recordings/"
            f"{recording.sid}"
        )
        assert request.form["RecordingChannels"] == "2"
        assert request.form["RecordingSource"] == "OutboundAPI"
    assert by_status["completed"].form["RecordingDuration"] == "3"
    assert "RecordingDuration" not in by_status["in-progress"].form
    # What arrived is what was stored, one attempt each, with no room.
    for delivery in deliveries:
        assert delivery.room_id is None
        assert delivery.params == by_status[delivery.event].form
        assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [(1, 200)]


def test_the_worker_removes_a_deleted_voice_recordings_files(
    celery_worker, integration_settings, account
):
    recording = _simulate(account, "--seconds", "2", "--dual")
    store = get_media_store()
    renditions = [
        media.rendition(recording, format=f, channels=c) for f, c in [("mp3", 1), ("mp3", 2)]
    ]
    renditions.append(media.rendition(recording, format="wav", channels=1))
    keys = [recording.media_key, *renditions]
    assert len(set(keys)) == 4
    assert all(store.exists(k) for k in keys)

    assert services.voice_recording_delete(recording=recording, actor=SYSTEM)

    assert wait_for(lambda: not any(store.exists(k) for k in keys)), "audio still stored"
    assert wait_for(lambda: VoiceRecording.objects.get(pk=recording.pk).media_key == "")
    recording.refresh_from_db()
    assert recording.status == "deleted"
    assert list(store.keys(prefix=f"{account.sid}/voice/")) == []
