"""Keyset paging over lists ordered newest first with the SID as tiebreak.

Not a domain module and not Twilio's: the API's page tokens, the console's list pages and a bulk
deletion's progress all hold the same (date_created, sid) position, so it lives below all of them.
A page past a cursor costs what the first page does, at any depth and any table size.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db.models import Q, QuerySet

LIST_ORDER = ("-date_created", "-sid")


class Keyed(Protocol):
    """A row of a list in LIST_ORDER: what a cursor holds of it."""

    date_created: datetime
    sid: str


@dataclass(frozen=True)
class Cursor:
    """A position in a list: the (date_created, sid) of a row and the direction to read from it."""

    date_created: datetime
    sid: str
    forward: bool = True


@dataclass(frozen=True)
class Page:
    """One page of rows in list order, and whether rows exist beyond each end."""

    rows: list
    has_next: bool
    has_previous: bool


def beyond_cursor(qs: QuerySet, cursor: Cursor) -> QuerySet:
    """Return the rows of ``qs`` past the cursor in its direction, in reading order.

    The bound is written as ``date <= t AND (date < t OR sid < s)``: the first term is a range on
    the index, so the database starts reading at the cursor instead of filtering from the top.
    """
    t, s = cursor.date_created, cursor.sid
    if cursor.forward:
        return qs.filter(date_created__lte=t).filter(Q(date_created__lt=t) | Q(sid__lt=s))
    return qs.filter(date_created__gte=t).filter(Q(date_created__gt=t) | Q(sid__gt=s)).reverse()


def keyset_page(qs: QuerySet, *, page_size: int, cursor: Cursor | None) -> Page:
    """Return the page of ``qs`` (ordered by LIST_ORDER) that starts past ``cursor``."""
    return page_of(list(page_query(qs, page_size=page_size, cursor=cursor)), page_size, cursor)


def page_query(qs: QuerySet, *, page_size: int, cursor: Cursor | None) -> QuerySet:
    """Return the rows of ``qs`` that a page past ``cursor`` reads: one more than the page holds,
    to tell whether rows lie beyond it, in reading order."""
    return (qs if cursor is None else beyond_cursor(qs, cursor))[: page_size + 1]


def page_of(rows: list, page_size: int, cursor: Cursor | None) -> Page:
    """Return the page that the rows ``page_query`` read make."""
    if cursor is None:
        return Page(rows=rows[:page_size], has_next=len(rows) > page_size, has_previous=False)
    if cursor.forward:
        return Page(rows=rows[:page_size], has_next=len(rows) > page_size, has_previous=True)
    return Page(rows=rows[:page_size][::-1], has_next=True, has_previous=len(rows) > page_size)
