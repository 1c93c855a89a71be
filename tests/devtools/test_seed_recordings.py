"""``seed_recordings``: realistic, consistent recording rows at database speed, for benchmarks."""

import dataclasses
import json
import re
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from console.models import Account
from recordings.devtools import seeding
from recordings.devtools.seeding import TABLES
from recordings.lifecycle.retention import recordings_purge
from recordings.video.choices import CONTAINER_FOR_TYPE, Codec, MediaType, RecordingStatus
from recordings.video.models import Participant, Recording, Room, Track
from recordings.video.services import media_key_for

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {"account_sid", "count", "rooms", "participants", "tracks", "seconds"}


def seed(account_sid: str, *args: str) -> dict:
    out = StringIO()
    call_command("seed_recordings", "--account", account_sid, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture(params=[1, 2], ids=["one stream", "two parts"])
def seeded(request, account, monkeypatch):
    """Seed 3,000 recordings for ``account``; return the summary and the moments around the run.

    Also as two parts of a parallel load, so every check of the data holds for them together;
    here they load one after the other (the processes need PostgreSQL: tested below).
    """
    monkeypatch.setattr(seeding, "_load_parallel", lambda parts: map(seeding._load_part, parts))
    before = timezone.now()
    result = seeding.recordings_seed(account=account, count=3000, seed=7, workers=request.param)
    return dataclasses.asdict(result), before, timezone.now()


def test_every_column_is_generated():
    for model, names in TABLES:
        assert sorted(names) == sorted(f.attname for f in model._meta.concrete_fields), model


def test_json_summary_counts_every_table(seeded, account):
    summary, _, _ = seeded
    assert set(summary) == SUMMARY_KEYS
    assert summary["account_sid"] == account.sid
    assert summary["count"] == Recording.objects.count() == 3000
    # Record-on-connect: one recording per track.
    assert summary["tracks"] == Track.objects.count() == 3000
    assert summary["rooms"] == Room.objects.count()
    assert summary["participants"] == Participant.objects.count()
    assert isinstance(summary["seconds"], float)


def test_the_account_holds_90_percent_and_nine_new_accounts_the_rest(seeded, account):
    per_account = dict(
        Recording.objects.values_list("account_id").annotate(n=Count("sid")).order_by()
    )
    assert per_account.pop(account.sid) == 2700
    assert len(per_account) == 9
    assert sorted(per_account.values()) == [33] * 6 + [34] * 3
    fillers = Account.objects.filter(sid__in=per_account)
    # Made like any account: through the service, which audits it.
    assert all(a.audit_events.filter(action="account.create").exists() for a in fillers)


def test_a_second_run_reuses_the_filler_accounts(seeded, account):
    accounts = set(Account.objects.values_list("sid", flat=True))
    seed(account.sid, "--count", "100")
    assert set(Account.objects.values_list("sid", flat=True)) == accounts
    assert Recording.objects.filter(account=account).count() == 2700 + 90


def test_statuses_come_in_realistic_shares(seeded):
    shares = Counter(Recording.objects.values_list("status", flat=True))
    assert set(shares) <= set(RecordingStatus.values)
    assert abs(shares["completed"] / 3000 - 0.90) < 0.03
    assert abs(shares["deleted"] / 3000 - 0.05) < 0.02
    assert abs(shares["failed"] / 3000 - 0.03) < 0.015
    assert abs(shares["processing"] / 3000 - 0.02) < 0.015


def test_processing_recordings_belong_to_the_newest_rooms(seeded):
    processing = Room.objects.filter(recording__status="processing").distinct()
    others = Room.objects.exclude(recording__status="processing")
    assert processing.exists()
    newest_other = others.order_by("-date_created").first().date_created
    assert all(room.date_created >= newest_other for room in processing)


def test_recordings_tracks_participants_and_rooms_agree(seeded):
    # Every foreign key resolves (on PostgreSQL the checks are deferred to a commit that a test
    # never reaches, so ask for them now).
    connection.check_constraints()
    mismatched = Recording.objects.exclude(
        Q(account_id=F("room__account_id"))
        & Q(account_id=F("participant__account_id"))
        & Q(account_id=F("track__account_id"))
        & Q(room_id=F("track__room_id"))
        & Q(room_id=F("participant__room_id"))
        & Q(participant_id=F("track__participant_id"))
        & Q(offset=F("room__media_offset"))
        & Q(track_name=F("track__name"))
        & Q(type=F("track__kind"))
        & Q(codec=F("track__codec"))
    )
    assert not mismatched.exists()
    assert not Participant.objects.exclude(account_id=F("room__account_id")).exists()
    assert not Track.objects.exclude(account_id=F("participant__account_id")).exists()


def test_tracks_are_named_and_encoded_like_real_ones(seeded):
    for recording in Recording.objects.select_related("participant"):
        identity = recording.participant.identity
        assert recording.track_name in (f"{identity}-audio", f"{identity}-cam", "screen")
        expected = MediaType.AUDIO if recording.track_name.endswith("-audio") else MediaType.VIDEO
        assert recording.type == expected
        assert recording.codec in (
            (Codec.OPUS,) if expected == "audio" else (Codec.VP8, Codec.H264)
        )
        assert recording.container_format == CONTAINER_FOR_TYPE[recording.type]
    sizes = dict(Participant.objects.values_list("room_id").annotate(n=Count("sid")).order_by())
    assert max(sizes.values()) <= 15
    # Only an account's last room may be cut short to fit its share exactly.
    assert sum(n < 2 for n in sizes.values()) <= 10
    assert Track.objects.filter(name="screen").exists()


def test_status_decides_media_key_size_and_deletion(seeded):
    for recording in Recording.objects.all():
        if recording.status == RecordingStatus.COMPLETED:
            assert recording.media_key == media_key_for(recording)
            assert recording.size > 1000 and recording.duration >= 1
        else:
            assert recording.media_key == ""
        if recording.status == RecordingStatus.DELETED:
            assert recording.date_deleted is not None
            assert recording.date_updated == recording.date_deleted
        else:
            assert recording.date_deleted is None
        if recording.status in (RecordingStatus.FAILED, RecordingStatus.PROCESSING):
            assert recording.size is None and recording.duration is None
        assert recording.date_stopped is not None


def test_sids_are_random_and_well_formed(seeded):
    for model, prefix in ((Room, "RM"), (Participant, "PA"), (Track, "MT"), (Recording, "RT")):
        sids = list(model.objects.values_list("sid", flat=True))
        assert all(re.fullmatch(prefix + "[0-9a-f]{32}", sid) for sid in sids), model
        assert len(set(sids)) == len(sids)


def test_dates_spread_over_the_last_year_in_order(seeded):
    _, before, after = seeded
    rooms = Room.objects.all()
    first = rooms.order_by("date_created").first().date_created
    last = rooms.order_by("-date_created").first().date_created
    assert before - timedelta(days=365) <= first < before - timedelta(days=350)
    assert after - timedelta(days=15) < last < after
    assert not rooms.filter(date_updated__lt=F("date_created")).exists()
    assert not rooms.filter(end_time__gt=after).exists()
    recordings = Recording.objects.all()
    assert not recordings.filter(date_created__lt=F("room__date_created")).exists()
    assert not recordings.filter(date_updated__lt=F("date_created")).exists()
    assert not recordings.filter(date_stopped__lt=F("date_created")).exists()
    assert not recordings.filter(date_updated__gt=after).exists()
    assert recordings.filter(date_created__lt=before - timedelta(days=180)).count() > 1000
    # Deleted within retention: what a purge would have left of them.
    assert not recordings.filter(date_deleted__lt=before - timedelta(days=29)).exists()


def test_expired_rows_are_exactly_what_the_purge_removes(account, settings):
    seed(account.sid, "--count", "500", "--seed", "1")
    kept = set(Recording.objects.values_list("sid", flat=True))
    accounts = Account.objects.count()
    now = timezone.now()
    assert recordings_purge(now=now, dry_run=True) == 0

    summary = seed(account.sid, "--count", "300", "--expired")

    assert summary["count"] == 300
    assert Account.objects.count() == accounts  # all of them in the given account
    expired = Recording.objects.exclude(sid__in=kept)
    assert expired.count() == 300
    assert set(expired.values_list("account_id", "status").distinct()) == {(account.sid, "deleted")}
    assert not expired.exclude(media_key="").exists()
    retention = timedelta(days=settings.RECORDING_RETENTION_DAYS)
    assert not expired.filter(date_deleted__gt=now - retention - timedelta(days=1)).exists()
    assert not expired.filter(date_deleted__lt=now - timedelta(days=91)).exists()
    assert not expired.filter(date_deleted__lt=F("date_created")).exists()

    assert recordings_purge(now=timezone.now(), dry_run=True) == 300
    assert recordings_purge(now=timezone.now()) == 300
    assert set(Recording.objects.values_list("sid", flat=True)) == kept


def test_the_same_seed_gives_the_same_rows_but_new_sids(account, other_account):
    def shape(sid: str) -> list[tuple]:
        return list(
            Recording.objects.filter(account_id=sid)
            .order_by("date_created", "track_name")
            .values_list("track_name", "status", "size", "duration", "date_created")
        )

    with time_machine.travel(timezone.now(), tick=False):
        seed(account.sid, "--count", "200", "--seed", "42")
        seed(other_account.sid, "--count", "200", "--seed", "42")
    assert shape(account.sid) == shape(other_account.sid)
    assert len(shape(account.sid)) == 180
    assert Recording.objects.count() == 400


@pytest.mark.parametrize("sid", ["AC" + "0" * 32, "nonsense"])
def test_unknown_account_is_a_command_error(sid):
    with pytest.raises(CommandError, match="No account"):
        call_command("seed_recordings", "--account", sid, "--count", "10", stdout=StringIO())
    assert not Account.objects.exists()
    assert not Recording.objects.exists()


def test_count_below_one_is_a_command_error(account):
    with pytest.raises(CommandError, match="--count"):
        call_command("seed_recordings", "--account", account.sid, "--count", "0")


def test_plain_output_is_a_one_line_summary(account):
    out = StringIO()
    call_command("seed_recordings", "--account", account.sid, "--count", "20", stdout=out)
    line = out.getvalue().strip()
    assert "\n" not in line
    assert re.fullmatch(
        rf"Seeded 20 recordings for {account.sid} \(\d+ rooms, \d+ participants, 20 tracks\) "
        r"in \d+\.\d s",
        line,
    )


def test_the_api_lists_seeded_recordings_and_renders_their_fields(api, account):
    seed(account.sid, "--count", "300", "--seed", "3")
    body = api.get("/v1/Recordings?PageSize=50").json()
    listed = body["recordings"]
    assert len(listed) == 50
    newest = Recording.objects.filter(account=account).exclude(status="deleted")
    assert [r["sid"] for r in listed] == [
        r.sid for r in newest.order_by("-date_created", "-sid")[:50]
    ]
    for item in listed:
        recording = Recording.objects.get(sid=item["sid"])
        assert item["account_sid"] == account.sid
        assert item["status"] == recording.status
        assert item["source_sid"] == recording.track_id
        assert item["grouping_sids"] == {
            "room_sid": recording.room_id,
            "participant_sid": recording.participant_id,
        }
        assert item["track_name"] == recording.track_name
        assert item["size"] == recording.size and item["duration"] == recording.duration
        assert item["date_created"] == recording.date_created.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert item["links"]["media"].endswith(f"/v1/Recordings/{recording.sid}/Media")

    deleted = api.get("/v1/Recordings?Status=deleted&PageSize=50").json()["recordings"]
    assert deleted and all(r["status"] == "deleted" and r["date_deleted"] for r in deleted)
    completed = newest.filter(status="completed").first()
    response = api.get(f"/v1/Recordings/{completed.sid}")
    assert response.status_code == 200
    assert response.json()["container_format"] == completed.container_format
    room = api.get(f"/v1/Rooms/{completed.room_id}")
    assert room.status_code == 200
    assert room.json()["status"] == "completed"


def test_parts_split_every_quota_exactly_over_consecutive_slices():
    quotas = {"ACa": 2701, "ACb": 33, "ACc": 1}
    common = {"expired": False, "chunk_size": 100, "now": timezone.now()}
    parts = seeding._parts(quotas, 2, seed=7, **common)
    assert [p.quotas for p in parts] == [
        {"ACa": 1351, "ACb": 17, "ACc": 1},
        {"ACa": 1350, "ACb": 16},
    ]
    assert [(p.before, p.total) for p in parts] == [(0, 2735), (1369, 2735)]
    assert len({p.seed for p in parts}) == 2
    # One worker draws the stream a seed always gave.
    (one,) = seeding._parts(quotas, 1, seed=7, **common)
    assert (one.quotas, one.before, one.total, one.seed) == (quotas, 0, 2735, 7)


@pytest.mark.parametrize("args", [["--workers", "0"], ["--workers", "-1"]])
def test_workers_below_one_is_a_command_error(account, args):
    with pytest.raises(CommandError, match="--workers"):
        call_command("seed_recordings", "--account", account.sid, "--count", "10", *args)


ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.mark.skipif(ON_POSTGRESQL, reason="the refusal is for other databases")
@pytest.mark.parametrize("args", [["--workers", "2"], ["--defer-indexes"]])
def test_workers_and_deferred_indexes_need_postgresql(account, args):
    with pytest.raises(CommandError, match="need PostgreSQL"):
        call_command("seed_recordings", "--account", account.sid, "--count", "10", *args)
    assert not Recording.objects.exists()


def _schema() -> list[str]:
    """Every index and constraint of the seeded tables, as PostgreSQL would write them."""
    tables = [model._meta.db_table for model, _ in TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s) UNION ALL "
            "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1",
            [tables, tables],
        )
        return [definition for (definition,) in cursor.fetchall()]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="processes, COPY and DDL: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_workers_with_deferred_indexes_load_every_row_and_rebuild_the_schema(account):
    schema = _schema()
    assert len(schema) > 30

    summary = seed(account.sid, "--count", "3000", "--workers", "2", "--defer-indexes")

    assert summary["count"] == Recording.objects.count() == Track.objects.count() == 3000
    assert Recording.objects.filter(account=account).count() == 2700
    assert summary["rooms"] == Room.objects.count()
    assert summary["participants"] == Participant.objects.count()
    assert _schema() == schema
    # The foreign keys were validated when added again; and the parts' rooms are whole.
    connection.check_constraints()
    assert not Recording.objects.exclude(room_id=F("participant__room_id")).exists()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="DDL: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_failed_load_still_gets_its_indexes_back(account, monkeypatch):
    schema = _schema()

    def fail(chunk):
        raise RuntimeError("the load broke off")

    monkeypatch.setattr(seeding, "_load_copy", fail)
    with pytest.raises(RuntimeError, match="broke off"):
        seed(account.sid, "--count", "100", "--defer-indexes")
    assert _schema() == schema
