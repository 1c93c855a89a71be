"""/v1/RecordingSettings/Default (reference §7), /v1/Credentials/PublicKeys and the console form."""

import re
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.urls import reverse
from rest_framework.test import APIClient
from twilio.base.exceptions import TwilioRestException

from console.models import AuditEvent
from recordings.video.models import PublicKey, RecordingSettings
from recordings.video.services.settings import aws_credential_create, public_key_create
from recordings.video.views.settings import RecordingSettingsForm
from tests.helpers import assert_twilio_error
from tests.twilio_helpers import (
    reference_response_schema,
    schema_errors,
    twilio_client,
)

PATH = "/v1/RecordingSettings/Default"
FORM = "application/x-www-form-urlencoded"
S3_URL = "https://my-super-duper-bucket.s3.amazonaws.com/my/path/"


def public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_pem() -> str:
    return public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(autouse=True)
def _bucket_allowed(settings):
    """S3_URL's bucket takes the operator's credentials (tests/security covers the others)."""
    settings.EXTERNAL_S3_ALLOWED_BUCKETS = ["my-super-duper-bucket"]


@pytest.fixture
def public_key(account, rsa_pem) -> PublicKey:
    return public_key_create(account=account, public_key=rsa_pem, friendly_name="ours")


def post(api, path: str, data: dict):
    """POST a form as the twilio library does (application/x-www-form-urlencoded)."""
    return api.post(path, urlencode(data), content_type=FORM)


def assert_conforms(body, method: str) -> None:
    assert schema_errors(body, reference_response_schema(PATH, method)) == []


# --- the official client ------------------------------------------------------------------------


@pytest.fixture
def twilio(live_server, account):
    return twilio_client(live_server.url, account.sid, account.auth_token)


def test_fetch_and_create_through_the_official_client(twilio, account, public_key):
    aws = aws_credential_create(account=account, credentials="AKIAIOSFODNN7EXAMPLE:secret")
    fresh = twilio.video.v1.recording_settings().fetch()
    assert (fresh.account_sid, fresh.aws_storage_enabled, fresh.encryption_enabled) == (
        account.sid,
        False,
        False,
    )
    assert fresh.url.endswith(PATH)

    made = twilio.video.v1.recording_settings().create(
        friendly_name="vault",
        aws_s3_url=S3_URL,
        aws_storage_enabled=True,
        encryption_key_sid=public_key.sid,
        encryption_enabled=True,
        aws_credentials_sid=aws.sid,
    )

    assert made.friendly_name == "vault"
    assert made.aws_s3_url == S3_URL
    assert made.aws_storage_enabled is True
    assert made.encryption_key_sid == public_key.sid
    assert made.encryption_enabled is True
    assert made.aws_credentials_sid == aws.sid
    again = twilio.video.v1.recording_settings().fetch()
    assert (again.friendly_name, again.encryption_key_sid) == ("vault", public_key.sid)


def test_a_foreign_key_sid_is_refused_through_the_client(twilio, other_account, rsa_pem):
    foreign = public_key_create(account=other_account, public_key=rsa_pem)

    with pytest.raises(TwilioRestException) as caught:
        twilio.video.v1.recording_settings().create(
            friendly_name="x", encryption_key_sid=foreign.sid, encryption_enabled=True
        )

    assert (caught.value.status, caught.value.code) == (400, 20001)
    assert "EncryptionKeySid" in caught.value.msg


# --- the API against the reference schema ---------------------------------------------------


def test_get_conforms_before_and_after_a_post(api, account, public_key):
    assert_conforms(api.get(PATH).json(), "get")
    assert not RecordingSettings.objects.filter(account=account).exists()

    response = post(
        api,
        PATH,
        {
            "FriendlyName": "f",
            "AwsS3Url": S3_URL,
            "AwsStorageEnabled": "true",
            "EncryptionKeySid": public_key.sid,
            "EncryptionEnabled": "true",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert_conforms(body, "post")
    assert body == {
        "account_sid": account.sid,
        "friendly_name": "f",
        "aws_credentials_sid": None,
        "aws_s3_url": S3_URL,
        "aws_storage_enabled": True,
        "encryption_key_sid": public_key.sid,
        "encryption_enabled": True,
        "url": "http://testserver" + PATH,
    }
    assert api.get(PATH).json() == body
    assert AuditEvent.objects.filter(account=account, action="recording_settings.update").exists()


def test_a_partial_post_keeps_the_other_settings(api, account):
    post(api, PATH, {"FriendlyName": "a", "AwsS3Url": S3_URL, "AwsStorageEnabled": "true"})
    body = post(api, PATH, {"FriendlyName": "b"}).json()

    assert (body["friendly_name"], body["aws_s3_url"], body["aws_storage_enabled"]) == (
        "b",
        S3_URL,
        True,
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({}, "FriendlyName"),
        ({"FriendlyName": "x", "EncryptionKeySid": "CR123"}, "EncryptionKeySid"),
        ({"FriendlyName": "x", "EncryptionKeySid": "CR" + "0" * 32}, "EncryptionKeySid"),
        ({"FriendlyName": "x", "EncryptionEnabled": "true"}, "EncryptionKeySid"),
        ({"FriendlyName": "x", "AwsCredentialsSid": "AC" + "0" * 32}, "AwsCredentialsSid"),
        ({"FriendlyName": "x", "AwsS3Url": "not a url"}, "AwsS3Url"),
        ({"FriendlyName": "x", "AwsS3Url": "ftp://bucket/x"}, "AwsS3Url"),
        ({"FriendlyName": "x", "AwsStorageEnabled": "true"}, "AwsS3Url"),
        ({"FriendlyName": "x", "AwsStorageEnabled": "maybe"}, "AwsStorageEnabled"),
    ],
)
def test_bad_parameters_are_twilio_400s_and_change_nothing(api, account, params, name):
    response = post(api, PATH, params)

    body = assert_twilio_error(response, 400, 20001)
    assert name in body["message"]
    row = RecordingSettings.objects.filter(account=account).first()
    assert row is None or (row.encryption_enabled, row.aws_storage_enabled) == (False, False)


def test_settings_are_per_account(api, other_account, public_key):
    post(api, PATH, {"FriendlyName": "mine", "EncryptionKeySid": public_key.sid})

    assert not RecordingSettings.objects.filter(account=other_account).exists()


def test_settings_need_credentials(db):
    response = APIClient().get(PATH)
    assert response.status_code == 401


# --- public keys ----------------------------------------------------------------------------------


def test_public_key_create_and_list(api, account, rsa_pem):
    response = post(api, "/v1/Credentials/PublicKeys", {"PublicKey": rsa_pem, "FriendlyName": "k1"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sid"].startswith("CR") and len(body["sid"]) == 34
    assert (body["account_sid"], body["friendly_name"]) == (account.sid, "k1")
    assert PublicKey.objects.get(sid=body["sid"]).account == account
    listing = api.get("/v1/Credentials/PublicKeys").json()
    assert [key["sid"] for key in listing["credentials"]] == [body["sid"]]


@pytest.mark.parametrize("kind", ["missing", "garbage", "ec", "small rsa"])
def test_public_key_must_be_an_rsa_pem(api, kind):
    pems = {
        "missing": None,
        "garbage": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n",
        "ec": public_pem(ec.generate_private_key(ec.SECP256R1())),
        "small rsa": public_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
    }
    data = {} if pems[kind] is None else {"PublicKey": pems[kind]}

    body = assert_twilio_error(post(api, "/v1/Credentials/PublicKeys", data), 400, 20001)

    assert "PublicKey" in body["message"]
    assert not PublicKey.objects.exists()


# --- the console form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"), [("viewer", False), ("member", False), ("admin", True), ("owner", True)]
)
def test_console_form_role_matrix(console_client, account, public_key, role, allowed):
    browser = console_client(role)
    page = browser.get(reverse("team:settings"))
    response = browser.post(
        reverse("team:settings"),
        {
            "friendly_name": "console",
            "aws_storage_enabled": "on",
            "aws_s3_url": S3_URL,
            "encryption_enabled": "on",
            "encryption_key_sid": public_key.sid,
        },
    )

    row = RecordingSettings.objects.filter(account=account).first()
    if allowed:
        assert page.status_code == 200
        assert b"Encrypt new recordings" in page.content
        assert response.status_code == 302, response.content
        assert (row.aws_s3_url, row.aws_storage_enabled) == (S3_URL, True)
        assert (row.encryption_key_sid, row.encryption_enabled) == (public_key.sid, True)
    else:
        assert (page.status_code, response.status_code) == (403, 403)
        assert row is None


def test_console_form_uploads_a_key_and_shows_errors(console_client, account, rsa_pem):
    browser = console_client("admin")

    bad = browser.post(
        reverse("team:settings"), {"encryption_enabled": "on", "aws_storage_enabled": "on"}
    )
    assert bad.status_code == 200
    assert b"is required when" in bad.content
    assert not RecordingSettings.objects.filter(account=account, encryption_enabled=True).exists()

    good = browser.post(
        reverse("team:settings"),
        {"encryption_enabled": "on", "new_public_key": rsa_pem, "new_public_key_name": "up"},
    )
    assert good.status_code == 302
    key = PublicKey.objects.get(account=account)
    assert key.friendly_name == "up"
    assert RecordingSettings.objects.get(account=account).encryption_key_sid == key.sid

    refused = browser.post(
        reverse("team:settings"), {"encryption_enabled": "on", "new_public_key": "junk"}
    )
    assert refused.status_code == 200
    assert PublicKey.objects.filter(account=account).count() == 1


def test_an_invalid_value_is_not_saved_and_says_so_in_a_banner_and_by_its_field(
    console_client, account, public_key
):
    browser = console_client("admin")
    browser.post(reverse("team:settings"), {"friendly_name": "before"})
    before = RecordingSettings.objects.get(account=account)

    for data, field, error in (
        (
            {"friendly_name": "after", "encryption_enabled": "on"},
            "encryption_key_sid",
            "Public key is required when encryption is enabled.",
        ),
        (
            {"friendly_name": "after", "encryption_key_sid": "CR" + "0" * 32},
            "encryption_key_sid",
            "Select a valid choice.",
        ),
        (
            {"friendly_name": "after", "aws_s3_url": "not a url"},
            "aws_s3_url",
            "Enter a valid URL.",
        ),
    ):
        response = browser.post(reverse("team:settings"), data)
        page = response.content.decode()
        assert response.status_code == 200
        label = RecordingSettingsForm.base_fields[field].label
        assert f"<strong>Not saved:</strong> check {label} below. Nothing was changed." in page, (
            page
        )
        assert re.search(
            rf'<ul class="errorlist" id="id_{field}_error"><li>{re.escape(error)}', page
        ), page
        row = RecordingSettings.objects.get(account=account)
        assert (row.friendly_name, row.encryption_enabled, row.aws_s3_url) == (
            before.friendly_name,
            before.encryption_enabled,
            before.aws_s3_url,
        )


def test_the_settings_page_says_where_a_credentials_sid_comes_from(console_client):
    page = console_client("admin").get(reverse("team:settings")).content.decode()
    assert "Each is a CR… SID: add an access key under AWS credentials" in page
    assert "/v1/Credentials/AWS" in page
    assert "Not saved" not in page
