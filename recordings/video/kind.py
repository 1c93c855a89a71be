"""Video recordings as a kind the lifecycle deletes, purges and sweeps (registered in ready())."""

from recordings.lifecycle.bulk import FormSelection
from recordings.lifecycle.exceptions import RecordingStillProcessing
from recordings.lifecycle.kinds import RecordingKind, media_files_in_our_store
from recordings.video import selectors
from recordings.video.choices import RecordingStatus
from recordings.video.forms import RecordingFilterForm
from recordings.video.models import Recording

VIDEO = RecordingKind(
    name="video",
    prefix="RT",
    model=Recording,
    statuses=tuple(RecordingStatus.values),
    deletable=frozenset({RecordingStatus.COMPLETED, RecordingStatus.FAILED}),
    retention_setting="RECORDING_RETENTION_DAYS",
    noun="recording",
    list_url_name="recordings:list",
    audit_action="recording.delete",
    selection_of=FormSelection(RecordingFilterForm),
    matching=selectors.recordings_matching,
    media_files=media_files_in_our_store,
    describe=lambda r: f"{r.track_name} in {r.room_id}",
    refusal=lambda r: RecordingStillProcessing(
        f"Recording {r.sid} is still processing and cannot be deleted yet"
    ),
)
