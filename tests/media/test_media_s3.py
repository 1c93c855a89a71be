"""The S3 media store against a real S3-compatible server (moto in server mode, over HTTP)."""

import io
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.core.exceptions import ImproperlyConfigured

from recordings.media.s3 import S3MediaStore, s3_client
from recordings.media.store import MediaStoreUnavailable, get_media_store
from recordings.video.models import Recording
from tests.s3 import free_port, moto_endpoint, s3_settings  # noqa: F401 (fixtures)

MiB = 1024 * 1024
# Every byte value at a known offset, so a wrong slice cannot go unnoticed.
MEDIA = b"\x1aE\xdf\xa3" + bytes(range(256)) * 40 + b"THE END"
ACCOUNT = "AC" + "a" * 32
KEY = f"{ACCOUNT}/RM{'b' * 32}/RT{'c' * 32}.mka"


@pytest.fixture
def store(s3_settings) -> S3MediaStore:  # noqa: F811
    store = get_media_store()
    assert isinstance(store, S3MediaStore)
    return store


def presign(store, *, ttl=60, key=KEY, content_type="audio/x-matroska", disposition=None):
    return store.url(
        key=key,
        sid="RT1",
        ttl=ttl,
        content_type=content_type,
        disposition=disposition or 'attachment; filename="RT1.mka"',
        base_url="http://ignored.example",
    )


def test_save_exists_size_open_delete_round_trip(store, s3_settings):  # noqa: F811
    assert not store.exists(KEY)
    assert store.save(KEY, io.BytesIO(MEDIA), account_sid=ACCOUNT) == len(MEDIA)
    assert s3_settings.keys() == [KEY]
    assert store.exists(KEY)
    assert store.size(KEY) == len(MEDIA)
    with store.open(KEY) as stream:
        assert stream.read() == MEDIA
    with store.open(KEY) as stream:  # seeking reopens at that byte, as Range serving needs
        stream.seek(10)
        assert stream.read(90) == MEDIA[10:100]
        stream.seek(-7, io.SEEK_END)
        assert stream.read() == b"THE END"
    store.delete(KEY, account_sid=ACCOUNT)
    assert not store.exists(KEY)
    assert s3_settings.keys() == []
    store.delete(KEY, account_sid=ACCOUNT)  # already gone is success
    with pytest.raises(FileNotFoundError):
        store.size(KEY)
    with pytest.raises(FileNotFoundError):
        store.open(KEY)


def test_delete_many_leaves_another_accounts_object_alone(store, s3_settings):  # noqa: F811
    other = "AC" + "d" * 32
    foreign = f"{other}/RM{'b' * 32}/RT{'e' * 32}.mka"
    store.save(foreign, io.BytesIO(MEDIA), account_sid=other)
    store.delete_many([foreign, f"{ACCOUNT}/../{foreign}"], account_sid=ACCOUNT)
    assert s3_settings.keys() == [foreign]


def test_delete_many_removes_thousands_in_batches_and_tolerates_gone_ones(
    store,
    s3_settings,  # noqa: F811
    monkeypatch,
):
    keys = [f"{ACCOUNT}/RM{'b' * 32}/RT{n:032x}.mka" for n in range(1500)]
    for key in keys[:3] + keys[-3:]:
        store.save(key, io.BytesIO(MEDIA), account_sid=ACCOUNT)
    requests_made = []
    monkeypatch.setattr(store, "_call", lambda *a, **kw: requests_made.append(a) or {})
    store.delete_many(keys, account_sid=ACCOUNT)
    assert requests_made == [("delete_objects",), ("delete_objects",)]
    monkeypatch.undo()
    store.delete_many(keys, account_sid=ACCOUNT)  # most were never there: not an error
    assert s3_settings.keys() == []


def test_large_file_goes_up_in_parts_and_round_trips(store, s3_settings, settings):  # noqa: F811
    settings.S3_MULTIPART_CHUNK = 5 * MiB  # S3's minimum part size
    data = bytes(range(256)) * (11 * MiB // 256) + b"tail"

    class NotSeekable(io.RawIOBase):  # an upload body: read() only, like a request stream
        def __init__(self, raw: bytes):
            self._inner = io.BytesIO(raw)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self._inner.readinto(buffer)

    assert store.save(KEY, io.BufferedReader(NotSeekable(data)), account_sid=ACCOUNT) == len(data)
    head = s3_settings.client.head_object(Bucket=s3_settings.bucket, Key=KEY)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    assert head["ContentLength"] == len(data)
    body = s3_settings.client.get_object(Bucket=s3_settings.bucket, Key=KEY)["Body"].read()
    assert body == data


def test_presigned_url_serves_bytes_headers_and_ranges_over_http(store, s3_settings):  # noqa: F811
    store.save(KEY, io.BytesIO(MEDIA), account_sid=ACCOUNT)
    disposition = 'inline; filename="RT1.mka"'
    url = presign(store, disposition=disposition)
    assert url.startswith(f"{s3_settings.endpoint_url}/{s3_settings.bucket}/")  # path style
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["60"]

    whole = requests.get(url, timeout=10)
    assert whole.status_code == 200
    assert whole.content == MEDIA
    assert whole.headers["Content-Type"] == "audio/x-matroska"
    assert whole.headers["Content-Disposition"] == disposition

    part = requests.get(url, headers={"Range": "bytes=10-99"}, timeout=10)
    assert part.status_code == 206
    assert part.content == MEDIA[10:100]
    assert part.headers["Content-Range"] == f"bytes 10-99/{len(MEDIA)}"


def test_presigning_is_deterministic_so_a_tampered_url_cannot_match(store):
    """moto does not verify presigned signatures or expiry (see the xfail below), so check the
    signature here: the same request signed at the same instant gives the same URL, and an
    altered parameter or ttl yields a different signature."""
    with time_machine.travel(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), tick=False):
        url = presign(store, ttl=1)
        assert presign(store, ttl=1) == url
        other = presign(store, ttl=1, content_type="text/html")
        longer = presign(store, ttl=3600)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Date"] == ["20250102T030405Z"]
    assert query["X-Amz-Expires"] == ["1"]
    signature = query["X-Amz-Signature"][0]
    assert parse_qs(urlsplit(other).query)["X-Amz-Signature"][0] != signature
    assert parse_qs(urlsplit(longer).query)["X-Amz-Signature"][0] != signature


@pytest.mark.xfail(
    strict=True, reason="moto serves presigned URLs without checking signature or expiry"
)
def test_expired_or_tampered_url_is_refused_by_the_server(store):
    store.save(KEY, io.BytesIO(MEDIA), account_sid=ACCOUNT)
    url = presign(store, ttl=1)
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert requests.get(tampered, timeout=10).status_code == 403
    time.sleep(2.1)
    assert requests.get(url, timeout=10).status_code == 403


def test_api_media_redirects_to_s3_and_delete_removes_the_object(
    s3_settings,  # noqa: F811
    api,
    make_completed_recording,
    django_capture_on_commit_callbacks,
):
    recording = make_completed_recording(media=MEDIA)
    assert s3_settings.keys() == [recording.media_key]

    response = api.get(f"/v1/Recordings/{recording.sid}/Media", {"Ttl": "120"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_settings.endpoint_url}/{s3_settings.bucket}/")
    assert response.json() == {"redirect_to": location}
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == MEDIA
    assert fetched.headers["Content-Disposition"] == (
        f'attachment; filename="{recording.sid}.{recording.container_format}"'
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/v1/Recordings/{recording.sid}").status_code == 204
    assert s3_settings.keys() == []  # the deletion task ran (eager Celery)
    # S3 answers 403 for a missing key unless the signer may list the bucket; moto does too.
    assert requests.get(location, timeout=10).status_code in (403, 404)
    assert Recording.objects.get(pk=recording.pk).media_key == ""


@pytest.fixture
def unreachable(s3_settings, settings):  # noqa: F811
    """The endpoint is a port nobody listens on."""
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    get_media_store.cache_clear()
    return get_media_store()


@pytest.mark.parametrize(
    "operation",
    [
        lambda store: store.save(KEY, io.BytesIO(MEDIA), account_sid=ACCOUNT),
        lambda store: store.open(KEY),
        lambda store: store.size(KEY),
        lambda store: store.exists(KEY),
        lambda store: store.delete(KEY, account_sid=ACCOUNT),
    ],
    ids=["save", "open", "size", "exists", "delete"],
)
def test_unreachable_store_raises_media_store_unavailable(unreachable, operation):
    with pytest.raises(MediaStoreUnavailable):
        operation(unreachable)


def test_presigning_needs_no_network(unreachable):
    assert presign(unreachable).startswith(unreachable.client.meta.endpoint_url)


def test_one_client_per_process(store, settings):
    assert (
        store.client
        is get_media_store().client
        is s3_client(
            settings.AWS_S3_ENDPOINT_URL,
            settings.AWS_S3_REGION_NAME,
            settings.AWS_ACCESS_KEY_ID,
            settings.AWS_SECRET_ACCESS_KEY,
        )
    )


def test_s3_without_a_bucket_is_improperly_configured(settings):
    settings.MEDIA_STORAGE = "s3"
    settings.AWS_STORAGE_BUCKET_NAME = ""
    get_media_store.cache_clear()
    with pytest.raises(ImproperlyConfigured):
        get_media_store()
