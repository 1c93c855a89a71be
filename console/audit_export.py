"""The audit evidence export: what was deleted, held or done by a retention policy, when, by whom,
as CSV or JSON lines for a range of days, streamed in constant memory.

The console page and the API (``/roomvault/v1/AuditEvents.csv``) both answer with
``audit_export_response``; they differ only in how they read the range and the family.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from console import selectors
from console.csv_export import CSV_CHUNK_SIZE, csv_lines, iso_utc
from console.models import Account, AuditEvent

# The families of evidence, each the audit actions starting with one of its prefixes: a feature
# that writes a new action under one of these needs no change here. Deletions are every delete of
# a recording of any kind, one at a time, in bulk (the job, each chunk, a failure) or by purge.
AUDIT_FAMILIES: dict[str, tuple[str, ...]] = {
    "deletions": (
        "recording.delete",
        "voice_recording.delete",
        "composition.delete",
        "recordings.bulk_delete",
        "recordings.purge",
    ),
    "holds": ("legal_hold.",),
    "policies": ("retention_policy.",),
    "trash": ("trash.", "recording.restore", "voice_recording.restore", "composition.restore"),
}
# A year, leap day included: a longer export is asked for in pieces, so one request never reads
# an unbounded share of the log.
EXPORT_MAX_DAYS = 366


class ExportRangeError(ValueError):
    """A range of days that cannot be exported: empty, or longer than EXPORT_MAX_DAYS."""


@dataclass(frozen=True)
class ExportRange:
    """Whole UTC days, ``first`` to ``last`` inclusive."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ExportRangeError("the range ends before it starts")
        if (self.last - self.first).days + 1 > EXPORT_MAX_DAYS:
            raise ExportRangeError(f"a range is at most {EXPORT_MAX_DAYS} days: export in pieces")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the range."""
        return datetime.combine(self.last + timedelta(days=1), time.min, UTC)


# Column → its value of an event (typed loosely: csv_lines takes the columns of any rows).
COLUMNS: dict[str, Callable[[Any], object]] = {
    "date_created": lambda event: event.date_created,
    "actor": lambda event: event.actor,
    "action": lambda event: event.action,
    "object_sid": lambda event: event.object_sid,
    "object_repr": lambda event: event.object_repr,
    "sids": lambda event: event.detail,
    "source_ip": lambda event: event.source_ip,
}


def _jsonl_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """Yield one JSON object per event and line, with the CSV's fields and the SIDs as a list."""
    for event in events.iterator(chunk_size=CSV_CHUNK_SIZE):
        row = {name: value(event) for name, value in COLUMNS.items()}
        row["date_created"] = iso_utc(event.date_created)
        row["sids"] = event.detail.split()
        yield json.dumps(row, ensure_ascii=False) + "\n"


# Export format → (content type, lines of the events).
FORMATS: dict[str, tuple[str, Callable[[QuerySet[AuditEvent]], Iterator[str]]]] = {
    "csv": ("text/csv; charset=utf-8", lambda events: csv_lines(events, COLUMNS)),
    "jsonl": ("application/jsonl; charset=utf-8", _jsonl_lines),
}


def audit_evidence(
    *, account: Account, days: ExportRange, family: str | None
) -> QuerySet[AuditEvent]:
    """Return the account's audit events of one family (None: all of them) in the range,
    oldest first."""
    families = [family] if family else list(AUDIT_FAMILIES)
    prefixes = tuple(prefix for name in families for prefix in AUDIT_FAMILIES[name])
    return selectors.audit_events_by_prefix(
        account=account, action_prefixes=prefixes, start=days.start, end=days.end
    )


def audit_export_response(
    *, account: Account, days: ExportRange, family: str | None, export_format: str
) -> StreamingHttpResponse:
    """Stream the evidence as a download named after the account, the family and the range."""
    content_type, lines = FORMATS[export_format]
    events = audit_evidence(account=account, days=days, family=family)
    response = StreamingHttpResponse(lines(events), content_type=content_type)
    name = "-".join(
        ["audit", account.sid, family or "all", days.first.isoformat(), days.last.isoformat()]
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.{export_format}"'
    return response
