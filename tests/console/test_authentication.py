"""HTTP Basic authentication of /v1 (AccountSid:AuthToken or ApiKeySid:Secret) and tenant isolation.

The caller's account always comes from the credentials; another account's SIDs answer exactly as
unknown SIDs do.
"""

import json
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from console import services as console_services
from console.authentication import ApiCaller, TwilioBasicAuthentication
from console.models import AuditEvent
from console.services import SYSTEM
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.factories import UserFactory
from tests.helpers import assert_twilio_error, basic_auth

FORM = "application/x-www-form-urlencoded"
MISSING_RT = "RT" + "0" * 32
MISSING_RM = "RM" + "0" * 32
THEIR_RULES = [{"type": "include", "publisher": "carol"}]


def client_for(username: str, password: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(username, password))
    return client


def assert_401(response) -> None:
    body = assert_twilio_error(response, 401, 20003)
    assert body["message"] == "Authenticate"
    assert response["WWW-Authenticate"] == 'Basic realm="Twilio API"'


@pytest.fixture
def mine(make_completed_recording):
    return make_completed_recording()


@pytest.fixture
def theirs(other_account, make_completed_recording):
    recording = make_completed_recording(track__participant__room__account=other_account)
    services.recording_rules_update(
        room=recording.room, document=json.dumps(THEIR_RULES), actor=SYSTEM
    )
    return recording


def listed(client) -> list[str]:
    response = client.get("/v1/Recordings")
    assert response.status_code == 200, response.content
    return [r["sid"] for r in response.json()["recordings"]]


# --- who may call -----------------------------------------------------------------------------


def test_account_sid_and_auth_token(account, mine, theirs):
    client = client_for(account.sid, account.auth_token)
    assert listed(client) == [mine.sid]
    response = client.get(f"/v1/Recordings/{mine.sid}")
    assert response.status_code == 200
    assert response.json()["account_sid"] == account.sid


def test_api_key_acts_as_its_account(account, api_key, mine, theirs):
    client = client_for(api_key.key.sid, api_key.secret)
    assert listed(client) == [mine.sid]
    assert client.get(f"/v1/Recordings/{mine.sid}").json()["account_sid"] == account.sid
    assert client.get(f"/v1/Rooms/{mine.room_id}/Recordings").status_code == 200
    assert client.get(f"/v1/Rooms/{mine.room_id}/RecordingRules").status_code == 200
    assert client.get(f"/v1/Recordings/{mine.sid}/Media").status_code == 302


def test_authentication_result_names_the_credential_used(rf, account, api_key):
    auth = TwilioBasicAuthentication()
    for sid, secret in ((account.sid, account.auth_token), (api_key.key.sid, api_key.secret)):
        request = rf.get("/v1/Recordings", HTTP_AUTHORIZATION=basic_auth(sid, secret))
        caller, caller_account = auth.authenticate(request)
        assert isinstance(caller, ApiCaller)
        assert caller_account == account
        assert caller.account == account
        assert caller.actor == f"api:{sid}"
    assert auth.authenticate_header(rf.get("/")) == 'Basic realm="Twilio API"'


def test_revoked_key_is_refused(api_key, mine):
    client = client_for(api_key.key.sid, api_key.secret)
    assert client.get("/v1/Recordings").status_code == 200
    console_services.api_key_revoke(key=api_key.key)
    assert_401(client.get("/v1/Recordings"))
    assert_401(client.delete(f"/v1/Recordings/{mine.sid}"))
    assert Recording.objects.get(pk=mine.pk).status == RecordingStatus.COMPLETED


def test_other_keys_of_the_account_survive_a_revocation(account, api_key):
    second = console_services.api_key_create(account=account, friendly_name="second")
    console_services.api_key_revoke(key=api_key.key)
    assert client_for(second.key.sid, second.secret).get("/v1/Recordings").status_code == 200
    assert client_for(account.sid, account.auth_token).get("/v1/Recordings").status_code == 200


def test_key_of_one_account_is_always_that_account(
    account, other_account, api_key, mine, theirs, make_completed_recording
):
    """A key authenticates as its own account: nothing in the request can point it elsewhere."""
    client = client_for(api_key.key.sid, api_key.secret)
    assert listed(client) == [mine.sid]
    assert_twilio_error(client.get(f"/v1/Recordings/{theirs.sid}"), 404, 20404)
    assert_twilio_error(client.get(f"/v1/Rooms/{theirs.room_id}/Recordings"), 404, 20404)
    # An AccountSid in the query string or a form field changes nothing.
    response = client.get("/v1/Recordings", {"AccountSid": other_account.sid})
    assert [r["sid"] for r in response.json()["recordings"]] == [mine.sid]
    # The key's secret does not open the other account, nor the other account's token the key.
    assert_401(client_for(other_account.sid, api_key.secret).get("/v1/Recordings"))
    assert_401(client_for(api_key.key.sid, other_account.auth_token).get("/v1/Recordings"))
    assert_401(client_for(api_key.key.sid, account.auth_token).get("/v1/Recordings"))


@pytest.mark.parametrize(
    "credentials",
    [
        "account-wrong-token",
        "account-empty-token",
        "account-token-of-other-account",
        "account-token-with-suffix",
        "account-token-prefix",
        "key-wrong-secret",
        "key-empty-secret",
        "key-secret-prefix",
        "unknown-account",
        "unknown-key",
        "sid-upper-case",
        "not-a-sid",
        "empty-username",
        "non-ascii-password",
    ],
)
def test_wrong_credentials_are_401(account, other_account, api_key, mine, credentials):
    username, password = {
        "account-wrong-token": (account.sid, "f" * 32),
        "account-empty-token": (account.sid, ""),
        "account-token-of-other-account": (account.sid, other_account.auth_token),
        "account-token-with-suffix": (account.sid, account.auth_token + "x"),
        "account-token-prefix": (account.sid, account.auth_token[:-1]),
        "key-wrong-secret": (api_key.key.sid, "0" * 64),
        "key-empty-secret": (api_key.key.sid, ""),
        "key-secret-prefix": (api_key.key.sid, api_key.secret[:32]),
        "unknown-account": ("AC" + "1" * 32, account.auth_token),
        "unknown-key": ("SK" + "1" * 32, api_key.secret),
        "sid-upper-case": ("AC" + account.sid[2:].upper(), account.auth_token),
        "not-a-sid": ("admin", account.auth_token),
        "empty-username": ("", account.auth_token),
        "non-ascii-password": (account.sid, "\u00e9\u00e8" * 16),
    }[credentials]
    client = client_for(username, password)
    for response in (
        client.get("/v1/Recordings"),
        client.get(f"/v1/Recordings/{mine.sid}"),
        client.get(f"/v1/Recordings/{mine.sid}/Media"),
        client.delete(f"/v1/Recordings/{mine.sid}"),
        client.post(
            f"/v1/Rooms/{mine.room_id}/RecordingRules",
            urlencode({"Rules": '[{"type": "exclude", "all": true}]'}),
            content_type=FORM,
        ),
    ):
        assert_401(response)
    assert Recording.objects.get(pk=mine.pk).status == RecordingStatus.COMPLETED
    assert not AuditEvent.objects.filter(actor__startswith="api:").exists()


def test_session_login_does_not_open_the_api(account, mine):
    client = APIClient()
    client.force_login(UserFactory(password="a-long-password"))
    assert_401(client.get("/v1/Recordings"))


# --- isolation --------------------------------------------------------------------------------


def _same_as_unknown(response, unknown_response, path: str, unknown_path: str) -> None:
    """Assert a foreign SID answers exactly as an unknown one, SID for SID."""
    body = assert_twilio_error(response, 404, 20404)
    unknown = assert_twilio_error(unknown_response, 404, 20404)
    assert body["message"] == f"The requested resource {path} was not found"
    assert unknown["message"] == f"The requested resource {unknown_path} was not found"
    assert set(response.headers) == set(unknown_response.headers)


ISOLATION_CASES = {
    "fetch": ("GET", "/v1/Recordings/{rt}", "/Recordings/{rt}"),
    "delete": ("DELETE", "/v1/Recordings/{rt}", "/Recordings/{rt}"),
    "media": ("GET", "/v1/Recordings/{rt}/Media", "/Recordings/{rt}/Media"),
    "media-with-params": ("GET", "/v1/Recordings/{rt}/Media?Ttl=5", "/Recordings/{rt}/Media"),
    "room-list": ("GET", "/v1/Rooms/{rm}/Recordings", "/Rooms/{rm}"),
    "room-list-deleted": ("GET", "/v1/Rooms/{rm}/Recordings?Status=deleted", "/Rooms/{rm}"),
    "room-fetch": ("GET", "/v1/Rooms/{rm}/Recordings/{rt}", "/Rooms/{rm}"),
    "room-delete": ("DELETE", "/v1/Rooms/{rm}/Recordings/{rt}", "/Rooms/{rm}"),
    "room-media": ("GET", "/v1/Rooms/{rm}/Recordings/{rt}/Media", "/Rooms/{rm}"),
    "rules-get": ("GET", "/v1/Rooms/{rm}/RecordingRules", "/Rooms/{rm}"),
    "rules-post": ("POST", "/v1/Rooms/{rm}/RecordingRules", "/Rooms/{rm}"),
    "rules-get-by-name": ("GET", "/v1/Rooms/{name}/RecordingRules", "/Rooms/{name}"),
    "rules-post-by-name": ("POST", "/v1/Rooms/{name}/RecordingRules", "/Rooms/{name}"),
}


def _call(client, method: str, path: str):
    if method == "POST":
        body = urlencode({"Rules": '[{"type": "exclude", "all": true}]'})
        return client.post(path, body, content_type=FORM)
    return getattr(client, method.lower())(path)


@pytest.mark.parametrize("case", list(ISOLATION_CASES))
@pytest.mark.parametrize("as_key", [False, True], ids=["token", "api-key"])
def test_other_accounts_sids_are_indistinguishable_from_unknown_ones(
    api, account, api_key, theirs, case, as_key
):
    client = client_for(api_key.key.sid, api_key.secret) if as_key else api
    method, template, message_path = ISOLATION_CASES[case]
    foreign = {"rt": theirs.sid, "rm": theirs.room_id, "name": theirs.room.unique_name}
    unknown = {"rt": MISSING_RT, "rm": MISSING_RM, "name": "no-such-room"}
    response = _call(client, method, template.format(**foreign))
    unknown_response = _call(client, method, template.format(**unknown))
    _same_as_unknown(
        response,
        unknown_response,
        message_path.format(**foreign),
        message_path.format(**unknown),
    )
    # Nothing of theirs changed.
    theirs_now = Recording.objects.get(pk=theirs.pk)
    assert theirs_now.status == RecordingStatus.COMPLETED
    assert theirs_now.date_deleted is None
    assert theirs_now.room.recording_rules.rules == THEIR_RULES
    assert not AuditEvent.objects.filter(account=theirs.account_id, actor__startswith="api:")
    actors = AuditEvent.objects.filter(object_sid__in=[theirs.sid, theirs.room_id])
    assert set(actors.values_list("actor", flat=True)) == {"system"}  # the fixture's rules only


def test_other_accounts_recordings_never_listed(api, account, mine, theirs, other_account):
    filters = [
        {},
        {"Status": "completed"},
        {"GroupingSid": theirs.room_id},
        {"GroupingSid": theirs.participant_id},
        {"SourceSid": theirs.track_id},
        {"PageSize": "1000"},
    ]
    for params in filters:
        response = api.get("/v1/Recordings", params)
        assert response.status_code == 200
        found = {r["sid"] for r in response.json()["recordings"]}
        assert theirs.sid not in found, params
    other = client_for(other_account.sid, other_account.auth_token)
    assert listed(other) == [theirs.sid]


def test_other_account_can_still_use_its_own_recording(api, other_account, theirs):
    api.delete(f"/v1/Recordings/{theirs.sid}")
    api.post(
        f"/v1/Rooms/{theirs.room_id}/RecordingRules",
        urlencode({"Rules": '[{"type": "exclude", "all": true}]'}),
        content_type=FORM,
    )
    owner = client_for(other_account.sid, other_account.auth_token)
    assert owner.get(f"/v1/Recordings/{theirs.sid}").json()["status"] == "completed"
    assert owner.get(f"/v1/Rooms/{theirs.room_id}/RecordingRules").json()["rules"] == THEIR_RULES


# --- audit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_key", [False, True], ids=["token", "api-key"])
@pytest.mark.parametrize("room_path", [False, True], ids=["top", "room"])
def test_api_delete_writes_an_audit_event(account, api_key, mine, as_key, room_path):
    sid_used = api_key.key.sid if as_key else account.sid
    client = client_for(sid_used, api_key.secret if as_key else account.auth_token)
    path = (
        f"/v1/Rooms/{mine.room_id}/Recordings/{mine.sid}"
        if room_path
        else f"/v1/Recordings/{mine.sid}"
    )
    response = client.delete(path, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 204
    assert response.content == b""
    event = AuditEvent.objects.get(action="recording.delete")
    assert event.account_id == account.sid
    assert event.actor == f"api:{sid_used}"
    assert event.actor_user is None
    assert event.object_sid == mine.sid
    assert event.source_ip == "203.0.113.9"
    assert mine.room_id in event.object_repr


def test_audit_event_records_ipv6_callers(api, account, mine):
    assert api.delete(f"/v1/Recordings/{mine.sid}", REMOTE_ADDR="2001:db8::1").status_code == 204
    assert AuditEvent.objects.get(action="recording.delete").source_ip == "2001:db8::1"


def test_repeated_delete_writes_one_event(api, account, mine):
    assert api.delete(f"/v1/Recordings/{mine.sid}").status_code == 204
    assert api.delete(f"/v1/Recordings/{mine.sid}").status_code == 204
    assert AuditEvent.objects.filter(action="recording.delete", object_sid=mine.sid).count() == 1


def test_rules_update_is_audited_with_the_caller(account, api_key, mine):
    client = client_for(api_key.key.sid, api_key.secret)
    document = '[{"type": "include", "kind": "audio"}]'
    response = client.post(
        f"/v1/Rooms/{mine.room_id}/RecordingRules",
        urlencode({"Rules": document}),
        content_type=FORM,
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="recording_rules.update", actor__startswith="api:")
    assert (event.actor, event.object_sid, event.source_ip) == (
        f"api:{api_key.key.sid}",
        mine.room_id,
        "198.51.100.4",
    )
