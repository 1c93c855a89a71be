"""Account-scoped reads of what the lifecycle keeps about recordings of every kind."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, LPad

from console.models import Account
from recordings.lifecycle.filters import ListFilter
from recordings.lifecycle.models import CallbackAttempt, CallbackDelivery

# An id as text as long as any id gets, zero-padded so that it sorts as the number does.
_ID_DIGITS = 20


def id_as_sid() -> LPad:
    """Return a row's id as the ``sid`` keyset pages (twilio_api.keyset) hold of rows that have
    none: zero-padded text, which sorts as the number does."""
    return LPad(Cast("id", CharField()), _ID_DIGITS, Value("0"))


def callback_deliveries_for(*, account: Account, recording_sid: str) -> QuerySet[CallbackDelivery]:
    """Return the status callbacks sent about one of the account's recordings, oldest first,
    each with its delivery attempts prefetched."""
    return (
        CallbackDelivery.objects.filter(account=account, recording_sid=recording_sid)
        .order_by("date_created", "id")
        .prefetch_related("attempts")
    )


@dataclass(frozen=True)
class CallbackFilter(ListFilter):
    """The webhook log's filter, from its API query or its console form."""

    status: str = ""
    # Deliveries with at least one attempt answered with this HTTP status.
    status_code: int | None = None
    event: str = ""
    url_prefix: str = ""
    date_created_after: datetime | None = None  # inclusive
    date_created_before: datetime | None = None  # exclusive


def callback_delivery_list(
    *, account: Account, filter: CallbackFilter = CallbackFilter()
) -> QuerySet[CallbackDelivery]:
    """Return the account's status callbacks that match, newest first, each with ``sid``: its id
    as zero-padded text, the tiebreak the keyset pages (twilio_api.keyset) hold of a row.

    The order is by id itself, which sorts the same: the index on (account, date_created, id)
    gives the rows in order, and the padded text is compared only at a page's boundary.
    """
    qs = CallbackDelivery.objects.filter(account=account)
    if filter.status:
        qs = qs.filter(status=filter.status)
    if filter.status_code is not None:
        answered = CallbackAttempt.objects.filter(
            delivery=OuterRef("pk"), status_code=filter.status_code
        )
        qs = qs.filter(Exists(answered))
    if filter.event:
        qs = qs.filter(event=filter.event)
    if filter.url_prefix:
        qs = qs.filter(url__startswith=filter.url_prefix)
    if filter.date_created_after:
        qs = qs.filter(date_created__gte=filter.date_created_after)
    if filter.date_created_before:
        qs = qs.filter(date_created__lt=filter.date_created_before)
    return qs.annotate(sid=id_as_sid()).order_by("-date_created", "-id")


def callback_delivery_get(*, account: Account, delivery_id: int) -> CallbackDelivery | None:
    """Return one of the account's status callbacks with its attempts prefetched, or None (also
    for another account's)."""
    return (
        CallbackDelivery.objects.filter(account=account, pk=delivery_id)
        .prefetch_related("attempts")
        .first()
    )


@dataclass(frozen=True)
class CallbackHealth:
    """How an account's status callback attempts went over a period."""

    attempts: int
    failed: int

    @property
    def failure_percent(self) -> float | None:
        """Return the share of attempts that failed, in percent; None when none was made."""
        return round(100 * self.failed / self.attempts, 1) if self.attempts else None


def callback_health(*, account: Account, since: datetime) -> CallbackHealth:
    """Return the account's callback attempts made since a moment and how many failed (no
    answer, or an answer other than 2xx).

    An attempt saves its delivery, so every delivery attempted since then was updated since then:
    the index on (account, date_updated) finds them, and their attempts are read by delivery.
    """
    delivered = Q(status_code__gte=200, status_code__lt=300)
    row = CallbackAttempt.objects.filter(
        delivery__account=account, delivery__date_updated__gte=since, date_created__gte=since
    ).aggregate(attempts=Count("id"), failed=Count("id", filter=~delivered))
    return CallbackHealth(attempts=row["attempts"], failed=row["failed"])
