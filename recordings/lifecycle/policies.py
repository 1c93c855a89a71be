"""Retention policies: an account's rules deleting recordings of one kind that match a Logs filter
once they are a number of days old.

A policy's run is a bulk deletion (``BulkDeletion.policy_sid``) of the recordings its filter
matches that were created on or before the run's cutoff (now less the policy's age): the same
chunks, the same soft delete, audit and trash as a user's deletion, done under the actor
``policy:<sid>``. The preview counts with the selector a run deletes by, less what holds cover,
so what it says is what a run at that moment deletes.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from console.models import Account
from console.services import Actor, audit_record
from console.sids import is_sid
from recordings.lifecycle import bulk, holds, selectors
from recordings.lifecycle.exceptions import ServiceError
from recordings.lifecycle.kinds import RecordingKind, kind_of
from recordings.lifecycle.models import BulkDeletion, RetentionPolicy

logger = logging.getLogger(__name__)

MAX_AGE_DAYS = 36_500
PREVIEW_SAMPLE = 10
_UNFINISHED = (BulkDeletion.Status.QUEUED, BulkDeletion.Status.RUNNING)


class InvalidPolicy(ServiceError):
    """The policy's name, kind, filter or age is not valid: nothing was changed."""


@dataclass(frozen=True)
class Preview:
    """What a policy would delete if it ran at ``cutoff``'s moment: how many, and the newest."""

    count: int
    sample: list
    cutoff: datetime
    in_words: str


def _kind(product: str) -> RecordingKind:
    try:
        return kind_of(product)
    except KeyError:
        raise InvalidPolicy(
            f"Choose which recordings the policy deletes, not “{product}”."
        ) from None


def _selection(kind: RecordingKind, query: str) -> dict:
    try:
        return kind.selection_of(query)
    except ServiceError as exc:
        raise InvalidPolicy(exc.message) from exc


def _age(age_days: object) -> int:
    if not isinstance(age_days, int) or isinstance(age_days, bool):
        raise InvalidPolicy("A policy's age is a whole number of days.")
    if not 1 <= age_days <= MAX_AGE_DAYS:
        raise InvalidPolicy(f"A policy's age is 1 to {MAX_AGE_DAYS} days.")
    return age_days


def candidates(
    *, account: Account, kind: RecordingKind, selection: dict, cutoff: datetime
) -> QuerySet:
    """Return the account's recordings a run at ``cutoff`` deletes: matching the filter,
    created on or before it, deletable now and under no hold; newest first."""
    matching = kind.matching(account=account, selection=selection).filter(
        date_created__lte=cutoff, status__in=kind.deletable
    )
    held = holds.held_q(kind, account=account)
    return matching if held is None else matching.exclude(held)


def policy_preview(
    *, account: Account, product: str, query: str, age_days: int, now: datetime
) -> Preview:
    """Return what a policy of this kind, filter and age would delete at ``now``; raise
    InvalidPolicy for one that is not valid."""
    kind = _kind(product)
    selection = _selection(kind, query)
    cutoff = now - timedelta(days=_age(age_days))
    matching = candidates(account=account, kind=kind, selection=selection, cutoff=cutoff)
    return Preview(
        count=matching.count(),
        sample=list(matching[:PREVIEW_SAMPLE]),
        cutoff=cutoff,
        in_words=kind.selection_of.in_words(query, plural=kind.plural),
    )


def policy_in_words(policy: RetentionPolicy) -> str:
    """Return what a policy deletes, as its pages and the audit say it."""
    kind = kind_of(policy.product)
    what = kind.selection_of.in_words(policy.query, plural=kind.plural)
    return f"{what}, {policy.age_days} days after creation"


# SELECTORS -------------------------------------------------------------------------------------


def policy_list(*, account: Account) -> QuerySet[RetentionPolicy]:
    """Return the account's retention policies, newest first."""
    return RetentionPolicy.objects.filter(account=account).order_by("-date_created", "-sid")


def policy_get(*, account: Account, sid: str) -> RetentionPolicy | None:
    """Return the account's policy with this SID, or None (foreign and unknown alike)."""
    if not is_sid(sid, "RP"):
        return None
    return RetentionPolicy.objects.filter(account=account, sid=sid).first()


def policy_runs(*, policy: RetentionPolicy, limit: int = 20) -> list[BulkDeletion]:
    """Return a policy's most recent runs (its bulk deletions), newest first."""
    return list(
        BulkDeletion.objects.filter(account_id=policy.account_id, policy_sid=policy.sid).order_by(
            "-date_created", "-id"
        )[:limit]
    )


def policy_run_list(*, policy: RetentionPolicy) -> QuerySet[BulkDeletion]:
    """Return all of a policy's runs, newest first, each with its id as ``sid`` for keyset
    pages (``policy_runs`` is the console's most recent few)."""
    return (
        BulkDeletion.objects.filter(account_id=policy.account_id, policy_sid=policy.sid)
        .annotate(sid=selectors.id_as_sid())
        .order_by("-date_created", "-id")
    )


# SERVICES --------------------------------------------------------------------------------------


@transaction.atomic
def policy_create(
    *,
    account: Account,
    actor: Actor,
    name: str,
    product: str,
    query: str,
    age_days: int,
    enabled: bool = True,
) -> RetentionPolicy:
    """Save a new policy, audited as ``retention_policy.create``; raise InvalidPolicy."""
    kind = _kind(product)
    now = timezone.now()
    policy = RetentionPolicy(
        account=account, created_by=actor.name, date_created=now, product=kind.name
    )
    _fill(policy, kind=kind, name=name, query=query, age_days=age_days, enabled=enabled, now=now)
    policy.save()
    _audit(policy, actor, "retention_policy.create")
    return policy


@transaction.atomic
def policy_update(
    *,
    policy: RetentionPolicy,
    actor: Actor,
    name: str,
    query: str,
    age_days: int,
    enabled: bool,
) -> RetentionPolicy:
    """Change a policy's name, filter, age or state (not its kind), audited as
    ``retention_policy.update``; raise InvalidPolicy."""
    kind = kind_of(policy.product)
    _fill(
        policy,
        kind=kind,
        name=name,
        query=query,
        age_days=age_days,
        enabled=enabled,
        now=timezone.now(),
    )
    policy.save()
    _audit(policy, actor, "retention_policy.update")
    return policy


@transaction.atomic
def policy_delete(*, policy: RetentionPolicy, actor: Actor) -> None:
    """Delete a policy, audited as ``retention_policy.delete``; a run under way goes on."""
    _audit(policy, actor, "retention_policy.delete")
    policy.delete()


def _fill(
    policy: RetentionPolicy,
    *,
    kind: RecordingKind,
    name: str,
    query: str,
    age_days: int,
    enabled: bool,
    now: datetime,
) -> None:
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidPolicy("A policy's name is 1 to 255 characters.")
    query = query.lstrip("?")
    policy.name = name
    policy.query = query
    policy.selection = _selection(kind, query)
    policy.age_days = _age(age_days)
    policy.enabled = bool(enabled)
    policy.date_updated = now


def _audit(policy: RetentionPolicy, actor: Actor, action: str, detail: str = "") -> None:
    audit_record(
        account=policy.account,
        actor=actor,
        action=action,
        object_sid=policy.sid,
        object_repr=f"retention policy “{policy.name}”: {policy_in_words(policy)}",
        detail=detail,
    )


@transaction.atomic
def policy_run(
    *, policy: RetentionPolicy, now: datetime, started_by: Actor | None = None
) -> BulkDeletion | None:
    """Run a policy now: queue a bulk deletion of what it deletes (none if nothing, or if its
    last run is unfinished), audited as ``retention_policy.run``; return the job. The deletions
    are the policy's; who asked for a run out of schedule (``started_by``) is in the audit too."""
    # Only the policy's row: the account's row stays free while the count runs.
    locked = (
        RetentionPolicy.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(pk=policy.pk)
        .first()
    )
    if locked is None:  # deleted since it was listed
        return None
    if BulkDeletion.objects.filter(policy_sid=locked.sid, status__in=_UNFINISHED).exists():
        return None
    kind = kind_of(locked.product)
    cutoff = now - timedelta(days=locked.age_days)
    total = candidates(
        account=locked.account, kind=kind, selection=locked.selection, cutoff=cutoff
    ).count()
    actor = Actor(name=f"policy:{locked.sid}")
    job = None
    if total:
        job = bulk.bulk_deletion_queue(
            account=locked.account,
            actor=actor,
            product=kind.name,
            query=locked.query,
            selection=locked.selection,
            sids=None,
            total=total,
            now=now,
            created_until=cutoff,
            policy_sid=locked.sid,
        )
    locked.date_last_run = now
    locked.save(update_fields=["date_last_run"])
    _audit(
        locked,
        actor,
        "retention_policy.run",
        detail=f"{total} {kind.plural} created on or before {cutoff.isoformat()} to delete"
        + (f" (bulk deletion {job.pk})" if job else "")
        + (f"; run now by {started_by.name}" if started_by else ""),
    )
    return job


def policies_run(*, now: datetime) -> int:
    """Run every enabled policy of every account (daily, by beat); return how many jobs were
    queued."""
    enabled = RetentionPolicy.objects.filter(enabled=True).order_by("date_created", "sid")
    queued = 0
    for policy in enabled.iterator():
        # One policy that fails (a filter stored before its kind's filter changed) must not keep
        # the others from running: it is logged, and tried again tomorrow.
        try:
            queued += policy_run(policy=policy, now=now) is not None
        except Exception:
            logger.exception("Retention policy %s could not run", policy.sid)
    return queued
