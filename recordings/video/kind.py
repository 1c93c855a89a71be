"""Video recordings as a kind the lifecycle deletes, purges and sweeps (registered in ready())."""

from recordings.lifecycle.bulk import FormSelection
from recordings.lifecycle.exceptions import RecordingStillProcessing
from recordings.lifecycle.kinds import RecordingKind
from recordings.video import playback, selectors
from recordings.video.choices import RecordingStatus
from recordings.video.forms import RecordingFilterForm
from recordings.video.models import Recording


def _media_files(recordings):
    # The original and its playback rendition, in our store. A file in an account's own bucket
    # (media_external_location) is the account's: Roomvault never deletes from it.
    rows = recordings.values_list(
        "sid", "account_id", "room_id", "codec", "media_key", "media_external_location"
    )
    for sid, account, room, codec, key, external in rows.iterator(chunk_size=5000):
        rendition = Recording(sid=sid, account_id=account, room_id=room, codec=codec)
        yield sid, account, key, [] if external else [key, playback.rendition_key(rendition)]


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
    media_files=_media_files,
    describe=lambda r: f"{r.track_name} in {r.room_id}",
    storage_note="playback renditions not counted",
    hold_fields={"room": "room_sid", "participant": "participant_identity"},
    refusal=lambda r: RecordingStillProcessing(
        f"Recording {r.sid} is still processing and cannot be deleted yet"
    ),
)
