"""The life of a room: create, participants join and leave, tracks come and go, rules change, end.

Every change of a room's tracks or rules reconciles its recordings with the rules (seed 002's
dynamic enforcement): tracks entering the set get a new recording, tracks leaving it are stopped.
Each service locks the room row first, so the events of one room are applied one at a time.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from console.models import Account
from console.services import SYSTEM, Actor, audit_record
from console.sids import new_sid
from recordings.lifecycle.choices import CallbackMethod
from recordings.lifecycle.delivery import callback_url_check
from recordings.lifecycle.exceptions import (
    InvalidTrack,
    ParticipantNotConnected,
    RoomFull,
    RoomNameInUse,
    RoomNotInProgress,
    RulesNotSupported,
)
from recordings.video import callbacks, selectors
from recordings.video import rules as rules_algebra
from recordings.video.choices import (
    Codec,
    MediaType,
    ParticipantStatus,
    RoomStatus,
    RoomType,
)
from recordings.video.models import Participant, RecordingRules, RecordingSettings, Room, Track
from recordings.video.services.callbacks import callback_enqueue
from recordings.video.services.recordings import recording_start, recording_stop
from recordings.video.signals import room_ended

GROUP_TYPES = (RoomType.GROUP, RoomType.GROUP_SMALL)
CODECS_FOR_KIND: dict[str, tuple[Codec, Codec]] = {
    MediaType.AUDIO: (Codec.OPUS, Codec.PCMU),
    MediaType.VIDEO: (Codec.VP8, Codec.H264),
}


@transaction.atomic
def room_create(
    *,
    account: Account,
    unique_name: str | None = None,
    type: str = RoomType.GROUP,
    record_participants_on_connect: bool | None = None,
    rules_document: str | None = None,
    status_callback: str | None = None,
    status_callback_method: str = CallbackMethod.POST,
    max_participants: int = 50,
    max_participant_duration: int = 14400,
    empty_room_timeout: int = 5,
    unused_room_timeout: int = 5,
    audio_only: bool = False,
    simulated_seconds: int | None = None,
    actor: Actor = SYSTEM,
) -> Room:
    """Open a room. Unset RecordParticipantsOnConnect takes the account's default (seed 001).

    Raises RoomNameInUse, RulesNotSupported, CallbackUrlRefused, or ``rules.InvalidRules``
    (nothing is created).
    """
    callback_url_check(status_callback)
    sid = new_sid("RM")
    unique_name = unique_name or sid
    if type not in GROUP_TYPES:
        if rules_document is not None:
            raise RulesNotSupported(f"Recording rules are not supported in {type} rooms")
        record_participants_on_connect = False  # seed 001: ignored outside group rooms
    elif record_participants_on_connect is None:
        settings_row = RecordingSettings.objects.filter(account=account).first()
        record_participants_on_connect = bool(
            settings_row and settings_row.record_participants_on_connect
        )
    rules = (
        rules_algebra.parse_rules(rules_document, wrapped=True)
        if rules_document is not None
        else None
    )
    if rules is None and record_participants_on_connect:
        rules = rules_algebra.RECORD_ALL
    now = timezone.now()
    try:
        # The partial unique constraint decides, so two concurrent requests cannot both win.
        with transaction.atomic():
            room = Room.objects.create(
                sid=sid,
                account=account,
                unique_name=unique_name,
                type=type,
                record_participants_on_connect=record_participants_on_connect,
                status_callback=status_callback,
                status_callback_method=status_callback_method,
                max_participants=max_participants,
                max_participant_duration=max_participant_duration,
                empty_room_timeout=empty_room_timeout,
                unused_room_timeout=unused_room_timeout,
                audio_only=audio_only,
                simulated_seconds=simulated_seconds,
                media_offset=int(now.timestamp() * 1000),
                date_created=now,
                date_updated=now,
            )
    except IntegrityError:
        raise RoomNameInUse(f"A room named {unique_name!r} is already in progress") from None
    if rules is not None:
        RecordingRules.objects.create(room=room, rules=rules, date_created=now, date_updated=now)
    audit_record(
        account=account,
        actor=actor,
        action="room.create",
        object_sid=room.sid,
        object_repr=unique_name,
    )
    callback_enqueue(room=room, event="room-created", params={})
    return room


@transaction.atomic
def room_complete(*, room: Room, actor: Actor = SYSTEM) -> Room:
    """End a room: everyone is disconnected and every recording stops (idempotent)."""
    room = _lock(room)
    if room.status != RoomStatus.IN_PROGRESS:
        return room
    for participant in room.participants.filter(status=ParticipantStatus.CONNECTED):
        _disconnect(room, participant)
    now = timezone.now()
    room.status = RoomStatus.COMPLETED
    room.end_time = now
    room.date_updated = now
    room.save(update_fields=["status", "end_time", "date_updated"])
    _reconcile(room)
    audit_record(
        account=room.account,
        actor=actor,
        action="room.complete",
        object_sid=room.sid,
        object_repr=room.unique_name,
    )
    callback_enqueue(room=room, event="room-ended", params={})
    room_ended.send(sender=Room, room=room)
    return room


def rooms_end_idle() -> int:
    """End every room left empty past its timeout, as Twilio does; return how many ended."""
    idle = selectors.rooms_idle(now=timezone.now())
    for room in idle:
        room_complete(room=room)
    return len(idle)


@transaction.atomic
def participant_connect(*, room: Room, identity: str) -> Participant:
    """Connect a participant; one already connected with this identity is disconnected first."""
    room = _lock(room)
    _require_in_progress(room)
    connected = room.participants.filter(status=ParticipantStatus.CONNECTED)
    for duplicate in connected.filter(identity=identity):
        _disconnect(room, duplicate)
    if connected.count() >= room.max_participants:
        raise RoomFull(f"Room {room.sid} already has {room.max_participants} participants")
    now = timezone.now()
    participant = Participant.objects.create(
        account_id=room.account_id,
        room=room,
        identity=identity,
        date_created=now,
        date_updated=now,
    )
    callback_enqueue(
        room=room,
        event="participant-connected",
        params=callbacks.participant_params(participant),
    )
    _reconcile(room)
    return participant


@transaction.atomic
def participant_disconnect(*, participant: Participant) -> Participant:
    """Disconnect a participant: its tracks are unpublished and their recordings stop."""
    room = _lock(participant.room)
    participant = Participant.objects.get(pk=participant.pk)
    if participant.status == ParticipantStatus.CONNECTED:
        _disconnect(room, participant)
        _reconcile(room)
    return participant


@transaction.atomic
def track_publish(*, participant: Participant, name: str, kind: str, codec: str) -> Track:
    """Publish a track; if the room's rules select it, its recording starts."""
    room = _lock(participant.room)
    participant = Participant.objects.get(pk=participant.pk)
    if participant.status != ParticipantStatus.CONNECTED:
        raise ParticipantNotConnected(f"Participant {participant.sid} is not connected")
    if kind in CODECS_FOR_KIND and codec not in CODECS_FOR_KIND[kind]:
        allowed = " or ".join(CODECS_FOR_KIND[kind])
        raise InvalidTrack(f"An {kind} track is {allowed}, not {codec!r}")
    now = timezone.now()
    track = Track.objects.create(
        account_id=participant.account_id,
        room=room,
        participant=participant,
        name=name,
        kind=kind,
        codec=codec if kind in CODECS_FOR_KIND else "",
        date_created=now,
        date_updated=now,
    )
    callback_enqueue(
        room=room,
        event="track-added",
        params={**callbacks.participant_params(participant), **callbacks.track_params(track)},
    )
    _reconcile(room)
    return track


@transaction.atomic
def track_unpublish(*, track: Track) -> Track:
    """Unpublish a track; its recording, if any, stops."""
    room = _lock(track.room)
    track = Track.objects.select_related("participant").get(pk=track.pk)
    if track.published:
        _unpublish(room, track)
        _reconcile(room)
    return track


@transaction.atomic
def recording_rules_update(*, room: Room, document: str, actor: Actor) -> RecordingRules:
    """Replace a room's recording rules (seed 002) and enforce them on its tracks at once.

    Raises ``rules.InvalidRules`` (53120), RulesNotSupported or RoomNotInProgress, and then
    changes nothing.
    """
    room = _lock(room)
    if room.type not in GROUP_TYPES:
        raise RulesNotSupported(f"Recording rules are not supported in {room.type} rooms")
    _require_in_progress(room)  # seed 002: rules apply "during the life of the Room"
    rules = rules_algebra.parse_rules(document)
    now = timezone.now()
    stored, _ = RecordingRules.objects.update_or_create(
        room=room,
        defaults={"rules": rules, "date_updated": now},
        create_defaults={"rules": rules, "date_created": now, "date_updated": now},
    )
    audit_record(
        account=room.account,
        actor=actor,
        action="recording_rules.update",
        object_sid=room.sid,
        object_repr=document[:255],
    )
    _reconcile(room)
    return stored


def _lock(room: Room) -> Room:
    return Room.objects.select_for_update().get(pk=room.pk)


def _require_in_progress(room: Room) -> None:
    if room.status != RoomStatus.IN_PROGRESS:
        raise RoomNotInProgress(f"Room {room.sid} is {room.status}")


def _disconnect(room: Room, participant: Participant) -> None:
    for track in participant.tracks.filter(published=True).select_related("participant"):
        _unpublish(room, track)
    now = timezone.now()
    participant.status = ParticipantStatus.DISCONNECTED
    participant.end_time = now
    participant.date_updated = now
    participant.save(update_fields=["status", "end_time", "date_updated"])
    callback_enqueue(
        room=room,
        event="participant-disconnected",
        params=callbacks.participant_params(participant),
    )


def _unpublish(room: Room, track: Track) -> None:
    track.published = False
    track.date_updated = timezone.now()
    track.save(update_fields=["published", "date_updated"])
    callback_enqueue(
        room=room,
        event="track-removed",
        params={**callbacks.participant_params(track.participant), **callbacks.track_params(track)},
    )


def _reconcile(room: Room) -> None:
    """Start recordings for tracks the rules select and stop those they no longer select."""
    rules_row = RecordingRules.objects.filter(room=room).first()
    live_tracks = Track.objects.filter(
        room=room,
        published=True,
        participant__status=ParticipantStatus.CONNECTED,
        kind__in=CODECS_FOR_KIND,  # seed 001: data tracks are never recorded
    ).select_related("participant")
    tracks = {track.sid: track for track in live_tracks}
    wanted = rules_algebra.tracks_to_record(
        rules_row.rules if rules_row else [],
        [
            rules_algebra.TrackInfo(
                sid=t.sid,
                name=t.name,
                kind=t.kind,
                publisher_sid=t.participant_id,
                publisher_identity=t.participant.identity,
            )
            for t in tracks.values()
        ],
    )
    capturing = {r.track_id: r for r in selectors.recordings_capturing(room=room)}
    for track_sid, recording in capturing.items():
        if track_sid not in wanted:
            recording_stop(room=room, recording=recording)
    for track_sid in sorted(wanted - capturing.keys()):
        recording_start(room=room, track=tracks[track_sid])
