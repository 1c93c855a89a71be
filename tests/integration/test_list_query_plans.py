"""On PostgreSQL, every list filter is answered through an index: no sequential scan of the
recordings table, and never a sort of more than a small matching set (the planner may sort the
few dozen recordings of one room rather than walk an index in order; it may not sort thousands).
"""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Value as V
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from console.models import Account
from console.sids import new_sid
from recordings.twilio_api.keyset import Cursor, beyond_cursor
from recordings.video import selectors
from recordings.video.choices import CONTAINER_FOR_TYPE, Codec, MediaType, RecordingStatus
from recordings.video.filters import RecordingFilter
from recordings.video.models import Participant, Recording, Room, Track
from recordings.voice import selectors as voice_selectors
from recordings.voice.filters import VoiceRecordingFilter
from recordings.voice.models import Call, Conference, VoiceRecording
from tests.factories import AccountFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROWS = 30_000


@pytest.fixture(scope="module")
def big_account(django_db_setup, django_db_blocker):
    """One account with ROWS recordings over 300 rooms, plus a second, smaller account: made once
    for the module (the tests only read plans), committed, and removed after the last test."""
    with django_db_blocker.unblock():
        account, other = AccountFactory(), AccountFactory()
        yield _big_accounts_fill(account, other)
        Account.objects.filter(pk__in=[account.pk, other.pk]).delete()


def _big_accounts_fill(account, other):
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rooms, participants, tracks, recordings = [], [], [], []
    for r in range(300):
        owner = account if r < 290 else other
        room = Room(
            sid=new_sid("RM"),
            account=owner,
            unique_name=f"r{r}",
            date_created=start,
            date_updated=start,
        )
        rooms.append(room)
        for p in range(5):
            participant = Participant(
                sid=new_sid("PA"),
                account=owner,
                room=room,
                identity=f"p{p}",
                date_created=start,
                date_updated=start,
            )
            participants.append(participant)
            for kind in (MediaType.AUDIO, MediaType.VIDEO):
                track = Track(
                    sid=new_sid("MT"),
                    account=owner,
                    room=room,
                    participant=participant,
                    name=f"p{p}-{kind}",
                    kind=kind,
                    codec=Codec.OPUS if kind == MediaType.AUDIO else Codec.VP8,
                    date_created=start,
                    date_updated=start,
                )
                tracks.append(track)
    for _ in range(ROWS):
        track = rng.choice(tracks)
        created = start + timedelta(seconds=rng.randrange(365 * 86400))
        recordings.append(
            Recording(
                sid=new_sid("RT"),
                account_id=track.account_id,
                room_id=track.room_id,
                participant_id=track.participant_id,
                track=track,
                status=rng.choices(list(RecordingStatus), weights=[3, 88, 5, 4])[0],
                type=track.kind,
                codec=track.codec,
                container_format=CONTAINER_FOR_TYPE[track.kind],
                track_name=track.name,
                date_created=created,
                date_updated=created,
            )
        )
    Room.objects.bulk_create(rooms)
    Participant.objects.bulk_create(participants)
    Track.objects.bulk_create(tracks)
    Recording.objects.bulk_create(recordings, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE recordings_recording")
    return account, rooms[0], participants[0], tracks[0]


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_list_filter_is_an_index_range_in_list_order(big_account):
    account, room, participant, track = big_account
    after = datetime(2026, 3, 1, tzinfo=UTC)
    before = datetime(2026, 9, 1, tzinfo=UTC)
    cases = {
        "none": {},
        "status completed": {"status": "completed"},
        "status deleted": {"status": "deleted"},
        "room": {"grouping_sids": (room.sid,)},
        "participant": {"grouping_sids": (participant.sid,)},
        "room and participant": {"grouping_sids": (room.sid, participant.sid)},
        "source": {"source_sid": track.sid},
        "date range": {"date_created_after": after, "date_created_before": before},
        "media type": {"media_type": "video"},
        "status + media type": {"status": "completed", "media_type": "audio"},
        "room + date range": {"grouping_sids": (room.sid,), "date_created_after": after},
    }
    cursor = Cursor(datetime(2026, 6, 1, tzinfo=UTC), "RT" + "8" * 32)
    for name, filters in cases.items():
        qs = selectors.recording_list(account=account, filter=RecordingFilter(**filters))
        backward = Cursor(cursor.date_created, cursor.sid, forward=False)
        for page_qs in (qs[:51], beyond_cursor(qs, cursor)[:51], beyond_cursor(qs, backward)[:51]):
            plan = _plan(page_qs)
            assert "Seq Scan on recordings_recording" not in plan, f"{name}:\n{plan}"
            assert _largest_sort(plan) <= 1000, f"{name}: a large set is sorted\n{plan}"
            assert "Index" in plan, f"{name}:\n{plan}"


def _largest_sort(plan: str) -> int:
    """Return the estimated row count of the largest Sort node in a plan (0 if none)."""
    sizes = [int(m) for m in re.findall(r"Sort\s+\(cost=[\d.]+ rows=(\d+)", plan)]
    return max(sizes, default=0)


def test_unfiltered_and_deep_pages_walk_the_account_index(big_account):
    account = big_account[0]
    qs = selectors.recording_list(account=account, filter=RecordingFilter())
    deep = beyond_cursor(qs, Cursor(datetime(2026, 2, 1, tzinfo=UTC), "RT" + "0" * 32))
    for page_qs in (qs[:51], deep[:51]):
        plan = _plan(page_qs)
        assert "rec_account_date" in plan, plan
        assert _largest_sort(plan) == 0, plan


def test_status_and_media_type_read_one_index_range(big_account):
    """Not a walk down either one-column index filtering by the other: in a live vault the newest
    rows are still processing, and a page of completed audio would read past all of them."""
    qs = selectors.recording_list(
        account=big_account[0], filter=RecordingFilter(status="completed", media_type="audio")
    )
    deep = beyond_cursor(qs, Cursor(datetime(2026, 6, 1, tzinfo=UTC), "RT" + "8" * 32))
    for page_qs in (qs[:51], deep[:51]):
        plan = _plan(page_qs)
        assert "rec_account_status_type" in plan, plan
        filters = [line for line in plan.splitlines() if "Filter:" in line]
        assert not any("status" in line or "type" in line for line in filters), plan


def test_console_filters_and_capped_count_stay_on_indexes(big_account):
    """The Logs page adds names, codec and a count capped at COUNT_CAP: none may read the whole
    table or sort more than one room's recordings."""
    from recordings.lifecycle.views.lists import COUNT_CAP

    account = big_account[0]
    cases = {
        "room name": {"room_name": "r1"},
        "participant identity": {"participant_identity": "p1"},
        "track name": {"track_name": "p1-audio"},
        "codec": {"codec": "VP8"},
        "status + identity": {"status": "completed", "participant_identity": "p2"},
    }
    for name, filters in cases.items():
        qs = selectors.recording_list(account=account, filter=RecordingFilter(**filters))
        for query in (qs[:101], qs[: COUNT_CAP + 1]):
            plan = _plan(query)
            assert "Seq Scan on recordings_recording" not in plan, f"{name}:\n{plan}"
            assert _largest_sort(plan) <= 1000, f"{name}: a large set is sorted\n{plan}"
        with connection.cursor() as cursor:
            sql, params = qs[: COUNT_CAP + 1].query.sql_with_params()
            cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) AS capped", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Limit" in plan and "Seq Scan on recordings_recording" not in plan, plan


def test_recordings_carry_only_the_indexes_the_lists_and_purge_need():
    """Every index on the recordings table is rewritten by a soft delete: the set is exactly the
    primary key, one per list filter, the purge's partial index, and the watchdog's partial index
    of recordings still processing (a soft delete of a completed recording never enters it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'recordings_recording'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "recordings_recording_pkey",
        "rec_account_date",
        "rec_account_status",
        "rec_account_type",
        "rec_account_status_type",
        "rec_room_date",
        "rec_participant_date",
        "rec_track_date",
        "rec_deleted_purge",
        "rec_processing",
    }


@pytest.fixture
def voice_account():
    """One account with ROWS voice recordings over 3,000 calls and 100 conferences."""
    rng = random.Random(11)
    account = AccountFactory()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    calls = [
        Call(sid=new_sid("CA"), account=account, date_created=start, date_updated=start)
        for _ in range(3000)
    ]
    conferences = [
        Conference(
            sid=new_sid("CF"),
            account=account,
            friendly_name=f"c{n}",
            date_created=start,
            date_updated=start,
        )
        for n in range(100)
    ]
    recordings = []
    for _ in range(ROWS):
        created = start + timedelta(seconds=rng.randrange(365 * 86400))
        on_call = rng.random() < 0.8
        recordings.append(
            VoiceRecording(
                sid=new_sid("RE"),
                account=account,
                call=rng.choice(calls) if on_call else None,
                conference=None if on_call else rng.choice(conferences),
                source="OutboundAPI" if on_call else "Conference",
                status=rng.choices(["processing", "completed", "absent", "deleted"], [2, 90, 3, 5])[
                    0
                ],
                start_time=created,
                date_created=created,
                date_updated=created,
            )
        )
    Call.objects.bulk_create(calls)
    Conference.objects.bulk_create(conferences)
    VoiceRecording.objects.bulk_create(recordings, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE recordings_voicerecording")
    return account, calls[0], conferences[0]


def test_every_voice_list_filter_is_an_index_range_in_list_order(voice_account):
    account, call, conference = voice_account
    day = datetime(2026, 5, 5, tzinfo=UTC)
    cases = {
        "none": {},
        "with deleted": {"include_deleted": True},
        "call": {"call_sid": call.sid},
        "conference": {"conference_sid": conference.sid},
        "one day": {"date_created_after": day, "date_created_before": day + timedelta(days=1)},
        "before": {"date_created_before": day},
        "status (console)": {"status": "absent"},
    }
    cursor = Cursor(datetime(2026, 6, 1, tzinfo=UTC), "RE" + "8" * 32)
    for name, filters in cases.items():
        qs = voice_selectors.voice_recording_list(
            account=account, filter=VoiceRecordingFilter(**filters)
        )
        backward = Cursor(cursor.date_created, cursor.sid, forward=False)
        for page_qs in (qs[:51], beyond_cursor(qs, cursor)[:51], beyond_cursor(qs, backward)[:51]):
            plan = _plan(page_qs)
            assert "Seq Scan on recordings_voicerecording" not in plan, f"{name}:\n{plan}"
            assert _largest_sort(plan) <= 1000, f"{name}: a large set is sorted\n{plan}"
            assert "Index" in plan, f"{name}:\n{plan}"


@pytest.fixture
def many_names(big_account):
    """``big_account``'s recordings among 50,000 more rooms and participants of that account,
    so that reading either table whole costs what it would at scale."""
    account = big_account[0]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rooms = [
        Room(
            sid=new_sid("RM"),
            account=account,
            unique_name=f"Team-{n:05}",
            date_created=start,
            date_updated=start,
        )
        for n in range(50_000)
    ]
    Room.objects.bulk_create(rooms, batch_size=5000)
    Participant.objects.bulk_create(
        (
            Participant(
                sid=new_sid("PA"),
                account=account,
                room=room,
                identity=f"Guest-{n:05}",
                date_created=start,
                date_updated=start,
            )
            for n, room in enumerate(rooms)
        ),
        batch_size=5000,
    )
    # One room's people have names of their own, as a filter typed in the console finds them.
    Participant.objects.filter(room=big_account[1]).update(identity=Concat(V("Speaker-"), "sid"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE recordings_room")
        cursor.execute("ANALYZE recordings_participant")
    return big_account


def test_name_starts_in_any_case_are_ranges_of_the_upper_name_indexes(many_names):
    """The console's room and participant filters (``__istartswith``) read the rooms and
    participants through their UPPER(name) pattern indexes, and the recordings through theirs."""
    from recordings.compositions.filters import CompositionFilter
    from recordings.compositions.selectors import composition_list

    account = many_names[0]
    rooms = selectors.rooms_named(account=account, prefix="team-0001")
    sql, _ = rooms.query.sql_with_params()
    assert 'UPPER("recordings_room"."unique_name"::text) LIKE UPPER(' in sql, sql
    assert rooms.count() == 10
    people = selectors.participants_identified(account=account, prefix="GUEST-0001")
    assert people.count() == 10
    for name, qs, index in (
        ("rooms", rooms, "room_account_name_upper"),
        ("participants", people, "participant_account_identity_upper"),
        (
            "rooms list",
            selectors.room_list(account=account, unique_name_prefix="tEaM-0001")[:51],
            "room_account_name_upper",
        ),
    ):
        plan = _plan(qs)
        assert index in plan and "Seq Scan" not in plan, f"{name}:\n{plan}"

    cases = {
        "room name": ({"room_name_prefix": "R1"}, "room_account_name_upper"),
        "participant identity": (
            {"participant_identity_prefix": "speaker-pa"},
            "participant_account_identity_upper",
        ),
        "status + room name": (
            {"status": "completed", "room_name_prefix": "r28"},
            "room_account_name_upper",
        ),
    }
    for name, (filters, index) in cases.items():
        qs = selectors.recording_list(account=account, filter=RecordingFilter(**filters))
        assert qs[:5].count() == 5, name  # the names match their start in any case
        plan = _plan(qs[:51])
        assert index in plan, f"{name}:\n{plan}"
        assert "Seq Scan" not in plan, f"{name}:\n{plan}"
        assert _largest_sort(plan) <= 1000, f"{name}: a large set is sorted\n{plan}"

    compositions = composition_list(
        account=account, filter=CompositionFilter(room_name_prefix="team-0001")
    )
    plan = _plan(compositions[:51])
    assert "room_account_name_upper" in plan and "Seq Scan on recordings_room" not in plan, plan


def _plans_of(call) -> str:
    """Return the plans of every query ``call`` runs."""
    with CaptureQueriesContext(connection) as captured:
        call()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN {query['sql']}")
            plans.extend(row[0] for row in cursor.fetchall())
    return "\n".join(plans)


def test_the_watchdog_finds_recordings_awaiting_media_through_its_partial_index(big_account):
    plan = _plans_of(
        lambda: selectors.recordings_media_overdue(before=datetime.now(UTC), limit=500)
    )

    assert "rec_processing" in plan and "Seq Scan on recordings_recording" not in plan, plan


def test_the_watchdog_finds_voice_recordings_awaiting_audio_through_its_partial_index(
    voice_account,
):
    plan = _plans_of(
        lambda: voice_selectors.voice_recordings_audio_overdue(before=datetime.now(UTC), limit=500)
    )

    assert "vrec_processing" in plan and "Seq Scan on recordings_voicerecording" not in plan, plan
