"""CSV exports streamed from a queryset, with cells no spreadsheet runs as a formula.

It lives in the platform because both the product's Logs exports and the console's audit export
write CSV: one guard against CSV injection for all of them.
"""

import csv
from collections.abc import Callable, Iterator
from datetime import datetime

from django.db.models import QuerySet

# Rows read from the database per round trip: an export never holds more than this many.
CSV_CHUNK_SIZE = 2000
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso_utc(value: datetime) -> str:
    """Return an aware time as ISO 8601 in UTC, to the second."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_cell(value: object) -> str:
    """Return a value as a CSV cell no spreadsheet runs as a formula: times in UTC as ISO 8601,
    nothing for None, and text starting like a formula behind an apostrophe (every column: even
    a field the product fills itself may arrive from an import)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_utc(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: QuerySet, columns: dict[str, Callable[[object], object]]) -> Iterator[str]:
    """Yield the CSV of rows line by line (a header, then one line per row with each column's
    value), reading them from the database in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(columns)
    for row in rows.iterator(chunk_size=CSV_CHUNK_SIZE):
        yield writer.writerow([csv_cell(value(row)) for value in columns.values()])
