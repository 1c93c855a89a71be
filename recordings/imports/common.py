"""What the importer's parts share: a unit of work, the refusal writers raise, and how they compare
and create rows that keep a source's SIDs."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction

from console.models import Account
from recordings.media.keys import MediaKeyTaken
from recordings.media.store import get_media_store
from recordings.media.uploads import discard, save_then_record

# Why a recording whose SIDs (or the place of its file) are taken is not written: the same words
# whether another account holds one of them or not, so that an import tells nobody which SIDs
# exist in other accounts.
UNSTORABLE = "not stored: one of its SIDs, or the place of its file, is already taken"


# A row a recording's write looks up: its model and SID (None: no such row to look up).
Lookup = tuple[type, str | None]


@dataclass
class _Batch:
    # The files stored for rows the batch's transaction has not committed yet.
    stored: list[tuple[str, str]] = field(default_factory=list)
    # The rows the batch has read, by model and SID, and which (missing ones too) it knows: not
    # one a recording created, which its savepoint may yet take back.
    rows: dict[tuple[type, str], object] = field(default_factory=dict)
    known: set[tuple[type, str]] = field(default_factory=set)

    def read(self, lookups: Iterable[Lookup]) -> None:
        """Read these rows, one query per model."""
        wanted: dict[type, set[str]] = defaultdict(set)
        for model, sid in lookups:
            if sid:
                wanted[model].add(sid)
        for model, sids in wanted.items():
            self.rows.update(((model, row.sid), row) for row in model.objects.filter(sid__in=sids))
            self.known.update((model, sid) for sid in sids)


_batch: ContextVar[_Batch | None] = ContextVar("_batch", default=None)


# The first half of the PostgreSQL advisory lock a batch holds on its account's imports (the
# second is the account SID's hash); the two-number locks are apart from the one-number ones.
_IMPORTS_LOCK = 0x524D494D  # "RMIM"


@contextmanager
def one_batch(account: Account, lookups: Iterable[Lookup] = ()) -> Iterator[None]:
    """One transaction that writes several recordings into ``account``, holding its imports'
    lock: the files ``store_then_write`` stores inside it are removed if it does not commit, as
    one recording's own are when its rows are refused; and the rows its recordings look up
    (``Work.lookups``) are read once, together.

    While a batch holds the lock, no other import into the account is between storing a file
    and committing the row that names it, so a file it finds at a key no row has is a dead run's
    (``store_then_write`` replaces it). On SQLite the transaction is the lock: it begins
    IMMEDIATE, as the database's only writer.
    """
    batch = _Batch()
    token = _batch.set(batch)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                        [_IMPORTS_LOCK, account.sid],
                    )
            batch.read(lookups)
            yield
    except BaseException:
        for key, account_sid in batch.stored:
            discard(get_media_store(), key, account_sid=account_sid)
        raise
    finally:
        _batch.reset(token)


class ImportRefused(Exception):
    """The recording cannot be imported (or conflicts with what is here); ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def comparable(value):
    """Return a value as sources render it, for comparing with what is stored."""
    # Sources render times to the second.
    return value.replace(microsecond=0) if isinstance(value, datetime) else value


def already_here(model, same: tuple[tuple[str, str], ...], *, account: Account, meta) -> bool:
    """Tell whether the recording ``meta`` describes is already in the account (True) or not
    (False); raise ImportRefused when its SID is here with different content (compared field by
    field, ``same`` pairing our fields with the source's): it is never overwritten.

    Another account's recording counts as not here: it is fetched like any other, and its write
    fails as any unstorable one does (UNSTORABLE), so the source cannot tell the two apart.
    """
    found = model.objects.filter(sid=meta.sid, account=account).first()
    if found is None:
        return False
    differences = [
        ours
        for ours, theirs in same
        if comparable(getattr(found, ours)) != comparable(getattr(meta, theirs))
    ]
    if differences:
        raise ImportRefused(
            f"{meta.sid} exists here with different content ({', '.join(differences)})"
        )
    return True


def store_then_write(
    model, *, sid: str, account: Account, media: Path | None, key: str, write: Callable[[int], int]
) -> int:
    """Store a recording's file under ``key`` (none without ``media``), then ``write(size)`` its
    rows in their own transaction; return the bytes stored. Raise ImportRefused (UNSTORABLE) when
    its SID or its key is taken.

    The file is stored before the transaction (a download's worth of bytes holds no lock), and
    create-only: rows that are not written take with them the file this call stored, and nothing
    else; under ``one_batch``, neither does a rollback of the enclosing transaction. A
    process killed between the two leaves a file no row names: under ``one_batch`` the next run
    replaces it (see there), elsewhere it is refused and the drift check reports it.
    """
    # Cheap before the upload; ``insert`` checks again inside the transaction.
    if _row(model, sid) is not None:
        raise ImportRefused(UNSTORABLE)
    if media is None:
        return write(0)
    batch = _batch.get()
    try:
        size = _save(media, key, account=account, write=write)
    except MediaKeyTaken:
        # A key names its recording's SID: with no row of that SID (read now, not as the batch
        # read it), no row names the file. (Other writers store a recording's file only once its
        # row exists.)
        if batch is None or model.objects.filter(sid=sid).exists():
            raise ImportRefused(UNSTORABLE) from None
        get_media_store().delete(key, account_sid=account.sid)
        try:
            size = _save(media, key, account=account, write=write)
        except MediaKeyTaken:
            raise ImportRefused(UNSTORABLE) from None
    if batch is not None:
        batch.stored.append((key, account.sid))
    return size


def _save(media: Path, key: str, *, account: Account, write: Callable[[int], int]) -> int:
    with media.open("rb") as stream:
        return save_then_record(
            get_media_store(), key, stream, account_sid=account.sid, record=write
        )


def insert(recording, *, key: str, size: int) -> int:
    """Insert a recording's row naming its stored file (``key``, ``size``; none when ``key`` is
    empty) and return the size; raise ImportRefused (UNSTORABLE) when its SID is taken. Call
    inside the writer's transaction."""
    batch = _batch.get()
    model = type(recording)
    # A batch read the SIDs inside its transaction: one taken since fails the insert itself
    # (IntegrityError, which the run counts as UNSTORABLE).
    if (batch is None or (model, recording.sid) not in batch.known) and model.objects.filter(
        sid=recording.sid
    ).exists():
        raise ImportRefused(UNSTORABLE)
    if key:
        recording.media_key = key
        recording.size = size
    recording.save(force_insert=True)
    return size


def ensure_row(model, sid: str, account: Account, **fields):
    """Return the account's row with this SID, creating it from ``fields`` if missing; raise
    ImportRefused (UNSTORABLE) when the SID belongs to another account."""
    batch = _batch.get()
    row = _row(model, sid)
    if row is None:
        if batch is not None:
            batch.known.discard((model, sid))  # its recording's savepoint may take it back
        return model.objects.create(sid=sid, account=account, **fields)
    if row.account_id != account.sid:
        raise ImportRefused(UNSTORABLE)
    if batch is not None:
        batch.rows[model, sid] = row
        batch.known.add((model, sid))
    return row


def _row(model, sid: str):
    """Return the row of this SID (any account's), or None: as the batch read it if it did."""
    batch = _batch.get()
    if batch is not None and (model, sid) in batch.known:
        return batch.rows.get((model, sid))
    return model.objects.filter(sid=sid).first()


@dataclass
class Work:
    """One source recording to settle: its metadata, and how to fetch what it needs."""

    sid: str
    meta: object
    # Fetches the media (and anything else it needs) off the database thread; returns the
    # writer's keyword arguments. A path among them is a temporary file the run deletes once
    # written: never the user's own file.
    fetch: Callable[[], dict]
    write: Callable[..., int]
    verdict: Callable[..., bool]
    # The rows the write looks up (``Lookup``), given the metadata and what was fetched: a batch
    # reads them together.
    lookups: Callable[..., Iterable[Lookup]] = lambda **_: ()
