"""Every state change of rooms and recordings. Each service is one transaction; anything outside
the database (media deletion, callbacks, simulated media) is queued with ``transaction.on_commit``,
``robust=True``: a broker outage never turns a committed change into an error (the sweeps finish
the work later).
"""

from recordings.lifecycle.bulk import (
    InvalidBulkSelection,
    bulk_deletion_create,
    bulk_deletion_fail,
    bulk_deletion_run_chunk,
)
from recordings.lifecycle.deletion import recordings_media_delete
from recordings.lifecycle.delivery import CallbackFailed, callback_attempt
from recordings.lifecycle.exceptions import RecordingStillProcessing
from recordings.lifecycle.retention import recordings_media_sweep, recordings_purge
from recordings.video.services.callbacks import callback_enqueue
from recordings.video.services.recordings import (
    media_key_for,
    recording_complete,
    recording_delete,
    recording_fail,
    recording_media_ingest,
    recording_simulate_media,
    recording_start,
    recording_stop,
    recordings_give_up_media,
)
from recordings.video.services.rooms import (
    participant_connect,
    participant_disconnect,
    recording_rules_update,
    room_complete,
    room_create,
    rooms_end_idle,
    track_publish,
    track_unpublish,
)
from recordings.video.services.settings import recording_settings_update

__all__ = [
    "CallbackFailed",
    "InvalidBulkSelection",
    "RecordingStillProcessing",
    "bulk_deletion_create",
    "bulk_deletion_fail",
    "bulk_deletion_run_chunk",
    "callback_attempt",
    "callback_enqueue",
    "media_key_for",
    "participant_connect",
    "participant_disconnect",
    "recording_complete",
    "recording_delete",
    "recording_fail",
    "recording_media_ingest",
    "recording_rules_update",
    "recording_settings_update",
    "recording_simulate_media",
    "recording_start",
    "recording_stop",
    "recordings_give_up_media",
    "recordings_media_delete",
    "recordings_media_sweep",
    "recordings_purge",
    "room_complete",
    "room_create",
    "rooms_end_idle",
    "track_publish",
    "track_unpublish",
]
