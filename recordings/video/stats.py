"""Read-only figures about one account's video recordings and rooms, for the dashboard and the
room list.

Each function is one query whatever the number of rows or days: totals are grouped and summed by
the database (per day with ``TruncDate``), never counted row by row in Python.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from console.models import Account
from recordings.lifecycle.stats import StatusTotals, kind_totals
from recordings.video import selectors
from recordings.video.choices import RecordingStatus, RoomStatus
from recordings.video.models import Participant, Recording, Room

CHART_DAYS = 30


@dataclass(frozen=True)
class Day:
    """The recordings created on one (UTC) day and their total size."""

    day: date
    recordings: int
    bytes: int


def recordings_per_day(
    *, account: Account, days: int = CHART_DAYS, now: datetime | None = None
) -> list[Day]:
    """Return one entry per UTC day of the last ``days`` days (today last), zeros included.

    Deleted recordings are left out, as in the Recordings list and the storage figure.
    """
    today = (now or timezone.now()).astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    rows = (
        Recording.objects.filter(account=account, date_created__gte=start)
        .exclude(status=RecordingStatus.DELETED)
        .annotate(day=TruncDate("date_created", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("sid"), size=Coalesce(Sum("size"), 0))
        .order_by("day")
    )
    found = {row["day"]: (row["n"], row["size"]) for row in rows}
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        n, size = found.get(day, (0, 0))
        series.append(Day(day=day, recordings=n, bytes=size))
    return series


@dataclass(frozen=True)
class Figures:
    """What the dashboard shows of an account's recordings, and when it was computed."""

    totals: dict[str, StatusTotals]  # every kind's by name (cached: names, not kinds)
    days: list[Day]
    as_of: datetime


def dashboard_figures(*, account: Account) -> Figures:
    """Return the account's totals and per-day series, computed at most once a period.

    Both aggregate every one of the account's rows (about a second at ten million), so every
    process shares one result for ``DASHBOARD_FIGURES_SECONDS``: the page then costs the same at
    any size, and the figures say when they were taken.
    """
    key = f"dashboard-figures:{account.sid}"
    figures = cache.get(key)
    if figures is None:
        now = timezone.now()
        figures = Figures(
            totals=kind_totals(account=account),
            days=recordings_per_day(account=account, now=now),
            as_of=now,
        )
        cache.set(key, figures, settings.DASHBOARD_FIGURES_SECONDS)
    return figures


def rooms_in_progress(*, account: Account, limit: int = 20) -> list[Room]:
    """Return up to ``limit`` + 1 of the account's rooms in progress, newest first.

    The extra row tells the caller that there are more than it shows, without a COUNT.
    """
    return list(selectors.room_list(account=account, status=RoomStatus.IN_PROGRESS)[: limit + 1])


def with_room_figures(rooms: QuerySet[Room]) -> QuerySet[Room]:
    """Add each room's ``participant_count`` and ``recording_now`` to a room list, in its query.

    Correlated subqueries rather than a JOIN and GROUP BY: the database evaluates them only for
    the rows of the page it returns, so a page costs the same whatever the account's size.
    """
    participants = (
        Participant.objects.filter(room=OuterRef("pk"))
        .order_by()
        .values("room")
        .annotate(n=Count("sid"))
        .values("n")
    )
    capturing = Recording.objects.filter(
        room=OuterRef("pk"), status=RecordingStatus.PROCESSING, date_stopped__isnull=True
    )
    return rooms.annotate(
        participant_count=Coalesce(Subquery(participants), 0),
        recording_now=Exists(capturing),
    )
