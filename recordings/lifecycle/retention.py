"""Retention: purge deleted recordings' metadata after their kind's retention (video:
``RECORDING_RETENTION_DAYS``, 30; voice: ``VOICE_RECORDING_RETENTION_DAYS``, 40), and sweep for
deleted recordings whose media file is still stored. Every registered kind, one after another.

The purge runs in fixed-size batches, each its own short transaction: pick a batch of purgeable
SIDs through the partial index ``rec_deleted_purge`` (each batch starting where the last ended),
delete the recordings, every row that cascades from them and their callback deliveries (on
PostgreSQL in one statement), and write one ``recordings.purge`` audit event per affected account
in the same transaction. A run that dies mid-way leaves every finished batch purged; the
next run finishes the rest. A recording whose media is still stored (``media_key`` set) is never
purged: its media deletion is queued again and a later run purges it, once the media is gone and
the key cleared. What a legal hold covers, or a trash keeps, is neither purged nor swept.

On PostgreSQL a run holds an advisory lock for its whole length, so two runs never overlap (beat
firing while a long run is still going, or two beat processes by mistake).
"""

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CASCADE, DO_NOTHING, Field, Model, Q, QuerySet
from django.db.models.signals import post_delete, pre_delete

from console.models import Account
from console.services import SYSTEM, audit_record
from recordings.lifecycle.deletion import sids_in
from recordings.lifecycle.kinds import DELETED, RecordingKind, kinds
from recordings.lifecycle.models import CallbackDelivery
from recordings.lifecycle.queue import enqueue_media_deletion
from recordings.lifecycle.trash import without_kept

logger = logging.getLogger(__name__)

# Fixed key of the purge's PostgreSQL advisory lock (any 64-bit number no other code uses).
PURGE_LOCK_KEY = 0x524F4F4D_50555247  # "ROOMPURG"
# Most media deletions one purge or sweep run queues: the rest wait for the next run.
MEDIA_REQUEUE_LIMIT = 10_000


def _expired(*, cutoff: datetime, kind: RecordingKind) -> QuerySet:
    """Return the deleted recordings past retention (answered by the partial index), less those
    a legal hold or a trash keeps."""
    expired = kind.model._default_manager.filter(status=DELETED, date_deleted__lte=cutoff)
    return without_kept(kind, expired)


def _uses_advisory_lock() -> bool:
    return connection.vendor == "postgresql"


def _lock_acquire() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PURGE_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _lock_release() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [PURGE_LOCK_KEY])


def purge_batch_select(
    *,
    cutoff: datetime,
    batch_size: int,
    kind: RecordingKind,
    after: tuple[datetime, str] | None = None,
) -> QuerySet:
    """Return the next batch of purgeable (SID, account, date deleted) rows, locked, oldest
    deletion first, past ``after`` (the last row of the previous batch).

    The bound makes each batch start where the last one ended: the entries it just deleted stay
    in the index until vacuum, and scanning them again from the top would make every batch slower
    than the one before. Rows another transaction holds are skipped, not waited for: the next run
    gets them.
    """
    qs = _expired(cutoff=cutoff, kind=kind).filter(media_key="")
    if after is not None:
        deleted, sid = after
        qs = qs.filter(date_deleted__gte=deleted).filter(
            Q(date_deleted__gt=deleted) | Q(sid__gt=sid)
        )
    return (
        qs.select_for_update(skip_locked=True)
        .order_by("date_deleted", "sid")
        .values_list("sid", "account_id", "date_deleted")[:batch_size]
    )


def _cascade_deletes(
    model: type[Model], parent: str, ctes: list[str], within: tuple[type[Model], ...] = ()
) -> bool:
    """Append to ``ctes`` a DELETE of every row that Django's delete of the ``parent`` CTE's rows
    of ``model`` would cascade to, at any depth; return False where its collector would do more
    than delete (SET_NULL, PROTECT, a generic or many-to-many relation, an inherited table, delete
    signals, a cascade back to a model of the chain), which one statement cannot express.

    Derived from the models, so a relation a kind's app adds later is purged with it, or sends
    that kind back to Django's delete, never left behind.
    """
    meta = model._meta
    if meta.parents or meta.private_fields or meta.many_to_many:
        return False
    if pre_delete.has_listeners(model) or post_delete.has_listeners(model):
        return False
    chain = (*within, model)
    for rel in meta.related_objects:
        if rel.on_delete is DO_NOTHING:
            continue
        if rel.on_delete is not CASCADE or rel.many_to_many or rel.related_model in chain:
            return False
        if not _related_delete(rel.field, parent, rel.field.target_field, ctes, chain):
            return False
    return True


def _related_delete(
    field: Field,
    parent: str,
    key: Field,
    ctes: list[str],
    within: tuple[type[Model], ...] = (),
) -> bool:
    """Append a DELETE of the rows of ``field``'s model whose ``field`` is among the ``parent``
    CTE's ``key`` values, then the deletes cascading from them (``_cascade_deletes``)."""
    name = f"cascade_{len(ctes)}"
    model = field.model
    ctes.append(
        f"{name} AS (DELETE FROM {connection.ops.quote_name(model._meta.db_table)} "
        f"WHERE {_column(field)} IN (SELECT {_column(key)} FROM {parent}) "
        f"RETURNING {_column(model._meta.pk)})"
    )
    return _cascade_deletes(model, name, ctes, within)


def _column(field: Field) -> str:
    # Every field here is concrete, so it has a column: the stubs allow None for the others.
    return connection.ops.quote_name(cast(str, field.column))


def _purge_statement(kind: RecordingKind) -> str | None:
    """Return one PostgreSQL statement (taking the batch select's SQL as ``{batch}``) that deletes
    a batch with every row that would cascade from it and its callback deliveries; None where the
    kind's relations need Django's delete (``_cascade_deletes``).

    It returns a row per account: the account, how many of its recordings it deleted, and the
    (date deleted, SID) the batch ended at, repeated. Not a row per recording: turning thousands
    of returned dates into Python datetimes cost more than the DELETE (measured: 70 ms of a
    150 ms batch of 5,000).
    """
    meta = kind.model._meta
    sid, account, deleted = (_column(meta.get_field(f)) for f in ("sid", "account", "date_deleted"))
    ctes = [
        f"purged AS (DELETE FROM {connection.ops.quote_name(meta.db_table)} "
        f"WHERE {sid} = ANY(ARRAY({{batch}})) RETURNING {sid}, {account}, {deleted})"
    ]
    delivery_sid = CallbackDelivery._meta.get_field("recording_sid")
    if not (
        _cascade_deletes(kind.model, "purged", ctes)
        and _related_delete(delivery_sid, "purged", meta.get_field("sid"), ctes)
    ):
        return None
    return (
        f"WITH {', '.join(ctes)}, "
        f"ended AS (SELECT {deleted}, {sid} FROM purged ORDER BY 1 DESC, 2 DESC LIMIT 1) "
        f"SELECT purged.{account}, count(*), ended.{deleted}, ended.{sid} FROM purged, ended "
        f"GROUP BY purged.{account}, ended.{deleted}, ended.{sid}"
    )


# What a batch purged: how many of each account's recordings, and the (date deleted, SID) it
# ended at (None for an empty batch).
Purged = tuple[dict[str, int], tuple[datetime, str] | None]


def _purge_in_one_statement(statement: str, batch: QuerySet) -> Purged:
    select, params = batch.values_list("sid").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(statement.format(batch=select), params)
        rows = cursor.fetchall()
    if not rows:
        return {}, None
    _, _, last_deleted, last_sid = rows[0]
    return {account: count for account, count, _, _ in rows}, (last_deleted, last_sid)


def _purge_through_django(kind: RecordingKind, batch: QuerySet) -> Purged:
    rows = list(batch)
    if not rows:
        return {}, None
    sids = sids_in([sid for sid, _, _ in rows])
    CallbackDelivery.objects.filter(recording_sid__in=sids).delete()
    kind.model.objects.filter(sid__in=sids).delete()
    last_sid, _, last_deleted = rows[-1]
    return Counter(account for _, account, _ in rows), (last_deleted, last_sid)


def _purge_batch(
    kind: RecordingKind, *, cutoff: datetime, batch_size: int, after: tuple[datetime, str] | None
) -> tuple[int, tuple[datetime, str] | None]:
    """Purge one batch in one transaction; return how many it purged and where it ended.

    On PostgreSQL one statement deletes the batch and all that goes with it; elsewhere (and for a
    kind whose relations need Django's delete) the batch is read, then deleted. The audit is
    written from what was deleted, in the same transaction: both commit or neither does (house
    rule 7), and it counts only what this batch deleted.
    """
    with transaction.atomic():
        batch = purge_batch_select(cutoff=cutoff, batch_size=batch_size, after=after, kind=kind)
        statement = _purge_statement(kind) if connection.vendor == "postgresql" else None
        if statement is not None:
            per_account, end = _purge_in_one_statement(statement, batch)
        else:
            per_account, end = _purge_through_django(kind, batch)
        if end is None:
            return 0, after
        _audit(kind, per_account)
        return sum(per_account.values()), end


def _audit(kind: RecordingKind, per_account: dict[str, int]) -> None:
    """Write one ``recordings.purge`` event per account, with how many of its recordings were
    purged."""
    for account in Account.objects.filter(pk__in=per_account).order_by("pk"):
        count = per_account[account.pk]
        audit_record(
            account=account,
            actor=SYSTEM,
            action="recordings.purge",
            object_repr=f"{count} deleted {kind.plural if count != 1 else kind.noun} purged "
            f"after {kind.retention_days} days",
        )


def _media_requeue(recordings: QuerySet) -> int:
    """Queue media deletion again for deleted recordings whose media is still stored."""
    sids = list(
        recordings.exclude(media_key="")
        .order_by("date_deleted")
        .values_list("sid", flat=True)[:MEDIA_REQUEUE_LIMIT]
    )
    enqueue_media_deletion(sids)
    return len(sids)


def recordings_purge(*, now: datetime, batch_size: int | None = None, dry_run: bool = False) -> int:
    """Hard-delete deleted recordings of every kind past retention, in batches; return how many
    were purged.

    With ``dry_run``, count how many a run at ``now`` would purge and change nothing. Not one
    transaction on purpose: each batch is its own, so a long purge never holds locks for long.
    """
    batch_size = batch_size or settings.PURGE_BATCH_SIZE
    if dry_run:
        return sum(
            _expired(cutoff=now - timedelta(days=kind.retention_days), kind=kind)
            .filter(media_key="")
            .count()
            for kind in kinds()
        )
    locked = _uses_advisory_lock()
    if locked and not _lock_acquire():
        logger.info("Recording purge skipped: another purge run holds the lock")
        return 0
    try:
        purged = sum(_purge_kind(kind, now=now, batch_size=batch_size) for kind in kinds())
    finally:
        if locked:
            _lock_release()
    return purged


def _purge_kind(kind: RecordingKind, *, now: datetime, batch_size: int) -> int:
    cutoff = now - timedelta(days=kind.retention_days)
    purged, after = 0, None
    while True:
        batch, after = _purge_batch(kind, cutoff=cutoff, batch_size=batch_size, after=after)
        if not batch:
            break
        purged += batch
    # After the batches, so a deletion that completes at once (eager tasks) cannot turn this
    # run's skipped recordings purgeable half-way: they are purged by the next run.
    requeued = _media_requeue(_expired(cutoff=cutoff, kind=kind))
    logger.info(
        "Purge of deleted %s: %d purged (deleted on or before %s); "
        "media deletion queued again for %d",
        kind.plural,
        purged,
        cutoff.isoformat(),
        requeued,
    )
    return purged


def recordings_media_sweep(*, now: datetime) -> int:
    """Queue media deletion again for deleted recordings still holding media past the grace time.

    Return how many were queued (at most ``MEDIA_REQUEUE_LIMIT`` per run).
    """
    grace = timedelta(seconds=settings.MEDIA_SWEEP_GRACE_SECONDS)
    requeued = sum(_media_requeue(_expired(cutoff=now - grace, kind=kind)) for kind in kinds())
    if requeued:
        logger.info("Media sweep: deletion queued again for %d deleted recordings", requeued)
    return requeued
