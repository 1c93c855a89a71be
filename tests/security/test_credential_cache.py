"""The per-process cache of verified API credentials (console.authentication).

A credential checked once is trusted for at most ``CREDENTIAL_CACHE_SECONDS`` (1 s) without a
query. What an attacker would try against it: a revoked key or a rotated auth token kept alive,
a wrong secret let in because the SID was seen before, one tenant served as another, the secret
recovered from the process's memory.
"""

import pytest
from django.db.models.signals import post_delete, post_save

from console import authentication
from console import services as console_services
from console.authentication import CREDENTIAL_CACHE_SECONDS, verified_credentials
from console.models import Account, ApiKey
from tests.helpers import assert_twilio_error, client_for

LIST = "/v1/Recordings"


class Clock:
    """The cache's clock, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(verified_credentials, "clock", clock)
    verified_credentials.clear()
    yield clock
    verified_credentials.clear()


@pytest.fixture
def elsewhere():
    """Revoke and rotate as another process would: this one's cache is not told."""
    forget = authentication._forget_verified_credentials
    signals = [
        (signal, sender) for signal in (post_save, post_delete) for sender in (ApiKey, Account)
    ]
    for signal, sender in signals:
        assert signal.disconnect(forget, sender=sender)
    yield
    for signal, sender in signals:
        signal.connect(forget, sender=sender)


def assert_refused(response) -> None:
    assert_twilio_error(response, 401, 20003)


def test_a_second_is_the_most_a_credential_is_trusted_unchecked():
    assert 0 < CREDENTIAL_CACHE_SECONDS <= 1


def test_verified_credential_is_served_without_a_query(clock, api_key, django_assert_num_queries):
    client = client_for(api_key.key.sid, api_key.secret)
    assert client.get(LIST).status_code == 200
    with django_assert_num_queries(1):  # the page only
        assert client.get(LIST).status_code == 200


def test_the_process_that_revokes_a_key_refuses_it_at_once(clock, api_key):
    client = client_for(api_key.key.sid, api_key.secret)
    assert client.get(LIST).status_code == 200
    console_services.api_key_revoke(key=api_key.key)
    assert_refused(client.get(LIST))


def test_key_revoked_elsewhere_is_refused_within_a_second(clock, elsewhere, api_key):
    client = client_for(api_key.key.sid, api_key.secret)
    assert client.get(LIST).status_code == 200
    console_services.api_key_revoke(key=api_key.key)
    clock.now += CREDENTIAL_CACHE_SECONDS - 0.01
    assert client.get(LIST).status_code == 200  # the bounded window this cache buys its speed with
    clock.now += 0.01
    assert_refused(client.get(LIST))


def test_token_rotated_elsewhere_refuses_the_old_one_within_a_second(clock, elsewhere, account):
    old = client_for(account.sid, account.auth_token)
    assert old.get(LIST).status_code == 200
    secondary = console_services.account_auth_token_secondary_create(account=account)
    console_services.account_auth_token_secondary_promote(account=account)
    clock.now += CREDENTIAL_CACHE_SECONDS
    assert_refused(old.get(LIST))
    assert client_for(account.sid, secondary).get(LIST).status_code == 200


def test_secondary_token_deleted_elsewhere_is_refused_within_a_second(clock, elsewhere, account):
    secondary = console_services.account_auth_token_secondary_create(account=account)
    client = client_for(account.sid, secondary)
    assert client.get(LIST).status_code == 200
    console_services.account_auth_token_secondary_delete(account=account)
    clock.now += CREDENTIAL_CACHE_SECONDS
    assert_refused(client.get(LIST))


def test_wrong_secret_of_a_cached_sid_is_refused_at_once(clock, account, api_key):
    assert client_for(api_key.key.sid, api_key.secret).get(LIST).status_code == 200
    assert client_for(account.sid, account.auth_token).get(LIST).status_code == 200
    for sid, secret in [
        (api_key.key.sid, api_key.secret[:-1] + "x"),
        (api_key.key.sid, ""),
        (account.sid, api_key.secret),  # a cached secret under another SID of the same account
        (api_key.key.sid, account.auth_token),
    ]:
        assert_refused(client_for(sid, secret).get(LIST))


def test_refusals_are_not_cached(clock, api_key):
    """A refused credential is checked again at the next request (no negative entry can shadow
    a key that becomes valid, and no wrong guess leaves anything behind)."""
    assert_refused(client_for(api_key.key.sid, "wrong").get(LIST))
    assert len(verified_credentials) == 0


def test_two_accounts_are_never_mixed(clock, account, other_account, make_completed_recording):
    mine = make_completed_recording()
    theirs = make_completed_recording(track__participant__room__account=other_account)
    me = client_for(account.sid, account.auth_token)
    them = client_for(other_account.sid, other_account.auth_token)
    for _ in range(2):  # the second round is served from the cache
        assert [r["sid"] for r in me.get(LIST).json()["recordings"]] == [mine.sid]
        assert [r["sid"] for r in them.get(LIST).json()["recordings"]] == [theirs.sid]
    assert_refused(client_for(other_account.sid, account.auth_token).get(LIST))
    assert_refused(client_for(account.sid, other_account.auth_token).get(LIST))


def test_cache_holds_no_secret(clock, account, api_key):
    assert client_for(api_key.key.sid, api_key.secret).get(LIST).status_code == 200
    assert client_for(account.sid, account.auth_token).get(LIST).status_code == 200
    held = repr(verified_credentials.entries)
    assert api_key.secret not in held
    assert account.auth_token not in held


def test_each_request_gets_its_own_account_instance(clock, account):
    """A view that changes ``request.auth`` in memory cannot leak the change to later requests."""
    client = client_for(account.sid, account.auth_token)
    client.get(LIST)
    first = client.get(LIST).wsgi_request
    second = client.get(LIST).wsgi_request
    assert first.auth is not second.auth
    assert first.auth.pk == second.auth.pk == account.pk
