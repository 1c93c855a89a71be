"""Finding 4: an account's external S3 storage wrote with the operator's own S3 credentials.

The attack: ``POST /v1/RecordingSettings/Default`` with ``AwsStorageEnabled`` and any
``AwsS3Url`` made Roomvault write the account's media into that bucket signed as the operator.
Now an account stores its own AWS credentials (``/v1/Credentials/AWS``, CR…) and names them in
``AwsCredentialsSid``; only buckets in ``EXTERNAL_S3_ALLOWED_BUCKETS`` take the operator's.

The S3 server is moto in server mode, in a process of its own with IAM enforced: the operator's
key may write anywhere except the tenant's bucket, the tenant's key only into the tenant's bucket.
So an object in a bucket proves whose key signed it.
"""

import json
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from io import StringIO
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from django.core.management import CommandError, call_command
from django.urls import reverse

from console import services as console_services
from console.models import Account
from recordings.media.demo import opus_mka
from recordings.media.s3 import s3_client
from recordings.video import playback, services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording, RecordingSettings
from tests.factories import RecordingSettingsFactory
from tests.helpers import assert_twilio_error, client_for
from tests.twilio_helpers import twilio_client

REGION = "us-east-1"
SETTINGS = "/v1/RecordingSettings/Default"
CREDENTIALS = "/v1/Credentials/AWS"
FORM = "application/x-www-form-urlencoded"
AUDIO = opus_mka(1.0)
RUN = uuid.uuid4().hex[:8]
TENANT_BUCKET = f"tenant-{RUN}"  # the account's own bucket: only its key may write there
VICTIM_BUCKET = f"victim-{RUN}"  # the operator's (or anyone's) bucket the account must not reach
ALLOWED_BUCKET = f"allowed-{RUN}"  # a bucket the operator lends its key for


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _client(service: str, endpoint: str, key: tuple[str, str]):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@dataclass
class IamS3:
    endpoint: str
    operator: tuple[str, str]
    tenant: tuple[str, str]
    auditor: object  # an S3 client allowed everywhere, to look into the buckets

    def keys(self, bucket: str, account: Account) -> list[str]:
        listing = self.auditor.list_objects_v2(Bucket=bucket)
        return [item["Key"] for item in listing.get("Contents", []) if account.sid in item["Key"]]


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _bucket_arns(bucket: str) -> list[str]:
    return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


@pytest.fixture(scope="module")
def iam_s3():
    """A moto server of this module's own, with IAM enforced once the users exist."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        bootstrap = ("bootstrap", "bootstrap")
        iam = _client("iam", endpoint, bootstrap)
        for bucket in (TENANT_BUCKET, VICTIM_BUCKET, ALLOWED_BUCKET):
            _client("s3", endpoint, bootstrap).create_bucket(Bucket=bucket)

        def user(name: str, policy: str) -> tuple[str, str]:
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=policy)
            key = iam.create_access_key(UserName=name)["AccessKey"]
            return key["AccessKeyId"], key["SecretAccessKey"]

        everything = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        operator = user(
            "operator",
            _policy(
                everything,
                {"Effect": "Deny", "Action": "s3:*", "Resource": _bucket_arns(TENANT_BUCKET)},
            ),
        )
        tenant = user(
            "tenant",
            _policy({"Effect": "Allow", "Action": "s3:*", "Resource": _bucket_arns(TENANT_BUCKET)}),
        )
        auditor = user("auditor", _policy(everything))
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
        yield IamS3(endpoint, operator, tenant, _client("s3", endpoint, auditor))
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3(settings, iam_s3) -> IamS3:
    """Roomvault keeps its own media locally; the S3 endpoint serves accounts' buckets."""
    settings.MEDIA_STORAGE = "local"
    settings.AWS_S3_ENDPOINT_URL = iam_s3.endpoint
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = iam_s3.operator
    settings.AWS_S3_REGION_NAME = REGION
    settings.EXTERNAL_S3_ALLOWED_BUCKETS = []
    s3_client.cache_clear()
    yield iam_s3
    s3_client.cache_clear()


@pytest.fixture
def ingest(account):
    key = console_services.api_key_create(
        account=account, friendly_name="media server", scope="ingest"
    )
    return client_for(key.key.sid, key.secret)


def post(api, path: str, data: dict):
    return api.post(path, urlencode(data), content_type=FORM)


def bucket_url(s3: IamS3, bucket: str) -> str:
    return f"{s3.endpoint}/{bucket}/recordings/"


def store_credentials(api, key: tuple[str, str], name: str = "ours") -> str:
    response = post(api, CREDENTIALS, {"Credentials": f"{key[0]}:{key[1]}", "FriendlyName": name})
    assert response.status_code == 201, response.content
    return response.json()["sid"]


def stopped_recording(account) -> Recording:
    """A record-on-connect room's audio recording, stopped and awaiting its file."""
    room = services.room_create(account=account, record_participants_on_connect=True)
    participant = services.participant_connect(room=room, identity="alice")
    track = services.track_publish(participant=participant, name="mic", kind="audio", codec="OPUS")
    services.track_unpublish(track=track)
    return Recording.objects.get(track=track)


def upload(ingest, recording: Recording):
    return ingest.generic(
        "PUT",
        f"/ingest/v1/Recordings/{recording.sid}/Media",
        data=AUDIO,
        content_type="application/octet-stream",
    )


# --- the operator's credentials -------------------------------------------------------------------


def test_an_account_cannot_point_the_operators_credentials_at_any_bucket(api, account, s3):
    response = post(
        api,
        SETTINGS,
        {
            "FriendlyName": "x",
            "AwsS3Url": bucket_url(s3, VICTIM_BUCKET),
            "AwsStorageEnabled": "true",
        },
    )

    body = assert_twilio_error(response, 400, 20001)
    assert "AwsCredentialsSid" in body["message"]
    assert not RecordingSettings.objects.filter(account=account, aws_storage_enabled=True).exists()


def test_a_setting_saved_before_the_fix_writes_nothing_into_the_bucket(account, ingest, s3):
    # A row as the old code accepted it: no credentials, a bucket the operator never allowed.
    RecordingSettingsFactory(
        account=account, aws_s3_url=bucket_url(s3, VICTIM_BUCKET), aws_storage_enabled=True
    )
    recording = stopped_recording(account)

    assert_twilio_error(upload(ingest, recording), 503, 20503)

    assert s3.keys(VICTIM_BUCKET, account) == []
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.PROCESSING


def test_an_allowlisted_bucket_takes_the_operators_credentials(api, account, ingest, s3, settings):
    settings.EXTERNAL_S3_ALLOWED_BUCKETS = [ALLOWED_BUCKET]
    response = post(
        api,
        SETTINGS,
        {
            "FriendlyName": "x",
            "AwsS3Url": bucket_url(s3, ALLOWED_BUCKET),
            "AwsStorageEnabled": "true",
        },
    )
    assert response.status_code == 200, response.content
    recording = stopped_recording(account)

    assert upload(ingest, recording).status_code == 200

    assert s3.keys(ALLOWED_BUCKET, account) == [f"recordings/{account.sid}/{recording.room_id}/"
                                                 f"{recording.sid}.mka"]  # fmt: skip


# --- the account's own credentials ----------------------------------------------------------------


@pytest.mark.parametrize("whose", ["unknown", "another account's"])
def test_credentials_the_account_does_not_hold_are_refused(api, account, other_account, s3, whose):
    if whose == "unknown":
        sid = "CR" + uuid.uuid4().hex
    else:
        sid = store_credentials(client_for(other_account.sid, other_account.auth_token), s3.tenant)

    response = post(
        api,
        SETTINGS,
        {
            "FriendlyName": "x",
            "AwsCredentialsSid": sid,
            "AwsS3Url": bucket_url(s3, TENANT_BUCKET),
            "AwsStorageEnabled": "true",
        },
    )

    body = assert_twilio_error(response, 400, 20001)
    assert "AwsCredentialsSid" in body["message"]
    assert not RecordingSettings.objects.filter(account=account, aws_storage_enabled=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_accounts_own_credentials_sign_the_writes_and_the_media_url(
    live_server, account, ingest, s3
):
    twilio = twilio_client(live_server.url, account.sid, account.auth_token)
    twilio.accounts.base_url = live_server.url
    made = twilio.accounts.v1.credentials.aws.create(
        credentials=f"{s3.tenant[0]}:{s3.tenant[1]}", friendly_name="our bucket"
    )
    assert made.sid.startswith("CR") and made.account_sid == account.sid
    twilio.video.v1.recording_settings().create(
        friendly_name="x",
        aws_credentials_sid=made.sid,
        aws_s3_url=bucket_url(s3, TENANT_BUCKET),
        aws_storage_enabled=True,
    )
    recording = stopped_recording(account)

    response = upload(ingest, recording)

    # The operator's key is denied on this bucket: only the tenant's could have written these
    # (the file, and its playback rendition made when it completed).
    assert response.status_code == 200, response.content
    recording.refresh_from_db()
    assert sorted(s3.keys(TENANT_BUCKET, account)) == sorted(
        [recording.media_key, playback.rendition_key(recording)]
    )
    media = client_for(account.sid, account.auth_token).get(f"/v1/Recordings/{recording.sid}/Media")
    assert media.status_code == 302
    credential = parse_qs(urlsplit(media["Location"]).query)["X-Amz-Credential"][0]
    assert credential.startswith(s3.tenant[0] + "/")


def test_the_accounts_credentials_do_not_reach_the_operators_buckets(api, account, ingest, s3):
    sid = store_credentials(api, s3.tenant)
    response = post(
        api,
        SETTINGS,
        {
            "FriendlyName": "x",
            "AwsCredentialsSid": sid,
            "AwsS3Url": bucket_url(s3, VICTIM_BUCKET),
            "AwsStorageEnabled": "true",
        },
    )
    assert response.status_code == 200, response.content
    recording = stopped_recording(account)

    assert_twilio_error(upload(ingest, recording), 503, 20503)

    assert s3.keys(VICTIM_BUCKET, account) == []
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.PROCESSING


# --- the secret -----------------------------------------------------------------------------------


def test_the_secret_is_never_shown_again(api, account, s3, console_client):
    secret = s3.tenant[1]
    created = post(api, CREDENTIALS, {"Credentials": f"{s3.tenant[0]}:{secret}"})
    assert created.status_code == 201, created.content
    sid = created.json()["sid"]
    assert set(created.json()) == {
        "sid",
        "account_sid",
        "friendly_name",
        "date_created",
        "date_updated",
        "url",
    }

    answers = [
        created,
        api.get(CREDENTIALS),
        api.get(f"{CREDENTIALS}/{sid}"),
        post(api, f"{CREDENTIALS}/{sid}", {"FriendlyName": "renamed"}),
        console_client("admin").get(reverse("team:aws-credentials")),
    ]

    for answer in answers:
        assert answer.status_code in (200, 201), answer.content
        assert secret.encode() not in answer.content
    assert api.get(f"{CREDENTIALS}/{sid}").json()["friendly_name"] == "renamed"
    from console.models import AwsCredential

    stored = AwsCredential.objects.filter(pk=sid).values().get()
    assert not any(secret in str(value) for value in stored.values())


def test_another_accounts_credentials_are_404(api, other_account, s3):
    theirs = store_credentials(client_for(other_account.sid, other_account.auth_token), s3.tenant)

    assert_twilio_error(api.get(f"{CREDENTIALS}/{theirs}"), 404, 20404)
    assert_twilio_error(api.delete(f"{CREDENTIALS}/{theirs}"), 404, 20404)
    assert api.get(CREDENTIALS).json()["credentials"] == []


def test_credentials_in_use_cannot_be_deleted(api, s3):
    sid = store_credentials(api, s3.tenant)
    post(
        api,
        SETTINGS,
        {
            "FriendlyName": "x",
            "AwsCredentialsSid": sid,
            "AwsS3Url": bucket_url(s3, TENANT_BUCKET),
            "AwsStorageEnabled": "true",
        },
    )

    assert_twilio_error(api.delete(f"{CREDENTIALS}/{sid}"), 409, 20409)
    post(api, SETTINGS, {"FriendlyName": "x", "AwsStorageEnabled": "false"})
    assert_twilio_error(api.delete(f"{CREDENTIALS}/{sid}"), 409, 20409)  # still named
    post(api, SETTINGS, {"FriendlyName": "x", "AwsCredentialsSid": ""})
    assert api.delete(f"{CREDENTIALS}/{sid}").status_code == 204


@pytest.mark.parametrize(
    ("role", "allowed"), [("viewer", False), ("member", False), ("admin", True)]
)
def test_the_console_adds_and_deletes_credentials_for_admins(
    console_client, account, s3, role, allowed
):
    from console.models import AwsCredential

    browser = console_client(role)
    page = reverse("team:aws-credentials")
    added = browser.post(
        page, {"access_key_id": s3.tenant[0], "secret_access_key": s3.tenant[1], "name": "b"}
    )

    if not allowed:
        assert (browser.get(page).status_code, added.status_code) == (403, 403)
        assert not AwsCredential.objects.exists()
        return
    assert added.status_code == 302, added.content
    credential = AwsCredential.objects.get(account=account)
    listing = browser.get(page).content.decode()
    assert credential.sid in listing and s3.tenant[1] not in listing
    settings_page = browser.get(reverse("team:settings")).content.decode()
    assert f'<option value="{credential.sid}"' in settings_page
    removed = browser.post(reverse("team:aws-credentials-delete", args=[credential.sid]))
    assert removed.status_code == 302
    assert not AwsCredential.objects.exists()


# --- an external store that fails -----------------------------------------------------------------


@pytest.mark.parametrize("failure", ["unreachable", "no such bucket"])
def test_a_failing_external_store_answers_503_and_the_upload_can_be_retried(
    api, account, ingest, s3, settings, failure
):
    bucket = f"later-{uuid.uuid4().hex[:8]}" if failure == "no such bucket" else ALLOWED_BUCKET
    settings.EXTERNAL_S3_ALLOWED_BUCKETS = [bucket]
    # A virtual-hosted AwsS3Url: it names the bucket, not the endpoint.
    response = post(
        api,
        SETTINGS,
        {
            "FriendlyName": "x",
            "AwsS3Url": f"https://{bucket}.s3.amazonaws.com/rec/",
            "AwsStorageEnabled": "true",
        },
    )
    assert response.status_code == 200, response.content
    if failure == "unreachable":
        settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{_free_port()}"
    recording = stopped_recording(account)

    assert_twilio_error(upload(ingest, recording), 503, 20503)
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.PROCESSING

    settings.AWS_S3_ENDPOINT_URL = s3.endpoint
    if failure == "no such bucket":
        s3.auditor.create_bucket(Bucket=bucket)
    retried = upload(ingest, recording)
    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == "completed"
    recording.refresh_from_db()
    assert s3.keys(bucket, account) == [recording.media_key]


def test_simulate_room_reports_a_refusing_external_store(api, account, s3, settings):
    bucket = f"missing-{uuid.uuid4().hex[:8]}"
    settings.EXTERNAL_S3_ALLOWED_BUCKETS = [bucket]
    response = post(
        api,
        SETTINGS,
        {"FriendlyName": "x", "AwsS3Url": bucket_url(s3, bucket), "AwsStorageEnabled": "true"},
    )
    assert response.status_code == 200, response.content

    with pytest.raises(CommandError) as failed:
        call_command(
            "simulate_room", "--account", account.sid, "--participants", "1", "--seconds", "1",
            "--audio-only", "--json", stdout=StringIO(),
        )  # fmt: skip

    assert bucket in str(failed.value)
    assert set(Recording.objects.filter(account=account).values_list("status", flat=True)) == {
        RecordingStatus.PROCESSING
    }


# --- compositions -------------------------------------------------------------------------------


def test_compositions_go_to_the_bucket_their_settings_name_signed_as_the_account(
    api, account, s3, django_capture_on_commit_callbacks
):
    from recordings.compositions.models import Composition
    from recordings.devtools.simulator import simulate_room

    sid = store_credentials(api, s3.tenant)
    settings_url = "/v1/CompositionSettings/Default"
    response = post(
        api,
        settings_url,
        {
            "FriendlyName": "compositions",
            "AwsCredentialsSid": sid,
            "AwsS3Url": f"{s3.endpoint}/{TENANT_BUCKET}/compositions/",
            "AwsStorageEnabled": "true",
        },
    )
    assert response.status_code == 200, response.content
    # The operator's own key is refused for any bucket not lent to it.
    refused = post(
        api,
        settings_url,
        {"FriendlyName": "x", "AwsCredentialsSid": "", "AwsS3Url": bucket_url(s3, VICTIM_BUCKET)},
    )
    assert_twilio_error(refused, 400, 20001)
    room, _ = simulate_room(account=account, identities=["a"], seconds=1)

    with django_capture_on_commit_callbacks(execute=True):
        made = post(api, "/v1/Compositions", {"RoomSid": room.sid, "AudioSources": "*"})
    assert made.status_code == 201, made.content

    composition = Composition.objects.get(pk=made.json()["sid"])
    assert composition.status == "completed"
    assert s3.keys(TENANT_BUCKET, account) == [composition.media_key]
    body = api.get(f"/v1/Compositions/{composition.sid}").json()
    assert body["media_external_location"].startswith(f"{s3.endpoint}/{TENANT_BUCKET}/")
    media = api.get(f"/v1/Compositions/{composition.sid}/Media")
    assert media.status_code == 302
    credential = parse_qs(urlsplit(media["Location"]).query)["X-Amz-Credential"][0]
    assert credential.startswith(s3.tenant[0] + "/")
    # Named by the composition settings: the credentials cannot go.
    assert_twilio_error(api.delete(f"{CREDENTIALS}/{sid}"), 409, 20409)
