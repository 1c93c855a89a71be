"""Account-scoped reads of rooms and recordings, shared by the API and the console.

A filter means the same thing on every surface because every surface builds one
``RecordingFilter`` and calls ``recording_list`` with it.
Lists are ordered newest first with the SID as tiebreak and paged by keyset, so a page costs the
same at any depth and at any table size.
"""

from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet

from console.models import Account
from console.sids import is_sid
from recordings.twilio_api.compiled import compiled_page
from recordings.twilio_api.keyset import LIST_ORDER, Cursor, Page
from recordings.video.choices import MediaType, ParticipantStatus, RecordingStatus, RoomStatus
from recordings.video.filters import RecordingFilter
from recordings.video.models import (
    Participant,
    Recording,
    RecordingRules,
    RecordingSettings,
    Room,
    Track,
)


def recording_list(*, account: Account, filter: RecordingFilter) -> QuerySet[Recording]:
    """Return the account's recordings the filter selects (``RecordingFilter``), newest first.

    ``recording_page`` reuses the SQL of one call for others of the same shape: decide the query
    from which fields are set and a SID's prefix, never from what a value says.
    """
    f = filter
    qs = Recording.objects.filter(account=account)
    if f.sid:
        qs = qs.filter(sid=f.sid)
    if f.room_sid is not None:
        qs = qs.filter(room_id=f.room_sid)
    if f.status:
        qs = qs.filter(status=f.status)
    elif not f.include_deleted:
        qs = qs.exclude(status=RecordingStatus.DELETED)
    if f.codec:
        qs = qs.filter(codec=f.codec)
    if f.track_name:
        # Through the tracks (as names and identities go through rooms and participants): an
        # index on the recordings' own column would slow every soft delete.
        qs = qs.filter(track__in=Track.objects.filter(account=account, name=f.track_name))
    if f.room_name or f.room_name_prefix:
        qs = qs.filter(
            room__in=rooms_named(account=account, name=f.room_name, prefix=f.room_name_prefix)
        )
    if f.participant_identity or f.participant_identity_prefix:
        qs = qs.filter(
            participant__in=participants_identified(
                account=account,
                identity=f.participant_identity,
                prefix=f.participant_identity_prefix,
            )
        )
    if f.source_sid:
        qs = qs.filter(track_id=f.source_sid)
    for sid in f.grouping_sids:
        prefix_field = {"RM": "room_id", "PA": "participant_id"}.get(sid[:2])
        qs = qs.filter(**{prefix_field: sid}) if prefix_field else qs.none()
    qs = _created_between(qs, f.date_created_after, f.date_created_before)
    if f.media_type:
        qs = qs.filter(type=f.media_type)
    return qs.order_by(*LIST_ORDER)


def recording_page(
    *,
    account: Account,
    filter: RecordingFilter,
    columns: tuple[str, ...],
    page_size: int,
    cursor: Cursor | None,
) -> Page:
    """Return the keyset page of ``recording_list`` past ``cursor`` as named tuples of
    ``columns``, through SQL compiled once per filter shape (``twilio_api.compiled``)."""
    return compiled_page(
        recording_list,
        model=Recording,
        columns=columns,
        page_size=page_size,
        cursor=cursor,
        account=account,
        filter=filter,
    )


def rooms_named(
    *, account: Account, name: str | None = None, prefix: str | None = None
) -> QuerySet[Room]:
    """Return the account's rooms with this unique name and whose name starts with ``prefix`` in
    any case (each if given).

    ``__istartswith`` is ``UPPER(unique_name::text) LIKE UPPER('prefix%')`` on PostgreSQL: a range
    of the index ``room_account_name_upper`` (video migration 0004).
    """
    qs = Room.objects.filter(account=account)
    if name:
        qs = qs.filter(unique_name=name)
    if prefix:
        qs = qs.filter(unique_name__istartswith=prefix)
    return qs


def participants_identified(
    *, account: Account, identity: str | None = None, prefix: str | None = None
) -> QuerySet[Participant]:
    """Return the account's participants with this identity and whose identity starts with
    ``prefix`` in any case (each if given); on PostgreSQL the prefix is a range of the index
    ``participant_account_identity_upper``, as for rooms."""
    qs = Participant.objects.filter(account=account)
    if identity:
        qs = qs.filter(identity=identity)
    if prefix:
        qs = qs.filter(identity__istartswith=prefix)
    return qs


def recordings_matching(*, account: Account, selection: dict) -> QuerySet[Recording]:
    """Return the account's recordings a stored selection (a ``RecordingFilter`` as JSON) covers,
    newest first."""
    return recording_list(account=account, filter=RecordingFilter.from_json(selection))


def _created_between(qs: QuerySet, after: datetime | None, before: datetime | None) -> QuerySet:
    """Narrow to rows created on or after ``after`` and strictly before ``before`` (the API's
    DateCreatedAfter is inclusive, DateCreatedBefore exclusive)."""
    if after is not None:
        qs = qs.filter(date_created__gte=after)
    if before is not None:
        qs = qs.filter(date_created__lt=before)
    return qs


def recording_get(*, account: Account, sid: str, room_sid: str | None = None) -> Recording | None:
    """Return the account's recording with this SID (in this room, if given), or None."""
    if not is_sid(sid, "RT"):
        return None
    qs = Recording.objects.filter(account=account, sid=sid)
    if room_sid is not None:
        qs = qs.filter(room_id=room_sid)
    return qs.first()


def recording_media_servable(*, sid: str) -> bool:
    """Tell whether a recording's media may still be served (completed: not deleted).

    Asked by a signed media URL, whose signature is the permission: there is no caller account
    to start from, and the SID was signed by us. One primary-key lookup.
    """
    return Recording.objects.filter(pk=sid, status=RecordingStatus.COMPLETED).exists()


def room_get(*, account: Account, sid_or_name: str) -> Room | None:
    """Return the account's room by SID, or by unique name among its rooms in progress."""
    qs = Room.objects.filter(account=account)
    if is_sid(sid_or_name, "RM"):
        return qs.filter(sid=sid_or_name).first()
    if "\x00" in sid_or_name:  # no room can have it, and PostgreSQL refuses to compare it
        return None
    return qs.filter(unique_name=sid_or_name, status=RoomStatus.IN_PROGRESS).first()


def room_list(
    *,
    account: Account,
    status: str | None = None,
    unique_name: str | None = None,
    unique_name_prefix: str | None = None,
    date_created_after: datetime | None = None,
    date_created_before: datetime | None = None,
) -> QuerySet[Room]:
    """Return the account's rooms matching every given filter, newest first: the API's
    ``unique_name`` is a whole name, the console's ``unique_name_prefix`` its start in any case."""
    qs = _created_between(
        rooms_named(account=account, name=unique_name, prefix=unique_name_prefix),
        date_created_after,
        date_created_before,
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(*LIST_ORDER)


def participant_list(
    *,
    room: Room,
    status: str | None = None,
    identity: str | None = None,
    date_created_after: datetime | None = None,
    date_created_before: datetime | None = None,
) -> QuerySet[Participant]:
    """Return a room's participants matching every given filter, newest first."""
    qs = _created_between(
        Participant.objects.filter(room=room), date_created_after, date_created_before
    )
    if status:
        qs = qs.filter(status=status)
    if identity:
        qs = qs.filter(identity=identity)
    return qs.order_by(*LIST_ORDER)


def participant_get(*, room: Room, sid_or_identity: str) -> Participant | None:
    """Return a room's participant by SID, or its connected participant with that identity."""
    if is_sid(sid_or_identity, "PA"):
        return Participant.objects.filter(room=room, sid=sid_or_identity).first()
    return Participant.objects.filter(
        room=room, identity=sid_or_identity, status=ParticipantStatus.CONNECTED
    ).first()


def track_get(*, room: Room, sid: str) -> Track | None:
    """Return a room's track by SID."""
    return Track.objects.filter(room=room, sid=sid).first() if is_sid(sid, "MT") else None


def recordings_capturing(*, room: Room) -> list[Recording]:
    """Return the recordings being captured now in a room, one per recorded track."""
    return list(
        Recording.objects.filter(
            room=room, status=RecordingStatus.PROCESSING, date_stopped__isnull=True
        ).order_by("date_created", "sid")
    )


def recordings_awaiting_media(*, room: Room) -> list[str]:
    """Return the SIDs of a room's stopped recordings whose media file has not arrived."""
    return list(
        Recording.objects.filter(
            room=room, status=RecordingStatus.PROCESSING, date_stopped__isnull=False
        )
        .order_by("date_created", "sid")
        .values_list("sid", flat=True)
    )


def recordings_media_overdue(*, before: datetime, limit: int) -> list[str]:
    """Return SIDs of recordings still awaiting media whose room ended before ``before``, in every
    account (the watchdog's), the longest waiting first."""
    return list(
        Recording.objects.filter(status=RecordingStatus.PROCESSING, room__end_time__lt=before)
        .order_by("room__end_time", "sid")
        .values_list("sid", flat=True)[:limit]
    )


def rooms_idle(*, now: datetime) -> list[Room]:
    """Return rooms in progress that have had nobody in them for longer than their timeout:
    ``unused_room_timeout`` if nobody ever joined, else ``empty_room_timeout`` since the last one
    left (minutes, as in Twilio's Rooms API)."""
    candidates = (
        Room.objects.filter(status=RoomStatus.IN_PROGRESS)
        .exclude(participants__status=ParticipantStatus.CONNECTED)
        .annotate(last_left=Max("participants__end_time"))
    )
    idle: list[Room] = []
    for room in candidates:
        since, minutes = (
            (room.last_left, room.empty_room_timeout)
            if room.last_left is not None
            else (room.date_created, room.unused_room_timeout)
        )
        if since + timedelta(minutes=minutes) <= now:
            idle.append(room)
    return idle


def recording_rules_get(*, room: Room) -> RecordingRules | None:
    """Return the rules stored for a room, or None if none were ever set."""
    return RecordingRules.objects.filter(room=room).first()


def recording_settings_of(*, account: Account) -> RecordingSettings | None:
    """Return the account's RecordingSettings row, or None when it has never been saved."""
    return RecordingSettings.objects.filter(account=account).first()


# A room's audio and video recordings whose file can be played as it is: completed with media,
# and not encrypted with the account's public key (only the private key's holder can read it).
_PLAIN = Q(encryption_key__isnull=True) | Q(encryption_key="")
_PLAYABLE = Q(status=RecordingStatus.COMPLETED) & ~Q(media_key="") & _PLAIN


def room_playable_recordings(*, account: Account, room: Room) -> QuerySet[Recording]:
    """Return a room's audio and video recordings with plain media to play, oldest first, with
    their participants."""
    return (
        Recording.objects.filter(_PLAYABLE, account=account, room=room)
        .exclude(type=MediaType.DATA)
        .select_related("participant")
        .order_by("date_created", "sid")
    )


def room_recordings_by_playability(*, account: Account, room: Room) -> dict[str, int]:
    """Count a room's audio and video recordings: ``playable`` ones (``room_playable_recordings``)
    and the others by why they are not (``processing``, ``failed``, ``deleted``, ``encrypted``,
    ``no_media``), in one query."""
    completed = Q(status=RecordingStatus.COMPLETED)
    return (
        Recording.objects.filter(account=account, room=room)
        .exclude(type=MediaType.DATA)
        .aggregate(
            playable=Count("pk", filter=_PLAYABLE),
            processing=Count("pk", filter=Q(status=RecordingStatus.PROCESSING)),
            failed=Count("pk", filter=Q(status=RecordingStatus.FAILED)),
            deleted=Count("pk", filter=Q(status=RecordingStatus.DELETED)),
            encrypted=Count("pk", filter=completed & ~Q(media_key="") & ~_PLAIN),
            no_media=Count("pk", filter=completed & Q(media_key="")),
        )
    )
