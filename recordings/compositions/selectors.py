"""Account-scoped reads of compositions, composition hooks and composition settings."""

from datetime import datetime

from django.db.models import QuerySet

from console.models import Account
from console.sids import is_sid
from recordings.compositions.choices import CompositionStatus
from recordings.compositions.filters import CompositionFilter
from recordings.compositions.models import Composition, CompositionHook, CompositionSettings
from recordings.twilio_api.keyset import LIST_ORDER
from recordings.video.choices import MediaType
from recordings.video.models import Room, Track
from recordings.video.selectors import rooms_named

# Where a room's compositions are shown while a worker makes them.
IN_FLIGHT = (CompositionStatus.ENQUEUED, CompositionStatus.PROCESSING)


def composition_list(*, account: Account, filter: CompositionFilter) -> QuerySet[Composition]:
    """Return the account's compositions the filter selects, newest first."""
    f = filter
    qs = Composition.objects.filter(account=account)
    if f.sid:
        qs = qs.filter(sid=f.sid)
    if f.room_sid is not None:
        qs = qs.filter(room_id=f.room_sid)
    if f.room_name or f.room_name_prefix:
        qs = qs.filter(
            room__in=rooms_named(account=account, name=f.room_name, prefix=f.room_name_prefix)
        )
    if f.status:
        qs = qs.filter(status=f.status)
    elif not f.include_deleted:
        qs = qs.exclude(status=CompositionStatus.DELETED)
    if f.format:
        qs = qs.filter(format=f.format)
    qs = _created_between(qs, f.date_created_after, f.date_created_before)
    return qs.order_by(*LIST_ORDER)


def compositions_matching(*, account: Account, selection: dict) -> QuerySet[Composition]:
    """Return the account's compositions a stored selection (a ``CompositionFilter`` as JSON)
    covers, newest first."""
    return composition_list(account=account, filter=CompositionFilter.from_json(selection))


def _created_between(qs: QuerySet, after: datetime | None, before: datetime | None) -> QuerySet:
    if after is not None:
        qs = qs.filter(date_created__gte=after)
    if before is not None:
        qs = qs.filter(date_created__lt=before)
    return qs


def composition_get(*, account: Account, sid: str) -> Composition | None:
    """Return the account's composition with this SID, or None."""
    if not is_sid(sid, "CJ"):
        return None
    return Composition.objects.filter(account=account, sid=sid).select_related("room").first()


def compositions_in_flight(*, account: Account, room_sid: str) -> QuerySet[Composition]:
    """Return a room's compositions a worker has yet to finish, newest first."""
    return composition_list(account=account, filter=CompositionFilter(room_sid=room_sid)).filter(
        status__in=IN_FLIGHT
    )


def compositions_of_room(*, account: Account, room: Room, limit: int) -> list[Composition]:
    """Return a room's newest ``limit`` compositions that are not deleted, newest first."""
    return list(
        composition_list(account=account, filter=CompositionFilter(room_sid=room.sid))[:limit]
    )


def room_video_publishers(*, room: Room) -> dict[str, list[str]]:
    """Return who published video in a room (identity, in order of joining) with the SIDs of
    their video tracks: the participants a layout may feature."""
    tracks = (
        Track.objects.filter(account_id=room.account_id, room=room, kind=MediaType.VIDEO)
        .order_by("participant__date_created", "participant_id", "date_created", "sid")
        .values_list("participant__identity", "sid")
    )
    publishers: dict[str, list[str]] = {}
    for identity, sid in tracks:
        publishers.setdefault(identity, []).append(sid)
    return publishers


def composition_media_servable(*, sid: str) -> bool:
    """Tell whether a composition's file may still be served (completed: not deleted); asked by
    a signed media URL, whose signature is the permission."""
    return Composition.objects.filter(pk=sid, status=CompositionStatus.COMPLETED).exists()


def hook_list(
    *,
    account: Account,
    enabled: bool | None = None,
    friendly_name: str | None = None,
    date_created_after: datetime | None = None,
    date_created_before: datetime | None = None,
) -> QuerySet[CompositionHook]:
    """Return the account's composition hooks, newest first."""
    qs = CompositionHook.objects.filter(account=account)
    if enabled is not None:
        qs = qs.filter(enabled=enabled)
    if friendly_name:
        qs = qs.filter(friendly_name=friendly_name)
    return _created_between(qs, date_created_after, date_created_before).order_by(*LIST_ORDER)


def hook_get(*, account: Account, sid: str) -> CompositionHook | None:
    """Return the account's composition hook with this SID, or None."""
    if not is_sid(sid, "HK"):
        return None
    return CompositionHook.objects.filter(account=account, sid=sid).first()


def hooks_enabled(*, account_id: str) -> list[CompositionHook]:
    """Return the account's enabled hooks, oldest first (the order their compositions get)."""
    return list(
        CompositionHook.objects.filter(account_id=account_id, enabled=True).order_by(
            "date_created", "sid"
        )
    )


def composition_settings_of(*, account: Account) -> CompositionSettings | None:
    return CompositionSettings.objects.filter(account=account).first()


def compositions_stalled(*, before: datetime, limit: int = 500) -> list[str]:
    """Return compositions a run should be queued for again, oldest first: enqueued ones not
    touched since ``before`` (their task lost, or still waiting for media), and processing ones
    whose worker stopped refreshing its claim."""
    return list(
        Composition.objects.filter(status__in=IN_FLIGHT, date_updated__lt=before)
        .order_by("date_updated")
        .values_list("sid", flat=True)[:limit]
    )
