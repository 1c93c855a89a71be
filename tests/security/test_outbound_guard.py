"""Finding 3 (SSRF): a tenant's URL must never make Roomvault call an internal address.

Every URL a tenant supplies (status callbacks of rooms and voice recordings, the console import's
API base URL and its media links, AwsS3Url) goes through one outbound guard. Each test is the
attack: a URL naming loopback, a private network or the cloud metadata address, in the spellings
resolvers accept, or a name that resolves (or rebinds, or redirects) there.

No test lets a request leave the machine: ``trap`` catches every connection the code under test
opens to an address outside 127.0.0.0/8, and ``names`` answers DNS for the test's own hostnames.
Local receivers on 127.0.0.x prove what arrived, with ``OUTBOUND_ALLOWED_NETWORKS`` empty unless a
test allows one of them.
"""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit

import pytest
import urllib3.util.connection
from django.core.management import call_command
from django.urls import reverse

from console.outbound import OutboundRefused, check_url, session
from recordings.imports import source as import_source
from recordings.imports.models import ImportItem, ImportJob
from recordings.lifecycle.models import CallbackAttempt, CallbackDelivery
from recordings.video.models import RecordingSettings, Room
from recordings.voice import services as voice_services
from recordings.voice.models import VoiceRecording
from tests.helpers import assert_twilio_error, client_for

INVALID_STATUS_CALLBACK = 21609
INVALID_PARAMETER = 20001
SOURCE_SID = "AC" + "0123456789abcdef" * 2
ROOM_SID = "RM" + "1" * 32
PARTICIPANT_SID = "PA" + "2" * 32
RECORDING_SID = "RT" + "3" * 32
FORM = "application/x-www-form-urlencoded"
SECRET_BODY = "internal-admin-panel: AKIA-SECRET-FROM-THE-INSIDE"


def post_form(client, path: str, data: dict):
    """POST a form as the twilio library does (application/x-www-form-urlencoded)."""
    return client.post(path, urlencode(data), content_type=FORM)


# --- local servers and the network around them ------------------------------------------------


class Receiver:
    """An HTTP server on one loopback address that records each request and answers with
    ``routes[path]`` (status, headers, body), 200 by default."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                receiver.requests.append((self.command, self.path, dict(self.headers)))
                path = urlsplit(self.path).path
                status, headers, body = receiver.routes.get(path, (200, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, format, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = host, self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def json(self, path: str, body: object, status: int = 200) -> None:
        self.routes[path] = (
            status,
            {"Content-Type": "application/json"},
            json.dumps(body).encode(),
        )

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def no_allowed_networks(settings):
    """The production default: no private network allowed."""
    settings.OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture(autouse=True)
def trap(monkeypatch):
    """Catch every connection to an address outside 127.0.0.0/8 at a local server: whatever
    the code under test sends out is recorded there (``trap.requests``) and never leaves."""
    server = Receiver()
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        host, port = address
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        if all(info[4][0].startswith("127.") for info in infos):
            return real(address, *args, **kwargs)
        server.requests.append(("CONNECT", f"{host}:{port}", {}))
        return real((server.host, server.port), *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def names(monkeypatch):
    """DNS for the test's own hostnames: ``names[host]`` is a list of answers, the last repeated
    (so a list of two rebinds the name after its first lookup); other names resolve as usual."""
    answers: dict[str, list[str]] = {}
    lookups: dict[str, int] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if host not in answers:
            return real(host, port, *args, **kwargs)
        count = lookups[host] = lookups.get(host, 0) + 1
        address = answers[host][min(count, len(answers[host])) - 1]
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


# --- the guard itself, every address class and spelling -----------------------------------------

REFUSED = {
    "loopback": "http://127.0.0.1/",
    "loopback-other": "http://127.8.9.10:8080/x",
    "loopback-v6": "http://[::1]/",
    "localhost": "http://localhost:8000/",
    "unspecified": "http://0.0.0.0/",
    "unspecified-v6": "http://[::]/",
    "private-10": "http://10.0.0.1/",
    "private-172": "http://172.16.5.4/",
    "private-192": "https://192.168.1.1/",
    "shared-cgnat": "http://100.64.0.1/",
    "link-local-metadata": "http://169.254.169.254/latest/meta-data/",
    "link-local-v6": "http://[fe80::1]/",
    "unique-local-v6": "http://[fd00::1]/",
    "multicast": "http://224.0.0.1/",
    "multicast-v6": "http://[ff02::1]/",
    "reserved": "http://240.0.0.1/",
    "broadcast": "http://255.255.255.255/",
    "decimal": "http://2130706433/",
    "octal": "http://0177.0.0.1/",
    "hex": "http://0x7f.1/",
    "hex-dotted": "http://0x7f.0x0.0x0.0x1/",
    "short-form": "http://127.1/",
    "decimal-metadata": "http://2852039166/",
    "trailing-dot": "http://127.0.0.1./",
    "ipv4-mapped": "http://[::ffff:127.0.0.1]/",
    "ipv4-mapped-hex": "http://[::ffff:7f00:1]/",
    "ipv4-mapped-private": "http://[::ffff:10.0.0.1]/",
    "nat64-private": "http://[64:ff9b::a00:1]/",
    "sixtofour-loopback": "http://[2002:7f00:1::]/",
    "not-http": "file:///etc/passwd",
    "gopher": "gopher://127.0.0.1:6379/_FLUSHALL",
}


@pytest.mark.parametrize("url", REFUSED.values(), ids=REFUSED.keys())
def test_every_internal_address_and_spelling_is_refused(url):
    with pytest.raises(OutboundRefused) as caught:
        check_url(url)
    assert caught.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/video",
        "http://93.184.216.34:8080/x",
        "https://[2606:4700:4700::1111]/",
        "http://01.02.03.04/",  # octal, and still 1.2.3.4: public
    ],
)
def test_public_addresses_and_names_pass_the_check(url):
    check_url(url)


def test_an_allowed_network_is_reached_and_nothing_else(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    check_url("http://127.0.0.1:8000/")
    check_url("http://[::ffff:127.0.0.1]/")
    with pytest.raises(OutboundRefused):
        check_url("http://10.0.0.1/")


def test_a_redirect_to_loopback_is_not_followed(settings, receiver):
    """An allowed server (127.0.0.2 here) answers 302 to 127.0.0.1: that hop is checked too."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    outside = Receiver("127.0.0.2")
    try:
        outside.routes["/media"] = (302, {"Location": f"{receiver.url}/secret"}, b"")
        with session() as http, pytest.raises(OutboundRefused):
            http.get(f"{outside.url}/media", timeout=5)
    finally:
        outside.close()
    assert [path for _, path, _ in outside.requests] == ["/media"]
    assert receiver.requests == []


def test_the_address_checked_is_the_address_connected_to(settings, names):
    """DNS rebinding: the name answers an allowed address at its first lookup and loopback
    after. The connection goes to the address that was checked, with the name as Host; the
    next connection looks the name up again and is refused."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    checked = Receiver("127.0.0.2")
    inside = Receiver("127.0.0.1", checked.port)
    names["rebind.test"] = ["127.0.0.2", "127.0.0.1"]
    url = f"http://rebind.test:{checked.port}/hook"
    try:
        with session() as http:
            first = http.get(url, timeout=5, headers={"Connection": "close"})
            with pytest.raises(OutboundRefused) as caught:
                http.get(url, timeout=5)
    finally:
        checked.close()
        inside.close()
    assert first.status_code == 200
    assert [headers["Host"] for _, _, headers in checked.requests] == [
        f"rebind.test:{checked.port}"
    ]
    assert inside.requests == []
    assert "127.0.0.1" in caught.value.reason


# --- status callbacks: refused when set ---------------------------------------------------------

CALLBACK_TARGETS = ["http://127.0.0.1:{port}/", "http://[::1]:{port}/", "http://10.0.0.1/"]


@pytest.mark.parametrize("target", CALLBACK_TARGETS)
def test_a_room_status_callback_to_an_internal_address_is_refused_when_set(
    api, receiver, target, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(
            api,
            "/v1/Rooms",
            {"UniqueName": "attack", "StatusCallback": target.format(port=receiver.port)},
        )
    body = assert_twilio_error(response, 400, INVALID_STATUS_CALLBACK)
    assert "StatusCallback" in body["message"]
    assert not Room.objects.exists()
    assert receiver.requests == []


@pytest.mark.parametrize("target", CALLBACK_TARGETS)
def test_a_voice_recording_status_callback_to_an_internal_address_is_refused_when_set(
    api, account, receiver, target
):
    call = voice_services.call_start(account=account)
    response = post_form(
        api,
        f"/2010-04-01/Accounts/{account.sid}/Calls/{call.sid}/Recordings.json",
        {"RecordingStatusCallback": target.format(port=receiver.port)},
    )
    body = assert_twilio_error(response, 400, INVALID_STATUS_CALLBACK)
    assert "StatusCallback" in body["message"]
    assert not VoiceRecording.objects.filter(call=call).exists()


def test_the_platforms_recording_status_callback_to_an_internal_address_is_refused(
    account, ingest_key
):
    ingest = client_for(ingest_key.key.sid, ingest_key.secret)
    call = voice_services.call_start(account=account)
    response = ingest.post(
        f"/ingest/v1/Calls/{call.sid}/Recordings",
        {"source": "DialVerb", "status_callback": "http://169.254.169.254/latest/meta-data/"},
        format="json",
    )
    assert_twilio_error(response, 400, INVALID_STATUS_CALLBACK)
    assert not VoiceRecording.objects.filter(call=call).exists()


# --- status callbacks: a name resolving inside is never sent ------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3"])
def test_a_callback_whose_host_resolves_inside_is_a_failed_attempt_never_sent(
    api, settings, receiver, trap, names, address, django_capture_on_commit_callbacks
):
    settings.CALLBACK_TIMEOUT_SECONDS = 1.0
    settings.CALLBACK_RETRY_BASE_SECONDS = 0.01
    settings.CALLBACK_MAX_ATTEMPTS = 3
    names["hooks.tenant.test"] = [address]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(
            api,
            "/v1/Rooms",
            {"UniqueName": "late", "StatusCallback": f"http://hooks.tenant.test:{receiver.port}/"},
        )
    assert response.status_code == 201, response.content
    delivery = CallbackDelivery.objects.get(event="room-created")
    assert delivery.status == CallbackDelivery.Status.FAILED
    (attempt,) = CallbackAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None
    assert address in attempt.error and "refused" in attempt.error.lower()
    assert receiver.requests == [] and trap.requests == []


# --- console imports ------------------------------------------------------------------------------

IMPORT_LIST = reverse("imports:list")
BASE_URL_SPELLINGS = [
    "http://127.0.0.1:{port}",
    "http://[::1]:{port}",
    "http://localhost:{port}",
    "http://2130706433:{port}",
    "http://0177.0.0.1:{port}",
    "http://0x7f.1:{port}",
    "http://[::ffff:127.0.0.1]:{port}",
    "http://169.254.169.254",
]


def _start(client, base_url: str, token: str = "tok-" + "a" * 20):
    return client.post(
        IMPORT_LIST,
        {"source_account_sid": SOURCE_SID, "auth_token": token, "api_base_url": base_url},
    )


@pytest.mark.parametrize("spelling", BASE_URL_SPELLINGS)
def test_a_console_import_from_an_internal_api_base_url_is_refused(
    console_client, receiver, trap, spelling, django_capture_on_commit_callbacks
):
    client = console_client("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, spelling.format(port=receiver.port))
    assert response.status_code == 200
    assert response.context["form"].errors["api_base_url"]
    assert not ImportJob.objects.exists()
    assert receiver.requests == [] and trap.requests == []


def test_a_console_import_whose_source_name_resolves_inside_fails_and_sends_nothing(
    console_client, receiver, names, django_capture_on_commit_callbacks
):
    names["source.tenant.test"] = ["127.0.0.1"]
    client = console_client("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, f"http://source.tenant.test:{receiver.port}")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert "refused" in job.error and "127.0.0.1" in job.error
    assert receiver.requests == []
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "loopback" in page


def _twilio_source(server: Receiver, *, media: str) -> None:
    """Serve one completed video recording whose media link is ``media``."""
    recording = {
        "sid": RECORDING_SID,
        "account_sid": SOURCE_SID,
        "status": "completed",
        "date_created": "2026-01-02T03:04:05Z",
        "source_sid": "MT" + "4" * 32,
        "grouping_sids": {"room_sid": ROOM_SID, "participant_sid": PARTICIPANT_SID},
        "track_name": "cam",
        "type": "video",
        "codec": "VP8",
        "container_format": "mkv",
        "size": 1000,
        "duration": 7,
        "offset": 0,
        "links": {"media": media},
    }
    meta = {"page": 0, "page_size": 1000, "key": "recordings", "next_page_url": None}
    server.json("/v1/Recordings", {"recordings": [recording], "meta": meta})
    not_found = {"code": 20404, "message": "not found", "more_info": "", "status": 404}
    server.json(f"/v1/Rooms/{ROOM_SID}", not_found, 404)
    server.json(f"/v1/Rooms/{ROOM_SID}/Participants/{PARTICIPANT_SID}", not_found, 404)


@pytest.fixture
def allowed_source(settings):
    """A Twilio-compatible source on 127.0.0.2, a network the operator allowed."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    server = Receiver("127.0.0.2")
    yield server
    server.close()


def _run_import(client, base_url: str) -> ImportJob:
    response = _start(client, base_url)
    assert response.status_code == 302, response.context and response.context["form"].errors
    return ImportJob.objects.get()


@pytest.mark.parametrize(
    "media",
    ["http://169.254.169.254/latest/meta-data/iam/", "http://[::ffff:169.254.169.254]/"],
)
def test_a_media_link_to_the_metadata_address_is_refused(
    console_client, allowed_source, trap, media, django_capture_on_commit_callbacks
):
    _twilio_source(allowed_source, media=media)
    client = console_client("admin")
    with django_capture_on_commit_callbacks(execute=True):
        job = _run_import(client, allowed_source.url)
    job.refresh_from_db()
    item = ImportItem.objects.get(job=job, sid=RECORDING_SID)
    assert item.result == ImportItem.Result.FAILED
    assert "169.254.169.254" in item.reason and "refused" in item.reason.lower()
    assert trap.requests == []


def test_a_media_link_redirecting_to_loopback_is_not_followed(
    console_client, allowed_source, receiver, django_capture_on_commit_callbacks
):
    _twilio_source(allowed_source, media=f"{allowed_source.url}/media/{RECORDING_SID}")
    allowed_source.routes[f"/media/{RECORDING_SID}"] = (
        302,
        {"Location": f"{receiver.url}/latest/meta-data/"},
        b"",
    )
    client = console_client("admin")
    with django_capture_on_commit_callbacks(execute=True):
        job = _run_import(client, allowed_source.url)
    item = ImportItem.objects.get(job=job, sid=RECORDING_SID)
    assert item.result == ImportItem.Result.FAILED and "refused" in item.reason.lower()
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("path", "status"),
    [("/v1/Recordings", 500), ("/v1/Recordings", 403), (f"/v1/Rooms/{ROOM_SID}", 401)],
)
def test_the_job_page_shows_no_remote_body(
    console_client,
    allowed_source,
    monkeypatch,
    path,
    status,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(import_source, "RETRIES", 0)
    _twilio_source(allowed_source, media=f"{allowed_source.url}/media")
    allowed_source.json(
        path,
        {"code": 20003, "message": SECRET_BODY, "more_info": SECRET_BODY, "status": status},
        status,
    )
    client = console_client("admin")
    with django_capture_on_commit_callbacks(execute=True):
        job = _run_import(client, allowed_source.url)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert f"HTTP {status}" in page
    assert "AKIA" not in page and "internal-admin-panel" not in page


def test_the_operators_import_command_still_reaches_loopback(receiver, account):
    """``import_twilio`` runs on the server for its operator: any address is theirs to use."""
    meta = {"page": 0, "page_size": 1000, "key": "recordings", "next_page_url": None}
    receiver.json("/v1/Recordings", {"recordings": [], "meta": meta})
    call_command(
        "import_twilio",
        "--account-sid",
        account.sid,
        "--auth-token",
        account.auth_token,
        "--api-base-url",
        receiver.url,
        "--json",
    )
    assert [path.split("?")[0] for _, path, _ in receiver.requests] == ["/v1/Recordings"]


# --- AwsS3Url -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/bucket/", "https://169.254.169.254/path/", "http://[::1]/b/"]
)
def test_an_aws_s3_url_on_an_internal_address_is_refused(api, url):
    response = post_form(
        api, "/v1/RecordingSettings/Default", {"FriendlyName": "x", "AwsS3Url": url}
    )
    body = assert_twilio_error(response, 400, INVALID_PARAMETER)
    assert "AwsS3Url" in body["message"]
    assert not RecordingSettings.objects.filter(aws_s3_url=url).exists()


def test_the_console_refuses_an_aws_s3_url_on_an_internal_address(console_client):
    client = console_client("owner")
    response = client.post(
        reverse("team:settings"),
        {"friendly_name": "x", "aws_s3_url": "http://127.0.0.1/bucket/"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["aws_s3_url"]
    assert not RecordingSettings.objects.filter(aws_s3_url__contains="127.0.0.1").exists()
