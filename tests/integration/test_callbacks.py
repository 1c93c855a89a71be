"""Status callbacks leave from the real Celery worker, after commit, signed, and are retried with
backoff when the receiver fails or times out (the worker runs with a 1 s timeout, 0.2 s base)."""

import itertools
import json
import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from recordings.lifecycle.models import CallbackDelivery
from recordings.video import services
from recordings.video.models import Room
from tests.helpers import wait_for
from tests.lifecycle.test_callbacks import signature_is_valid

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _all_delivered(room: Room, count: int):
    def check() -> bool:
        statuses = list(CallbackDelivery.objects.filter(room=room).values_list("status", flat=True))
        return len(statuses) == count and set(statuses) == {CallbackDelivery.Status.DELIVERED}

    return check


def _room_with_callback(account, url: str) -> CallbackDelivery:
    room = services.room_create(account=account, unique_name="retry me", status_callback=url)
    return CallbackDelivery.objects.get(room=room)


def test_simulated_room_callbacks_arrive_from_the_worker_signed(
    celery_worker, integration_settings, account, callback_server
):
    out = StringIO()
    call_command(
        "simulate_room",
        "--account",
        account.sid,
        "--participants",
        "2",
        "--seconds",
        "1",
        "--status-callback",
        callback_server.url,
        "--json",
        stdout=out,
    )
    room = Room.objects.get(sid=json.loads(out.getvalue())["room_sid"])
    # room-created, 2 participants x (connected, disconnected), 4 tracks x (added, removed,
    # recording-started, recording-completed), room-ended.
    expected = 1 + 2 * 2 + 4 * 4 + 1
    assert CallbackDelivery.objects.filter(room=room).count() == expected

    assert callback_server.wait_for(expected), f"{len(callback_server.requests)} arrived"
    assert wait_for(_all_delivered(room, expected))
    time.sleep(0.3)  # nothing more arrives
    received = callback_server.requests
    assert len(received) == expected

    for request in received:
        assert request.method == "POST"
        assert request.path == "/hooks/video"
        assert request.form["RoomSid"] == room.sid
        assert request.form["AccountSid"] == account.sid
        assert signature_is_valid(callback_server, request, account.auth_token), request.form
    events = Counter(r.form["StatusCallbackEvent"] for r in received)
    assert events == {
        "room-created": 1,
        "participant-connected": 2,
        "track-added": 4,
        "recording-started": 4,
        "track-removed": 4,
        "participant-disconnected": 2,
        "recording-completed": 4,
        "room-ended": 1,
    }
    numbers = sorted(int(r.form["SequenceNumber"]) for r in received)
    assert numbers == list(range(expected))
    # What arrived is what was stored, one attempt each.
    stored = {
        d.params["SequenceNumber"]: d.params for d in CallbackDelivery.objects.filter(room=room)
    }
    assert {r.form["SequenceNumber"]: r.form for r in received} == stored
    for delivery in CallbackDelivery.objects.filter(room=room):
        assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [(1, 200)]


def test_worker_retries_after_500s_with_backoff(
    celery_worker, integration_settings, account, callback_server
):
    callback_server.fail_first = 2
    delivery = _room_with_callback(account, callback_server.url)

    assert wait_for(_all_delivered(delivery.room, 1))
    attempts = list(delivery.attempts.order_by("number"))
    assert [(a.number, a.status_code, a.error) for a in attempts] == [
        (1, 500, ""),
        (2, 500, ""),
        (3, 200, ""),
    ]
    received = callback_server.requests
    assert len(received) == 3
    assert all(signature_is_valid(callback_server, r, account.auth_token) for r in received)
    assert len({tuple(sorted(r.form.items())) for r in received}) == 1
    # Exponential backoff: 0.2 s, then 0.4 s (a little slack for the worker's timer).
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(received)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.3, gaps


def test_worker_retries_after_a_timeout(
    celery_worker, integration_settings, account, callback_server
):
    callback_server.slow_first, callback_server.slow_seconds = 1, 2.5
    delivery = _room_with_callback(account, callback_server.url)

    assert wait_for(_all_delivered(delivery.room, 1))
    first, second = delivery.attempts.order_by("number")
    assert first.status_code is None
    assert "Timeout" in first.error and "timed out" in first.error
    assert 900 <= first.duration_ms < 2500
    assert (second.number, second.status_code, second.error) == (2, 200, "")
    assert len(callback_server.requests) == 2
    assert all(
        signature_is_valid(callback_server, r, account.auth_token) for r in callback_server.requests
    )
