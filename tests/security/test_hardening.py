"""Finding 8: the hardening a real deployment expects, each part tried the way an attacker would.

- A Content-Security-Policy that refuses inline script and style on every console page, and pages
  that need neither (an injected ``<script>`` or ``onerror=`` would then run nowhere).
- Sessions that end after 12 hours idle (a forgotten signed-in browser does not stay open).
- ``X-Forwarded-For`` believed only behind ``TRUSTED_PROXY_COUNT`` proxies, by the lockout and
  the audit alike: a client cannot pick its address, and behind a proxy clients are told apart.
- The account's auth token not readable from a copy of the database, and rotated by the owner
  with a secondary token that is then promoted, as Twilio does.
"""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection

from console import services as console_services
from console.models import Account, AuditEvent
from console.roles import Role
from recordings.devtools.simulator import simulate_room
from recordings.devtools.voice_simulator import simulate_call
from tests.helpers import basic_auth

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy pass phrase"
TOKEN_PAGE = "/team/auth-token/"
TOKEN = re.compile(r"\b[0-9a-f]{32}\b")


# --- Content-Security-Policy ---------------------------------------------------------------------


def directives(response) -> dict[str, list[str]]:
    """Return the response's CSP as {directive: sources}; {} when it has none."""
    header = response.headers.get("Content-Security-Policy", "")
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


class _InlineCode(HTMLParser):
    """Collect what a strict CSP would block: inline scripts, on* handlers, style attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.found.append("<style> element")
        self._inline_script = tag == "script" and not names.get("src")

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False


def inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


def assert_strict(response, url):
    policy = directives(response)
    assert policy, f"{url}: no Content-Security-Policy header"
    scripts = policy.get("script-src", policy.get("default-src"))
    styles = policy.get("style-src", policy.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, url
    assert styles and "'unsafe-inline'" not in styles, url
    assert policy.get("object-src") == ["'none'"], url
    assert policy.get("frame-ancestors") == ["'none'"], url
    assert inline_code(response.content.decode()) == [], url


@pytest.fixture
def owner_client(client, account):
    membership = console_services.member_set(
        account=account, email="owner@example.com", password=PASSWORD, role=Role.OWNER
    )
    client.force_login(membership.user)
    return client


@pytest.fixture
def everything(account):
    """One of every object a console page shows: a room, its recordings, a call, a key, a
    member, an import job, a bulk deletion."""
    room, recordings = simulate_room(account=account, identities=["alice"], seconds=1)
    _, voice = simulate_call(account=account, seconds=1)
    key = console_services.api_key_create(account=account, friendly_name="media server")
    member = console_services.member_set(
        account=account, email="viewer@example.com", password=None, role=Role.VIEWER
    )
    return {"room": room, "recording": recordings[0], "voice": voice, "key": key.key, "m": member}


def test_every_console_page_has_a_strict_csp_and_no_inline_code(owner_client, account, everything):
    rec, voice, room = everything["recording"], everything["voice"], everything["room"]
    pages = [
        "/",
        "/team/auth-token/",
        "/password/",
        "/password/done/",
        "/recordings/",
        "/recordings/?status=completed",
        f"/recordings/{rec.sid}/",
        f"/recordings/{rec.sid}/delete/",
        "/recordings/bulk/",
        "/voice/",
        f"/voice/{voice.sid}/",
        f"/voice/{voice.sid}/delete/",
        "/rooms/",
        f"/rooms/{room.sid}/",
        "/team/members/",
        "/team/members/add/",
        f"/team/members/{everything['m'].pk}/",
        f"/team/members/{everything['m'].pk}/remove/",
        "/team/keys/",
        "/team/keys/create/",
        f"/team/keys/{everything['key'].sid}/revoke/",
        "/team/members/invitations/",
        "/team/settings/",
        "/team/aws-credentials/",
        "/team/audit/",
        "/imports/",
    ]
    for url in pages:
        response = owner_client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)
    # Pages answered to a POST: the created key's secret, the bulk deletion's confirm page.
    created = owner_client.post("/team/keys/create/", {"friendly_name": "x", "scope": "standard"})
    assert created.status_code == 200 and created.context["secret"]
    assert_strict(created, "key created")
    selection = {"product": "video", "sid": [rec.sid]}
    confirm = owner_client.post("/recordings/bulk/select/", selection)
    assert confirm.status_code == 200
    assert_strict(confirm, "bulk confirm")
    progress = owner_client.post("/recordings/bulk/create/", {**selection, "confirm": "on"})
    assert progress.status_code == 302
    assert_strict(owner_client.get(progress.url), progress.url)


def test_the_sign_in_page_has_a_strict_csp(client):
    for url in ("/login/", "/password/reset/", "/password/reset/sent/"):
        assert_strict(client.get(url), url)


def test_the_api_docs_run_without_inline_script(client):
    """Swagger UI loads its start-up script from a URL, so the docs need no 'unsafe-inline'."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = directives(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    body = response.content.decode()
    assert [c for c in inline_code(body) if c.startswith("inline <script>")] == []


# --- sessions ----------------------------------------------------------------------------------

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_a_session_idle_for_12_hours_is_signed_out(client, owner):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(owner)
        assert client.get("/").status_code == 200
        clock.shift(timedelta(hours=12, minutes=1))
        response = client.get("/")
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_a_session_in_use_stays_signed_in_past_12_hours(client, owner):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(owner)
        for _ in range(5):
            assert client.get("/recordings/").status_code == 200
            clock.shift(timedelta(hours=4))
        assert client.get("/").status_code == 200


# --- the client's address --------------------------------------------------------------------

PROXY = "10.0.0.1"


@pytest.fixture
def owner(account):
    return console_services.member_set(
        account=account, email="owner@example.com", password=PASSWORD, role=Role.OWNER
    ).user


def sign_in(client, password, *, remote=PROXY, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/login/", {"username": "owner@example.com", "password": password}, **extra)


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_dodge_the_lockout(
    client, owner, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", remote="203.0.113.7", forwarded=f"198.51.100.{n}")
    assert sign_in(client, PASSWORD, remote="203.0.113.7", forwarded="192.0.2.1").status_code == 429


def test_without_trusted_proxies_the_audit_records_the_peer_address(owner_client, account):
    owner_client.post(
        "/team/keys/create/",
        {"friendly_name": "k", "scope": "standard"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    event = AuditEvent.objects.get(account=account, action="api_key.create")
    assert event.source_ip == "203.0.113.7"


def test_behind_one_proxy_the_lockout_is_per_client_address(client, owner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The attacker forges a left-hand address each time; the proxy appends the real one.
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", forwarded=f"198.51.100.{n}, 203.0.113.7")
    assert sign_in(client, PASSWORD, forwarded="1.2.3.4, 203.0.113.7").status_code == 429
    # The owner, another client behind the same proxy, is not locked out by the attacker.
    assert sign_in(client, PASSWORD, forwarded="192.0.2.44").status_code == 302


def test_behind_one_proxy_the_audit_records_the_client_address(
    owner_client, account, api, make_completed_recording, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    owner_client.post(
        "/team/keys/create/",
        {"friendly_name": "k", "scope": "standard"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="9.9.9.9, 192.0.2.44",
    )
    recording = make_completed_recording()
    api.delete(
        f"/v1/Recordings/{recording.sid}", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.45"
    )
    console = AuditEvent.objects.get(account=account, action="api_key.create")
    by_api = AuditEvent.objects.get(account=account, object_sid=recording.sid)
    assert (console.source_ip, by_api.source_ip) == ("192.0.2.44", "192.0.2.45")


# --- the auth token at rest ------------------------------------------------------------------


def account_row(sid: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM console_account WHERE sid = %s", [sid])
        return list(cursor.fetchone())


def test_a_copy_of_the_database_does_not_reveal_the_auth_token(account):
    token = Account.objects.get(sid=account.sid).auth_token
    assert TOKEN.fullmatch(token)
    assert not any(token in str(value) for value in account_row(account.sid))


def test_the_sealed_token_still_authenticates_and_signs(client, account):
    account = Account.objects.get(sid=account.sid)
    ok = client.get(
        "/v1/Recordings", HTTP_AUTHORIZATION=basic_auth(account.sid, account.auth_token)
    )
    assert ok.status_code == 200
    wrong = client.get("/v1/Recordings", HTTP_AUTHORIZATION=basic_auth(account.sid, "0" * 32))
    assert wrong.status_code == 401
    # Callbacks stay signed with it: tests/lifecycle/test_callbacks.py checks each delivery's
    # X-Twilio-Signature against account.auth_token read back from the database.


# --- rotation by the owner -------------------------------------------------------------------


def authenticates(client, sid: str, token: str) -> bool:
    response = client.get("/v1/Recordings", HTTP_AUTHORIZATION=basic_auth(sid, token))
    return response.status_code == 200


def test_the_owner_rotates_the_auth_token_through_a_secondary(owner_client, client, account):
    primary = Account.objects.get(sid=account.sid).auth_token
    page = owner_client.get(TOKEN_PAGE)
    assert page.status_code == 200
    assert primary not in page.content.decode()

    created = owner_client.post(f"{TOKEN_PAGE}secondary/")
    assert created.status_code == 200
    assert created.headers["Cache-Control"].startswith("max-age=0")
    shown = set(TOKEN.findall(created.content.decode())) - {primary}
    assert len(shown) == 1
    secondary = shown.pop()
    # Shown once: the page never shows it again.
    assert secondary not in owner_client.get(TOKEN_PAGE).content.decode()
    assert authenticates(client, account.sid, primary)
    assert authenticates(client, account.sid, secondary)

    promoted = owner_client.post(f"{TOKEN_PAGE}promote/", {"confirm": "on"})
    assert promoted.status_code == 302
    assert not authenticates(client, account.sid, primary)
    assert authenticates(client, account.sid, secondary)
    assert Account.objects.get(sid=account.sid).auth_token == secondary
    actions = list(
        AuditEvent.objects.filter(account=account, action__startswith="auth_token.")
        .order_by("id")
        .values_list("action", "object_repr")
    )
    assert [a for a, _ in actions] == ["auth_token.secondary_create", "auth_token.promote"]
    assert not any(primary in r or secondary in r for _, r in actions)


def test_a_second_secondary_is_refused_and_a_deleted_one_stops_working(
    owner_client, client, account
):
    first = owner_client.post(f"{TOKEN_PAGE}secondary/")
    secondary = (set(TOKEN.findall(first.content.decode())) - {account.auth_token}).pop()
    again = owner_client.post(f"{TOKEN_PAGE}secondary/", follow=True)
    assert "already" in again.content.decode()
    assert authenticates(client, account.sid, secondary)
    owner_client.post(f"{TOKEN_PAGE}secondary/delete/", {"confirm": "on"})
    assert not authenticates(client, account.sid, secondary)
    assert authenticates(client, account.sid, Account.objects.get(sid=account.sid).auth_token)
    refused = owner_client.post(f"{TOKEN_PAGE}promote/", {"confirm": "on"}, follow=True)
    assert "no secondary" in refused.content.decode().lower()


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_only_the_owner_may_see_or_rotate_the_auth_token(console_client, client, account, role):
    other = console_client(role)
    primary = account.auth_token
    assert other.get(TOKEN_PAGE).status_code == 403
    assert other.post(f"{TOKEN_PAGE}secondary/").status_code == 403
    assert other.post(f"{TOKEN_PAGE}promote/", {"confirm": "on"}).status_code == 403
    assert other.post(f"{TOKEN_PAGE}secondary/delete/", {"confirm": "on"}).status_code == 403
    assert Account.objects.get(sid=account.sid).auth_token == primary


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(TOKEN_PAGE)
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (2, "192.0.2.9, 198.51.100.1", "192.0.2.9"),  # client, first proxy; peer is the second
        (2, "6.6.6.6, 192.0.2.9, 198.51.100.1", "192.0.2.9"),  # a forged left-most hop
        (2, "192.0.2.9", PROXY),  # fewer hops than proxies: not through them all
        (1, "not-an-address", PROXY),
    ],
)
def test_the_client_address_is_counted_from_the_right(rf, settings, proxies, forwarded, expected):
    from console.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
