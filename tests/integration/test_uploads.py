"""On PostgreSQL: while a recording's file is being stored, its row is not locked (another
connection can lock it at once), so an upload of gigabytes blocks no delete, list or callback."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from recordings.media.demo import opus_mka
from recordings.media.store import LocalMediaStore
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from recordings.voice import services as voice_services
from recordings.voice.choices import VoiceRecordingStatus
from recordings.voice.models import VoiceRecording
from tests.factories import RecordingFactory
from tests.media.test_uploads import tone_wav

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def lockable_from_another_connection(model, pk: str) -> bool:
    """Tell whether another connection can lock the row now (FOR UPDATE NOWAIT)."""
    outcome = []

    def lock():
        try:
            with transaction.atomic():
                model.objects.select_for_update(nowait=True).get(pk=pk)
            outcome.append(True)
        except DatabaseError:
            outcome.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=lock)
    thread.start()
    thread.join(timeout=30)
    return outcome == [True]


@pytest.fixture
def while_storing(monkeypatch):
    """Record, during each store write, whether the row ``model``/``pk`` could be locked."""
    seen = []

    def arrange(model, pk: str) -> list[bool]:
        save = LocalMediaStore.save

        def probing_save(self, key, stream, *, account_sid):
            seen.append(lockable_from_another_connection(model, pk))
            return save(self, key, stream, account_sid=account_sid)

        monkeypatch.setattr(LocalMediaStore, "save", probing_save)
        return seen

    return arrange


def test_a_video_recordings_row_is_not_locked_while_its_file_is_stored(
    account, tmp_path, while_storing
):
    recording = RecordingFactory(
        track__participant__room__account=account,
        track__kind="audio",
        date_stopped=timezone.now(),
    )
    path = tmp_path / "upload.mka"
    path.write_bytes(opus_mka(1.0))
    seen = while_storing(Recording, recording.pk)
    completed = services.recording_media_ingest(recording=recording, path=path)
    assert completed.status == RecordingStatus.COMPLETED
    # The original's write, then its playback rendition's (made by the task on commit).
    assert seen and all(seen)


def test_a_voice_recordings_row_is_not_locked_while_its_audio_is_stored(
    account, tmp_path, while_storing
):
    call = voice_services.call_start(account=account)
    recording = voice_services.voice_recording_start(source="StartCallRecordingAPI", call=call)
    voice_services.call_end(call=call)
    seen = while_storing(VoiceRecording, recording.pk)
    completed = voice_services.voice_recording_audio_ingest(
        recording=recording, path=tone_wav(tmp_path / "call.wav", 2)
    )
    assert completed.status == VoiceRecordingStatus.COMPLETED
    # The original only: renditions are made after commit, by a task.
    assert seen[:1] == [True]
