"""Media that never came: a recording still awaiting media MEDIA_WAIT_HOURS after its room ended
(its media server gone) becomes failed, and its room's receiver gets recording-failed; a voice
recording whose call ended that long ago becomes absent, with its absent callback. Sooner, or
in another account with its own timing, nothing changes. Over real HTTP, Celery eager."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from console.models import AuditEvent
from recordings.lifecycle import tasks
from recordings.video import services
from recordings.video.models import Recording
from recordings.voice import services as voice_services
from recordings.voice.models import VoiceRecording
from tests.lifecycle.test_callbacks import CallbackServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.CALLBACK_TIMEOUT_SECONDS = 1.0
    settings.CALLBACK_RETRY_BASE_SECONDS = 0.0
    server = CallbackServer()
    yield server
    server.close()


def recording_of_room_ended(account, *, hours_ago: float, url: str, capture) -> Recording:
    """A recording whose room ended ``hours_ago`` hours ago before its media server uploaded it;
    the callbacks of its room's timeline are recorded, not sent."""
    with (
        time_machine.travel(timezone.now() - timedelta(hours=hours_ago), tick=False),
        capture(execute=False),
    ):
        room = services.room_create(
            account=account, record_participants_on_connect=True, status_callback=url
        )
        alice = services.participant_connect(room=room, identity="alice")
        track = services.track_publish(participant=alice, name="mic", kind="audio", codec="OPUS")
        services.room_complete(room=room)
    return Recording.objects.get(track=track)


def voice_recording_of_call_ended(account, *, hours_ago: float, url: str, capture):
    """A call recording whose call ended ``hours_ago`` hours ago before its audio was uploaded."""
    with (
        time_machine.travel(timezone.now() - timedelta(hours=hours_ago), tick=False),
        capture(execute=False),
    ):
        call = voice_services.call_start(account=account)
        recording = voice_services.voice_recording_start(
            source="StartCallRecordingAPI",
            call=call,
            status_callback=url,
            status_callback_events=["completed", "absent"],
        )
        voice_services.call_end(call=call)
    return VoiceRecording.objects.get(pk=recording.pk)


def test_a_recording_without_media_a_day_after_its_room_ended_fails_with_its_callback(
    account, receiver, django_capture_on_commit_callbacks
):
    recording = recording_of_room_ended(
        account, hours_ago=25, url=receiver.url, capture=django_capture_on_commit_callbacks
    )
    assert recording.status == "processing"

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.give_up_missing_media() == 1

    assert Recording.objects.get(pk=recording.pk).status == "failed"
    assert receiver.wait_for(1)
    (request,) = receiver.requests
    assert request.params["StatusCallbackEvent"] == "recording-failed"
    assert request.params["RecordingSid"] == recording.sid
    assert request.params["RoomSid"] == recording.room_id
    assert request.params["FailedOperation"] == "No media arrived within 24 hours of the room's end"
    (audit,) = AuditEvent.objects.filter(action="recording.fail")
    assert (audit.actor, audit.object_sid, audit.account_id) == (
        "system",
        recording.sid,
        account.sid,
    )

    # Again: nothing more to give up, nothing sent twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.give_up_missing_media() == 0
    assert len(receiver.requests) == 1


def test_a_recording_whose_room_ended_less_than_a_day_ago_still_waits(
    account, receiver, django_capture_on_commit_callbacks
):
    recording = recording_of_room_ended(
        account, hours_ago=23, url=receiver.url, capture=django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.give_up_missing_media() == 0

    assert Recording.objects.get(pk=recording.pk).status == "processing"
    assert receiver.requests == []
    assert not AuditEvent.objects.filter(action="recording.fail").exists()


def test_each_account_is_given_up_on_by_its_own_rooms_timing_alone(
    account, other_account, receiver, django_capture_on_commit_callbacks
):
    overdue = recording_of_room_ended(
        account, hours_ago=25, url=receiver.url, capture=django_capture_on_commit_callbacks
    )
    waiting = recording_of_room_ended(
        other_account, hours_ago=23, url=receiver.url, capture=django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.give_up_missing_media() == 1

    assert Recording.objects.get(pk=overdue.pk).status == "failed"
    assert Recording.objects.get(pk=waiting.pk).status == "processing"
    assert receiver.wait_for(1)
    assert [r.params["AccountSid"] for r in receiver.requests] == [account.sid]
    assert list(
        AuditEvent.objects.filter(action="recording.fail").values_list("account", flat=True)
    ) == [account.sid]


def test_a_call_recording_without_audio_a_day_after_the_call_is_absent_with_its_callback(
    account, receiver, django_capture_on_commit_callbacks
):
    overdue = voice_recording_of_call_ended(
        account, hours_ago=25, url=receiver.url, capture=django_capture_on_commit_callbacks
    )
    waiting = voice_recording_of_call_ended(
        account, hours_ago=23, url=receiver.url, capture=django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.give_up_missing_media() == 1

    absent = VoiceRecording.objects.get(pk=overdue.pk)
    assert (absent.status, absent.error_code) == ("absent", None)
    assert VoiceRecording.objects.get(pk=waiting.pk).status == "processing"
    assert receiver.wait_for(1)
    (request,) = receiver.requests
    assert (request.params["RecordingSid"], request.params["RecordingStatus"]) == (
        overdue.sid,
        "absent",
    )
    assert "ErrorCode" not in request.params
    (audit,) = AuditEvent.objects.filter(action="voice_recording.absent")
    assert (audit.actor, audit.object_sid) == ("system", overdue.sid)
