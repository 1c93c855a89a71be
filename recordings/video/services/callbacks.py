"""Status callbacks of room events: numbered per room, with the room's parameters."""

from django.db.models import F
from django.utils import timezone

from recordings.lifecycle.delivery import callback_send
from recordings.video import callbacks
from recordings.video.models import Room


def callback_enqueue(
    *, room: Room, event: str, params: dict[str, str], recording_sid: str = ""
) -> None:
    """Record a callback for a room event and deliver it after commit (if the room wants them).

    Call inside the transaction of the change it reports, so that a rolled-back change sends
    nothing and a committed one is never without its callback.
    """
    if not room.status_callback:
        return
    # An UPDATE, not a read-modify-write: concurrent events of one room get distinct numbers.
    Room.objects.filter(pk=room.pk).update(callback_sequence=F("callback_sequence") + 1)
    sequence = Room.objects.values_list("callback_sequence", flat=True).get(pk=room.pk) - 1
    callback_send(
        account_id=room.account_id,
        room_id=room.pk,
        recording_sid=recording_sid,
        event=event,
        url=room.status_callback,
        method=room.status_callback_method,
        params={
            **callbacks.room_params(room),
            "StatusCallbackEvent": event,
            "Timestamp": callbacks.timestamp(timezone.now()),
            "SequenceNumber": str(sequence),
            **params,
        },
    )
