"""A video-room recording plays in any browser from its rendition: VP8 and OPUS remuxed to WebM,
H.264 to MP4 (faststart), PCMU transcoded to OPUS in WebM. Fetched the way a player fetches it
(the details page, its playback link, the signed URL), and decoded with PyAV."""

import io
import logging
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import av
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from console.services import SYSTEM
from recordings.lifecycle.drift import media_drift_report
from recordings.media import demo
from recordings.media.probe import probe
from recordings.media.store import LocalMediaStore, get_media_store
from recordings.video import playback, services
from recordings.video.choices import Codec, RecordingStatus
from recordings.video.models import Recording
from recordings.video.services.settings import public_key_create
from tests.s3 import moto_endpoint, s3_settings  # noqa: F401 (fixtures)

SECONDS = 2.5
# codec → (the original, the rendition's muxer as PyAV names it, codec, media type)
CODECS = {
    Codec.VP8: (demo.vp8_mkv, "matroska,webm", "vp8", "video/webm"),
    Codec.H264: (demo.h264_mkv, "mov,mp4,m4a,3gp,3g2,mj2", "h264", "video/mp4"),
    Codec.OPUS: (demo.opus_mka, "matroska,webm", "opus", "audio/webm"),
    Codec.PCMU: (demo.pcmu_mka, "matroska,webm", "opus", "audio/webm"),
}
KIND = {Codec.VP8: "video", Codec.H264: "video", Codec.OPUS: "audio", Codec.PCMU: "audio"}


def record(account, codec: str, seconds: float = SECONDS) -> Recording:
    """Record one track of a record-on-connect room and ingest real media of ``codec``."""
    kind = KIND[codec]
    room = services.room_create(account=account, record_participants_on_connect=True)
    participant = services.participant_connect(room=room, identity="alice")
    track = services.track_publish(participant=participant, name=kind, kind=kind, codec=codec)
    services.track_unpublish(track=track)
    recording = Recording.objects.get(track=track)
    with tempfile.NamedTemporaryFile(suffix=".mk") as file:
        file.write(CODECS[codec][0](seconds))
        file.flush()
        return services.recording_media_ingest(recording=recording, path=Path(file.name))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def fetch_rendition(client, recording) -> tuple[bytes, str]:
    """Follow the player's link to its signed URL; return the bytes and their media type."""
    redirect = client.get(reverse("recordings:playback", args=[recording.sid]))
    assert redirect.status_code == 302, redirect
    assert redirect["Cache-Control"] == "private, no-store"
    served = client.get(urlsplit(redirect["Location"]).path)
    assert served.status_code == 200
    return body(served), served["Content-Type"]


def decoded(path: Path) -> tuple[str, str, float, int, list[bytes]]:
    """Return a file's muxer, codec, duration, frames (video) or samples (audio), and packets."""
    with av.open(str(path)) as container:
        stream = container.streams[0]
        packets = [bytes(p) for p in container.demux(stream) if p.size]
    with av.open(str(path)) as container:
        stream = container.streams[0]
        count = sum(getattr(frame, "samples", 1) for frame in container.decode(stream))
        return (
            container.format.name,
            stream.codec_context.name,
            container.duration / 1_000_000,
            count,
            packets,
        )


@pytest.mark.parametrize("codec", list(CODECS))
def test_each_codec_plays_from_a_rendition_that_decodes_like_the_original(
    account, console_client, tmp_path, codec
):
    recording = record(account, codec)
    _, muxer, codec_name, media_type = CODECS[codec]
    client = console_client("member")

    page = client.get(reverse("recordings:detail", args=[recording.sid])).content.decode()
    source = f'<source src="{reverse("recordings:playback", args=[recording.sid])}"'
    assert f'{source} type="{media_type}">' in page
    # The download is still the original Matroska file.
    assert f'href="{reverse("recordings:media", args=[recording.sid])}?download=1"' in page

    data, served_type = fetch_rendition(client, recording)
    assert served_type == media_type
    original, rendition = tmp_path / "original.mk", tmp_path / "rendition"
    original.write_bytes(get_media_store().open(recording.media_key).read())
    rendition.write_bytes(data)
    _, _, _, original_count, original_packets = decoded(original)
    format_name, name, duration, count, packets = decoded(rendition)

    assert (format_name, name) == (muxer, codec_name)
    assert duration == pytest.approx(probe(original).duration, abs=0.1)
    if codec == Codec.PCMU:
        # 8 kHz → 48 kHz: six samples for each, the last OPUS frame padded at most.
        assert 0 <= count - 6 * original_count < playback.OPUS_FRAME
        with av.open(str(rendition)) as container:
            assert container.streams.audio[0].sample_rate == 48_000
    else:
        assert count == original_count
        assert packets == original_packets  # copied, not transcoded
    if codec == Codec.H264:
        assert data.index(b"moov") < data.index(b"mdat")  # faststart: the index comes first


def test_the_rendition_is_made_when_the_recording_completes(
    account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = record(account, Codec.VP8)
    assert get_media_store().exists(playback.rendition_key(recording))


def test_a_player_asking_first_makes_it_and_a_racing_maker_changes_nothing(
    account, console_client, monkeypatch
):
    recording = record(account, Codec.OPUS)
    key = playback.rendition_key(recording)
    assert not get_media_store().exists(key)

    first, _ = fetch_rendition(console_client("member"), recording)
    assert get_media_store().open(key).read() == first

    # A second maker that looked before the first saved: the store refuses its save, quietly.
    monkeypatch.setattr(LocalMediaStore, "exists", lambda store, key: False)
    assert playback.rendition(recording) == key
    monkeypatch.undo()
    assert get_media_store().open(key).read() == first


def test_range_requests_are_served(account, console_client):
    recording = record(account, Codec.H264)
    client = console_client("member")
    whole, _ = fetch_rendition(client, recording)
    location = client.get(reverse("recordings:playback", args=[recording.sid]))["Location"]

    part = client.get(urlsplit(location).path, HTTP_RANGE="bytes=100-1123")

    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-1123/{len(whole)}"
    assert body(part) == whole[100:1124]


def test_deleting_the_recording_removes_the_rendition_from_our_store(
    account, console_client, django_capture_on_commit_callbacks
):
    recording = record(account, Codec.VP8)
    fetch_rendition(console_client("member"), recording)
    store, key = get_media_store(), playback.rendition_key(recording)
    assert store.exists(key)
    # The rendition is the recording's, not an orphan.
    assert media_drift_report(account=account)["orphaned_media_count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.recording_delete(recording=recording, actor=SYSTEM)

    assert not store.exists(key) and not store.exists(recording.media_key)
    assert list(store.keys(prefix=f"{account.sid}/")) == []


def test_a_recording_deleted_while_its_rendition_is_made_keeps_none(account):
    recording = record(account, Codec.PCMU)
    stale = Recording.objects.get(pk=recording.pk)  # as a maker read it, before the deletion
    services.recording_delete(recording=recording, actor=SYSTEM)
    services.recordings_media_delete(recording_sids=[recording.sid])
    # The maker copied the original before the media deletion removed it.
    get_media_store().save(
        recording.media_key, io.BytesIO(demo.pcmu_mka(1)), account_sid=account.sid
    )

    playback.rendition(stale)

    assert not get_media_store().exists(playback.rendition_key(recording))


def test_playback_url_is_none_for_what_cannot_be_played(account):
    recording = record(account, Codec.OPUS)
    url = playback.playback_url(recording, base_url="https://video.example.com")
    assert url.startswith("https://video.example.com/media/")
    recording.status = RecordingStatus.PROCESSING
    assert playback.playback_url(recording, base_url="https://video.example.com") is None


# -- who may fetch it --------------------------------------------------------------------------


def test_a_viewer_cannot_fetch_the_rendition(account, console_client):
    recording = record(account, Codec.VP8)
    client = console_client("viewer")
    assert client.get(reverse("recordings:playback", args=[recording.sid])).status_code == 403
    page = client.get(reverse("recordings:detail", args=[recording.sid])).content.decode()
    assert "<source" not in page and "/playback" not in page
    # Seeing the page made nothing for a role that cannot play it.
    assert not get_media_store().exists(playback.rendition_key(recording))


def test_another_account_cannot_fetch_the_rendition(account, other_account, console_client, client):
    recording = record(account, Codec.VP8)
    console_client("owner", in_account=other_account)
    assert client.get(reverse("recordings:playback", args=[recording.sid])).status_code == 404
    assert not get_media_store().exists(playback.rendition_key(recording))


def test_signed_out_the_player_link_asks_to_sign_in(account, client):
    recording = record(account, Codec.VP8)
    response = client.get(reverse("recordings:playback", args=[recording.sid]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- no rendition ------------------------------------------------------------------------------


def test_an_encrypted_recording_gets_no_rendition(
    account, console_client, django_capture_on_commit_callbacks
):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    public_key = public_key_create(account=account, public_key=pem)
    services.recording_settings_update(
        account=account, encryption_key_sid=public_key.sid, encryption_enabled=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        recording = record(account, Codec.VP8)
    client = console_client("member")

    page = client.get(reverse("recordings:detail", args=[recording.sid])).content.decode()
    assert 'id="encrypted"' in page and "decrypt_recording" in page
    assert "<source" not in page and "<video" not in page
    assert client.get(reverse("recordings:playback", args=[recording.sid])).status_code == 404
    assert not get_media_store().exists(playback.rendition_key(recording))
    assert playback.playback_url(recording, base_url="http://testserver") is None


def test_damaged_media_still_renders_the_page_says_why_and_offers_the_download(
    make_completed_recording, console_client, caplog
):
    # Stored without the upload's probe (as an import may): Matroska's magic, then noise.
    recording = make_completed_recording(track__kind="video")
    client = console_client("member")

    with caplog.at_level(logging.WARNING, logger="recordings.video.playback"):
        response = client.get(reverse("recordings:detail", args=[recording.sid]))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="no-playback"' in page and "damaged" in page and "<video" not in page
    assert f'href="{reverse("recordings:media", args=[recording.sid])}?download=1"' in page
    assert f"No playback rendition of {recording.sid}" in caplog.text
    assert client.get(reverse("recordings:playback", args=[recording.sid])).status_code == 404


# -- an account's own bucket -------------------------------------------------------------------


@pytest.fixture
def customer_bucket(s3_settings, settings):  # noqa: F811
    """The account's own bucket on the S3 server; Roomvault's own media stays local."""
    name = s3_settings.bucket + "-customer"
    s3_settings.client.create_bucket(Bucket=name)
    settings.EXTERNAL_S3_ALLOWED_BUCKETS = [name]
    settings.MEDIA_STORAGE = "local"
    get_media_store.cache_clear()
    return name


def test_an_external_recording_has_its_rendition_beside_it_in_the_account_bucket(
    account,
    console_client,
    s3_settings,  # noqa: F811
    customer_bucket,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    url = f"{s3_settings.endpoint_url}/{customer_bucket}/customer/"
    services.recording_settings_update(account=account, aws_s3_url=url, aws_storage_enabled=True)
    recording = record(account, Codec.H264)
    client = console_client("member")

    redirect = client.get(reverse("recordings:playback", args=[recording.sid]))

    assert redirect.status_code == 302
    assert redirect["Location"].startswith(f"{s3_settings.endpoint_url}/{customer_bucket}/")
    served = requests.get(redirect["Location"], timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "video/mp4"
    (tmp_path / "rendition.mp4").write_bytes(served.content)
    assert decoded(tmp_path / "rendition.mp4")[:2] == (CODECS[Codec.H264][1], "h264")
    key = f"customer/{account.sid}/{recording.room_id}/{recording.sid}.play.mp4"
    listing = s3_settings.client.list_objects_v2(Bucket=customer_bucket)["Contents"]
    assert sorted(item["Key"] for item in listing) == sorted([recording.media_key, key])
    assert list(get_media_store().keys(prefix=f"{account.sid}/")) == []

    # Roomvault never deletes from an account's bucket: both stay there.
    with django_capture_on_commit_callbacks(execute=True):
        services.recording_delete(recording=recording, actor=SYSTEM)
    listing = s3_settings.client.list_objects_v2(Bucket=customer_bucket)["Contents"]
    assert sorted(item["Key"] for item in listing) == sorted([recording.media_key, key])


def test_a_missing_original_is_said_on_the_page_not_a_500(account, console_client):
    recording = record(account, Codec.VP8)
    get_media_store().delete(recording.media_key, account_sid=account.sid)
    client = console_client("member")

    page = client.get(reverse("recordings:detail", args=[recording.sid]))

    assert page.status_code == 200
    assert "media file of this recording is missing" in page.content.decode()
    assert client.get(reverse("recordings:playback", args=[recording.sid])).status_code == 404
