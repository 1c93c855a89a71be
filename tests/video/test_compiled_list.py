"""The recordings list's SQL compiled once per filter shape (twilio_api.compiled): it answers what
the plain queryset answers, and never one account's rows to another."""

from datetime import UTC, datetime, timedelta

import pytest

from recordings.twilio_api import compiled
from recordings.twilio_api.keyset import Cursor, keyset_page
from recordings.video import selectors
from recordings.video.api.serializers import RECORDING_COLUMNS
from recordings.video.choices import MediaType, RecordingStatus
from recordings.video.filters import RecordingFilter
from tests.factories import RecordingFactory, TrackFactory
from tests.helpers import client_for

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STATUSES = [RecordingStatus.COMPLETED, RecordingStatus.PROCESSING, RecordingStatus.DELETED]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test compiles its shapes itself, from its own accounts.
    compiled._cache.clear()
    yield
    compiled._cache.clear()


def recordings_of(account, count: int = 24) -> list:
    """``count`` recordings of two rooms, audio and video, in three statuses, dates in ties."""
    tracks = [
        TrackFactory(participant__room__account=account, kind=kind)
        for kind in (MediaType.AUDIO, MediaType.VIDEO)
        for _ in range(2)
    ]
    return [
        RecordingFactory(
            track=tracks[i % 4],
            status=STATUSES[i % 3],
            date_created=BASE + timedelta(seconds=i // 3, microseconds=(i % 2) * 1000),
        )
        for i in range(count)
    ]


def test_a_shape_compiled_for_one_account_never_shows_its_rows_to_another(
    api, account, other_account
):
    recordings_of(account)
    theirs = {r.sid for r in recordings_of(other_account)}
    url = "/v1/Recordings?Status=completed&PageSize=50"
    assert api.get(url).status_code == 200
    (shape,) = compiled._cache.values()
    assert shape is not None and account.sid not in shape.sql and account.sid not in shape.params

    response = client_for(other_account.sid, other_account.auth_token).get(url)

    assert len(compiled._cache) == 1  # the same shape, compiled for the first account
    got = {r["sid"] for r in response.json()["recordings"]}
    assert got and got <= theirs
    assert {r["account_sid"] for r in response.json()["recordings"]} == {other_account.sid}


def shapes(recordings) -> list[tuple[str, dict]]:
    """The filters the list endpoints accept, alone and as the bench combines them."""
    one = recordings[4]
    after, before = BASE + timedelta(seconds=2), BASE + timedelta(seconds=6, microseconds=1000)
    return [
        ("none", {}),
        ("Status", {"status": RecordingStatus.DELETED}),
        ("GroupingSid room", {"grouping_sids": (one.room_id,)}),
        ("GroupingSid participant", {"grouping_sids": (one.participant_id,)}),
        ("GroupingSid both", {"grouping_sids": (one.room_id, one.participant_id)}),
        ("SourceSid", {"source_sid": one.track_id}),
        ("DateCreatedAfter", {"date_created_after": after}),
        ("DateCreatedBefore", {"date_created_before": before}),
        ("dates", {"date_created_after": after, "date_created_before": before}),
        ("MediaType", {"media_type": MediaType.VIDEO}),
        ("Status+MediaType", {"status": RecordingStatus.COMPLETED, "media_type": MediaType.AUDIO}),
        ("Status+dates", {"status": "completed", "date_created_after": after}),
        ("room", {"room_sid": one.room_id}),
        ("room+Status", {"room_sid": one.room_id, "status": RecordingStatus.PROCESSING}),
    ]


def assert_pages_match(account, given: dict, cursors) -> None:
    for cursor in cursors:
        wanted = RecordingFilter(**given)
        plain = keyset_page(
            selectors.recording_list(account=account, filter=wanted).values_list(
                *RECORDING_COLUMNS, named=True
            ),
            page_size=4,
            cursor=cursor,
        )
        page = selectors.recording_page(
            account=account, filter=wanted, columns=RECORDING_COLUMNS, page_size=4, cursor=cursor
        )
        assert page == plain, (given, cursor)
        assert [type(row) for row in page.rows] == [type(row) for row in plain.rows]


@pytest.mark.django_db
def test_each_shape_reads_the_rows_of_the_plain_queryset_in_order(account, other_account):
    mine = recordings_of(account)
    recordings_of(other_account)
    middle = sorted(mine, key=lambda r: (r.date_created, r.sid))[len(mine) // 2]
    cursors = [
        None,
        Cursor(middle.date_created, middle.sid, forward=True),
        Cursor(middle.date_created, middle.sid, forward=False),
    ]
    for _, given in shapes(mine):
        assert_pages_match(account, given, cursors)
    # Every one of those shapes was cached, not read through the ordinary path.
    assert len(compiled._cache) == len(shapes(mine)) * 3
    assert None not in compiled._cache.values()

    # Other values of the same shapes, through the SQL compiled above.
    later = sorted(mine, key=lambda r: (r.date_created, r.sid))[3]
    for _, given in shapes(list(reversed(mine))):
        assert_pages_match(account, given, [None, Cursor(later.date_created, later.sid)])
    assert len(compiled._cache) == len(shapes(mine)) * 3


@pytest.mark.django_db
def test_a_shape_that_selects_nothing_takes_the_ordinary_path(account):
    recordings_of(account, 3)
    assert_pages_match(account, {"grouping_sids": ("CA" + "0" * 32,)}, [None])
    assert list(compiled._cache.values()) == [None]


@pytest.mark.django_db
def test_the_cache_keeps_the_latest_shapes_only(account, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_SHAPES", 3)
    recordings_of(account, 3)
    for page_size in range(1, 6):
        selectors.recording_page(
            account=account,
            filter=RecordingFilter(),
            columns=RECORDING_COLUMNS,
            page_size=page_size,
            cursor=None,
        )
    assert [key[5] for key in compiled._cache] == [3, 4, 5]
