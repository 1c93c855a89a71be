"""Read-only totals of one account's recordings of every kind, for the dashboard.

One query per kind whatever the number of rows: totals are grouped and summed by the database
(per status), never counted row by row in Python.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from console.models import Account
from recordings.lifecycle.kinds import DELETED, RecordingKind, kinds
from recordings.lifecycle.selectors import CallbackHealth, callback_health

# The period the dashboard's callback health covers.
CALLBACK_HEALTH_PERIOD = timedelta(hours=24)


@dataclass(frozen=True)
class StatusTotals:
    """How many of an account's recordings are in each status, and the bytes they keep stored."""

    counts: dict[str, int]
    storage_bytes: int

    @property
    def total(self) -> int:
        """Return the number of recordings that are not deleted."""
        return sum(n for status, n in self.counts.items() if status != DELETED)


def recording_totals(*, account: Account, kind: RecordingKind) -> StatusTotals:
    """Return the account's recordings of this kind by status and the storage used by those not
    deleted."""
    rows = (
        kind.model.objects.filter(account=account)
        .values("status")
        .annotate(n=Count("sid"), size=Coalesce(Sum("size"), 0))
        .order_by()
    )
    counts = {status: 0 for status in kind.statuses}
    storage = 0
    for row in rows:
        counts[row["status"]] = row["n"]
        if row["status"] != DELETED:
            storage += row["size"]
    return StatusTotals(counts=counts, storage_bytes=storage)


def kind_totals(*, account: Account) -> dict[str, StatusTotals]:
    """Return the account's totals of every registered kind by its name, in registration order."""
    return {kind.name: recording_totals(account=account, kind=kind) for kind in kinds()}


@dataclass(frozen=True)
class CallbackHealthFigure:
    """The account's callback health over CALLBACK_HEALTH_PERIOD, and when it was computed."""

    health: CallbackHealth
    as_of: datetime


def callback_health_figure(*, account: Account) -> CallbackHealthFigure:
    """Return the account's callback health of the last CALLBACK_HEALTH_PERIOD, computed at most
    once every ``DASHBOARD_FIGURES_SECONDS`` and shared by every process, like the other
    dashboard figures."""
    key = f"dashboard-callback-health:{account.sid}"
    figure = cache.get(key)
    if figure is None:
        now = timezone.now()
        health = callback_health(account=account, since=now - CALLBACK_HEALTH_PERIOD)
        figure = CallbackHealthFigure(health=health, as_of=now)
        cache.set(key, figure, settings.DASHBOARD_FIGURES_SECONDS)
    return figure
