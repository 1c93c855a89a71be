"""Signed media URLs: issued by /v1/…/Media, served whole or by Range by recordings.media.views."""

import io
import math
import os
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.test import Client

from console.services import SYSTEM
from recordings.media.keys import MediaKeyTaken
from recordings.media.store import LocalMediaStore, get_media_store
from recordings.media.views import parse_range
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.factories import RecordingFactory
from tests.helpers import assert_twilio_error

# Every byte value at a known offset, so a wrong slice cannot go unnoticed.
MEDIA = b"\x1aE\xdf\xa3" + bytes(range(256)) * 40 + b"THE END"
SIZE = len(MEDIA)


def body_of(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def rec(make_completed_recording):
    return make_completed_recording(media=MEDIA)


@pytest.fixture
def anonymous() -> Client:
    """Whoever holds a signed URL: no credentials at all."""
    return Client()


def signed_url(api, recording, *, room: bool = False, **params) -> str:
    prefix = f"/v1/Rooms/{recording.room_id}" if room else "/v1"
    response = api.get(f"{prefix}/Recordings/{recording.sid}/Media", params)
    assert response.status_code == 302, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"redirect_to": response["Location"]}
    return response["Location"]


# --- the redirect -----------------------------------------------------------------------------


@pytest.mark.parametrize("room", [False, True], ids=["top", "room"])
def test_media_answers_302_to_a_signed_url(api, rec, room):
    url = signed_url(api, rec, room=room)
    assert url.startswith("http://testserver/media/")
    assert rec.sid not in url  # the URL is opaque


def test_signed_url_uses_public_base_url(api, rec, settings, anonymous):
    settings.PUBLIC_BASE_URL = "https://video.example.com"
    url = signed_url(api, rec)
    assert url.startswith("https://video.example.com/media/")
    assert body_of(anonymous.get(path_of(url))) == MEDIA


def test_each_request_issues_a_fresh_url_with_its_own_headers(api, rec, anonymous):
    inline = signed_url(api, rec, ContentDisposition="inline")
    attachment = signed_url(api, rec)
    assert inline != attachment
    assert anonymous.get(path_of(inline))["Content-Disposition"] == "inline"
    assert anonymous.get(path_of(attachment))["Content-Disposition"].startswith("attachment")


# --- serving the whole file -------------------------------------------------------------------


@pytest.mark.parametrize("room", [False, True], ids=["top", "room"])
def test_full_download(api, rec, anonymous, room):
    response = anonymous.get(path_of(signed_url(api, rec, room=room)))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert body_of(response) == MEDIA
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "audio/x-matroska"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == f'attachment; filename="{rec.sid}.mka"'
    assert "Content-Range" not in response
    assert response["Cache-Control"] == "private, max-age=0"


def test_video_is_served_as_video_matroska(api, make_completed_recording, anonymous):
    video = make_completed_recording(media=MEDIA, track__kind="video")
    assert video.container_format == "mkv"
    response = anonymous.get(path_of(signed_url(api, video)))
    assert response.status_code == 200
    assert response["Content-Type"] == "video/x-matroska"
    assert response["Content-Disposition"] == f'attachment; filename="{video.sid}.mkv"'
    assert body_of(response) == MEDIA


@pytest.mark.parametrize(
    "disposition",
    ["inline", "INLINE", 'inline; filename="talk.mka"', 'attachment; filename="x y.mka"'],
)
def test_custom_content_disposition(api, rec, anonymous, disposition):
    response = anonymous.get(path_of(signed_url(api, rec, ContentDisposition=disposition)))
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition


def test_head_gives_headers_and_no_body(api, rec, anonymous):
    url = path_of(signed_url(api, rec))
    response = anonymous.head(url)
    assert response.status_code == 200
    assert body_of(response) == b""
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "audio/x-matroska"
    assert response["Accept-Ranges"] == "bytes"
    ranged = anonymous.head(url, HTTP_RANGE="bytes=10-19")
    assert ranged.status_code == 206
    assert ranged["Content-Range"] == f"bytes 10-19/{SIZE}"
    assert ranged["Content-Length"] == "10"
    assert body_of(ranged) == b""


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_media_url_is_read_only(api, rec, anonymous, method):
    url = path_of(signed_url(api, rec))
    assert getattr(anonymous, method)(url).status_code == 405
    assert get_media_store().exists(rec.media_key)


# --- ranges -----------------------------------------------------------------------------------

RANGES = [
    # (id, Range header, expected slice of MEDIA as (start, stop))
    ("first-byte", "bytes=0-0", (0, 1)),
    ("middle", "bytes=10-99", (10, 100)),
    ("open-end", "bytes=100-", (100, SIZE)),
    ("suffix-50", "bytes=-50", (SIZE - 50, SIZE)),
    ("last-byte", f"bytes={SIZE - 1}-", (SIZE - 1, SIZE)),
    ("end-clipped", "bytes=0-999999", (0, SIZE)),
    ("end-clipped-mid", f"bytes=5-{SIZE + 10}", (5, SIZE)),
    ("suffix-longer-than-file", "bytes=-999999", (0, SIZE)),
    ("whole-file-exact", f"bytes=0-{SIZE - 1}", (0, SIZE)),
    ("surrounding-space", "  bytes=1-2  ", (1, 3)),
]


@pytest.mark.parametrize(("header", "span"), [pytest.param(h, s, id=i) for i, h, s in RANGES])
def test_satisfiable_range_is_206(api, rec, anonymous, header, span):
    start, stop = span
    response = anonymous.get(path_of(signed_url(api, rec)), HTTP_RANGE=header)
    assert response.status_code == 206
    assert body_of(response) == MEDIA[start:stop]
    assert response["Content-Range"] == f"bytes {start}-{stop - 1}/{SIZE}"
    assert response["Content-Length"] == str(stop - start)
    assert response["Content-Type"] == "audio/x-matroska"
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "header",
    [f"bytes={SIZE}-", f"bytes={SIZE + 1000}-", "bytes=20000-20010", "bytes=-0"],
    ids=["start-at-size", "start-beyond", "both-beyond", "empty-suffix"],
)
def test_unsatisfiable_range_is_416(api, rec, anonymous, header):
    response = anonymous.get(path_of(signed_url(api, rec)), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=5-2",
        "bytes=-",
        "bytes=--5",
        "bytes 0-5",
        "items=0-5",
        "bytes=0x10-",
        "bytes=1.5-2",
        "",
        "bytes=0-1,5-6",
        "bytes=0-1, 5-6",
        "bytes=0-0,-1",
    ],
)
def test_malformed_or_multiple_ranges_serve_the_whole_file(api, rec, anonymous, header):
    response = anonymous.get(path_of(signed_url(api, rec)), HTTP_RANGE=header)
    assert response.status_code == 200
    assert body_of(response) == MEDIA
    assert "Content-Range" not in response


@pytest.mark.parametrize(
    "header",
    ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000],
    ids=["first", "last", "suffix"],
)
def test_huge_range_numbers_never_500(api, rec, header):
    client = Client(raise_request_exception=False)
    response = client.get(path_of(signed_url(api, rec)), HTTP_RANGE=header)
    assert response.status_code in (200, 206, 416)


# --- refusals ---------------------------------------------------------------------------------


def test_url_expires_after_its_ttl(api, rec, anonymous):
    issued = time.time()
    url = path_of(signed_url(api, rec, Ttl=60))
    with time_machine.travel(datetime.fromtimestamp(issued + 58, UTC), tick=False):
        assert anonymous.get(url).status_code == 200
    with time_machine.travel(datetime.fromtimestamp(issued + 62, UTC), tick=False):
        body = assert_twilio_error(anonymous.get(url), 403, 20403)
        assert "expired" in body["message"]
        assert anonymous.head(url).status_code == 403
        assert anonymous.get(url, HTTP_RANGE="bytes=0-0").status_code == 403


def test_default_ttl_is_600_seconds(api, rec, anonymous, settings):
    assert settings.MEDIA_URL_TTL_DEFAULT == 600
    issued = time.time()
    url = path_of(signed_url(api, rec))
    with time_machine.travel(datetime.fromtimestamp(issued + 595, UTC), tick=False):
        assert anonymous.get(url).status_code == 200
    with time_machine.travel(datetime.fromtimestamp(issued + 605, UTC), tick=False):
        assert_twilio_error(anonymous.get(url), 403, 20403)


def test_one_second_ttl(api, rec, anonymous):
    issued = time.time()
    url = path_of(signed_url(api, rec, Ttl=1))
    with time_machine.travel(datetime.fromtimestamp(issued + 3, UTC), tick=False):
        assert_twilio_error(anonymous.get(url), 403, 20403)


def _alter(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_url_altered_by_one_character_is_403(api, rec, anonymous):
    url = path_of(signed_url(api, rec))
    token = url.removeprefix("/media/")
    positions = {0, 1, len(token) // 3, len(token) // 2, token.index(":") + 1, len(token) - 1}
    positions.discard(token.index(":"))
    for index in sorted(positions):
        altered = "/media/" + _alter(token, index)
        assert altered != url
        assert_twilio_error(anonymous.get(altered), 403, 20403)
    assert_twilio_error(anonymous.get(url[:-3]), 403, 20403)  # truncated
    assert_twilio_error(anonymous.get("/media/garbage"), 403, 20403)
    assert_twilio_error(anonymous.get(url + "x"), 403, 20403)


def test_tokens_signed_for_something_else_are_403(api, rec, anonymous):
    payload = [rec.media_key, "audio/x-matroska", "inline", int(time.time()) + 600]
    page_token = signing.dumps(payload, salt="roomvault.api.page-token", compress=True)
    assert_twilio_error(anonymous.get(f"/media/{page_token}"), 403, 20403)
    unsalted = signing.dumps(payload, compress=True)
    assert_twilio_error(anonymous.get(f"/media/{unsalted}"), 403, 20403)


def test_file_deleted_from_store_after_signing_is_404(api, rec, anonymous):
    url = path_of(signed_url(api, rec))
    get_media_store().delete(rec.media_key, account_sid=rec.account_id)
    assert_twilio_error(anonymous.get(url), 404, 20404)
    assert_twilio_error(anonymous.get(url, HTTP_RANGE="bytes=0-0"), 404, 20404)


def test_url_stops_serving_once_the_recording_is_deleted(
    api, rec, anonymous, django_capture_on_commit_callbacks
):
    url = path_of(signed_url(api, rec))
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/v1/Recordings/{rec.sid}").status_code == 204
    assert not get_media_store().exists(rec.media_key)
    assert_twilio_error(anonymous.get(url), 404, 20404)


def _processing(account):
    return RecordingFactory(track__participant__room__account=account)


def _failed(account):
    return RecordingFactory(
        track__participant__room__account=account, status=RecordingStatus.FAILED
    )


def _deleted(account, make):
    recording = make(media=MEDIA)
    services.recording_delete(recording=recording, actor=SYSTEM)
    return Recording.objects.get(pk=recording.pk)


@pytest.mark.parametrize("state", ["processing", "failed", "deleted"])
@pytest.mark.parametrize("room", [False, True], ids=["top", "room"])
def test_media_of_recording_without_media_is_404(
    api, account, make_completed_recording, state, room
):
    recording = {
        "processing": lambda: _processing(account),
        "failed": lambda: _failed(account),
        "deleted": lambda: _deleted(account, make_completed_recording),
    }[state]()
    assert recording.status == state
    prefix = f"/v1/Rooms/{recording.room_id}" if room else "/v1"
    path = f"{prefix}/Recordings/{recording.sid}/Media"
    body = assert_twilio_error(api.get(path), 404, 20404)
    assert body["message"] == f"The requested resource {path.removeprefix('/v1')} was not found"
    assert_twilio_error(api.get(path, {"Ttl": "60", "ContentDisposition": "inline"}), 404, 20404)


def test_media_requires_credentials_but_the_signed_url_does_not(api, rec, anonymous):
    response = anonymous.get(f"/v1/Recordings/{rec.sid}/Media")
    assert_twilio_error(response, 401, 20003)
    assert anonymous.get(path_of(signed_url(api, rec))).status_code == 200


# --- streaming --------------------------------------------------------------------------------


def test_body_is_streamed_in_chunks(api, rec, anonymous, monkeypatch):
    monkeypatch.setattr("recordings.media.views.CHUNK_SIZE", 1000)
    response = anonymous.get(path_of(signed_url(api, rec)))
    assert response.streaming
    assert isinstance(response, StreamingHttpResponse)
    chunks = list(response.streaming_content)
    assert len(chunks) == math.ceil(SIZE / 1000)
    assert max(len(c) for c in chunks) <= 1000
    assert b"".join(chunks) == MEDIA


def test_range_reads_only_the_requested_bytes(api, rec, anonymous, monkeypatch):
    monkeypatch.setattr("recordings.media.views.CHUNK_SIZE", 64)
    reads = []
    real_open = LocalMediaStore.open

    def counting_open(self, key):
        stream = real_open(self, key)
        real_read = stream.read

        def read(n=-1):
            data = real_read(n)
            reads.append((n, len(data)))
            return data

        stream.read = read
        return stream

    monkeypatch.setattr(LocalMediaStore, "open", counting_open)
    response = anonymous.get(path_of(signed_url(api, rec)), HTTP_RANGE="bytes=1000-1199")
    assert body_of(response) == MEDIA[1000:1200]
    assert all(0 < n <= 64 for n, _ in reads)  # never a read of the whole file
    assert sum(got for _, got in reads) == 200


# --- parse_range ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, None),
        ("", 100, None),
        ("bytes=0-0", 100, (0, 0)),
        ("bytes=0-99", 100, (0, 99)),
        ("bytes=0-100", 100, (0, 99)),
        ("bytes=99-", 100, (99, 99)),
        ("bytes=100-", 100, False),
        ("bytes=100-200", 100, False),
        ("bytes=-1", 100, (99, 99)),
        ("bytes=-100", 100, (0, 99)),
        ("bytes=-101", 100, (0, 99)),
        ("bytes=-0", 100, False),
        ("bytes=5-4", 100, None),
        ("bytes=5-5", 100, (5, 5)),
        ("bytes=-", 100, None),
        ("bytes=0-1,3-4", 100, None),
        ("bytes=a-b", 100, None),
        ("bytes= 1-2", 100, None),
        ("Bytes=1-2", 100, None),
        ("bytes=1-2\n", 100, (1, 2)),
        ("bytes=0-0", 1, (0, 0)),
        ("bytes=-5", 1, (0, 0)),
        ("bytes=1-", 1, False),
        ("bytes=0-", 0, False),
        ("bytes=0-0", 0, False),
        ("bytes=" + "9" * 30 + "-", 100, False),
        ("bytes=0-" + "9" * 30, 100, (0, 99)),
    ],
)
def test_parse_range(header, size, expected):
    assert parse_range(header, size) == expected


def test_parse_range_suffix_of_empty_file_is_served_whole():
    assert parse_range("bytes=-5", 0) is None


@pytest.mark.parametrize(
    "header",
    ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000],
    ids=["first", "last", "suffix"],
)
def test_parse_range_with_huge_numbers_does_not_raise(header):
    assert parse_range(header, 100) in (None, False, (0, 99))


# --- LocalMediaStore --------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "root")


def leftovers(root) -> list[str]:
    return [p.name for p in root.rglob(".upload-*")]


AC = "AC" + "1" * 32
KEY = f"{AC}/RM1/RT1.mka"


def test_store_save_returns_size_and_round_trips(store):
    assert store.save(KEY, io.BytesIO(MEDIA), account_sid=AC) == SIZE
    assert store.exists(KEY)
    assert store.size(KEY) == SIZE
    with store.open(KEY) as f:
        assert f.read() == MEDIA
    # Create-only: a second save under the key replaces nothing.
    with pytest.raises(MediaKeyTaken):
        store.save(KEY, io.BytesIO(b"short"), account_sid=AC)
    with store.open(KEY) as f:
        assert f.read() == MEDIA
    assert store.save(f"{AC}/empty.mka", io.BytesIO(b""), account_sid=AC) == 0
    assert leftovers(store.root) == []


class _Stream(io.RawIOBase):
    """Hands out some bytes, runs a check mid-copy, then optionally fails."""

    def __init__(self, data: bytes, *, during=None, fail: bool = False):
        self.data, self.during, self.fail, self.calls = data, during, fail, 0

    def readable(self):
        return True

    def read(self, n=-1):
        self.calls += 1
        if self.calls == 1:
            return self.data
        if self.during:
            self.during()
        if self.fail:
            raise OSError("connection reset")
        return b""


def test_store_save_is_atomic(store):
    seen = []
    store.save(KEY, _Stream(b"new", during=lambda: seen.append(store.exists(KEY))), account_sid=AC)
    assert seen == [False]  # mid-copy, no reader can see a half-written file
    with store.open(KEY) as f:
        assert f.read() == b"new"


def test_store_save_that_fails_keeps_the_old_file_and_no_temp_file(store):
    store.save(KEY, io.BytesIO(b"old content"), account_sid=AC)
    with pytest.raises(OSError, match="connection reset"):
        store.save(KEY, _Stream(b"partial new content", fail=True), account_sid=AC)
    with store.open(KEY) as f:
        assert f.read() == b"old content"
    assert leftovers(store.root) == []
    never = f"{AC}/RM1/never.mka"
    with pytest.raises(OSError):
        store.save(never, _Stream(b"partial", fail=True), account_sid=AC)
    assert not store.exists(never)
    assert leftovers(store.root) == []


def test_store_delete_is_idempotent(store):
    store.save(KEY, io.BytesIO(b"x"), account_sid=AC)
    store.delete(KEY, account_sid=AC)
    assert not store.exists(KEY)
    store.delete(KEY, account_sid=AC)
    store.delete(f"{AC}/never/existed.mka", account_sid=AC)
    assert not store.exists(KEY)


@pytest.mark.parametrize(
    "key",
    [
        "../outside.mka",
        f"{AC}/../../outside.mka",
        f"{AC}/RM1/../../../outside.mka",
        "../root-evil/x.mka",  # a sibling whose name starts with the root's name
        "/etc/passwd",
        "/tmp/outside.mka",
        "..",
        f"{AC}/RM1/../RM2/RT1.mka",  # even a key that would stay inside is not a plain key
    ],
)
def test_store_keys_cannot_escape_the_root(store, key, tmp_path):
    store.root.mkdir(parents=True)
    (tmp_path / "outside.mka").write_bytes(b"secret")
    for call in (
        lambda: store.save(key, io.BytesIO(b"x"), account_sid=AC),
        lambda: store.open(key),
        lambda: store.size(key),
        lambda: store.exists(key),
        lambda: store.delete(key, account_sid=AC),
    ):
        with pytest.raises(ValueError, match="media key"):
            call()
    assert (tmp_path / "outside.mka").read_bytes() == b"secret"
    assert not (tmp_path / "root-evil").exists()
    assert not (store.root / AC / "RM2").exists()


def test_store_symlink_out_of_the_root_is_refused(store, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f.mka").write_bytes(b"secret")
    (store.root / AC).mkdir(parents=True)
    os.symlink(outside, store.root / AC / "link")
    with pytest.raises(ValueError):
        store.open(f"{AC}/link/f.mka")
    with pytest.raises(ValueError):
        store.save(f"{AC}/link/g.mka", io.BytesIO(b"x"), account_sid=AC)
    assert not (outside / "g.mka").exists()


def test_get_media_store_follows_settings(settings):
    store = get_media_store()
    assert isinstance(store, LocalMediaStore)
    assert store.root == settings.MEDIA_ROOT
    assert get_media_store() is store
    settings.MEDIA_STORAGE = "ftp"
    get_media_store.cache_clear()
    with pytest.raises(ImproperlyConfigured):
        get_media_store()
