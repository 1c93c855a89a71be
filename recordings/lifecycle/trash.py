"""The trash: an account that opts in keeps a deleted recording's media ``TRASH_DAYS``, and its
admins can restore it meanwhile.

A delete into the trash is the same soft delete (status ``deleted``: the APIs answer as Twilio
does, media 404) that leaves the files where they are and writes a ``TrashedItem`` saying to
which status a restore returns. When the period ends the item leaves the trash and the media is
removed as for any delete; a legal hold keeps it in the trash, restorable, until released.
"""

from collections import Counter
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

from console.models import Account
from console.services import SYSTEM, Actor, audit_record
from console.sids import is_sid
from recordings.lifecycle import holds
from recordings.lifecycle.exceptions import ServiceError
from recordings.lifecycle.kinds import DELETED, RecordingKind, kind_for_sid, kind_of, kinds
from recordings.lifecycle.models import TrashedItem
from recordings.lifecycle.queue import enqueue_media_deletion

# Items one expiry run takes out of the trash per kind: the rest wait for the next run.
EXPIRE_LIMIT = 10_000


class NotInTrash(ServiceError):
    """The recording is not in the account's trash (never deleted into it, restored or expired)."""


def trash_rows(
    account: Account, *, now: datetime, rows: list[tuple[str, str]], kind_name: str
) -> list[TrashedItem]:
    """Return the ``TrashedItem`` rows for (SID, status) of recordings being deleted now."""
    expires = now + timedelta(days=settings.TRASH_DAYS)
    return [
        TrashedItem(
            sid=sid,
            account=account,
            kind=kind_name,
            previous_status=status,
            date_trashed=now,
            date_expires=expires,
        )
        for sid, status in rows
    ]


def trash_days(account: Account) -> int | None:
    """Return how many days a delete of the account keeps the media (None: the trash is off)."""
    return settings.TRASH_DAYS if account.trash_enabled else None


def kept_q(kind: RecordingKind) -> Q | None:
    """Return a filter on ``sid`` matching the deleted recordings of this kind whose media must
    stay (held, or in a trash); None when there are none, so that paths without holds or trash
    keep their plans."""
    kept = holds.held_q(kind)
    if TrashedItem.objects.filter(kind=kind.name).exists():
        trashed = Q(sid__in=TrashedItem.objects.filter(kind=kind.name).values("sid"))
        kept = trashed if kept is None else kept | trashed
    return kept


def without_kept(kind: RecordingKind, recordings: QuerySet) -> QuerySet:
    """Return ``recordings`` less those whose media must stay (``kept_q``)."""
    kept = kept_q(kind)
    return recordings if kept is None else recordings.exclude(kept)


# SELECTORS -------------------------------------------------------------------------------------


def trash_list(*, account: Account, kind: RecordingKind | None = None) -> QuerySet[TrashedItem]:
    """Return the account's items in the trash (of one kind, or all), most recently deleted first,
    each with ``date_created``: its ``date_trashed``, the key the keyset pages
    (twilio_api.keyset) hold of a row."""
    qs = TrashedItem.objects.filter(account=account)
    if kind is not None:
        qs = qs.filter(kind=kind.name)
    return qs.annotate(date_created=F("date_trashed")).order_by("-date_created", "-sid")


def trash_descriptions(*, account: Account, items: list[TrashedItem]) -> dict[str, str]:
    """Return what each trashed recording is (its kind's ``describe``), by SID: one query per
    kind among the items."""
    by_kind: dict[str, list[str]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item.sid)
    described = {}
    for name, sids in by_kind.items():
        kind = kind_of(name)
        for recording in kind.model.objects.filter(account=account, sid__in=sids):
            described[recording.sid] = kind.describe(recording)
    return described


def trash_get(*, account: Account, sid: str) -> TrashedItem | None:
    """Return the account's trashed item with this SID, or None (foreign and unknown alike)."""
    if not is_sid(sid) or kind_for_sid(sid) is None:
        return None
    return TrashedItem.objects.filter(account=account, sid=sid).first()


def trash_item_of(*, account: Account, recording: Model) -> TrashedItem | None:
    """Return the trashed item of a recording a details page shows, or None; no query for one
    that is not deleted (most of them)."""
    if getattr(recording, "status", None) != DELETED:
        return None
    return trash_get(account=account, sid=getattr(recording, "sid", ""))


# SERVICES --------------------------------------------------------------------------------------


@transaction.atomic
def account_trash_set(*, account: Account, actor: Actor, enabled: bool) -> None:
    """Turn the account's trash on or off, audited; items already in it stay until they expire."""
    if account.trash_enabled == enabled:
        return
    account.trash_enabled = enabled
    account.save(update_fields=["trash_enabled", "date_updated"])
    audit_record(
        account=account,
        actor=actor,
        action="trash.enable" if enabled else "trash.disable",
        object_repr=f"trash {'on' if enabled else 'off'}: deleted media kept "
        f"{settings.TRASH_DAYS} days"
        if enabled
        else "trash off: a delete removes the media at once",
    )


@transaction.atomic
def trash_restore(*, account: Account, actor: Actor, sid: str) -> TrashedItem:
    """Bring a recording back from the trash to the status it had, with its media untouched,
    audited as ``<kind>.restore``; raise NotInTrash if it is not there."""
    item = TrashedItem.objects.select_for_update().filter(account=account, sid=sid).first()
    if item is None:
        raise NotInTrash(f"{sid} is not in the trash: it was restored, expired or never there")
    kind = kind_of(item.kind)
    restored = kind.model.objects.filter(account=account, sid=sid, status=DELETED).update(
        status=item.previous_status, date_deleted=None, date_updated=timezone.now()
    )
    if not restored:  # never expected: the purge and the sweeps leave trashed rows alone
        raise NotInTrash(f"{kind.noun.capitalize()} {sid} no longer exists")
    item.delete()
    audit_record(
        account=account,
        actor=actor,
        action=f"{kind.audit_action.split('.')[0]}.restore",
        object_sid=sid,
        object_repr=f"{kind.noun} restored from the trash as {item.previous_status}",
    )
    return item


def trash_expire(*, now: datetime) -> int:
    """Take the items whose period has ended out of the trash, except held ones, and queue the
    removal of their media; return how many left the trash."""
    expired = 0
    for kind in kinds():
        with transaction.atomic():
            due = TrashedItem.objects.filter(kind=kind.name, date_expires__lte=now)
            held = holds.held_q(kind)
            if held is not None:
                due = due.exclude(held)
            items = list(
                due.select_for_update(skip_locked=True)
                .order_by("date_expires")
                .values_list("sid", "account_id")[:EXPIRE_LIMIT]
            )
            if not items:
                continue
            sids = [sid for sid, _ in items]
            TrashedItem.objects.filter(sid__in=sids).delete()
            per_account = Counter(account for _, account in items)
            for account in Account.objects.filter(pk__in=per_account):
                audit_record(
                    account=account,
                    actor=SYSTEM,
                    action="trash.expire",
                    object_repr=f"{per_account[account.pk]} {kind.plural} left the trash after "
                    f"{settings.TRASH_DAYS} days; their media is removed",
                )
            transaction.on_commit(partial(enqueue_media_deletion, sids), robust=True)
            expired += len(items)
    return expired
