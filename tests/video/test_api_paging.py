"""Keyset paging of the /v1 recording lists, walked through HTTP as a Twilio client walks it."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from console.authentication import verified_credentials
from console.services import SYSTEM
from recordings.video import services
from recordings.video.choices import MediaType, RecordingStatus
from recordings.video.models import Recording
from tests.factories import ParticipantFactory, RecordingFactory, RoomFactory, TrackFactory
from tests.helpers import basic_auth

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
META_KEYS = {
    "page",
    "page_size",
    "first_page_url",
    "previous_page_url",
    "url",
    "next_page_url",
    "key",
}


def list_order(recordings) -> list[str]:
    """The SIDs in the documented list order: date_created desc, then sid desc."""
    return [r.sid for r in sorted(recordings, key=lambda r: (r.date_created, r.sid), reverse=True)]


def local(url: str) -> str:
    """The path and query of an absolute URL the API returned (served by this test client)."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def get_page(api, url: str) -> dict:
    response = api.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"recordings", "meta"}
    assert set(body["meta"]) == META_KEYS
    return body


def walk(api, first_url: str, direction: str = "next_page_url") -> list[dict]:
    """Follow next (or previous) page URLs from first_url; return every page body."""
    pages = [get_page(api, first_url)]
    while pages[-1]["meta"][direction] is not None:
        assert len(pages) < 500, "paging does not end"
        pages.append(get_page(api, local(pages[-1]["meta"][direction])))
    return pages


def sids(page: dict) -> list[str]:
    return [r["sid"] for r in page["recordings"]]


@pytest.fixture
def track(account):
    return TrackFactory(participant__room__account=account)


@pytest.fixture
def many(track):
    """37 recordings of one account in runs of six sharing one date_created (runs straddle every
    page boundary at PageSize 5), some with microseconds, in random SID order."""
    dates = [
        BASE + timedelta(seconds=i // 6, microseconds=(i // 6 % 2) * 250_000) for i in range(37)
    ]
    return [
        RecordingFactory(track=track, status=RecordingStatus.COMPLETED, date_created=d)
        for d in dates
    ]


# --- walking ----------------------------------------------------------------------------------


def test_walking_forward_returns_every_sid_once_in_list_order(api, many):
    pages = walk(api, "/v1/Recordings?PageSize=5")
    walked = [sid for page in pages for sid in sids(page)]
    assert walked == list_order(many)
    assert len(set(walked)) == 37
    assert [len(page["recordings"]) for page in pages] == [5] * 7 + [2]


def test_meta_of_each_page(api, many):
    pages = walk(api, "/v1/Recordings?PageSize=5")
    first_page_url = "http://testserver/v1/Recordings?PageSize=5&Page=0"
    for number, page in enumerate(pages):
        meta = page["meta"]
        assert meta["page"] == number
        assert meta["page_size"] == 5
        assert meta["key"] == "recordings"
        assert meta["first_page_url"] == first_page_url
        if number:
            # "url" is the URL this page was fetched from: the previous page's next_page_url.
            assert meta["url"] == pages[number - 1]["meta"]["next_page_url"]
            assert query_of(meta["url"])["Page"] == [str(number)]
            assert meta["previous_page_url"] is not None
        else:
            assert meta["url"] == first_page_url
            assert meta["previous_page_url"] is None
    assert pages[-1]["meta"]["next_page_url"] is None
    assert all(page["meta"]["next_page_url"] for page in pages[:-1])


def test_walking_back_returns_the_same_pages(api, many):
    forward = walk(api, "/v1/Recordings?PageSize=5")
    backward = walk(api, local(forward[-1]["meta"]["url"]), direction="previous_page_url")
    assert [sids(p) for p in backward] == [sids(p) for p in reversed(forward)]
    assert [p["meta"]["page"] for p in backward] == list(range(len(forward)))[::-1]
    assert backward[-1]["meta"]["previous_page_url"] is None
    # A page reached backwards links forward to the very page it came back from.
    for back, ahead in zip(backward[1:], backward, strict=False):
        assert sids(get_page(api, local(back["meta"]["next_page_url"]))) == sids(ahead)


def test_single_page_has_no_neighbours(api, make_completed_recording):
    only = make_completed_recording()
    body = get_page(api, "/v1/Recordings")
    assert sids(body) == [only.sid]
    assert body["meta"]["previous_page_url"] is None
    assert body["meta"]["next_page_url"] is None
    assert body["meta"]["page_size"] == 50


def test_empty_list(api, account):
    body = get_page(api, "/v1/Recordings?PageSize=3")
    assert body["recordings"] == []
    assert body["meta"]["next_page_url"] is None
    assert body["meta"]["previous_page_url"] is None


def test_exact_multiple_of_page_size_has_no_empty_last_page(api, track):
    for i in range(10):
        RecordingFactory(track=track, date_created=BASE + timedelta(minutes=i))
    pages = walk(api, "/v1/Recordings?PageSize=5")
    assert [len(p["recordings"]) for p in pages] == [5, 5]


def test_page_size_one_walks_ties_one_by_one(api, track):
    same = [RecordingFactory(track=track, date_created=BASE) for _ in range(6)]
    pages = walk(api, "/v1/Recordings?PageSize=1")
    assert [sid for p in pages for sid in sids(p)] == sorted((r.sid for r in same), reverse=True)


def test_page_size_1000(api, track):
    Recording.objects.bulk_create(
        RecordingFactory.build_batch(1001, track=track, status=RecordingStatus.COMPLETED)
    )
    first = get_page(api, "/v1/Recordings?PageSize=1000")
    assert len(first["recordings"]) == 1000
    assert first["meta"]["page_size"] == 1000
    second = get_page(api, local(first["meta"]["next_page_url"]))
    assert len(second["recordings"]) == 1
    assert second["meta"]["next_page_url"] is None
    assert len(set(sids(first) + sids(second))) == 1001


# --- stability --------------------------------------------------------------------------------


def test_rows_added_at_the_top_do_not_shift_later_pages(api, many, track):
    expected = list_order(many)
    first = get_page(api, "/v1/Recordings?PageSize=5")
    assert sids(first) == expected[:5]
    newer = [
        RecordingFactory(track=track, date_created=BASE + timedelta(days=1 + i)) for i in range(3)
    ]
    second = get_page(api, local(first["meta"]["next_page_url"]))
    assert sids(second) == expected[5:10]
    rest = walk(api, local(second["meta"]["next_page_url"]))
    assert [sid for p in rest for sid in sids(p)] == expected[10:]
    assert not {r.sid for r in newer} & {sid for p in rest for sid in sids(p)}
    # The list itself now starts with the new rows.
    assert sids(get_page(api, "/v1/Recordings?PageSize=5"))[:3] == list_order(newer)


def test_rows_removed_from_seen_pages_do_not_shift_later_pages(api, many):
    expected = list_order(many)
    first = get_page(api, "/v1/Recordings?PageSize=5")
    for sid in expected[:5]:
        recording = Recording.objects.get(sid=sid)
        services.recording_delete(recording=recording, actor=SYSTEM)
    second = get_page(api, local(first["meta"]["next_page_url"]))
    assert sids(second) == expected[5:10]


# --- filters ----------------------------------------------------------------------------------


@pytest.fixture
def filtered_world(account):
    """A room with two participants, each with audio and video recordings, and noise around it."""
    room = RoomFactory(account=account)
    alice = ParticipantFactory(room=room)
    bob = ParticipantFactory(room=room)
    made = []
    for i in range(24):
        participant = alice if i % 2 else bob
        kind = MediaType.AUDIO if i % 3 else MediaType.VIDEO
        track = TrackFactory(participant=participant, kind=kind)
        status = RecordingStatus.COMPLETED if i % 5 else RecordingStatus.PROCESSING
        made.append(
            RecordingFactory(track=track, status=status, date_created=BASE + timedelta(hours=i))
        )
    for _ in range(3):  # same account, another room
        RecordingFactory(
            track__participant__room__account=account, status=RecordingStatus.COMPLETED
        )
    return room, alice, bob, made


def test_filters_and_repeated_grouping_sid_survive_paging(api, filtered_world):
    room, alice, _bob, made = filtered_world
    after = (BASE + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = [
        ("Status", "completed"),
        ("GroupingSid", room.sid),
        ("GroupingSid", alice.sid),
        ("MediaType", "audio"),
        ("DateCreatedAfter", after),
    ]
    expected = [
        r
        for r in made
        if r.status == RecordingStatus.COMPLETED
        and r.participant_id == alice.sid
        and r.type == MediaType.AUDIO
        and r.date_created >= BASE + timedelta(hours=2)
    ]
    assert len(expected) > 4
    response = api.get("/v1/Recordings", [*query, ("PageSize", "2")])
    assert response.status_code == 200
    pages = [response.json()]
    while pages[-1]["meta"]["next_page_url"]:
        pages.append(get_page(api, local(pages[-1]["meta"]["next_page_url"])))
    assert [sid for p in pages for sid in sids(p)] == list_order(expected)
    for page in pages:
        for name in ("first_page_url", "url", "next_page_url", "previous_page_url"):
            url = page["meta"][name]
            if url is None:
                continue
            q = query_of(url)
            assert q["GroupingSid"] == [room.sid, alice.sid], (name, url)
            assert q["Status"] == ["completed"]
            assert q["MediaType"] == ["audio"]
            assert q["DateCreatedAfter"] == [after]
            assert q["PageSize"] == ["2"]
            assert urlsplit(url).path == "/v1/Recordings"
    # Walking back with the filters lands on the same first page.
    back = walk(api, local(pages[-1]["meta"]["url"]), direction="previous_page_url")
    assert sids(back[-1]) == sids(pages[0])


def test_unknown_query_parameters_are_not_carried_into_meta(api, many):
    body = get_page(api, "/v1/Recordings?PageSize=5&Foo=bar&pagesize=7")
    for name in ("first_page_url", "url", "next_page_url"):
        assert set(query_of(body["meta"][name])) <= {"PageSize", "Page", "PageToken"}


def test_deleted_recordings_are_left_out_unless_asked_for(api, account, make_completed_recording):
    kept = [make_completed_recording() for _ in range(7)]
    gone = [make_completed_recording() for _ in range(6)]
    for recording in gone:
        services.recording_delete(recording=recording, actor=SYSTEM)
    default = walk(api, "/v1/Recordings?PageSize=4")
    assert [sid for p in default for sid in sids(p)] == list_order(kept)
    deleted = walk(api, "/v1/Recordings?Status=deleted&PageSize=4")
    assert [sid for p in deleted for sid in sids(p)] == list_order(gone)
    assert all(r["status"] == "deleted" for p in deleted for r in p["recordings"])
    assert all(query_of(p["meta"]["url"])["Status"] == ["deleted"] for p in deleted)
    room_sid = gone[0].room_id
    in_room = get_page(api, f"/v1/Rooms/{room_sid}/Recordings?Status=deleted")
    assert sids(in_room) == [gone[0].sid]
    assert get_page(api, f"/v1/Rooms/{room_sid}/Recordings")["recordings"] == []


def test_room_list_pages_only_that_room(api, account, filtered_world):
    room, _alice, _bob, made = filtered_world
    pages = walk(api, f"/v1/Rooms/{room.sid}/Recordings?PageSize=5")
    assert [sid for p in pages for sid in sids(p)] == list_order(made)
    for page in pages:
        for name in ("first_page_url", "url", "next_page_url", "previous_page_url"):
            if page["meta"][name]:
                assert urlsplit(page["meta"][name]).path == f"/v1/Rooms/{room.sid}/Recordings"
        for recording in page["recordings"]:
            assert recording["room_sid"] == room.sid
            assert recording["url"] == (
                f"http://testserver/v1/Rooms/{room.sid}/Recordings/{recording['sid']}"
            )
    completed = walk(api, f"/v1/Rooms/{room.sid}/Recordings?PageSize=5&Status=completed")
    assert [sid for p in completed for sid in sids(p)] == list_order(
        [r for r in made if r.status == RecordingStatus.COMPLETED]
    )


def test_page_token_of_one_room_cannot_read_another(api, account, filtered_world, many):
    """A token holds only a position: used on another list it pages that list, nothing more."""
    room, *_ = filtered_world
    first = get_page(api, "/v1/Recordings?PageSize=5")
    token = query_of(first["meta"]["next_page_url"])["PageToken"][0]
    other = get_page(api, f"/v1/Rooms/{room.sid}/Recordings?PageSize=5&PageToken={token}")
    assert all(r["room_sid"] == room.sid for r in other["recordings"])


def test_page_token_of_another_account_shows_only_the_callers_rows(
    api, account, other_account, many
):
    theirs = [
        RecordingFactory(track__participant__room__account=other_account, date_created=BASE)
        for _ in range(6)
    ]
    other_api = APIClient()
    other_api.credentials(
        HTTP_AUTHORIZATION=basic_auth(other_account.sid, other_account.auth_token)
    )
    their_first = get_page(other_api, "/v1/Recordings?PageSize=2")
    mine = get_page(api, local(their_first["meta"]["next_page_url"]))
    assert {r["account_sid"] for r in mine["recordings"]} <= {account.sid}
    assert not set(sids(mine)) & {r.sid for r in theirs}


# --- absolute URLs ----------------------------------------------------------------------------


def test_public_base_url_makes_every_url_absolute_with_it(api, settings, many):
    settings.PUBLIC_BASE_URL = "https://video.example.com"
    base = settings.PUBLIC_BASE_URL
    body = get_page(api, "/v1/Recordings?PageSize=5")
    meta = body["meta"]
    for name in ("first_page_url", "url", "next_page_url"):
        assert meta[name].startswith(base + "/v1/Recordings?"), meta[name]
    next_parts = urlsplit(meta["next_page_url"])
    second = get_page(api, f"{next_parts.path}?{next_parts.query}")
    assert second["meta"]["previous_page_url"].startswith(base + "/v1/Recordings?")
    for recording in body["recordings"]:
        assert recording["url"] == f"{base}/v1/Recordings/{recording['sid']}"
        assert recording["links"] == {"media": f"{base}/v1/Recordings/{recording['sid']}/Media"}
    sid = body["recordings"][0]["sid"]
    fetched = api.get(f"/v1/Recordings/{sid}").json()
    assert fetched["url"] == f"{base}/v1/Recordings/{sid}"
    room_sid = many[0].room_id
    room_page = get_page(api, f"/v1/Rooms/{room_sid}/Recordings?PageSize=2")
    assert room_page["meta"]["url"].startswith(f"{base}/v1/Rooms/{room_sid}/Recordings?")
    for recording in room_page["recordings"]:
        url = f"{base}/v1/Rooms/{room_sid}/Recordings/{recording['sid']}"
        assert recording["url"] == url
        assert recording["links"] == {"media": url + "/Media"}


def test_without_public_base_url_urls_use_the_request_host(api, settings, many):
    settings.PUBLIC_BASE_URL = ""
    body = get_page(api, "/v1/Recordings?PageSize=5")
    assert body["meta"]["url"].startswith("http://testserver/v1/Recordings?")
    assert body["recordings"][0]["url"].startswith("http://testserver/v1/Recordings/RT")


# --- cost -------------------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    """Count a request's queries, the credential's included (as at its first request each
    second: console.authentication caches it for a second after)."""
    verified_credentials.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.fixture
def sixty(account):
    room = RoomFactory(account=account)
    participants = [ParticipantFactory(room=room) for _ in range(4)]
    for i in range(60):
        RecordingFactory(
            track=TrackFactory(participant=participants[i % 4]),
            status=RecordingStatus.COMPLETED,
            date_created=BASE + timedelta(seconds=i // 3),
        )
    return room


def test_list_page_costs_two_queries_whatever_its_size(api, sixty, django_assert_max_num_queries):
    # One query authenticates the caller, one reads the page; nothing per row.
    small = count_queries(api, "/v1/Recordings?PageSize=5")
    large = count_queries(api, "/v1/Recordings?PageSize=50")
    assert small == large == 2
    with django_assert_max_num_queries(2):
        body = api.get("/v1/Recordings?PageSize=50").json()
    assert len(body["recordings"]) == 50
    # A page reached by token, forwards or backwards, costs the same.
    with django_assert_max_num_queries(2):
        second = api.get(local(body["meta"]["next_page_url"])).json()
    assert len(second["recordings"]) == 10
    with django_assert_max_num_queries(2):
        back = api.get(local(second["meta"]["previous_page_url"])).json()
    assert sids(back) == sids(body)


def test_room_list_page_costs_three_queries_whatever_its_size(api, sixty):
    # Authentication, the room, the page.
    small = count_queries(api, f"/v1/Rooms/{sixty.sid}/Recordings?PageSize=5")
    large = count_queries(api, f"/v1/Rooms/{sixty.sid}/Recordings?PageSize=50")
    assert small == large == 3


def test_filtered_list_with_api_key_costs_two_queries(account, api_key, sixty):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(api_key.key.sid, api_key.secret))
    participant = sixty.participants.first()
    for size in (5, 50):
        url = (
            f"/v1/Recordings?PageSize={size}&Status=completed&GroupingSid={sixty.sid}"
            f"&GroupingSid={participant.sid}&MediaType=audio"
        )
        assert count_queries(client, url) == 2
