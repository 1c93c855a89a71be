"""The harness of the import tests: the seeded source Roomvault answers the official client with
recordings in every status and real media, and the faulty proxy forwards and misbehaves on demand.
"""

import http.client
import io
import json
import math
import wave
from collections import Counter
from urllib.parse import urlsplit

import av
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def twilio_client(source, base_url: str | None = None) -> Client:
    """Return the official client for the source's account, at the source or another URL."""
    client = Client(source.account_sid, source.auth_token, http_client=TwilioHttpClient(False))
    client.video.base_url = client.api.base_url = base_url or source.base_url
    return client


def media_path(source, sid: str) -> str:
    """Return the API path that redirects to a recording's media (video /Media, voice .wav)."""
    return source.voice_path(sid, "wav") if sid.startswith("RE") else f"/v1/Recordings/{sid}/Media"


def signed_url(source, proxy, sid: str) -> str:
    """Return the signed media URL the proxy redirects to for a recording."""
    redirect = requests.get(
        proxy.base_url + media_path(source, sid),
        auth=(source.account_sid, source.auth_token),
        allow_redirects=False,
        timeout=30,
    )
    assert redirect.status_code == 302, redirect.text
    return redirect.headers["Location"]


@pytest.fixture(scope="module")
def inventory(source_server):
    """The source's recordings, rooms and participants, read once for this module."""
    return source_server.inventory()


@pytest.fixture(scope="module")
def completed_video(inventory) -> dict:
    """A completed video (VP8) recording of the source, as its API describes it."""
    return next(
        r
        for r in inventory.recordings.values()
        if r["status"] == "completed" and r["type"] == "video"
    )


def test_the_official_client_reads_the_source(source_server, inventory):
    seed = source_server.seed
    client = twilio_client(source_server)

    listed = {r.sid for r in client.video.v1.recordings.list(page_size=4)}
    assert listed == set(inventory.recordings) - inventory.sids("deleted")
    deleted = {r.sid for r in client.video.v1.recordings.list(status="deleted")}
    assert deleted == inventory.sids("deleted")
    room = client.video.v1.rooms(seed.rooms["open"]).fetch()
    assert (room.sid, room.status) == (seed.rooms["open"], "in-progress")
    participant_sid, participant = next(iter(inventory.participants.items()))
    fetched = client.video.v1.rooms(participant["room_sid"]).participants(participant_sid).fetch()
    assert fetched.identity == participant["identity"]
    voice = {r.sid for r in client.recordings.list(include_soft_deleted=True, page_size=2)}
    assert voice == set(inventory.voice_recordings)
    assert {r.sid for r in client.recordings.list()} == inventory.voice_sids("completed")


def test_the_inventory_has_recordings_in_every_status(source_server, inventory):
    seed = source_server.seed

    statuses = Counter(r["status"] for r in inventory.recordings.values())
    assert statuses == {"completed": 9, "deleted": 2, "processing": 3, "failed": 1}
    assert inventory.sids("deleted") == set(seed.deleted)
    assert inventory.sids("failed") == set(seed.failed)
    rooms_of = {status: set() for status in statuses}
    for recording in inventory.recordings.values():
        rooms_of[recording["status"]].add(recording["grouping_sids"]["room_sid"])
    assert rooms_of["processing"] == rooms_of["failed"] == {seed.rooms["open"]}
    assert set(inventory.rooms) == set(seed.rooms.values())
    assert inventory.rooms[seed.rooms["audio_only"]]["audio_only"] is True
    assert "screen" in {r["track_name"] for r in inventory.recordings.values()}
    assert len(inventory.participants) == 8
    voice = Counter(r["status"] for r in inventory.voice_recordings.values())
    assert voice == {"completed": 3, "deleted": 1}
    assert inventory.voice_sids("deleted") == set(seed.voice_deleted)
    assert inventory.voice_recordings[seed.calls["dual"]]["channels"] == 2


def test_deleted_media_is_gone_from_the_source_and_voice_renditions_were_made(
    source_server, inventory
):
    account = source_server.media_root / source_server.account_sid
    for sid, recording in inventory.recordings.items():
        file = (
            account
            / recording["grouping_sids"]["room_sid"]
            / f"{sid}.{recording['container_format']}"
        )
        if recording["status"] == "completed":
            assert file.stat().st_size == recording["size"]
        else:
            assert not file.exists(), recording["status"]
    for sid in inventory.sids("deleted"):
        assert source_server.api("GET", f"/v1/Recordings/{sid}/Media").status_code == 404
    for sid, recording in inventory.voice_recordings.items():
        files = {path.name for path in (account / "voice").glob(f"{sid}*")}
        if recording["status"] == "deleted":
            assert files == set()
        elif recording["channels"] == 2:
            assert files == {f"{sid}.wav", f"{sid}.1ch.wav", f"{sid}.1ch.mp3", f"{sid}.2ch.mp3"}
        else:
            assert files == {f"{sid}.wav", f"{sid}.1ch.mp3"}


def test_media_bytes_are_real_matroska_and_wav(source_server, inventory):
    for sid in inventory.sids("completed"):
        recording = inventory.recordings[sid]
        data = source_server.media_bytes(sid)
        assert data.startswith(EBML_MAGIC)
        assert len(data) == recording["size"]
        with av.open(io.BytesIO(data)) as container:
            assert container.streams[0].codec_context.name == recording["codec"].lower()
    for sid in inventory.voice_sids("completed"):
        with wave.open(io.BytesIO(source_server.media_bytes(sid))) as audio:
            assert audio.getnchannels() == inventory.voice_recordings[sid]["channels"]
            seconds = audio.getnframes() / audio.getframerate()
        assert seconds == pytest.approx(int(inventory.voice_recordings[sid]["duration"]), abs=1)
    with pytest.raises(LookupError):
        source_server.media_bytes(next(iter(inventory.sids("processing"))))


def test_the_proxy_forwards_method_path_query_headers_and_body(
    source_server, faulty_proxy, inventory
):
    auth = (source_server.account_sid, source_server.auth_token)
    processing = next(iter(inventory.sids("processing")))
    # Requests the source refuses, so that it stays as it was: a 409 (still processing) shows the
    # method arrived, a 400 quoting the posted value the body, a 401 the missing Authorization.
    asks = [
        ("GET", "/v1/Recordings?Status=failed", auth, None),
        ("GET", "/v1/Recordings?Status=failed", None, None),
        ("DELETE", f"/v1/Recordings/{processing}", auth, None),
        ("POST", f"/v1/Rooms/{source_server.seed.rooms['open']}", auth, {"Status": "ended"}),
    ]
    for method, path, credentials, data in asks:
        direct, proxied = (
            requests.request(method, origin + path, auth=credentials, data=data, timeout=30)
            for origin in (source_server.base_url, faulty_proxy.base_url)
        )
        assert proxied.status_code == direct.status_code
        assert proxied.json() == json.loads(
            direct.text.replace(source_server.base_url, faulty_proxy.base_url)
        )

    assert [(e.method, e.path, e.status) for e in faulty_proxy.exchanges] == [
        (method, path, status)
        for (method, path, _, _), status in zip(asks, [200, 401, 409, 400], strict=True)
    ]
    assert '"ended"' in proxied.json()["message"]  # the last ask's, the POST's
    assert faulty_proxy.faults == {}


def test_the_proxy_leads_page_links_and_media_redirects_back_through_itself(
    source_server, faulty_proxy, inventory, completed_video
):
    client = twilio_client(source_server, faulty_proxy.base_url)

    listed = {r.sid for r in client.video.v1.recordings.list(page_size=4)}
    assert listed == set(inventory.recordings) - inventory.sids("deleted")
    pages = [e.path for e in faulty_proxy.exchanges if e.path.startswith("/v1/Recordings?")]
    assert len(pages) == math.ceil(len(listed) / 4)
    for sid in (completed_video["sid"], source_server.seed.calls["dual"]):
        location = signed_url(source_server, faulty_proxy, sid)
        assert location.startswith(faulty_proxy.base_url + "/media/")
        assert requests.get(location, timeout=30).content == source_server.media_bytes(sid)
        assert faulty_proxy.exchanges[-1].path == location.removeprefix(faulty_proxy.base_url)


def test_the_proxy_throttles_with_retry_after(source_server, faulty_proxy, completed_video):
    client = twilio_client(source_server, faulty_proxy.base_url)
    url = faulty_proxy.base_url + "/v1/Recordings"
    auth = (source_server.account_sid, source_server.auth_token)
    faulty_proxy.throttle(2)

    with pytest.raises(TwilioRestException) as raised:
        client.video.v1.recordings(completed_video["sid"]).fetch()
    throttled = requests.get(url, auth=auth, timeout=30)
    assert requests.get(url, auth=auth, timeout=30).status_code == 200

    assert raised.value.status == 429
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "1")
    assert throttled.json()["code"] == 20429
    assert [e.status for e in faulty_proxy.exchanges] == [429, 429, 200]
    assert faulty_proxy.faults == {429: 2}


def test_the_proxy_fails_the_requests_it_is_told_to(source_server, faulty_proxy, completed_video):
    auth = (source_server.account_sid, source_server.auth_token)
    media = faulty_proxy.base_url + media_path(source_server, completed_video["sid"])
    faulty_proxy.fail(2, path=r"/Media$")

    listed = requests.get(faulty_proxy.base_url + "/v1/Recordings", auth=auth, timeout=30)
    failed = [requests.get(media, auth=auth, timeout=30) for _ in range(2)]
    served = requests.get(media, auth=auth, timeout=30)

    assert listed.status_code == 200
    assert [r.status_code for r in failed] == [500, 500]
    assert failed[0].json()["code"] == 20500
    assert served.content == source_server.media_bytes(completed_video["sid"])
    assert faulty_proxy.faults == {500: 2}
    assert faulty_proxy.request_count == 5  # the list, two failures, the redirect, the media


@pytest.mark.parametrize("kind", ["video", "voice"])
def test_the_proxy_cuts_media_short_of_the_length_it_announces(
    source_server, faulty_proxy, completed_video, kind
):
    sid = completed_video["sid"] if kind == "video" else source_server.seed.calls["mono"]
    whole = source_server.media_bytes(sid)
    faulty_proxy.truncate_media(2, mode="short-read", keep=0.25)

    location = urlsplit(signed_url(source_server, faulty_proxy, sid))
    connection = http.client.HTTPConnection(location.netloc, timeout=30)
    connection.request("GET", location.path)
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead) as raised:
        response.read()
    connection.close()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(location.geturl(), timeout=30)

    assert int(response.headers["Content-Length"]) == len(whole)
    assert raised.value.partial == whole[: len(whole) // 4]
    assert requests.get(location.geturl(), timeout=30).content == whole
    assert faulty_proxy.faults == {"short-read": 2}


def test_the_proxy_serves_media_shorter_but_consistent(
    source_server, faulty_proxy, completed_video
):
    sid = completed_video["sid"]
    whole = source_server.media_bytes(sid)
    faulty_proxy.truncate_media(1, mode="short-body")

    location = signed_url(source_server, faulty_proxy, sid)
    short = requests.get(location, timeout=30)

    assert short.status_code == 200
    assert short.content == whole[: len(whole) // 2]
    assert int(short.headers["Content-Length"]) == len(short.content)
    assert requests.get(location, timeout=30).content == whole
    assert faulty_proxy.faults == {"short-body": 1}
