"""The filter of the video recordings list: built by the API's query parser, the console Logs
form and a stored bulk-deletion selection, and the only thing ``recording_list`` takes."""

from dataclasses import dataclass
from datetime import datetime

from recordings.lifecycle.filters import ListFilter


@dataclass(frozen=True)
class RecordingFilter(ListFilter):
    """Which of an account's recordings a list shows; every field set must match.

    Deleted recordings are left out unless ``status`` or ``include_deleted`` asks for them (seed
    000). A grouping SID matches the recording's room or participant, chosen by its prefix; every
    one given must match. The console adds names: the start of a room's unique name (any of the
    account's rooms that had one starting so) and of a participant's identity, in any case.
    ``room_name`` and ``participant_identity`` match whole names, as they did in bulk deletions
    stored before the console matched starts: a stored selection never widens.
    ``date_created_after`` is inclusive, ``date_created_before`` exclusive.
    """

    sid: str | None = None
    room_sid: str | None = None
    status: str | None = None
    include_deleted: bool = False
    source_sid: str | None = None
    grouping_sids: tuple[str, ...] = ()
    media_type: str | None = None
    codec: str | None = None
    track_name: str | None = None
    room_name: str | None = None
    participant_identity: str | None = None
    room_name_prefix: str | None = None
    participant_identity_prefix: str | None = None
    date_created_after: datetime | None = None
    date_created_before: datetime | None = None
