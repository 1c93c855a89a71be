"""The room page's player: which recordings it plays, where each starts on its timeline, why the
others are left out, and who gets it (its media URLs are permissions). Through the page itself;
the playing is tests/browser/test_room_player.py's."""

import re

import pytest
from django.urls import reverse

from recordings.devtools.simulator import simulate_room
from recordings.media.keys import media_key
from recordings.media.store import get_media_store
from recordings.video import playback, services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from recordings.video.timeline import start_seconds
from recordings.video.views import rooms as rooms_views
from tests.factories import RecordingFactory, TrackFactory
from tests.video.test_pages_rooms import DETAIL_QUERIES

SIGNED_MEDIA = re.compile(r"/media/[^\"'\s]+")


def page_of(client, room):
    response = client.get(reverse("rooms:detail", args=[room.sid]))
    assert response.status_code == 200
    return response


def player_tracks(response) -> dict[str, rooms_views.PlayerTrack]:
    return {t.recording.track_name: t for t in response.context["player_video"]} | {
        t.recording.track_name: t for t in response.context["player_audio"]
    }


@pytest.fixture
def finished(account):
    """An ended room where alice and bob were recorded for 2 s each."""
    room, _ = simulate_room(account=account, identities=["alice", "bob"], seconds=2)
    return room


def test_a_later_recording_starts_later_on_a_timeline_spanning_the_recordings(
    console_client, account
):
    room, recordings = simulate_room(
        account=account, identities=["alice", "bob"], seconds=2, joins_after={"bob": 1.0}
    )
    response = page_of(console_client("member"), room)

    tracks = player_tracks(response)
    assert set(tracks) == {"alice-audio", "alice-cam", "bob-audio", "bob-cam"}
    assert [t.recording.type for t in response.context["player_video"]] == ["video", "video"]
    first = min(start_seconds(r) for r in recordings)
    for r in recordings:
        assert tracks[r.track_name].start == pytest.approx(start_seconds(r) - first)
        assert tracks[r.track_name].duration == 2
    assert tracks["alice-cam"].start < 0.2
    assert 1.0 <= tracks["bob-cam"].start < 1.4
    # From the first recording's start to the last one's end, whatever the room's offset.
    span = max(r.date_created.timestamp() + r.duration for r in recordings) - min(
        r.date_created.timestamp() for r in recordings
    )
    assert response.context["player_total"] == pytest.approx(span, abs=0.002)
    assert response.context["player_identities"] == ["alice", "bob"]
    assert response.context["player_left_out"] == []

    html = response.content.decode()
    assert 'aria-label="Position in the room"' not in html  # labelled by its <label>
    assert '<label for="player-seek"' in html
    assert f'data-start="{tracks["bob-cam"].start:.3f}"' in html
    assert len(SIGNED_MEDIA.findall(html)) == 4
    assert 'aria-pressed="false" data-solo="bob"' in html


def test_the_signed_urls_serve_each_recordings_media(console_client, finished):
    response = page_of(console_client("member"), finished)
    client = console_client("member")
    for track in player_tracks(response).values():
        media = client.get(SIGNED_MEDIA.search(track.url).group(0), HTTP_RANGE="bytes=0-3")
        assert media.status_code == 206
        assert b"".join(media.streaming_content) == b"\x1aE\xdf\xa3"  # WebM's EBML header
        assert media["Content-Type"] in {"audio/webm", "video/webm"}


def test_recordings_without_plain_media_are_left_out_and_counted_by_why(
    console_client, finished, monkeypatch
):
    alice = finished.participants.get(identity="alice")
    track = TrackFactory(participant=alice)
    RecordingFactory(track=track, status=RecordingStatus.PROCESSING)
    RecordingFactory(track=track, status=RecordingStatus.FAILED)
    RecordingFactory(track=track, status=RecordingStatus.DELETED)
    RecordingFactory(track=track, status=RecordingStatus.COMPLETED, media_key="")
    RecordingFactory.create_batch(
        2, track=track, status=RecordingStatus.COMPLETED, media_key="x.mka", encryption_key="CR1"
    )

    response = page_of(console_client("member"), finished)

    assert len(player_tracks(response)) == 4
    assert response.content.decode().count("/media/") == 4
    assert response.context["player_left_out_count"] == 6
    assert (
        "6 recordings of this room are not in the player: 1 still being recorded or processed; "
        "1 failed; 1 deleted; 2 encrypted with the account&#x27;s public key; "
        "1 completed without a media file." in response.content.decode()
    )


def test_recordings_the_browser_cannot_play_and_past_the_limit_are_left_out(
    console_client, finished, monkeypatch
):
    # What the rendition's URL answers for a recording whose media could not be made into one.
    monkeypatch.setattr(
        rooms_views,
        "playback_url",
        lambda recording, *, base_url, ttl: None if recording.type == "audio" else "/x.webm",
    )
    monkeypatch.setattr(rooms_views, "PLAYER_TRACKS_MAX", 3)
    response = page_of(console_client("member"), finished)

    oldest = Recording.objects.filter(room=finished).order_by("date_created", "sid")[:3]
    assert set(player_tracks(response)) == {r.track_name for r in oldest if r.type == "video"}
    unplayable = sum(r.type == "audio" for r in oldest)
    assert response.context["player_left_out"] == [
        f"{unplayable} whose media could not be prepared for a browser",
        "1 beyond the 3 tracks the player plays together",
    ]


def test_a_live_room_plays_the_recordings_already_completed(
    console_client, account, django_capture_on_commit_callbacks
):
    room, _ = simulate_room(account=account, identities=["alice", "bob"], seconds=1, keep_open=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_disconnect(participant=room.participants.get(identity="alice"))

    response = page_of(console_client("member"), room)

    assert set(player_tracks(response)) == {"alice-audio", "alice-cam"}
    assert response.context["player_left_out"] == ["2 still being recorded or processed"]


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
def test_roles_that_may_play_get_the_player(console_client, finished, role):
    html = page_of(console_client(role), finished).content.decode()
    assert "data-room-player" in html
    assert len(SIGNED_MEDIA.findall(html)) == 4


def test_a_viewer_gets_no_player_and_no_media_url(console_client, finished):
    response = page_of(console_client("viewer"), finished)
    html = response.content.decode()
    assert "data-room-player" not in html
    assert "room-player.js" not in html
    assert "/media/" not in html
    assert "player_video" not in response.context


def test_another_accounts_room_is_not_found(console_client, other_account):
    theirs, _ = simulate_room(account=other_account, identities=["mallory"], seconds=1)
    client = console_client("owner")
    response = client.get(reverse("rooms:detail", args=[theirs.sid]))
    assert response.status_code == 404
    assert "/media/" not in response.content.decode()


def test_the_players_queries_do_not_grow_with_its_tracks(
    console_client, finished, django_assert_num_queries
):
    client = console_client("member")
    page_of(client, finished)  # the first player makes the renditions the completion's task would
    with django_assert_num_queries(DETAIL_QUERIES) as before:
        page_of(client, finished)
    bob = finished.participants.get(identity="bob")
    (model,) = Recording.objects.filter(participant=bob, type="video")
    store = get_media_store()
    for _ in range(3):
        track = TrackFactory(participant=bob)
        key = media_key(bob.account_id, bob.room_id, f"{track.sid}.mkv")
        with store.open(model.media_key) as media:
            store.save(key, media, account_sid=bob.account_id)
        copy = RecordingFactory(
            track=track,
            status=RecordingStatus.COMPLETED,
            type="video",
            codec=model.codec,
            container_format=model.container_format,
            duration=model.duration,
            media_key=key,
        )
        playback.renditions_make(recording_sid=copy.sid)
    with django_assert_num_queries(len(before)):
        context = page_of(client, finished).context
    assert len(context["player_video"]) + len(context["player_audio"]) == 7


def test_the_selectors_start_from_the_account(account, other_account, finished):
    from recordings.video import selectors

    assert selectors.room_playable_recordings(account=other_account, room=finished).count() == 0
    assert selectors.room_recordings_by_playability(account=other_account, room=finished) == {
        "playable": 0,
        "processing": 0,
        "failed": 0,
        "deleted": 0,
        "encrypted": 0,
        "no_media": 0,
    }
    assert selectors.room_playable_recordings(account=account, room=finished).count() == 4
