"""Read-only figures about one account's recordings and rooms, for the dashboard and room lists.

Each function is one query whatever the number of rows or days: totals are grouped and summed
by the database (per status, per day with ``TruncDate``), never counted row by row in Python.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from console.models import Account
from recordings.video import selectors
from recordings.video.choices import RecordingStatus, RoomStatus
from recordings.video.models import Participant, Recording, Room
from recordings.voice.choices import VoiceRecordingStatus
from recordings.voice.models import VoiceRecording

CHART_DAYS = 30


@dataclass(frozen=True)
class StatusTotals:
    """How many of an account's recordings are in each status, and the bytes they keep stored."""

    counts: dict[str, int]
    storage_bytes: int

    @property
    def total(self) -> int:
        """Return the number of recordings that are not deleted."""
        return sum(n for status, n in self.counts.items() if status != RecordingStatus.DELETED)


@dataclass(frozen=True)
class Day:
    """The recordings created on one (UTC) day and their total size."""

    day: date
    recordings: int
    bytes: int


def recording_totals(
    *, account: Account, model=Recording, statuses: list[str] = RecordingStatus.values
) -> StatusTotals:
    """Return the account's recordings (video, or ``model``'s with its ``statuses``) by status
    and the storage used by those not deleted."""
    rows = (
        model.objects.filter(account=account)
        .values("status")
        .annotate(n=Count("sid"), size=Coalesce(Sum("size"), 0))
        .order_by()
    )
    counts = {status: 0 for status in statuses}
    storage = 0
    for row in rows:
        counts[row["status"]] = row["n"]
        if row["status"] != RecordingStatus.DELETED:
            storage += row["size"]
    return StatusTotals(counts=counts, storage_bytes=storage)


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

    totals: StatusTotals
    days: list[Day]
    as_of: datetime
    voice: StatusTotals


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
            totals=recording_totals(account=account),
            days=recordings_per_day(account=account, now=now),
            as_of=now,
            voice=recording_totals(
                account=account, model=VoiceRecording, statuses=VoiceRecordingStatus.values
            ),
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
