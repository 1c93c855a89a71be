"""The filter of the voice recordings list: built by the 2010-04-01 API's parameters, the console
Logs form and a stored bulk-deletion selection, and the only thing ``voice_recording_list``
takes."""

from dataclasses import dataclass
from datetime import datetime

from recordings.lifecycle.filters import ListFilter


@dataclass(frozen=True)
class VoiceRecordingFilter(ListFilter):
    """Which of an account's voice recordings a list shows; every field set must match.

    Deleted recordings are left out unless ``status`` or ``include_deleted`` asks for them (seed
    003's IncludeSoftDeleted). ``date_created_after`` is inclusive, ``date_created_before``
    exclusive.
    """

    sid: str | None = None
    call_sid: str | None = None
    conference_sid: str | None = None
    status: str | None = None
    include_deleted: bool = False
    source: str | None = None
    date_created_after: datetime | None = None
    date_created_before: datetime | None = None
