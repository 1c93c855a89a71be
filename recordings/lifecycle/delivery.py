"""Status callbacks: record one per room or voice-recording event (its parameters built by the app
that owns the event), make the signed HTTP attempts that deliver it, and send one again from the
webhook log."""

import time

import requests
from django.conf import settings
from django.db import transaction

from console import outbound
from console.services import Actor, audit_record
from recordings.lifecycle.exceptions import CallbackUrlRefused
from recordings.lifecycle.models import RESPONSE_BODY_CHARS, CallbackAttempt, CallbackDelivery
from recordings.lifecycle.queue import enqueue
from recordings.lifecycle.signing import request_url, signature


class CallbackFailed(Exception):
    """An attempt failed and another one is due."""


def callback_url_check(url: str | None) -> None:
    """Refuse a status callback URL naming an address never called (loopback, private, cloud
    metadata…), when it is set; a name resolving there is refused when the callback is sent."""
    if url:
        try:
            outbound.check_url(url)
        except outbound.OutboundRefused as exc:
            raise CallbackUrlRefused(f"Invalid StatusCallback URL: {exc.reason}") from None


def callback_send(
    *,
    account_id: str,
    event: str,
    url: str,
    method: str,
    params: dict[str, str],
    recording_sid: str = "",
    room_id: str | None = None,  # a room's event: the lifecycle knows rooms by key only
    replay_of_id: int | None = None,
) -> CallbackDelivery:
    """Record one callback and deliver it after commit, signed and retried like every other.

    Call inside the transaction of the change it reports, so that a rolled-back change sends
    nothing and a committed one is never without its callback.
    """
    delivery = CallbackDelivery.objects.create(
        account_id=account_id,
        room_id=room_id,
        recording_sid=recording_sid,
        event=event,
        url=url,
        method=method,
        params=params,
        replay_of_id=replay_of_id,
    )
    transaction.on_commit(
        lambda: enqueue("recordings.tasks.deliver_callback", delivery.pk), robust=True
    )
    return delivery


@transaction.atomic
def callback_replay(*, delivery: CallbackDelivery, actor: Actor) -> CallbackDelivery:
    """Send a callback again as a new delivery linked to it: the same event, URL and parameters,
    signed with the auth token of now and attempted (guard, retries) like any other."""
    replay = callback_send(
        account_id=delivery.account_id,
        event=delivery.event,
        url=delivery.url,
        method=delivery.method,
        params=delivery.params,
        recording_sid=delivery.recording_sid,
        room_id=delivery.room_id,
        replay_of_id=delivery.pk,
    )
    audit_record(
        account=delivery.account,
        actor=actor,
        action="callback.replay",
        object_sid=delivery.recording_sid,
        object_repr=f"{delivery.event} to {delivery.url}"[:255],
        detail=f"delivery {delivery.pk} sent again as delivery {replay.pk}",
    )
    return replay


def callback_attempt(*, delivery_id: int) -> None:
    """Make one HTTP attempt at a callback and store it; raise CallbackFailed to be retried."""
    delivery = CallbackDelivery.objects.select_related("account").get(pk=delivery_id)
    if delivery.status != CallbackDelivery.Status.PENDING:
        return
    number = delivery.attempts.count() + 1
    signed = signature(delivery.account.auth_token, delivery.url, delivery.method, delivery.params)
    headers = {"X-Twilio-Signature": signed, "User-Agent": "Roomvault/1 (status callbacks)"}
    started = time.monotonic()
    status_code, error, refused, body = None, "", False, b""
    try:
        with (
            outbound.session() as http,
            http.request(
                delivery.method,
                request_url(delivery.url, delivery.method, delivery.params),
                data=delivery.params if delivery.method == "POST" else None,
                headers=headers,
                timeout=settings.CALLBACK_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,  # only the start of the body is kept: never read a huge one whole
            ) as response,
        ):
            status_code = response.status_code
            body = next(response.iter_content(RESPONSE_BODY_CHARS), b"")
    except outbound.OutboundRefused as exc:
        # Policy, not a passing fault: retrying would only ask DNS again for another answer.
        error, refused = f"refused by the outbound guard: {exc.reason}"[:255], True
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:255]
    CallbackAttempt.objects.create(
        delivery=delivery,
        number=number,
        status_code=status_code,
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
        signature=signed,
        response_body=_printable(body[:RESPONSE_BODY_CHARS]),
    )
    delivered = status_code is not None and 200 <= status_code < 300
    if delivered:
        delivery.status = CallbackDelivery.Status.DELIVERED
    elif refused or number >= settings.CALLBACK_MAX_ATTEMPTS:
        delivery.status = CallbackDelivery.Status.FAILED
    delivery.save(update_fields=["status", "date_updated"])
    if delivery.status == CallbackDelivery.Status.PENDING:
        raise CallbackFailed(f"attempt {number}: {status_code or error}")


def _printable(body: bytes) -> str:
    """Return the start of a response body as text a database column takes (no NUL)."""
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
