"""Bulk-load realistic recording metadata (no media files) for benchmarks: ``seed_recordings``.

The rows are what the services would have left behind after a year of record-on-connect group
rooms, written straight to the tables because the services (one transaction, audit and callbacks
per event) load a few hundred rows a second and a benchmark needs millions. One generator makes
whole rooms as plain tuples; two loaders write them: COPY on PostgreSQL, ``bulk_create``
elsewhere, so the tests on SQLite check the very rows a benchmark loads.

Work goes in chunks of about ``CHUNK_RECORDINGS`` recordings, each one transaction holding whole
rooms (a room's participants, tracks and recordings never straddle two chunks), so memory stays
flat at any count and an interrupted run leaves only whole rooms behind.
"""

import gc
import multiprocessing
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.utils import timezone

from console.models import Account
from console.services import account_create
from recordings.lifecycle.choices import CallbackMethod
from recordings.video.choices import (
    CONTAINER_FOR_TYPE,
    Codec,
    MediaType,
    ParticipantStatus,
    RecordingStatus,
    RoomStatus,
    RoomType,
)
from recordings.video.models import Participant, Recording, Room, Track

CHUNK_RECORDINGS = 50_000
# The given account holds this share of the rows; the rest is spread over filler accounts, so
# that every account-scoped query also has other tenants' rows to skip.
MAIN_SHARE = 0.9
FILLER_ACCOUNTS = 9
# Shares of the recordings by status. Processing ones are the newest rooms' (media not in yet).
PROCESSING_SHARE = 0.02
DELETED_SHARE = 0.05
FAILED_SHARE = 0.03
# Rooms start uniformly over this span, ending early enough that the longest room is over by now.
SPAN = timedelta(days=365)
MAX_ROOM_SECONDS = 4 * 3600
# A seeded database is in steady state: deleted rows older than retention would already have been
# purged, so ordinary deleted rows were deleted within it and a purge right after seeding removes
# nothing. ``expired`` rows were deleted from 1 to this many days past retention (31-90 days ago
# with the default 30), and are exactly what that purge removes.
EXPIRED_PAST_RETENTION_DAYS = 60

# The column order of the tuples the generator makes (field attnames; the loaders map them to
# the real column names through ``_meta``). A test checks they cover every concrete field.
ROOM_FIELDS = (
    "sid",
    "account_id",
    "unique_name",
    "status",
    "type",
    "record_participants_on_connect",
    "status_callback",
    "status_callback_method",
    "max_participants",
    "max_participant_duration",
    "empty_room_timeout",
    "unused_room_timeout",
    "audio_only",
    "media_offset",
    "callback_sequence",
    "simulated_seconds",
    "date_created",
    "date_updated",
    "end_time",
)
PARTICIPANT_FIELDS = (
    "sid",
    "account_id",
    "room_id",
    "identity",
    "status",
    "date_created",
    "date_updated",
    "end_time",
)
TRACK_FIELDS = (
    "sid",
    "account_id",
    "room_id",
    "participant_id",
    "name",
    "kind",
    "codec",
    "published",
    "date_created",
    "date_updated",
)
RECORDING_FIELDS = (
    "sid",
    "account_id",
    "room_id",
    "participant_id",
    "track_id",
    "status",
    "type",
    "codec",
    "container_format",
    "track_name",
    "size",
    "duration",
    "offset",
    "media_key",
    "media_external_location",
    "encryption_key",
    "status_callback",
    "status_callback_method",
    "date_created",
    "date_updated",
    "date_stopped",
    "date_deleted",
)
TABLES: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (Room, ROOM_FIELDS),
    (Participant, PARTICIPANT_FIELDS),
    (Track, TRACK_FIELDS),
    (Recording, RECORDING_FIELDS),
)

# A room's participants are drawn from these without repeats (identity "<name>-<1..99>"), and a
# named room is "<topic>-<1..50>": names recur across rooms, as people and meetings do.
NAMES = (  # noqa: SIM905 (two lines of names read better than 26)
    "alice bob carol dave erin frank grace heidi ivan judy ken laura mallory nina oscar peggy "
    "quinn rupert sybil trent uma victor wendy xavier yara zoe"
).split()
TOPICS = ["standup", "weekly-sync", "support-call", "interview", "all-hands", "retro", "demo"]
# Participants per room, 2-15, small rooms far more common (weight 1/(n-1): about 5 on average).
ROOM_SIZES = range(2, 16)
ROOM_SIZE_WEIGHTS = [1 / (n - 1) for n in ROOM_SIZES]
# Bytes per second of media: OPUS voice, a camera, a mostly still screen share.
BITRATES = {"audio": (3_000, 5_000), "cam": (40_000, 190_000), "screen": (20_000, 100_000)}
MATROSKA_OVERHEAD = 1_200


@dataclass
class Chunk:
    """Whole rooms' rows, one list of tuples per table (in ``TABLES`` order)."""

    rooms: list[tuple] = field(default_factory=list)
    participants: list[tuple] = field(default_factory=list)
    tracks: list[tuple] = field(default_factory=list)
    recordings: list[tuple] = field(default_factory=list)

    def tables(self) -> tuple[list[tuple], ...]:
        return self.rooms, self.participants, self.tracks, self.recordings


@dataclass(frozen=True)
class SeedResult:
    """What one ``recordings_seed`` run loaded (rooms, participants and tracks of every account)."""

    account_sid: str
    count: int
    rooms: int
    participants: int
    tracks: int
    seconds: float


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class RoomGenerator:
    """Make the rows of whole rooms, chunk by chunk, from one seeded random stream.

    Room start times follow the position in the stream: a chunk holding recordings ``p0..p1`` of
    ``total`` gets the matching slice of the span, so starts are uniform over the year and rows
    arrive in time order, as a live table fills up. The newest ``PROCESSING_SHARE`` of the span
    holds the processing recordings.
    """

    def __init__(self, *, now: datetime, expired: bool = False, seed: int | None = None):
        self.rng = random.Random(seed)
        self.expired = expired
        self.now = now.timestamp()
        retention = settings.RECORDING_RETENTION_DAYS * 86400
        # Deleted rows: since a day into retention (not yet purgeable), or with ``expired``
        # somewhere in the EXPIRED_PAST_RETENTION_DAYS before retention began.
        self.deleted_from = self.now - retention + 86400
        self.expired_width = (EXPIRED_PAST_RETENTION_DAYS - 1) * 86400
        self.expired_from = self.now - retention - EXPIRED_PAST_RETENTION_DAYS * 86400
        # Rooms are over an hour before now (or before the first expired deletion).
        self.span_start = self.now - SPAN.total_seconds()
        self.span_end = (self.expired_from if expired else self.now) - MAX_ROOM_SECONDS - 3600

    @staticmethod
    def sids(count: int) -> Iterator[str]:
        """Return ``count`` fresh 32-hex-digit SID bodies (one read of the system's randomness).

        Not from the seeded stream: a second run with the same seed into the same database gets
        the same data shape, not the same (clashing) primary keys.
        """
        digits = os.urandom(16 * count).hex()
        return (digits[i : i + 32] for i in range(0, 32 * count, 32))

    def chunks(
        self,
        quotas: dict[str, int],
        chunk_size: int = CHUNK_RECORDINGS,
        *,
        before: int = 0,
        total: int | None = None,
    ) -> Iterator[Chunk]:
        """Yield chunks until every account has exactly its quota of recordings.

        A part of a parallel load holds positions ``before`` … of ``total`` recordings, so its
        rooms take that slice of the year and the parts together cover it as one stream would.
        """
        remaining = dict(quotas)
        count = sum(quotas.values())
        total = total or count
        done = 0
        span = self.span_end - self.span_start
        processing_from = self.span_start + span * (1 - PROCESSING_SHARE)
        while done < count:
            plans = []
            planned = 0
            while planned < chunk_size and done + planned < count:
                # Weighted by what is left, so every account's rooms spread over the whole year.
                sids = [sid for sid, left in remaining.items() if left]
                (sid,) = self.rng.choices(sids, weights=[remaining[s] for s in sids])
                plan = self._room_plan(limit=remaining[sid])
                size = sum(len(tracks) for _, tracks in plan[1])
                remaining[sid] -= size
                planned += size
                plans.append((sid, plan))
            start = self.span_start + span * (before + done) / total
            width = span * planned / total
            starts = sorted(start + self.rng.random() * width for _ in plans)
            chunk = Chunk()
            for (sid, plan), room_start in zip(plans, starts, strict=True):
                self._room_rows(chunk, sid, plan, room_start, room_start >= processing_from)
            done += planned
            yield chunk

    def _room_plan(self, *, limit: int) -> tuple[bool, list[tuple[str, list[tuple]]]]:
        """Choose a room's participants and the tracks each publishes, at most ``limit`` tracks.

        Return (audio_only, [(identity, [(name, kind, codec, bitrate key), …]), …]).
        """
        rng = self.rng
        size = rng.choices(ROOM_SIZES, weights=ROOM_SIZE_WEIGHTS)[0]
        audio_only = rng.random() < 0.08
        video_codec = Codec.VP8 if rng.random() < 0.8 else Codec.H264
        # One presenter shares a screen in a third of the rooms with video.
        presenter = rng.randrange(size) if not audio_only and rng.random() < 0.35 else -1
        participants = []
        left = limit
        for index, name in enumerate(rng.sample(NAMES, size)):
            if left <= 0:
                break
            identity = f"{name}-{rng.randint(1, 99)}"
            tracks = [(f"{identity}-audio", MediaType.AUDIO, Codec.OPUS, "audio")]
            if not audio_only and rng.random() < 0.85:
                tracks.append((f"{identity}-cam", MediaType.VIDEO, video_codec, "cam"))
            if index == presenter:
                tracks.append(("screen", MediaType.VIDEO, video_codec, "screen"))
            # The last room of an account is cut to fit its quota exactly.
            tracks = tracks[:left]
            left -= len(tracks)
            participants.append((identity, tracks))
        return audio_only, participants

    def _room_rows(self, chunk: Chunk, account_sid: str, plan, start: float, recent: bool) -> None:
        """Append one room's rows to the chunk: it ran from ``start``, everyone has left.

        Written for speed (it runs for every row of millions): locals instead of attributes,
        ``lo + (hi - lo) * random()`` instead of ``uniform``, datetimes shared between rows.
        """
        random = self.rng.random
        audio_only, participants = plan
        sids = self.sids(1 + sum(1 + 2 * len(tracks) for _, tracks in participants))
        room_sid = "RM" + next(sids)
        length = min(MAX_ROOM_SECONDS, max(120.0, self.rng.lognormvariate(7.4, 0.8)))  # ~30 min
        media_offset = int(start * 1000)
        last_leave = start
        add_track = chunk.tracks.append
        add_recording = chunk.recordings.append
        for identity, tracks in participants:
            participant_sid = "PA" + next(sids)
            join = start + random() * 0.2 * length
            stay = (start + length - join) * (0.5 + 0.5 * random())
            leave = join + stay
            last_leave = max(last_leave, leave)
            left_at = _dt(leave)
            chunk.participants.append(
                (
                    participant_sid,
                    account_sid,
                    room_sid,
                    identity,
                    ParticipantStatus.DISCONNECTED,
                    _dt(join),
                    left_at,
                    left_at,
                )
            )
            for name, kind, codec, bitrate in tracks:
                if bitrate == "screen":  # shared for a while, not the whole stay
                    begin = join + 0.5 * random() * stay
                    stop = begin + (0.1 + 0.4 * random()) * stay
                else:
                    begin = join + 0.2 + 2.8 * random()
                    stop = leave
                track_sid = "MT" + next(sids)
                began, stopped = _dt(begin), _dt(stop)
                add_track(
                    (
                        track_sid,
                        account_sid,
                        room_sid,
                        participant_sid,
                        name,
                        kind,
                        codec,
                        False,
                        began,
                        stopped,
                    )
                )
                sid = "RT" + next(sids)
                duration = max(1, round(stop - begin))
                low, high = BITRATES[bitrate]
                size = MATROSKA_OVERHEAD + int(duration * (low + (high - low) * random()))
                # The media arrives (or the media server gives up) a little after capture stops.
                updated = stop + 2.0 + 88.0 * random()
                deleted = None
                media_key = ""
                pick = random() * (1 - PROCESSING_SHARE)
                if self.expired:
                    status = RecordingStatus.DELETED
                    deleted = self.expired_from + random() * self.expired_width
                elif recent:
                    status = RecordingStatus.PROCESSING
                    size = duration = None
                    updated = stop
                elif pick < DELETED_SHARE:
                    status = RecordingStatus.DELETED
                    since = max(updated, self.deleted_from)
                    deleted = since + (self.now - since) * random()
                elif pick < DELETED_SHARE + FAILED_SHARE:
                    status = RecordingStatus.FAILED
                    size = duration = None
                else:
                    status = RecordingStatus.COMPLETED
                    # The key ``services.media_key_for`` gives; no file is written under it.
                    media_key = f"{account_sid}/{room_sid}/{sid}.{CONTAINER_FOR_TYPE[kind]}"
                if deleted is not None:
                    updated = deleted
                add_recording(
                    (
                        sid,
                        account_sid,
                        room_sid,
                        participant_sid,
                        track_sid,
                        status,
                        kind,
                        codec,
                        CONTAINER_FOR_TYPE[kind],
                        name,
                        size,
                        duration,
                        media_offset,
                        media_key,
                        None,
                        None,
                        None,
                        CallbackMethod.POST,
                        began,
                        _dt(updated),
                        stopped,
                        None if deleted is None else _dt(deleted),
                    )
                )
        end = _dt(last_leave + 300)  # EmptyRoomTimeout: the room ends 5 minutes after
        topic = random()
        small = len(participants) <= 4 and topic > 0.85
        chunk.rooms.append(
            (
                room_sid,
                account_sid,
                # Twilio's default name is the SID; named rooms recur, as teams' meetings do.
                room_sid if topic < 0.3 else f"{self.rng.choice(TOPICS)}-{1 + int(random() * 50)}",
                RoomStatus.COMPLETED,
                RoomType.GROUP_SMALL if small else RoomType.GROUP,
                True,
                None,
                CallbackMethod.POST,
                4 if small else 50,
                14400,
                5,
                5,
                audio_only,
                media_offset,
                0,
                None,
                _dt(start),
                end,
                end,
            )
        )


# LOADERS ----------------------------------------------------------------------------------------


def _copy_sql(model: type[models.Model], names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    return f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"


def _copy_types(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    # "varchar(34)" → "varchar": binary COPY needs each column's type, not its modifiers.
    return [model._meta.get_field(name).db_type(connection).split("(")[0] for name in names]


def _load_copy(chunk: Chunk) -> None:
    """Write a chunk with binary COPY (psycopg 3), the fastest way into PostgreSQL.

    Binary rather than text: psycopg's C dumpers make it cheaper on both ends (measured: about
    half the client time of ``write_row`` in text format, and less server time than either text
    variant; building text lines in Python was the slowest).
    """
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        for (model, names), rows in zip(TABLES, chunk.tables(), strict=True):
            with cursor.copy(_copy_sql(model, names)) as copy:
                copy.set_types(_copy_types(model, names))
                write_row = copy.write_row
                for row in rows:
                    write_row(row)


def _load_orm(chunk: Chunk) -> None:
    """Write a chunk with ``bulk_create``: any database, slower."""
    for (model, names), rows in zip(TABLES, chunk.tables(), strict=True):
        model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in rows])


# DEFERRED INDEXES -------------------------------------------------------------------------------

# Secondary indexes: not the primary key's nor a constraint's (foreign keys point at the former).
_SECONDARY_INDEXES_SQL = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY(%s::regclass[])
      AND NOT EXISTS (
          SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
      )
    ORDER BY 1
"""
_FOREIGN_KEYS_SQL = """
    SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
    FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
    ORDER BY 1, 2
"""
# Sort memory for the rebuild: an index built in one in-memory pass instead of merged runs.
REBUILD_MAINTENANCE_WORK_MEM = "512MB"


@contextmanager
def indexes_deferred() -> Iterator[None]:
    """Drop the seeded tables' secondary indexes and foreign keys; build them again on leaving.

    What ``pg_restore`` does: a row costs a dozen random B-tree insertions (random SIDs) and
    four foreign-key probes while they exist, while an index built after the load is one sort
    and a foreign key one join. Built again even when the load fails, as it leaves whole rooms.
    """
    tables = [model._meta.db_table for model, _ in TABLES]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SECONDARY_INDEXES_SQL, [tables])
        indexes = cursor.fetchall()
        cursor.execute(_FOREIGN_KEYS_SQL, [tables])
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM}'")
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


# THE SERVICE ------------------------------------------------------------------------------------


def _quotas(*, account: Account, count: int, expired: bool) -> dict[str, int]:
    """Return how many recordings each account gets, creating the filler accounts needed.

    Fillers are found again by name, so a table grown by several runs (1k, 10k, 100k, …) keeps
    the same few tenants rather than gaining nine small ones per run.
    """
    main = count if expired else round(count * MAIN_SHARE)
    rest = count - main
    fillers = min(FILLER_ACCOUNTS, rest)
    quotas = {account.sid: main}
    for index in range(fillers):
        name = f"Seed filler {index + 1} of {account.sid}"
        filler = Account.objects.filter(friendly_name=name).order_by("sid").first()
        filler = filler or account_create(friendly_name=name)
        quotas[filler.sid] = rest // fillers + (index < rest % fillers)
    return quotas


@dataclass(frozen=True)
class _Part:
    """One worker's share of a load: its accounts' quotas and where they sit in the stream."""

    quotas: dict[str, int]
    before: int
    total: int
    expired: bool
    seed: int | None
    chunk_size: int
    now: datetime


def _parts(quotas: dict[str, int], workers: int, *, seed: int | None, **common: Any) -> list[_Part]:
    """Split every account's quota over ``workers`` consecutive slices of the stream."""
    total = sum(quotas.values())
    parts, before = [], 0
    for index in range(workers):
        share = {sid: n // workers + (index < n % workers) for sid, n in quotas.items()}
        share = {sid: n for sid, n in share.items() if n}
        # One worker draws exactly the stream a seed always gave; more draw one stream each.
        part_seed = None if seed is None else seed * workers + index
        parts.append(_Part(share, before, total, seed=part_seed, **common))
        before += sum(share.values())
    return [part for part in parts if part.quotas]


def _load_part(part: _Part) -> tuple[int, int, int]:
    """Generate and write one part, a transaction a chunk; return (rooms, participants, tracks)."""
    generator = RoomGenerator(now=part.now, expired=part.expired, seed=part.seed)
    load = _load_copy if connection.vendor == "postgresql" else _load_orm
    rooms = participants = tracks = 0
    # Millions of short-lived tuples and no reference cycles: the cyclic collector would only
    # rescan them over and over (it more than doubled the generator's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        chunks = generator.chunks(
            part.quotas, chunk_size=part.chunk_size, before=part.before, total=part.total
        )
        for chunk in chunks:
            with transaction.atomic():
                load(chunk)
            rooms += len(chunk.rooms)
            participants += len(chunk.participants)
            tracks += len(chunk.tracks)
    finally:
        if collecting:
            gc.enable()
    return rooms, participants, tracks


def _load_parallel(parts: list[_Part]) -> list[tuple[int, int, int]]:
    """Load each part in a process of its own, each with its own connection.

    Forked, so the children start with Django set up; the parent's connection is closed first,
    so that no child shares its socket.
    """
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(len(parts)) as pool:
        return pool.map(_load_part, parts)


def recordings_seed(
    *,
    account: Account,
    count: int,
    expired: bool = False,
    seed: int | None = None,
    chunk_size: int = CHUNK_RECORDINGS,
    workers: int = 1,
    defer_indexes: bool = False,
) -> SeedResult:
    """Load ``count`` recordings with their rooms, participants and tracks; return the counts.

    With ``expired``, every recording is the given account's, deleted 1 to 60 days past
    retention (31-90 days ago), so the next purge removes them all. ``workers`` > 1 loads in
    that many processes (PostgreSQL only). ``defer_indexes`` drops the four tables' secondary
    indexes and foreign keys for the load and builds them again after (PostgreSQL only): for a
    benchmark's database that nothing else uses, never a live vault, whose lists and checks
    would go without them meanwhile.
    """
    began = time.monotonic()
    quotas = _quotas(account=account, count=count, expired=expired)
    parts = _parts(
        quotas,
        workers,
        expired=expired,
        seed=seed,
        chunk_size=chunk_size,
        now=timezone.now(),
    )
    with indexes_deferred() if defer_indexes else nullcontext():
        counts = _load_parallel(parts) if len(parts) > 1 else [_load_part(parts[0])]
    rooms, participants, tracks = (sum(column) for column in zip(*counts, strict=True))
    return SeedResult(
        account_sid=account.sid,
        count=count,
        rooms=rooms,
        participants=participants,
        tracks=tracks,
        seconds=round(time.monotonic() - began, 2),
    )
