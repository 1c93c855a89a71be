"""Account-scoped reads of what the lifecycle keeps about recordings of every kind."""

from django.db.models import QuerySet

from console.models import Account
from recordings.lifecycle.models import CallbackDelivery


def callback_deliveries_for(*, account: Account, recording_sid: str) -> QuerySet[CallbackDelivery]:
    """Return the status callbacks sent about one of the account's recordings, oldest first,
    each with its delivery attempts prefetched."""
    return (
        CallbackDelivery.objects.filter(account=account, recording_sid=recording_sid)
        .order_by("date_created", "id")
        .prefetch_related("attempts")
    )
