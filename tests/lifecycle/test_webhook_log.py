"""The webhook log (issue 19): the /roomvault/v1 CallbackDeliveries API, its console page, a
replay over real HTTP checked as a Twilio webhook receiver checks it, and the dashboard's
callback health. The attacker's tests come first."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone
from twilio.request_validator import RequestValidator

from console import services as console_services
from console.models import AuditEvent
from recordings.lifecycle import delivery
from recordings.lifecycle.models import CallbackAttempt, CallbackDelivery
from tests.helpers import assert_twilio_error, client_for, schema_operations
from tests.lifecycle.test_callbacks import CallbackServer, signature_is_valid

LIST = "/roomvault/v1/CallbackDeliveries"


@pytest.fixture
def callback_server():
    server = CallbackServer()
    yield server
    server.close()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Record and deliver one status callback of an account, as an event of it would."""

    def send_one(account, url: str, *, event: str = "room-ended", method: str = "POST", **params):
        with django_capture_on_commit_callbacks(execute=True):
            return delivery.callback_send(
                account_id=account.sid,
                event=event,
                url=url,
                method=method,
                params={"AccountSid": account.sid, "StatusCallbackEvent": event, **params},
            )

    return send_one


@pytest.fixture
def read_only(account):
    key = console_services.api_key_create(account=account, friendly_name="reader", scope="read")
    return client_for(key.key.sid, key.secret)


def replay_path(found: CallbackDelivery) -> str:
    return f"{LIST}/{found.pk}/Replay"


# --- the attacker's tests ------------------------------------------------------------------------


def test_another_accounts_delivery_is_not_found_nor_replayed(api, other_account, send):
    theirs = send(other_account, "http://127.0.0.1:9/theirs")

    assert_twilio_error(api.get(f"{LIST}/{theirs.pk}"), 404, 20404)
    assert_twilio_error(api.post(replay_path(theirs)), 404, 20404)
    assert api.get(LIST).json()["callback_deliveries"] == []
    assert CallbackDelivery.objects.count() == 1


@pytest.mark.parametrize("bad_id", ["x", "-1", "²", "9" * 30, "1.0"])
def test_malformed_ids_are_not_found(api, bad_id):
    assert_twilio_error(api.get(f"{LIST}/{bad_id}"), 404, 20404)


def test_a_read_scope_key_lists_but_may_not_replay(read_only, account, send):
    mine = send(account, "http://127.0.0.1:9/hook")

    assert read_only.get(f"{LIST}/{mine.pk}").status_code == 200
    body = assert_twilio_error(read_only.post(replay_path(mine)), 403, 20403)
    assert "scope" in body["message"]
    assert CallbackDelivery.objects.count() == 1


def test_the_api_needs_credentials(client, account, send):
    mine = send(account, "http://127.0.0.1:9/hook")

    assert_twilio_error(client.get(LIST), 401, 20003)
    assert_twilio_error(client.post(replay_path(mine)), 401, 20003)


def test_console_viewer_sees_no_replay_button_and_is_refused_a_post(console_client, account, send):
    mine = send(account, "http://127.0.0.1:9/hook")
    viewer = console_client("viewer")

    page = viewer.get("/webhooks/")
    assert page.status_code == 200
    assert b"http://127.0.0.1:9/hook" in page.content
    assert b">Replay<" not in page.content
    assert viewer.post(f"/webhooks/{mine.pk}/replay/").status_code == 403
    assert CallbackDelivery.objects.count() == 1


def test_console_member_cannot_replay_another_accounts_delivery(
    console_client, other_account, send
):
    theirs = send(other_account, "http://127.0.0.1:9/theirs")
    member = console_client("member")

    assert member.post(f"/webhooks/{theirs.pk}/replay/").status_code == 404
    assert b"/theirs" not in member.get("/webhooks/").content
    assert CallbackDelivery.objects.count() == 1


def test_console_replay_needs_the_csrf_token(account, send):
    mine = send(account, "http://127.0.0.1:9/hook")
    membership = console_services.member_set(
        account=account, email="m@example.com", password=None, role="member"
    )
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(membership.user)

    assert browser.post(f"/webhooks/{mine.pk}/replay/").status_code == 403
    assert CallbackDelivery.objects.count() == 1


def test_replay_through_the_guard_records_a_refusal_and_sends_nothing(
    api, account, send, callback_server, settings, django_capture_on_commit_callbacks
):
    original = send(account, callback_server.url)
    assert callback_server.wait_for(1)
    # Loopback is allowed for the tests' receivers; production allows no private network.
    settings.OUTBOUND_ALLOWED_NETWORKS = []

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(replay_path(original))

    assert response.status_code == 202
    replay = CallbackDelivery.objects.get(pk=response.json()["id"])
    (attempt,) = replay.attempts.all()
    assert replay.status == CallbackDelivery.Status.FAILED
    assert attempt.status_code is None
    assert attempt.error.startswith("refused by the outbound guard: 127.0.0.1 is a loopback")
    assert len(callback_server.requests) == 1


# --- replay ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_replay_delivers_the_same_event_signed_anew(
    api, account, send, callback_server, method, django_capture_on_commit_callbacks
):
    original = send(account, callback_server.url + "?tenant=a b", method=method, RoomName="Zoë")
    assert callback_server.wait_for(1)
    # Signed anew: with the auth token of now, not the one the original was signed with.
    account.auth_token = "f" * 32
    account.save()
    api = client_for(account.sid, account.auth_token)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(replay_path(original))

    assert response.status_code == 202
    body = response.json()
    assert body["replay_of"] == original.pk
    assert body["url"].endswith(f"{LIST}/{body['id']}")
    assert callback_server.wait_for(2)
    first, again = callback_server.requests
    assert again.params == first.params
    assert again.params["RoomName"] == "Zoë"
    assert signature_is_valid(callback_server, again, account.auth_token)
    assert not signature_is_valid(callback_server, first, account.auth_token)
    params = {} if method == "GET" else again.form
    validator = RequestValidator(account.auth_token)
    url = callback_server.full_url(again)
    assert validator.validate(url, params, again.headers["x-twilio-signature"])

    replay = CallbackDelivery.objects.get(pk=body["id"])
    assert replay.status == CallbackDelivery.Status.DELIVERED
    assert replay.replay_of_id == original.pk
    event = AuditEvent.objects.get(action="callback.replay")
    assert event.account == account
    assert str(original.pk) in event.detail and str(replay.pk) in event.detail


def test_console_member_replays_and_sees_the_replay(
    console_client, account, send, callback_server, django_capture_on_commit_callbacks
):
    original = send(account, callback_server.url)
    member = console_client("member")

    page = member.get("/webhooks/")
    assert b">Replay<" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(f"/webhooks/{original.pk}/replay/", {"query": "event=room-ended"})

    assert response.status_code == 302
    assert response["Location"] == "/webhooks/?event=room-ended"
    assert callback_server.wait_for(2)
    replay = CallbackDelivery.objects.get(replay_of_id=original.pk)
    assert AuditEvent.objects.get(action="callback.replay").actor == "user:member@example.com"
    page = member.get(response["Location"])
    assert f"replay of #{original.pk}".encode() in page.content
    assert f'id="delivery-{replay.pk}"'.encode() in page.content


# --- what an attempt shows ---------------------------------------------------------------------


class _Chatty(BaseHTTPRequestHandler):
    """Answers 503 with a long body (more than an attempt keeps)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = ("é" * 100 + "x" * 3000).encode()
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def chatty_url():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Chatty)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/busy"
    httpd.shutdown()
    httpd.server_close()


def test_an_attempt_shows_its_request_and_the_start_of_the_answer(
    api, account, send, chatty_url, settings
):
    settings.CALLBACK_MAX_ATTEMPTS = 1
    sent = send(account, chatty_url, RoomSid="RM" + "0" * 32)

    body = api.get(f"{LIST}/{sent.pk}").json()

    (attempt,) = body["attempts"]
    assert attempt["request"] == {
        "method": "POST",
        "url": chatty_url,
        "params": sent.params,
        "signature": CallbackAttempt.objects.get().signature,
    }
    assert len(attempt["request"]["signature"]) == 28
    assert attempt["response"]["status_code"] == 503
    assert attempt["response"]["error"] == ""
    assert attempt["response"]["body"].startswith("é" * 100 + "x")
    assert len(attempt["response"]["body"]) <= 1024
    assert account.auth_token not in str(body)
    assert body["status"] == "failed"
    assert body["callback_url"] == chatty_url
    assert body["links"]["replay"].endswith(f"{LIST}/{sent.pk}/Replay")


def test_a_get_attempt_shows_the_url_with_its_query(api, account, send, callback_server):
    sent = send(account, callback_server.url, method="GET", RoomName="a&b")
    assert callback_server.wait_for(1)

    (attempt,) = api.get(f"{LIST}/{sent.pk}").json()["attempts"]

    assert attempt["request"]["url"] == callback_server.full_url(callback_server.requests[0])
    assert attempt["response"]["status_code"] == 200


# --- filters and paging ------------------------------------------------------------------------


def test_filters(api, account, send, callback_server, chatty_url, settings):
    settings.CALLBACK_MAX_ATTEMPTS = 1
    ok = send(account, callback_server.url, event="room-ended")
    failed = send(account, chatty_url, event="recording-completed")
    old = send(account, callback_server.url, event="completed")
    CallbackDelivery.objects.filter(pk=old.pk).update(
        date_created=timezone.now() - timedelta(days=3)
    )

    def ids(**query):
        response = api.get(LIST, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["callback_deliveries"]]

    assert ids() == [failed.pk, ok.pk, old.pk]
    assert ids(StatusCode=503) == [failed.pk]
    assert ids(StatusCode=200) == [ok.pk, old.pk]
    assert ids(Status="failed") == [failed.pk]
    assert ids(Event="completed") == [old.pk]
    assert ids(Url=chatty_url[:-2]) == [failed.pk]
    assert ids(Url="busy") == []  # a prefix, not a part
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(DateCreatedAfter=yesterday) == [failed.pk, ok.pk]
    assert ids(DateCreatedBefore=yesterday) == [old.pk]
    assert_twilio_error(api.get(LIST, {"StatusCode": "abc"}), 400, 20001)
    # Before the calendar's first instant in UTC: the first instant, as on /v1/Recordings.
    assert ids(DateCreatedAfter="0001-01-01T00:00:00+05:00") == [failed.pk, ok.pk, old.pk]
    assert ids(DateCreatedBefore="0001-01-01T00:00:00+05:00") == []


def test_pages_by_keyset_with_twilio_meta(api, account, send):
    sent = [send(account, f"http://127.0.0.1:9/{n}") for n in range(5)]
    CallbackDelivery.objects.update(date_created=timezone.now())  # ties: the id breaks them

    seen, url = [], f"{LIST}?PageSize=2&Event=room-ended"
    while url:
        body = api.get(url).json()
        assert body["meta"]["key"] == "callback_deliveries"
        assert body["meta"]["page_size"] == 2
        seen += [row["id"] for row in body["callback_deliveries"]]
        url = body["meta"]["next_page_url"]
        assert url is None or "Event=room-ended" in url

    assert seen == [d.pk for d in reversed(sent)]


def test_console_filters(console_client, account, send, chatty_url, settings):
    settings.CALLBACK_MAX_ATTEMPTS = 1
    send(account, "http://127.0.0.1:9/quiet", event="room-ended")
    send(account, chatty_url, event="recording-completed")
    viewer = console_client("viewer")

    page = viewer.get("/webhooks/", {"status_code": 503}).content.decode()

    assert chatty_url in page and "/quiet" not in page
    assert "HTTP 503" in page
    assert viewer.get("/webhooks/", {"status_code": "x"}).status_code == 200


# --- callback health ---------------------------------------------------------------------------


def test_dashboard_shows_the_failure_rate_of_the_last_day(
    console_client, account, other_account, send, chatty_url, callback_server, settings
):
    settings.CALLBACK_MAX_ATTEMPTS = 2
    send(account, chatty_url)  # two failed attempts
    send(account, callback_server.url)  # one that succeeded
    stale = send(account, chatty_url)
    CallbackAttempt.objects.filter(delivery=stale).update(
        date_created=timezone.now() - timedelta(hours=25)
    )
    CallbackDelivery.objects.filter(pk=stale.pk).update(
        date_updated=timezone.now() - timedelta(hours=25)
    )
    send(other_account, chatty_url)

    page = console_client("viewer").get("/").content.decode()

    assert "66.7 %</strong> of status callback attempts failed" in page
    assert "(2 of 3)" in page


# --- the published schema ----------------------------------------------------------------------


def test_the_openapi_schema_publishes_the_webhook_log(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert schema_operations(schema, LIST) == {
        (LIST, "get"): "ListCallbackDelivery",
        (f"{LIST}/{{delivery_id}}", "get"): "FetchCallbackDelivery",
        (f"{LIST}/{{delivery_id}}/Replay", "post"): "CreateCallbackDeliveryReplay",
    }
    listed = {p["name"] for p in schema["paths"][LIST]["get"]["parameters"]}
    assert {"StatusCode", "Event", "Url", "DateCreatedAfter", "DateCreatedBefore"} <= listed
    replay = schema["paths"][f"{LIST}/{{delivery_id}}/Replay"]["post"]["responses"]
    assert {"202", "403", "404"} <= replay.keys()
