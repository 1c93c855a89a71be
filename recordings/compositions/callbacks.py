"""Status callbacks of composition events, with Twilio's parameter names; signed, recorded and
retried by the lifecycle's delivery like every other callback."""

from django.utils import timezone

from recordings.compositions.models import Composition, CompositionHook
from recordings.lifecycle.delivery import callback_send
from recordings.video.callbacks import timestamp


def callback_enqueue(
    *, composition: Composition, event: str, params: dict[str, str] | None = None
) -> None:
    """Record a callback of a composition event to its StatusCallback (if it has one) and
    deliver it after commit. Call inside the transaction of the change it reports."""
    if not composition.status_callback:
        return
    callback_send(
        account_id=composition.account_id,
        recording_sid=composition.sid,
        event=event,
        url=composition.status_callback,
        method=composition.status_callback_method,
        params={
            "AccountSid": composition.account_id,
            "CompositionSid": composition.sid,
            "RoomSid": composition.room_id,
            "CompositionUri": f"/v1/Compositions/{composition.sid}",
            "StatusCallbackEvent": event,
            "Timestamp": timestamp(timezone.now()),
            **(params or {}),
        },
    )


def hook_failed_enqueue(*, hook: CompositionHook, room_sid: str, reason: str) -> None:
    """Tell a hook's StatusCallback that it could not compose a room (composition-hook-failed)."""
    if not hook.status_callback:
        return
    callback_send(
        account_id=hook.account_id,
        recording_sid=hook.sid,
        event="composition-hook-failed",
        url=hook.status_callback,
        method=hook.status_callback_method,
        params={
            "AccountSid": hook.account_id,
            "CompositionHookSid": hook.sid,
            "CompositionHookFriendlyName": hook.friendly_name,
            "RoomSid": room_sid,
            "StatusCallbackEvent": "composition-hook-failed",
            "Timestamp": timestamp(timezone.now()),
            "ErrorMessage": reason,
        },
    )
