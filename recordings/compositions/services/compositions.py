"""Creating and deleting compositions. The worker's side is ``services.run``."""

from django.db import transaction
from django.utils import timezone

from console.models import Account
from console.services import Actor, audit_record
from recordings.compositions.callbacks import callback_enqueue
from recordings.compositions.exceptions import InvalidComposition
from recordings.compositions.kind import COMPOSITION
from recordings.compositions.making import sources_check
from recordings.compositions.models import Composition
from recordings.compositions.spec import Spec
from recordings.lifecycle.deletion import soft_delete
from recordings.lifecycle.queue import enqueue
from recordings.video import selectors as video_selectors
from recordings.video.choices import RoomStatus, RoomType
from recordings.video.models import Room

COMPOSABLE_ROOM_TYPES = (RoomType.GROUP, RoomType.GROUP_SMALL)


def composable_room(*, account: Account, room_sid: str) -> Room:
    """Return the account's ended Group Room with this SID; raise InvalidComposition (RoomSid)
    for any other (unknown, another account's, peer-to-peer, still in progress)."""
    room = video_selectors.room_get(account=account, sid_or_name=room_sid)
    if room is None or room.sid != room_sid:
        raise InvalidComposition("RoomSid", f"{room_sid} is not a room of this account")
    if room.type not in COMPOSABLE_ROOM_TYPES:
        raise InvalidComposition("RoomSid", f"room {room.sid} is not a Group Room")
    if room.status != RoomStatus.COMPLETED:
        raise InvalidComposition(
            "RoomSid", f"room {room.sid} is {room.status}: a room is composed once it has ended"
        )
    return room


@transaction.atomic
def composition_create(*, room: Room, spec: Spec, actor: Actor, hook_sid: str = "") -> Composition:
    """Create a composition of an ended room and queue it for a composition worker.

    Raise NotComposable when the spec selects none of the room's recordings, or an encrypted
    one. The composition starts ``enqueued``; its composition-enqueued callback and its task go
    out after commit.
    """
    sources_check(room, spec)
    now = timezone.now()
    composition = Composition.objects.create(
        account_id=room.account_id,
        room=room,
        hook_sid=hook_sid,
        date_created=now,
        date_updated=now,
        **spec.fields(),
    )
    audit_record(
        account=room.account,
        actor=actor,
        action="composition.create",
        object_sid=composition.sid,
        object_repr=f"{room.unique_name} ({room.sid}), {spec.resolution} {spec.format}",
    )
    callback_enqueue(composition=composition, event="composition-enqueued")
    sid = composition.sid
    transaction.on_commit(lambda: enqueue("compositions.compose", sid), robust=True)
    return composition


def composition_delete(*, composition: Composition, actor: Actor) -> bool:
    """Delete a completed or failed composition (its file goes after commit) and tell whether it
    was deleted now (not before); raise RecordingStillProcessing for one a worker has yet to
    finish."""
    return bool(
        soft_delete(COMPOSITION, account=composition.account, sids=[composition.sid], actor=actor)
    )
