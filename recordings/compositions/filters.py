"""The filter of the compositions list: built by the API's query parser, the console Logs form and
a stored bulk-deletion selection, and the only thing ``composition_list`` takes."""

from dataclasses import dataclass
from datetime import datetime

from recordings.lifecycle.filters import ListFilter


@dataclass(frozen=True)
class CompositionFilter(ListFilter):
    """Which of an account's compositions a list shows; every field set must match.

    Deleted compositions are left out unless ``status`` or ``include_deleted`` asks for them, as
    for recordings. ``room_name_prefix`` matches any of the account's rooms that had a unique name
    starting so, in any case; ``room_name`` a whole name, as it did in bulk deletions stored before
    the console matched starts (a stored selection never widens).
    ``date_created_after`` is inclusive, ``date_created_before`` exclusive.
    """

    sid: str | None = None
    room_sid: str | None = None
    room_name: str | None = None
    room_name_prefix: str | None = None
    status: str | None = None
    include_deleted: bool = False
    format: str | None = None
    date_created_after: datetime | None = None
    date_created_before: datetime | None = None
