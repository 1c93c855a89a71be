"""The management commands keep the JSON contracts of DESIGN.md."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from console.models import Account, ApiKey, Membership

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_create_account_prints_sid_and_token_that_authenticate(client):
    result = run("create_account", "--name", "Acme")
    assert set(result) == {"account_sid", "auth_token"}
    account = Account.objects.get(sid=result["account_sid"])
    assert account.friendly_name == "Acme"
    assert account.check_auth_token(result["auth_token"])


def test_create_account_with_owner_creates_a_console_login(client):
    result = run(
        "create_account",
        "--name",
        "Acme",
        "--owner-email",
        "Boss@Example.com",
        "--owner-password",
        "a long password 1",
    )
    membership = Membership.objects.get(account_id=result["account_sid"])
    assert membership.role == "owner"
    response = client.post(
        "/login/", {"username": "Boss@Example.com", "password": "a long password 1"}
    )
    assert response.status_code == 302, response.content
    assert client.get("/").context["user"].username == "boss@example.com"


def test_create_account_refuses_email_without_password():
    with pytest.raises(CommandError):
        call_command("create_account", "--name", "Acme", "--owner-email", "a@b.c")


def test_create_api_key_prints_a_secret_stored_only_as_a_digest():
    account = run("create_account", "--name", "Acme")
    key = run("create_api_key", "--account", account["account_sid"])
    assert key["sid"].startswith("SK") and len(key["sid"]) == 34
    stored = ApiKey.objects.get(sid=key["sid"])
    assert stored.account_id == account["account_sid"]
    assert key["secret"] not in stored.secret_hash
    assert stored.check_secret(key["secret"])


def test_create_api_key_for_unknown_account_fails():
    with pytest.raises(CommandError):
        call_command("create_api_key", "--account", "AC" + "0" * 32, "--json")


def test_add_member_creates_then_updates_the_role():
    account = run("create_account", "--name", "Acme")["account_sid"]
    first = run(
        "add_member",
        "--account",
        account,
        "--email",
        "v@x.io",
        "--password",
        "pw-long-enough-1",
        "--role",
        "viewer",
    )
    assert first == {"account_sid": account, "email": "v@x.io", "role": "viewer"}
    run("add_member", "--account", account, "--email", "v@x.io", "--role", "admin")
    user = get_user_model().objects.get(username="v@x.io")
    assert Membership.objects.get(user=user, account_id=account).role == "admin"
    assert user.check_password("pw-long-enough-1")


def test_add_member_refuses_unknown_role():
    account = run("create_account", "--name", "Acme")["account_sid"]
    with pytest.raises(CommandError):
        call_command("add_member", "--account", account, "--email", "v@x.io", "--role", "god")
