"""Sign-in lockout (django-axes, by email and address) and the account switcher."""

import pytest

from console import services as console_services
from console.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy pass phrase"


@pytest.fixture
def owner(account):
    return console_services.member_set(
        account=account, email="owner@example.com", password=PASSWORD, role=Role.OWNER
    ).user


def sign_in(client, password, email="owner@example.com", address="10.0.0.1"):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_that_email_from_that_address(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong").status_code == 200
    locked = sign_in(client, "wrong")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    # Even the right password is refused while locked…
    assert sign_in(client, PASSWORD).status_code == 429
    # …but only for this email from this address: nobody can lock everyone out.
    assert sign_in(client, PASSWORD, address="10.0.0.2").status_code == 302


def test_a_success_resets_the_failure_count(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong").status_code == 200


def test_switching_accounts_changes_what_the_pages_show(client, owner, account, other_account):
    console_services.member_set(
        account=other_account, email="owner@example.com", password=None, role=Role.VIEWER
    )
    client.force_login(owner)
    assert account.friendly_name in client.get("/").content.decode()
    switched = client.post("/switch-account/", {"account": other_account.sid}, follow=True)
    assert f"Now working in {other_account.friendly_name}" in switched.content.decode()
    assert client.get("/team/keys/").status_code == 403  # a viewer there
    client.post("/switch-account/", {"account": account.sid})
    assert client.get("/team/keys/").status_code == 200  # an owner here


def test_switching_to_an_account_one_is_not_in_is_refused(client, owner, other_account):
    client.force_login(owner)
    response = client.post("/switch-account/", {"account": other_account.sid}, follow=True)
    assert "not a member of that account" in response.content.decode()
    assert other_account.friendly_name not in client.get("/").content.decode()
