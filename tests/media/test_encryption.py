"""Encrypted recordings and external S3 storage, through the real ingest path.

A record-on-connect room is driven through the services, a real demo Matroska file is ingested,
and what the media store holds is fetched back and decrypted with the private key.
"""

import io
import tempfile
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import CommandError, call_command

from recordings.media.demo import opus_mka, vp8_mkv
from recordings.media.encryption import (
    MAGIC,
    DecryptionError,
    InvalidPublicKey,
    decrypt_stream,
    encrypt_stream,
    load_private_key,
    read_header,
)
from recordings.media.external import parse_s3_url
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.models import Recording
from recordings.video.services.settings import (
    InvalidSetting,
    public_key_create,
    recording_settings_update,
)
from tests.s3 import moto_endpoint, s3_settings  # noqa: F401 (fixtures)

MATROSKA = b"\x1a\x45\xdf\xa3"  # the EBML header every Matroska file starts with
AUDIO = opus_mka(2.6)
VIDEO = vp8_mkv(1.5)


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_public(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def encrypting_account(account, private_key):
    key = public_key_create(account=account, public_key=pem_public(private_key), friendly_name="k")
    recording_settings_update(account=account, encryption_key_sid=key.sid, encryption_enabled=True)
    return key


def record(account, data: bytes, kind: str = "audio") -> Recording:
    """Record one track of a record-on-connect room and ingest ``data`` as its file."""
    room = services.room_create(account=account, record_participants_on_connect=True)
    participant = services.participant_connect(room=room, identity="alice")
    codec = "OPUS" if kind == "audio" else "VP8"
    track = services.track_publish(participant=participant, name=kind, kind=kind, codec=codec)
    services.track_unpublish(track=track)
    recording = Recording.objects.get(track=track)
    with tempfile.NamedTemporaryFile(suffix=".mk") as file:
        file.write(data)
        file.flush()
        return services.recording_media_ingest(recording=recording, path=Path(file.name))


def decrypt(stored: bytes, key: rsa.RSAPrivateKey) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(stored), out, key)
    return out.getvalue()


@pytest.mark.parametrize(("kind", "data"), [("audio", AUDIO), ("video", VIDEO)])
def test_round_trip_through_ingest_store_and_private_key(
    account, encrypting_account, private_key, kind, data
):
    recording = record(account, data, kind)

    with get_media_store().open(recording.media_key) as file:
        stored = file.read()
    assert recording.status == "completed"
    assert recording.encryption_key == encrypting_account.sid
    assert recording.size == len(stored)
    assert stored != data
    assert stored.startswith(MAGIC)
    assert MATROSKA not in stored
    assert data[:64] not in stored
    header, _ = read_header(io.BytesIO(stored))
    assert header["key_sid"] == encrypting_account.sid
    assert (header["v"], header["alg"], header["wrap"]) == (1, "A256GCM", "RSA-OAEP-256")
    assert decrypt(stored, private_key) == data


def test_the_decrypt_command_restores_the_original_file(
    account, encrypting_account, private_key, tmp_path
):
    recording = record(account, AUDIO)
    encrypted = tmp_path / "rec.enc"
    with get_media_store().open(recording.media_key) as file:
        encrypted.write_bytes(file.read())
    key = tmp_path / "private.pem"
    key.write_bytes(pem_private(private_key))
    out = tmp_path / "rec.mka"

    call_command(
        "decrypt_recording", "--key", key, "--in", encrypted, "--out", out, stdout=io.StringIO()
    )

    assert out.read_bytes() == AUDIO


def test_a_tampered_byte_fails_decryption_and_the_command_writes_nothing(
    account, encrypting_account, private_key, tmp_path
):
    recording = record(account, AUDIO)
    with get_media_store().open(recording.media_key) as file:
        stored = bytearray(file.read())
    stored[len(stored) // 2] ^= 0x01

    with pytest.raises(DecryptionError):
        decrypt(bytes(stored), private_key)
    (tmp_path / "rec.enc").write_bytes(stored)
    (tmp_path / "k.pem").write_bytes(pem_private(private_key))
    with pytest.raises(CommandError):
        call_command(
            "decrypt_recording",
            "--key", tmp_path / "k.pem",
            "--in", tmp_path / "rec.enc",
            "--out", tmp_path / "rec.mka",
        )  # fmt: skip
    assert not (tmp_path / "rec.mka").exists()


def test_another_private_key_cannot_decrypt(account, encrypting_account):
    recording = record(account, AUDIO)
    with get_media_store().open(recording.media_key) as file:
        stored = file.read()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    with pytest.raises(DecryptionError):
        decrypt(stored, other)


@pytest.mark.parametrize("cut", ["last segment", "header"])
def test_truncation_is_detected(private_key, cut):
    data = bytes(range(256)) * 100
    stored = encrypt_stream(
        io.BytesIO(data),
        public_key_pem=pem_public(private_key),
        key_sid="CR" + "0" * 32,
        chunk=4096,
    ).read()
    segment = 1 + 4 + 12 + 4096 + 16
    truncated = stored[: -(len(data) % 4096 + 33)] if cut == "last segment" else stored[:20]

    assert decrypt(stored, private_key) == data
    assert len(stored) > segment * (len(data) // 4096)
    with pytest.raises(DecryptionError):
        decrypt(truncated, private_key)


def test_encryption_streams_chunk_by_chunk(private_key):
    class Source(io.RawIOBase):
        """A 5 MiB source that records the largest read asked of it."""

        def __init__(self):
            self.left, self.largest = 5 * 1024 * 1024, 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.largest = max(self.largest, len(buffer))
            size = min(len(buffer), self.left)
            buffer[:size] = b"\x00" * size
            self.left -= size
            return size

    source = Source()
    stream = encrypt_stream(
        source, public_key_pem=pem_public(private_key), key_sid="CR" + "0" * 32, chunk=65536
    )
    out = io.BytesIO()
    while block := stream.read(100_000):
        out.write(block)

    assert source.largest <= 65536
    assert decrypt(out.getvalue(), private_key) == b"\x00" * (5 * 1024 * 1024)


def test_an_empty_file_round_trips(private_key):
    stored = encrypt_stream(
        io.BytesIO(b""), public_key_pem=pem_public(private_key), key_sid="CR" + "0" * 32
    ).read()
    assert decrypt(stored, private_key) == b""


def test_public_keys_must_be_rsa_of_2048_bits_or_more(account):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    for pem in ("not a key", pem_public(small)):
        with pytest.raises(InvalidSetting) as caught:
            public_key_create(account=account, public_key=pem)
        assert caught.value.field == "public_key"
    with pytest.raises(InvalidPublicKey):
        from recordings.media.encryption import load_public_key

        load_public_key("garbage")


def test_unencrypted_accounts_store_the_plain_file(account):
    recording = record(account, AUDIO)
    with get_media_store().open(recording.media_key) as file:
        assert file.read() == AUDIO
    assert recording.encryption_key is None
    assert recording.media_external_location is None


def test_load_private_key_refuses_garbage():
    with pytest.raises(DecryptionError):
        load_private_key(b"nope")


# --- external S3 storage ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("https://my-bucket.s3.amazonaws.com/my/path/", "my-bucket", "my/path/"),
        ("https://my-bucket.s3.eu-west-1.amazonaws.com/", "my-bucket", ""),
        ("https://s3.us-east-1.amazonaws.com/my-bucket/rec", "my-bucket", "rec/"),
        ("https://example-bucket/recordings", "example-bucket", "recordings/"),
    ],
)  # fmt: skip
def test_parse_s3_url(url, bucket, prefix):
    location = parse_s3_url(url)
    assert (location.bucket, location.prefix) == (bucket, prefix)


@pytest.fixture
def customer_bucket(s3_settings, settings):  # noqa: F811
    name = s3_settings.bucket + "-customer"
    s3_settings.client.create_bucket(Bucket=name)
    # Written with Roomvault's own credentials, which only an operator-allowed bucket takes.
    settings.EXTERNAL_S3_ALLOWED_BUCKETS = [name]
    return name


@pytest.mark.parametrize("encrypted", [False, True])
def test_external_storage_writes_to_the_account_bucket_and_media_redirects_there(
    account,
    api,
    s3_settings,  # noqa: F811
    customer_bucket,
    private_key,
    encrypted,
):
    url = f"{s3_settings.endpoint_url}/{customer_bucket}/customer/recordings/"
    recording_settings_update(account=account, aws_s3_url=url, aws_storage_enabled=True)
    if encrypted:
        key = public_key_create(account=account, public_key=pem_public(private_key))
        recording_settings_update(
            account=account, encryption_key_sid=key.sid, encryption_enabled=True
        )

    recording = record(account, AUDIO)

    object_key = f"customer/recordings/{account.sid}/{recording.room_id}/{recording.sid}.mka"
    assert recording.media_key == object_key
    assert recording.media_external_location == url + object_key.removeprefix(
        "customer/recordings/"
    )
    assert s3_settings.keys() == []  # nothing in Roomvault's own bucket
    stored = s3_settings.client.get_object(Bucket=customer_bucket, Key=object_key)["Body"].read()
    assert (decrypt(stored, private_key) if encrypted else stored) == AUDIO

    body = api.get(f"/v1/Recordings/{recording.sid}").json()
    assert body["media_external_location"] == recording.media_external_location
    assert body["encryption_key"] == (recording.encryption_key if encrypted else None)
    media = api.get(f"/v1/Recordings/{recording.sid}/Media")
    assert media.status_code == 302
    assert f"/{customer_bucket}/" in media["Location"]
    assert requests.get(media["Location"], timeout=10).content == stored


def test_deleting_an_external_recording_leaves_the_account_object(
    account,
    api,
    s3_settings,  # noqa: F811
    customer_bucket,
):
    url = f"{s3_settings.endpoint_url}/{customer_bucket}/"
    recording_settings_update(account=account, aws_s3_url=url, aws_storage_enabled=True)
    recording = record(account, AUDIO)

    assert api.delete(f"/v1/Recordings/{recording.sid}").status_code == 204

    listing = s3_settings.client.list_objects_v2(Bucket=customer_bucket)
    assert [item["Key"] for item in listing["Contents"]] == [recording.media_key]


def test_the_console_offers_no_player_for_an_encrypted_recording(
    account, encrypting_account, console_client
):
    recording = record(account, AUDIO)
    page = console_client("member").get(f"/recordings/{recording.sid}/").content.decode()
    assert 'id="encrypted"' in page
    assert encrypting_account.sid in page
    assert "<audio" not in page and "<video" not in page
    assert f"/recordings/{recording.sid}/media?download=1" in page
