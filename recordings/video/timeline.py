"""Where a room's recordings sit on the room's clock.

Tracks are placed by when each recording's media started (``date_created``) after the room's
start (``offset``, the room's ``media_offset``), as Twilio's players line them up: compositions
and the console's room player place them the same way.
"""

from recordings.video.models import Recording


def start_seconds(recording: Recording) -> float:
    """Return when a recording's media starts, in seconds after its room's start."""
    started_ms = recording.date_created.timestamp() * 1000
    return max(0.0, (started_ms - (recording.offset or 0)) / 1000)
