"""Bulk deletion: a confirmed selection of recordings becomes a job deleted chunk by chunk.

The selection is the Logs filter (posted as its URL query, parsed by that Logs page's own form and
stored as its typed filter in JSON) or an explicit list of SIDs of one kind of recording
(``product``), always read through that kind's ``matching`` (its Logs page's own selector) so that
"all matching this filter" means what that page shows.
Each chunk is one transaction: lock the job row, read the next ``chunk_size`` matching rows past
the job's keyset cursor (locked: the one read of the chunk), soft-delete those the kind may delete
(``deletion.soft_delete_locked``: one audit row listing their SIDs, one UPDATE, one media task),
and save the counts and the new cursor. A worker that dies mid-chunk rolls the whole chunk back,
and the re-delivered task does it again from the same cursor: nothing is counted or deleted twice.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, F, QuerySet, Value, When
from django.http import QueryDict
from django.utils import timezone

from console.models import Account
from console.services import Actor, audit_record
from console.sids import is_sid
from recordings.lifecycle import holds
from recordings.lifecycle.deletion import soft_delete_locked
from recordings.lifecycle.exceptions import ServiceError
from recordings.lifecycle.forms import LogsFilterForm
from recordings.lifecycle.kinds import DELETED, kind_of
from recordings.lifecycle.models import BulkDeletion
from recordings.lifecycle.queue import enqueue
from recordings.twilio_api import keyset

# A deletion of more recordings than this is confirmed by typing their number, not by a click.
CONFIRM_BY_TYPING_ABOVE = 1000
# An explicit selection comes from the row checkboxes of one Logs page (at most 200 rows); a
# larger set is selected by its filter, never as a list of thousands of SIDs.
MAX_EXPLICIT_SIDS = 1000


_UNFINISHED = (BulkDeletion.Status.QUEUED, BulkDeletion.Status.RUNNING)


class InvalidBulkSelection(ServiceError):
    """The selection is malformed or matches nothing: no job was created."""


class CountNotConfirmed(ServiceError):
    """A deletion of more than CONFIRM_BY_TYPING_ABOVE recordings came without their number
    typed, or with another: no job was created."""


class FormSelection:
    """A kind's ``selection_of``: a Logs filter query read by that page's form (a
    ``LogsFilterForm``), as the typed filter's JSON a job stores, and in words."""

    def __init__(self, form_class: type[LogsFilterForm]):
        self.form_class = form_class

    def _valid_form(self, query: str) -> Any:
        form = self.form_class(QueryDict(query.lstrip("?")))
        if not form.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()
            )
            raise InvalidBulkSelection(f"The filter is not valid ({problems}).")
        return form

    def __call__(self, query: str) -> dict:
        return self._valid_form(query).filter().to_json()

    def in_words(self, query: str, *, plural: str) -> str:
        try:
            return self._valid_form(query).in_words(plural=plural)
        except InvalidBulkSelection:
            # A job's query that no longer parses (its selection is kept): say what was asked.
            return f"{plural} matching ?{query}"


def bulk_selection(
    *,
    account: Account,
    query: str | None = None,
    sids: list[str] | None = None,
    product: str = BulkDeletion.Product.VIDEO,
) -> QuerySet:
    """Return the account's recordings a bulk deletion of this selection covers, newest first.

    ``query`` is the Logs filter as a URL query; ``sids`` an explicit list (foreign and unknown
    SIDs simply match nothing). Raises InvalidBulkSelection for an invalid filter, a malformed or
    oversized list, or neither/both given: never silently widen a deletion to "everything".
    """
    kind = kind_of(product)
    if (query is None) == (sids is None):
        raise InvalidBulkSelection("Select recordings, or all recordings matching a filter.")
    if query is not None:
        return kind.matching(account=account, selection=kind.selection_of(query))
    if not sids:
        raise InvalidBulkSelection("Select at least one recording.")
    if len(sids) > MAX_EXPLICIT_SIDS:
        raise InvalidBulkSelection(
            f"Select at most {MAX_EXPLICIT_SIDS} recordings one by one; "
            "to delete more, select all recordings matching a filter."
        )
    if not all(isinstance(sid, str) and is_sid(sid, kind.prefix) for sid in sids):
        raise InvalidBulkSelection(f"A recording SID is {kind.prefix} followed by 32 hex digits.")
    # SIDs are stored with lowercase hex; the Logs filter accepts either case.
    wanted = sorted({sid[:2] + sid[2:].lower() for sid in sids})
    return kind.matching(account=account, selection={}).filter(sid__in=wanted)


def bulk_deletion_list(*, account: Account, limit: int = 50) -> list[BulkDeletion]:
    """Return the account's most recent bulk deletions, newest first."""
    return list(
        BulkDeletion.objects.filter(account=account).order_by("-date_created", "-id")[:limit]
    )


def bulk_deletion_get(*, account: Account, pk: int) -> BulkDeletion | None:
    """Return the account's bulk deletion with this id, or None (foreign and unknown alike)."""
    return BulkDeletion.objects.filter(account=account, pk=pk).first()


def product_noun(product: str) -> str:
    """Return what a product's bulk deletion deletes, in the plural."""
    return kind_of(product).plural


def selection_in_words(*, product: str, query: str | None, sids: list | None) -> str:
    """Return what a selection deletes as people say it, with its Logs page's labels: "audio
    recordings …" is "recordings with type Audio, room name starting with “weekly” (any case),
    created from 1 Dec 2026", or "3 selected voice recordings"."""
    kind = kind_of(product)
    if sids is not None:
        return f"{len(sids)} selected {kind.noun if len(sids) == 1 else kind.plural}"
    return kind.selection_of.in_words(query or "", plural=kind.plural)


def bulk_in_words(bulk: BulkDeletion) -> str:
    """Return what a bulk deletion deletes, in words (``selection_in_words``)."""
    return selection_in_words(product=bulk.product, query=bulk.query, sids=bulk.sids)


@transaction.atomic
def bulk_deletion_create(
    *,
    account: Account,
    actor: Actor,
    query: str | None,
    sids: list[str] | None,
    product: str = BulkDeletion.Product.VIDEO,
    typed_count: int | None = None,
) -> BulkDeletion:
    """Create and queue a bulk deletion of a selection, counting it once, audited with it.

    Raises InvalidBulkSelection (nothing created) for a bad selection or one matching nothing,
    and CountNotConfirmed when it matches more than CONFIRM_BY_TYPING_ABOVE recordings and
    ``typed_count`` is not their number (now: it may have grown since the confirmation page).
    """
    now = timezone.now()
    total = (
        bulk_selection(account=account, query=query, sids=sids, product=product)
        .filter(date_created__lte=now)
        .count()
    )
    if total == 0:
        raise InvalidBulkSelection("No recording that can be deleted matches this selection.")
    if total > CONFIRM_BY_TYPING_ABOVE and typed_count != total:
        raise CountNotConfirmed(
            f"Type {total}, the number of {product_noun(product)} this deletes, to confirm."
            if typed_count is None
            else f"This deletes {total} {product_noun(product)}, not {typed_count}: type {total} "
            "to confirm."
        )
    return bulk_deletion_queue(
        account=account,
        actor=actor,
        product=product,
        query=query or "",
        selection=kind_of(product).selection_of(query) if query is not None else None,
        sids=sorted(set(sids)) if sids is not None else None,
        total=total,
        now=now,
    )


def bulk_deletion_queue(
    *,
    account: Account,
    actor: Actor,
    product: str,
    query: str,
    selection: dict | None,
    sids: list[str] | None,
    total: int,
    now: datetime,
    created_until: datetime | None = None,
    policy_sid: str = "",
) -> BulkDeletion:
    """Create a job of a checked selection counted at ``total``, audited with it, and queue it
    once the caller's transaction commits: how a user's deletion and a policy's run start."""
    user = actor.user if getattr(actor.user, "pk", None) is not None else None
    bulk = BulkDeletion.objects.create(
        account=account,
        product=product,
        created_by=user,
        actor=actor.name,
        source_ip=actor.source_ip,
        query=query,
        selection=selection,
        sids=sids,
        chunk_size=settings.BULK_DELETE_CHUNK,
        total=total,
        created_until=created_until,
        policy_sid=policy_sid,
        date_created=now,
        date_updated=now,
    )
    audit_record(
        account=account,
        actor=actor,
        action="recordings.bulk_delete",
        object_repr=(
            f"bulk deletion {bulk.pk}: {total} {product_noun(bulk.product)}, {bulk_in_words(bulk)}"
        ),
    )
    bulk_id = bulk.pk
    transaction.on_commit(
        lambda: enqueue("recordings.tasks.run_bulk_deletion", bulk_id), robust=True
    )
    return bulk


@transaction.atomic
def bulk_deletion_run_chunk(*, bulk_id: int) -> bool:
    """Delete the next chunk of a bulk deletion and save its progress; tell whether more remains.

    Processing recordings are skipped and counted, never half-deleted, and so are those a legal
    hold covers (``held``); recordings found already deleted are passed over without counting as
    done. Safe to run again after a crash: the
    chunk's UPDATE, its counts and the cursor commit together or not at all.
    """
    # The row lock serialises two runs of one job (a task delivered twice runs one after the other,
    # each on its own chunk).
    bulk = (
        BulkDeletion.objects.select_related("account", "created_by")
        .select_for_update(of=("self",))
        .filter(pk=bulk_id)
        .first()
    )
    if bulk is None or bulk.is_finished:
        return False
    kind = kind_of(bulk.product)
    qs = (
        bulk_selection(account=bulk.account, sids=bulk.sids, product=bulk.product)
        if bulk.sids is not None
        else kind.matching(account=bulk.account, selection=bulk.selection)
    ).filter(date_created__lte=bulk.created_until or bulk.date_created)
    if bulk.cursor_date_created is not None:  # set with cursor_sid by every chunk
        cursor = keyset.Cursor(date_created=bulk.cursor_date_created, sid=bulk.cursor_sid)
        qs = keyset.beyond_cursor(qs, cursor)
    size = bulk.chunk_size
    # The chunk's one read: its rows stay locked to the end of the transaction, so what it says
    # of their status holds for the UPDATE and no second read is needed. It also says which a
    # legal hold covers: one query whatever the number of holds (a query per hold, each naming
    # the chunk's SIDs, halved the job's speed with 10 holds).
    held_q = holds.held_q(kind, account=bulk.account)
    is_held = Value(False) if held_q is None else Case(When(held_q, then=True), default=False)
    rows = list(
        qs.annotate(held=ExpressionWrapper(is_held, output_field=BooleanField()))
        .select_for_update()
        .values_list("sid", "date_created", "status", "media_key", "held")[: size + 1]
    )
    more, chunk = len(rows) > size, rows[:size]
    deletable = [row for row in chunk if kind.can_delete(row[2])]
    to_delete = [(sid, key, status) for sid, _, status, key, held in deletable if not held]
    held = len(deletable) - len(to_delete)
    # Those that cannot be deleted now (processing, or absent for voice); deleted ones pass.
    skipped = sum(1 for row in chunk if not kind.can_delete(row[2]) and row[2] != DELETED)
    now = timezone.now()
    deleted = (
        soft_delete_locked(
            kind,
            account=bulk.account,
            rows=to_delete,
            actor=Actor(name=bulk.actor, user=bulk.created_by, source_ip=bulk.source_ip),
            note=f"bulk deletion {bulk.pk}, chunk {bulk.chunks + 1}: deleting "
            f"{len(to_delete)}, skipping {skipped} processing and {held} held, of "
            f"{len(chunk)} recordings",
        )
        if chunk
        else 0
    )
    bulk.processed += len(chunk)
    bulk.done += deleted
    bulk.skipped += skipped
    bulk.held += held
    # Rows locked above cannot change; a shortfall means the database gave no row locks.
    bulk.failed += len(to_delete) - deleted
    if chunk:
        bulk.chunks += 1
        bulk.cursor_date_created, bulk.cursor_sid = chunk[-1][1], chunk[-1][0]
    bulk.status = BulkDeletion.Status.RUNNING if more else BulkDeletion.Status.DONE
    bulk.date_finished = None if more else now
    bulk.date_updated = now
    bulk.save(
        update_fields=[
            "processed",
            "done",
            "skipped",
            "held",
            "failed",
            "chunks",
            "cursor_date_created",
            "cursor_sid",
            "status",
            "date_finished",
            "date_updated",
        ]
    )
    return more


def bulk_deletion_paused(*, bulk_id: int, seconds: float) -> None:
    """Count a pause the job made for the API; it is progress too, so the watchdog never takes a
    yielding job for a lost one."""
    BulkDeletion.objects.filter(pk=bulk_id).update(
        paused_seconds=F("paused_seconds") + seconds, date_updated=timezone.now()
    )


def bulk_deletions_stalled(*, before: datetime, limit: int = 100) -> list[int]:
    """Return unfinished bulk deletions without progress since ``before``, oldest first: queued
    ones whose message was lost, running ones whose worker was."""
    return list(
        BulkDeletion.objects.filter(status__in=_UNFINISHED, date_updated__lt=before)
        .order_by("date_updated", "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def bulk_deletion_restart(bulk_id: int, /, *, before: datetime) -> bool:
    """Queue a bulk deletion again from its saved cursor, counting the restart, unless it has
    finished or moved since ``before``; tell whether it did.

    A lost task that turns out alive runs beside the new one without harm: chunks are
    serialised by the job's row lock and each starts from the cursor the last one saved.
    """
    restarted = BulkDeletion.objects.filter(
        pk=bulk_id, status__in=_UNFINISHED, date_updated__lt=before
    ).update(restarts=F("restarts") + 1, date_updated=timezone.now())
    if restarted:
        transaction.on_commit(
            lambda: enqueue("recordings.tasks.run_bulk_deletion", bulk_id), robust=True
        )
    return bool(restarted)


@transaction.atomic
def bulk_deletion_fail(*, bulk_id: int, reason: str) -> None:
    """Stop a bulk deletion that cannot go on; what its chunks deleted stays deleted."""
    bulk = BulkDeletion.objects.select_for_update().filter(pk=bulk_id).first()
    if bulk is None or bulk.is_finished:
        return
    now = timezone.now()
    bulk.status = BulkDeletion.Status.FAILED
    bulk.error = reason[:255]
    bulk.date_finished = now
    bulk.date_updated = now
    bulk.save(update_fields=["status", "error", "date_finished", "date_updated"])
    audit_record(
        account=bulk.account,
        actor=Actor(name=bulk.actor, user=bulk.created_by, source_ip=bulk.source_ip),
        action="recordings.bulk_delete_failed",
        object_repr=f"bulk deletion {bulk.pk} stopped after {bulk.done} deleted: {reason}",
    )
