"""Status callbacks (seed 001) delivered over real HTTP to a local server, signed like Twilio's.

Celery is eager in the unit run, so a delivery and its retries should happen synchronously when
the change that queued it commits (``django_capture_on_commit_callbacks(execute=True)`` stands in
for the commit of the test's own transaction). The retry tests run twice: as configured and
with eager propagation off; in both, Celery re-runs a retried task in place.
"""

import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.db import transaction
from twilio.request_validator import RequestValidator

from console.services import SYSTEM
from recordings.lifecycle import signing, tasks
from recordings.lifecycle.exceptions import RoomNameInUse, RulesNotSupported
from recordings.lifecycle.models import CallbackAttempt, CallbackDelivery
from recordings.media import demo
from recordings.media.store import get_media_store
from recordings.video import callbacks, rules, services
from recordings.video.models import Recording, Room

FORM = "application/x-www-form-urlencoded"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# Twilio's parameter names, by event (seed 001 and Twilio's status-callback reference).
ROOM = {
    "AccountSid",
    "RoomSid",
    "RoomName",
    "RoomStatus",
    "RoomType",
    "StatusCallbackEvent",
    "Timestamp",
    "SequenceNumber",
}
PARTICIPANT = {"ParticipantSid", "ParticipantIdentity", "ParticipantStatus"}
TRACK = {"TrackSid", "TrackKind", "TrackName"}
RECORDING = {
    "RecordingSid",
    "RecordingUri",
    "SourceSid",
    "ParticipantSid",
    "TrackName",
    "Container",
    "Codec",
}
MEDIA = {"Duration", "Size", "MediaUri"}
EXPECTED_KEYS = {
    "room-created": ROOM,
    "participant-connected": ROOM | PARTICIPANT,
    "track-added": ROOM | PARTICIPANT | TRACK,
    "recording-started": ROOM | RECORDING,
    "track-removed": ROOM | PARTICIPANT | TRACK,
    "participant-disconnected": ROOM | PARTICIPANT | {"ParticipantDuration"},
    "recording-completed": ROOM | RECORDING | MEDIA,
    "recording-failed": ROOM | RECORDING,
    "room-ended": ROOM | {"RoomDuration"},
}
TIMELINE_EVENTS = Counter(
    {
        "room-created": 1,
        "participant-connected": 1,
        "track-added": 2,
        "recording-started": 2,
        "track-removed": 2,
        "participant-disconnected": 1,
        "recording-completed": 1,
        "recording-failed": 1,
        "room-ended": 1,
    }
)


# --- a real HTTP server that records what it receives ------------------------------------------


@dataclass
class Received:
    """One HTTP request as the callback server saw it."""

    method: str
    target: str  # the request target as sent: path and query
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: str
    form: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def params(self) -> dict[str, str]:
        """The callback's parameters: the form of a POST, the query of a GET."""
        return self.query if self.method == "GET" else self.form


class CallbackServer:
    """An HTTP server on 127.0.0.1 (ephemeral port) in a thread, recording every request.

    ``fail_first``: answer 500 to the first N requests; ``slow_first``: sleep ``slow_seconds``
    before answering the first N requests (to outlast the callback timeout).
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_first = 0
        self.slow_first = 0
        self.slow_seconds = 0.0
        self._arrived = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            do_POST = do_GET
            do_PUT = do_GET

            def log_message(self, format, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/video"

    def full_url(self, received: Received) -> str:
        """The URL of a received request as its receiver would rebuild it (to validate it)."""
        return f"http://127.0.0.1:{self.port}{received.target}"

    def wait_for(self, count: int, seconds: float = 30.0) -> bool:
        """Wait until at least ``count`` requests arrived."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout=seconds)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        split = urlsplit(handler.path)
        received = Received(
            method=handler.command,
            target=handler.path,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=body,
            form=dict(parse_qsl(body, keep_blank_values=True)),
        )
        with self._arrived:
            index = len(self.requests)
            self.requests.append(received)
            self._arrived.notify_all()
        if index < self.slow_first:
            time.sleep(self.slow_seconds)
        try:
            handler.send_response(500 if index < self.fail_first else 200)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:
            pass  # the client gave up (timeout) while we slept


@pytest.fixture
def callback_server():
    server = CallbackServer()
    yield server
    server.close()


def signature_is_valid(server: CallbackServer, received: Received, auth_token: str) -> bool:
    """Check a received request's X-Twilio-Signature the way a Twilio webhook receiver does."""
    validator = RequestValidator(auth_token)
    params = {} if received.method == "GET" else received.form
    return validator.validate(
        server.full_url(received), params, received.headers.get("x-twilio-signature", "")
    )


# --- the status-callback timeline over real HTTP -----------------------------------------------


@pytest.fixture
def fast_callbacks(settings):
    settings.CALLBACK_TIMEOUT_SECONDS = 1.0
    settings.CALLBACK_MAX_ATTEMPTS = 3
    settings.CALLBACK_RETRY_BASE_SECONDS = 0.0
    return settings


def run_timeline(room: Room, tmp_path) -> dict[str, object]:
    """Connect, publish audio + video (recorded on connect), unpublish, disconnect, end the room,
    ingest real media for the audio recording and a failure report for the video one."""
    alice = services.participant_connect(room=room, identity="Zoë & Al=1")
    audio = services.track_publish(participant=alice, name="mic one", kind="audio", codec="OPUS")
    video = services.track_publish(participant=alice, name="cam", kind="video", codec="VP8")
    services.track_unpublish(track=audio)
    services.participant_disconnect(participant=alice)
    services.room_complete(room=room)
    audio_recording = Recording.objects.get(track=audio)
    video_recording = Recording.objects.get(track=video)
    media = tmp_path / "upload.mka"
    media.write_bytes(demo.opus_mka(2))
    audio_recording = services.recording_media_ingest(recording=audio_recording, path=media)
    video_recording = services.recording_fail(recording=video_recording, reason="encoder crashed")
    return {
        "participant": alice,
        "audio": audio,
        "video": video,
        "audio_recording": audio_recording,
        "video_recording": video_recording,
    }


def check_timeline(received: list[Received], *, account, room: Room, world: dict, started) -> None:
    by_event: dict[str, list[dict[str, str]]] = {}
    for request in received:
        by_event.setdefault(request.params["StatusCallbackEvent"], []).append(request.params)
    assert Counter({event: len(p) for event, p in by_event.items()}) == TIMELINE_EVENTS

    finished = datetime.now(UTC)
    for event, all_params in by_event.items():
        for params in all_params:
            missing = EXPECTED_KEYS[event] - params.keys()
            assert not missing, f"{event} lacks {sorted(missing)}"
            assert params["AccountSid"] == account.sid
            assert params["RoomSid"] == room.sid
            assert params["RoomName"] == room.unique_name
            assert params["RoomType"] == "group"
            assert TIMESTAMP.match(params["Timestamp"]), params["Timestamp"]
            moment = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
            assert started.replace(microsecond=0) <= moment.replace(tzinfo=UTC) <= finished

    participant, audio, video = world["participant"], world["audio"], world["video"]
    audio_rec, video_rec = world["audio_recording"], world["video_recording"]

    (created,) = by_event["room-created"]
    assert created["RoomStatus"] == "in-progress"
    (ended,) = by_event["room-ended"]
    assert ended["RoomStatus"] == "completed"
    assert ended["RoomDuration"].isdigit()

    (connected,) = by_event["participant-connected"]
    assert connected["ParticipantSid"] == participant.sid
    assert connected["ParticipantIdentity"] == "Zoë & Al=1"
    assert connected["ParticipantStatus"] == "connected"
    (disconnected,) = by_event["participant-disconnected"]
    assert disconnected["ParticipantSid"] == participant.sid
    assert disconnected["ParticipantStatus"] == "disconnected"
    assert disconnected["ParticipantDuration"].isdigit()

    for event in ("track-added", "track-removed"):
        tracks = {(p["TrackSid"], p["TrackKind"], p["TrackName"]) for p in by_event[event]}
        assert tracks == {(audio.sid, "audio", "mic one"), (video.sid, "video", "cam")}, event
        assert {p["ParticipantSid"] for p in by_event[event]} == {participant.sid}

    started_recs = {
        p["RecordingSid"]: (p["SourceSid"], p["TrackName"], p["Container"], p["Codec"])
        for p in by_event["recording-started"]
    }
    assert started_recs == {
        audio_rec.sid: (audio.sid, "mic one", "mka", "OPUS"),
        video_rec.sid: (video.sid, "cam", "mkv", "VP8"),
    }
    for params in by_event["recording-started"]:
        assert params["RecordingUri"].endswith(f"/v1/Recordings/{params['RecordingSid']}")
        assert params["ParticipantSid"] == participant.sid

    (completed,) = by_event["recording-completed"]
    assert completed["RecordingSid"] == audio_rec.sid
    assert completed["SourceSid"] == audio.sid
    assert completed["Duration"] == "2" == str(audio_rec.duration)
    assert completed["Size"] == str(get_media_store().size(audio_rec.media_key))
    assert completed["MediaUri"].endswith(f"/v1/Recordings/{audio_rec.sid}/Media")
    assert completed["Container"] == "mka"
    assert completed["Codec"] == "OPUS"

    (failed,) = by_event["recording-failed"]
    assert failed["RecordingSid"] == video_rec.sid
    assert failed["SourceSid"] == video.sid
    assert "MediaUri" not in failed

    numbers = sorted(int(r.params["SequenceNumber"]) for r in received)
    assert numbers == list(range(len(received)))


def test_timeline_of_a_room_created_through_the_api_is_posted_form_encoded_and_signed(
    api, account, callback_server, fast_callbacks, tmp_path, django_capture_on_commit_callbacks
):
    started = datetime.now(UTC)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/v1/Rooms",
            urlencode(
                {
                    "UniqueName": "stand-up",
                    "RecordParticipantsOnConnect": "true",
                    "StatusCallback": callback_server.url,
                }
            ),
            content_type=FORM,
        )
        assert response.status_code == 201, response.content
        room = Room.objects.get(sid=response.json()["sid"])
        world = run_timeline(room, tmp_path)
    room.refresh_from_db()

    received = callback_server.requests
    assert len(received) == sum(TIMELINE_EVENTS.values())
    for request in received:
        assert request.method == "POST"
        assert request.path == "/hooks/video"
        assert request.query == {}
        assert request.headers["content-type"] == FORM
        assert signature_is_valid(callback_server, request, account.auth_token), request.params
    check_timeline(received, account=account, room=room, world=world, started=started)

    deliveries = CallbackDelivery.objects.filter(room=room)
    assert deliveries.count() == len(received)
    assert set(deliveries.values_list("status", flat=True)) == {CallbackDelivery.Status.DELIVERED}
    assert CallbackAttempt.objects.filter(delivery__room=room, status_code=200).count() == len(
        received
    )


def test_timeline_with_get_method_sends_query_parameters_signed_over_the_full_url(
    account, callback_server, fast_callbacks, tmp_path, django_capture_on_commit_callbacks
):
    started = datetime.now(UTC)
    url = callback_server.url + "?tenant=a%20b&x=1"
    with django_capture_on_commit_callbacks(execute=True):
        room = services.room_create(
            account=account,
            unique_name="Daily stand-up & retro = fün +1",
            record_participants_on_connect=True,
            status_callback=url,
            status_callback_method="GET",
        )
        world = run_timeline(room, tmp_path)
    room.refresh_from_db()

    received = callback_server.requests
    assert len(received) == sum(TIMELINE_EVENTS.values())
    for request in received:
        assert request.method == "GET"
        assert request.body == ""
        # The StatusCallback's own query comes first and stays.
        assert request.target.startswith("/hooks/video?tenant=a%20b&x=1&")
        assert signature_is_valid(callback_server, request, account.auth_token), request.target
    params = [{k: v for k, v in r.query.items() if k not in ("tenant", "x")} for r in received]
    for request, own in zip(received, params, strict=True):
        request.query = own
    check_timeline(received, account=account, room=room, world=world, started=started)


def test_signature_validates_for_a_status_callback_with_non_ascii_characters(
    api, account, callback_server, fast_callbacks, django_capture_on_commit_callbacks
):
    url = callback_server.url + "/vidéo?tag=ü"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/v1/Rooms", urlencode({"StatusCallback": url}), content_type=FORM)
    assert response.status_code == 201, response.content
    (request,) = callback_server.requests
    assert request.form["StatusCallbackEvent"] == "room-created"
    assert signature_is_valid(callback_server, request, account.auth_token), request.target


def test_no_callback_for_a_room_without_status_callback(
    account, callback_server, fast_callbacks, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        room = services.room_create(
            account=account, unique_name="quiet", record_participants_on_connect=True
        )
        run_timeline(room, tmp_path)
    assert callback_server.requests == []
    assert not CallbackDelivery.objects.exists()


def test_a_rolled_back_change_sends_nothing(
    account, callback_server, fast_callbacks, django_capture_on_commit_callbacks
):
    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True):
        room = services.room_create(
            account=account,
            unique_name="rollback",
            record_participants_on_connect=True,
            status_callback=callback_server.url,
        )
    assert [r.params["StatusCallbackEvent"] for r in callback_server.requests] == ["room-created"]

    with django_capture_on_commit_callbacks(execute=True):
        # Connect + publish queue three callbacks, then the enclosing transaction rolls back.
        with pytest.raises(Boom), transaction.atomic():
            participant = services.participant_connect(room=room, identity="ghost")
            services.track_publish(participant=participant, name="mic", kind="audio", codec="OPUS")
            raise Boom
        # Invalid rules: refused, nothing changes, nothing is sent.
        with pytest.raises(rules.InvalidRules):
            services.recording_rules_update(room=room, document='[{"type": "nope"}]', actor=SYSTEM)
        # room_create refused: no room, no callback.
        with pytest.raises(RoomNameInUse):
            services.room_create(
                account=account, unique_name="rollback", status_callback=callback_server.url
            )
        with pytest.raises(RulesNotSupported):
            services.room_create(
                account=account,
                unique_name="p2p",
                type="peer-to-peer",
                rules_document='{"rules": [{"type": "include", "all": true}]}',
                status_callback=callback_server.url,
            )
        with pytest.raises(rules.InvalidRules):
            services.room_create(
                account=account,
                unique_name="bad-rules",
                rules_document='{"rules": [{"type": "include"}]}',
                status_callback=callback_server.url,
            )

    assert len(callback_server.requests) == 1
    assert list(CallbackDelivery.objects.values_list("event", flat=True)) == ["room-created"]
    assert Room.objects.filter(account=account).count() == 1
    # The rolled-back numbers are not used: the next event takes the next number after 0.
    with django_capture_on_commit_callbacks(execute=True):
        services.room_complete(room=room)
    assert [r.params["SequenceNumber"] for r in callback_server.requests] == ["0", "1"]


def test_api_room_create_refused_sends_nothing(api, callback_server, fast_callbacks):
    response = api.post(
        "/v1/Rooms",
        urlencode(
            {
                "UniqueName": "bad",
                "RecordingRules": '{"rules": [{"type": "sometimes", "all": true}]}',
                "StatusCallback": callback_server.url,
            }
        ),
        content_type=FORM,
    )
    assert response.status_code == 400, response.content
    assert callback_server.requests == []
    assert not CallbackDelivery.objects.exists()
    assert not Room.objects.exists()


# --- retries ------------------------------------------------------------------------------------


@pytest.fixture(
    params=[
        "as-configured",
        "eager-propagation-off",
    ]
)
def eager_mode(request, monkeypatch):
    """Run as configured (eager, propagating), and with propagation off, where Celery's eager
    apply() re-runs a retried task in place: that shows the retry logic itself is right."""
    if request.param == "eager-propagation-off":
        from console.celery import app

        monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    return request.param


def create_room(account, url: str, capture) -> CallbackDelivery:
    """Open a room whose only callback (room-created) goes to url; return that delivery."""
    with capture(execute=True):
        room = services.room_create(account=account, status_callback=url)
    return CallbackDelivery.objects.get(room=room)


def attempts(delivery: CallbackDelivery) -> list[CallbackAttempt]:
    return list(delivery.attempts.order_by("number"))


def test_retry_after_two_500s_then_delivered(
    account, callback_server, fast_callbacks, django_capture_on_commit_callbacks, eager_mode
):
    fast_callbacks.CALLBACK_MAX_ATTEMPTS = 5
    callback_server.fail_first = 2
    delivery = create_room(account, callback_server.url, django_capture_on_commit_callbacks)

    assert [a.status_code for a in attempts(delivery)] == [500, 500, 200]
    assert [a.number for a in attempts(delivery)] == [1, 2, 3]
    assert all(a.error == "" for a in attempts(delivery))
    assert delivery.status == CallbackDelivery.Status.DELIVERED
    # Every attempt is the same callback, each one signed.
    assert len(callback_server.requests) == 3
    assert len({tuple(sorted(r.form.items())) for r in callback_server.requests}) == 1
    assert all(
        signature_is_valid(callback_server, r, account.auth_token) for r in callback_server.requests
    )


def test_timeout_is_stored_as_the_attempts_error(
    account, callback_server, fast_callbacks, django_capture_on_commit_callbacks, eager_mode
):
    fast_callbacks.CALLBACK_TIMEOUT_SECONDS = 0.2
    fast_callbacks.CALLBACK_MAX_ATTEMPTS = 3
    callback_server.slow_first, callback_server.slow_seconds = 1, 1.0
    delivery = create_room(account, callback_server.url, django_capture_on_commit_callbacks)

    first, second = attempts(delivery)
    assert first.status_code is None
    assert "Timeout" in first.error and "timed out" in first.error
    assert first.duration_ms >= 200
    assert second.status_code == 200 and second.error == ""
    assert delivery.status == CallbackDelivery.Status.DELIVERED


def test_after_max_attempts_the_delivery_fails_and_no_more_attempts_are_made(
    account, callback_server, fast_callbacks, django_capture_on_commit_callbacks, eager_mode
):
    fast_callbacks.CALLBACK_MAX_ATTEMPTS = 3
    callback_server.fail_first = 100
    delivery = create_room(account, callback_server.url, django_capture_on_commit_callbacks)

    assert [a.status_code for a in attempts(delivery)] == [500, 500, 500]
    assert delivery.status == CallbackDelivery.Status.FAILED
    assert len(callback_server.requests) == 3

    # Another run of the task (a redelivered message) or a direct attempt does nothing.
    tasks.deliver_callback.delay(delivery.pk)
    services.callback_attempt(delivery_id=delivery.pk)
    assert len(callback_server.requests) == 3
    assert delivery.attempts.count() == 3
    delivery.refresh_from_db()
    assert delivery.status == CallbackDelivery.Status.FAILED


def test_slow_server_until_max_attempts_fails_with_timeouts(
    account, callback_server, fast_callbacks, django_capture_on_commit_callbacks, eager_mode
):
    fast_callbacks.CALLBACK_TIMEOUT_SECONDS = 0.2
    fast_callbacks.CALLBACK_MAX_ATTEMPTS = 2
    callback_server.slow_first, callback_server.slow_seconds = 100, 1.0
    delivery = create_room(account, callback_server.url, django_capture_on_commit_callbacks)

    assert [a.status_code for a in attempts(delivery)] == [None, None]
    assert all("timed out" in a.error for a in attempts(delivery))
    assert delivery.status == CallbackDelivery.Status.FAILED


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_port_records_the_error_and_does_not_raise(
    account, fast_callbacks, django_capture_on_commit_callbacks, eager_mode
):
    fast_callbacks.CALLBACK_MAX_ATTEMPTS = 2
    url = f"http://127.0.0.1:{free_port()}/hooks"
    delivery = create_room(account, url, django_capture_on_commit_callbacks)

    assert [a.status_code for a in attempts(delivery)] == [None, None]
    assert all(a.error.startswith("ConnectionError") for a in attempts(delivery))
    assert all(len(a.error) <= 255 for a in attempts(delivery))
    assert delivery.status == CallbackDelivery.Status.FAILED
    assert delivery.room.status == "in-progress"


@pytest.mark.django_db(transaction=True)
def test_eager_api_call_survives_a_failing_receiver_and_sends_every_callback(
    api, account, callback_server, fast_callbacks
):
    """Real commits (no test transaction): the API answers, and each callback of one commit is
    delivered even though the receiver fails its first attempt."""
    response = api.post(
        "/v1/Rooms",
        urlencode({"UniqueName": "eager", "StatusCallback": callback_server.url}),
        content_type=FORM,
    )
    assert response.status_code == 201
    room = Room.objects.get(sid=response.json()["sid"])
    services.participant_connect(room=room, identity="alice")
    callback_server.fail_first = len(callback_server.requests) + 1  # the next request fails once

    # One commit queues two callbacks: participant-disconnected and room-ended.
    response = api.post(
        f"/v1/Rooms/{room.sid}", urlencode({"Status": "completed"}), content_type=FORM
    )

    assert response.status_code == 202
    deliveries = CallbackDelivery.objects.filter(room=room)
    assert sorted(deliveries.values_list("event", flat=True)) == [
        "participant-connected",
        "participant-disconnected",
        "room-created",
        "room-ended",
    ]
    assert set(deliveries.values_list("status", flat=True)) == {CallbackDelivery.Status.DELIVERED}


def test_one_attempt_raises_callback_failed_while_attempts_remain(account, fast_callbacks):
    # Without on-commit execution the delivery just waits; one attempt at a time, by hand.
    room = services.room_create(
        account=account, status_callback=f"http://127.0.0.1:{free_port()}/x"
    )
    delivery = CallbackDelivery.objects.get(room=room)
    with pytest.raises(services.CallbackFailed):
        services.callback_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == CallbackDelivery.Status.PENDING
    assert delivery.attempts.count() == 1


# --- the signature and URL, against Twilio's own validator --------------------------------------

SPECIAL = {
    "RoomName": "stand up & retro = fun",
    "ParticipantIdentity": "Zoë 🎉 +1",
    "TrackName": "a=b&c=d",
    "Empty": "",
    "Accents": "ñandú/ü?x#y",
    "AccountSid": "AC" + "0" * 32,
}
TOKEN = "12345678901234567890123456789012"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hooks/video",
        "https://example.com/hooks/video?tenant=42&mode=a+b",
        "http://127.0.0.1:8080/hooks",
    ],
)
def test_post_signature_validates_with_twilio_request_validator(url):
    sig = signing.signature(TOKEN, url, "POST", SPECIAL)
    validator = RequestValidator(TOKEN)
    assert validator.validate(url, SPECIAL, sig)
    assert sig == validator.compute_signature(url, SPECIAL)
    assert not validator.validate(url, {**SPECIAL, "RoomName": "other"}, sig)
    assert not RequestValidator("0" * 32).validate(url, SPECIAL, sig)
    assert signing.request_url(url, "POST", SPECIAL) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hooks/video",
        "https://example.com/hooks/video?tenant=42&mode=a+b",
        "http://127.0.0.1:8080/hooks",
    ],
)
def test_get_signature_validates_over_the_full_url(url):
    sig = signing.signature(TOKEN, url, "GET", SPECIAL)
    full = signing.request_url(url, "GET", SPECIAL)
    validator = RequestValidator(TOKEN)
    assert validator.validate(full, {}, sig)
    assert not validator.validate(url, {}, sig)
    assert not validator.validate(full, SPECIAL, sig)
    # The receiver gets every parameter back, unchanged, from the query.
    query = dict(parse_qsl(urlsplit(full).query, keep_blank_values=True))
    own = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert query == {**own, **SPECIAL}


def test_request_url_keeps_an_existing_query_and_appends_sorted_parameters():
    url = "https://example.com/cb?tenant=42"
    params = {"B": "2 3", "A": "x&y=z"}
    assert signing.request_url(url, "GET", params) == (
        "https://example.com/cb?tenant=42&A=x%26y%3Dz&B=2+3"
    )
    assert signing.request_url("https://example.com/cb", "GET", params) == (
        "https://example.com/cb?A=x%26y%3Dz&B=2+3"
    )
    assert signing.request_url(url, "POST", params) == url
    assert signing.request_url("https://example.com/cb", "GET", {}) == "https://example.com/cb"


def test_timestamp_is_utc_with_milliseconds():
    moment = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
    assert callbacks.timestamp(moment) == "2026-03-04T05:06:07.891Z"
