"""Voice recordings as a kind the lifecycle deletes, purges and sweeps (registered in ready())."""

from recordings.lifecycle.bulk import FormSelection
from recordings.lifecycle.exceptions import RecordingNotDeletable
from recordings.lifecycle.kinds import RecordingKind
from recordings.voice import media, selectors
from recordings.voice.choices import VoiceRecordingStatus
from recordings.voice.forms import VoiceRecordingFilterForm
from recordings.voice.models import VoiceRecording


def _media_files(recordings):
    # The original and every rendition made of it.
    rows = recordings.values_list("sid", "account_id", "media_key", "channels")
    for sid, account, key, channels in rows.iterator(chunk_size=5000):
        yield sid, account, key, media.all_keys(account, sid, channels)


VOICE = RecordingKind(
    name="voice",
    prefix="RE",
    model=VoiceRecording,
    statuses=tuple(VoiceRecordingStatus.values),
    # Seed 003: only completed voice recordings can be deleted.
    deletable=frozenset({VoiceRecordingStatus.COMPLETED}),
    retention_setting="VOICE_RECORDING_RETENTION_DAYS",
    noun="voice recording",
    list_url_name="voice:list",
    audit_action="voice_recording.delete",
    selection_of=FormSelection(VoiceRecordingFilterForm),
    matching=selectors.voice_recordings_matching,
    media_files=_media_files,
    describe=lambda r: f"recording of {r.call_id or r.conference_id}",
    storage_note="renditions not counted",
    hold_fields={"call": "call_sid"},
    refusal=lambda r: RecordingNotDeletable(
        f"Recording {r.sid} is {r.status}: only completed recordings can be deleted"
    ),
)
