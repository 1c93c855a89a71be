"""Legal holds: what they cover, and the services that place and release them.

A hold covers, for each kind its scope reaches, the recordings its stored typed filter matches
now, deleted ones included (``LegalHold.selections``): recordings that arrive later are covered
too. Every path that removes a recording or its media asks here first: the single and bulk soft
delete (so retention policies too), the purge, the media deletion and the trash's expiry.

A hold takes effect when it commits: a delete that had already read the holds runs to its end.
"""

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from console.models import Account
from console.services import Actor, audit_record
from console.sids import is_sid
from recordings.lifecycle.exceptions import RecordingHeld, ServiceError
from recordings.lifecycle.kinds import RecordingKind, kind_of, kinds
from recordings.lifecycle.models import LegalHold

Scope = LegalHold.Scope
# The SID prefix of the value a scope names ("" for a participant identity, any text).
_SCOPE_PREFIX: dict[str, str] = {Scope.ROOM: "RM", Scope.CALL: "CA"}
MAX_VALUE_LENGTH = 128  # a participant identity's, as Twilio allows


class InvalidHold(ServiceError):
    """The hold's scope or value is not valid, or it is not active: nothing was changed."""


def hold_selections(*, scope: str, value: str = "", product: str = "", query: str = "") -> dict:
    """Return, for each kind the scope covers, its typed filter as JSON (deleted recordings
    included); raise InvalidHold for a scope, value, product or filter that is not valid."""
    if scope == Scope.FILTER:
        try:
            kind = kind_of(product)
        except KeyError:
            raise InvalidHold(
                f"Choose which recordings the filter is of, not “{product}”."
            ) from None
        try:
            selection = kind.selection_of(query)
        except ServiceError as exc:
            raise InvalidHold(exc.message) from exc
        return {kind.name: {**selection, "include_deleted": True}}
    value = _scope_value(scope, value)
    return {
        kind.name: {kind.hold_fields[scope]: value, "include_deleted": True}
        for kind in kinds()
        if scope in kind.hold_fields
    }


def _scope_value(scope: str, value: str) -> str:
    """Return a room, call or participant scope's value as stored (SIDs with lowercase hex)."""
    if scope not in Scope.values:
        raise InvalidHold(f"A hold's scope is one of {', '.join(Scope.values)}, not “{scope}”.")
    prefix = _SCOPE_PREFIX.get(scope)
    if prefix is not None:
        if not is_sid(value, prefix):
            raise InvalidHold(f"A {scope} is named by its SID: {prefix} and 32 hex digits.")
        return prefix + value[2:].lower()
    if not value or len(value) > MAX_VALUE_LENGTH:
        raise InvalidHold(f"A participant identity is 1 to {MAX_VALUE_LENGTH} characters.")
    return value


def in_words(hold: LegalHold) -> str:
    """Return what a hold covers, as its pages say it."""
    if hold.scope == Scope.FILTER:
        kind = kind_of(hold.product)
        return kind.selection_of.in_words(hold.query, plural=kind.plural)
    nouns = " and ".join(kind_of(name).plural for name in hold.selections)
    return f"{nouns} of {hold.get_scope_display().lower()} {hold.value}"


# SELECTORS -------------------------------------------------------------------------------------


def legal_hold_list(*, account: Account, active: bool | None = None) -> QuerySet[LegalHold]:
    """Return the account's holds, newest first; only active or released ones if asked."""
    holds = LegalHold.objects.filter(account=account)
    if active is not None:
        holds = holds.filter(date_released__isnull=active)
    return holds.order_by("-date_created", "-sid")


def legal_hold_get(*, account: Account, sid: str) -> LegalHold | None:
    """Return the account's hold with this SID, or None (foreign and unknown alike)."""
    if not is_sid(sid, "LH"):
        return None
    return LegalHold.objects.filter(account=account, sid=sid).first()


def _active(kind: RecordingKind, account: Account | None = None) -> list[LegalHold]:
    holds = LegalHold.objects.filter(date_released__isnull=True).order_by("date_created", "sid")
    if account is not None:
        holds = holds.filter(account=account)
    return [hold for hold in holds.select_related("account") if kind.name in hold.selections]


def _covered(kind: RecordingKind, hold: LegalHold) -> QuerySet:
    return kind.matching(account=hold.account, selection=hold.selections[kind.name])


def held_among(kind: RecordingKind, *, account: Account, sids: list[str]) -> dict[str, LegalHold]:
    """Return the account's recordings of this kind among ``sids`` that an active hold covers,
    each with the oldest hold covering it."""
    held: dict[str, LegalHold] = {}
    if not sids:
        return held
    for hold in _active(kind, account):
        for sid in _covered(kind, hold).filter(sid__in=sids).values_list("sid", flat=True):
            held.setdefault(sid, hold)
    return held


def holds_on(kind: RecordingKind, *, account: Account, sid: str) -> list[LegalHold]:
    """Return the active holds covering one of the account's recordings, oldest first."""
    return [
        hold for hold in _active(kind, account) if _covered(kind, hold).filter(sid=sid).exists()
    ]


def held_q(kind: RecordingKind, *, account: Account | None = None) -> Q | None:
    """Return a filter on ``sid`` matching the recordings of this kind that active holds cover
    (of every account, or one); None when no hold covers the kind, so that paths without holds
    keep their plans."""
    held = None
    for hold in _active(kind, account):
        covered = Q(sid__in=_covered(kind, hold).values("sid"))
        held = covered if held is None else held | covered
    return held


def hold_counts(hold: LegalHold) -> dict[str, int]:
    """Return how many recordings of each kind the hold covers now, by kind name."""
    return {name: _covered(kind_of(name), hold).count() for name in hold.selections}


def refuse_if_held(kind: RecordingKind, *, account: Account, sids: list[str]) -> None:
    """Raise RecordingHeld naming the first of ``sids`` a hold covers, and the hold."""
    held = held_among(kind, account=account, sids=sids)
    if held:
        sid = min(held)
        hold = held[sid]
        raise RecordingHeld(
            f"{kind.noun.capitalize()} {sid} is under legal hold {hold.sid} (“{hold.name}”) "
            "and cannot be deleted until the hold is released"
        )


# SERVICES --------------------------------------------------------------------------------------


@transaction.atomic
def legal_hold_create(
    *,
    account: Account,
    actor: Actor,
    name: str,
    scope: str,
    value: str = "",
    product: str = "",
    query: str = "",
    reason: str = "",
) -> LegalHold:
    """Place a hold, audited as ``legal_hold.create``; raise InvalidHold for a bad scope."""
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidHold("A hold's name is 1 to 255 characters.")
    selections = hold_selections(scope=scope, value=value, product=product, query=query)
    if not selections:
        raise InvalidHold(f"No kind of recording can be held by {scope}.")
    filtered = scope == Scope.FILTER
    hold = LegalHold.objects.create(
        account=account,
        name=name,
        reason=reason,
        scope=scope,
        value="" if filtered else _scope_value(scope, value),
        product=product if filtered else "",
        query=query.lstrip("?") if filtered else "",
        selections=selections,
        created_by=actor.name,
        date_created=timezone.now(),
    )
    audit_record(
        account=account,
        actor=actor,
        action="legal_hold.create",
        object_sid=hold.sid,
        object_repr=f"legal hold “{hold.name}” on {in_words(hold)}",
        detail=reason,
    )
    return hold


@transaction.atomic
def legal_hold_release(*, account: Account, actor: Actor, hold: LegalHold) -> LegalHold:
    """Release an active hold, audited as ``legal_hold.release``: what it covered may be deleted
    again (a retention policy's next run, the trash's expiry). Raise InvalidHold if released."""
    locked = LegalHold.objects.select_for_update().get(account=account, sid=hold.sid)
    if not locked.is_active:
        raise InvalidHold(f"Legal hold {locked.sid} was already released.")
    locked.date_released = timezone.now()
    locked.released_by = actor.name
    locked.save(update_fields=["date_released", "released_by"])
    audit_record(
        account=account,
        actor=actor,
        action="legal_hold.release",
        object_sid=locked.sid,
        object_repr=f"legal hold “{locked.name}” on {in_words(locked)}",
    )
    return locked
