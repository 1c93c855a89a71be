"""Rooms end by themselves once empty past their timeout, like Twilio's (minutes)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from recordings.video import services
from recordings.video.choices import RecordingStatus, RoomStatus
from recordings.video.tasks import end_idle_rooms

pytestmark = pytest.mark.django_db


def test_an_unused_room_ends_after_its_unused_timeout(account):
    room = services.room_create(account=account, unique_name="never-used", unused_room_timeout=5)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=4, seconds=59)):
        assert end_idle_rooms() == 0
    with time_machine.travel(start + timedelta(minutes=5, seconds=1)):
        assert end_idle_rooms() == 1
    room.refresh_from_db()
    assert room.status == RoomStatus.COMPLETED


def test_an_emptied_room_ends_after_its_empty_timeout_and_stops_recording(account):
    room = services.room_create(
        account=account,
        unique_name="emptied",
        record_participants_on_connect=True,
        empty_room_timeout=2,
        unused_room_timeout=1,
    )
    alice = services.participant_connect(room=room, identity="Alice")
    services.track_publish(participant=alice, name="alice-audio", kind="audio", codec="OPUS")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=30)):
        assert end_idle_rooms() == 0  # someone is connected: never idle
        services.participant_disconnect(participant=alice)
    with time_machine.travel(start + timedelta(minutes=31, seconds=59)):
        assert end_idle_rooms() == 0
    with time_machine.travel(start + timedelta(minutes=32, seconds=1)):
        assert end_idle_rooms() == 1
    room.refresh_from_db()
    assert room.status == RoomStatus.COMPLETED
    recording = room.recording_set.get()
    assert recording.status == RecordingStatus.PROCESSING and recording.date_stopped is not None
